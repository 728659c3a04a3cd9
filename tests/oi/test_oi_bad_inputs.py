"""The Opt-Intelligence bad-input corpus (``tests/data/bad_inputs/oi/**/cases.json``):
every case fails with AdtechValidationError naming what is wrong, before any request."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad_inputs" / "oi"
DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)


def load_cases():
    out = []
    for spec_file in sorted(CORPUS.rglob("cases.json")):
        spec = json.loads(spec_file.read_text())
        for case in spec["cases"]:
            rel = spec_file.parent.relative_to(CORPUS).as_posix()
            out.append(pytest.param(spec_file.parent, spec, case, id=f"{rel}/{case['name']}".lstrip("./")))
    return out


CASES = load_cases()


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 30
    by_dir = {}
    for p in CASES:
        by_dir[p.values[0]] = by_dir.get(p.values[0], 0) + 1
    assert by_dir[CORPUS] >= 6 and by_dir[CORPUS / "placements"] >= 6


@pytest.mark.parametrize("folder, spec, case", CASES)
def test_bad_input_is_refused_before_any_request(sandbox, folder, spec, case):
    module, _, name = spec["operator"].rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    kwargs = {**spec["common_kwargs"], **case["kwargs"]}
    if case["file"] is not None:
        kwargs[spec["input_arg"]] = str((folder / case["file"]).resolve())
    op = cls(**kwargs)
    context = {"data_interval_start": DAY, "data_interval_end": DAY + dt.timedelta(days=1), "logical_date": DAY}
    with pytest.raises(AdtechValidationError) as err:
        op.execute(context)
    message = str(err.value)
    missing = [e for e in case["expect"] if e not in message]
    assert not missing, f"{missing} not in:\n{message}"
    assert err.value.problems, "the problems are attached to the error"
    assert sandbox.journal.count("*") == 0
