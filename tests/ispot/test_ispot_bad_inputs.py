"""The malformed-input corpus (``tests/data/bad_inputs/ispot/cases.json``): every file is
refused by the operator before any request, with a message naming file, line, column and rule,
and the sandbox sees no request at all."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad_inputs" / "ispot"
SPEC = json.loads((CORPUS / "cases.json").read_text())
DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
CONTEXT = {"data_interval_start": DAY, "data_interval_end": DAY + dt.timedelta(days=1), "logical_date": DAY}


def operator_class():
    module, _, name = SPEC["operator"].rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_corpus_is_large_enough_and_every_file_exists():
    assert len(SPEC["cases"]) >= 15
    names = [c["name"] for c in SPEC["cases"]]
    assert len(names) == len(set(names))
    for case in SPEC["cases"]:
        assert case["file"] is None or (CORPUS / case["file"]).is_file(), case


@pytest.mark.parametrize("case", SPEC["cases"], ids=lambda c: c["name"])
def test_bad_input_is_refused_before_any_request(sandbox, case):
    kwargs = {**SPEC["common_kwargs"], **case["kwargs"]}
    if case["file"] is not None:
        kwargs[SPEC["input_arg"]] = str(CORPUS / case["file"])
    op = operator_class()(**kwargs)
    with pytest.raises(AdtechValidationError) as exc:
        op.execute(dict(CONTEXT))
    message = str(exc.value)
    missing = [e for e in case["expect"] if e not in message]
    assert not missing, f"{missing} not in:\n{message}"
    assert exc.value.problems, "the problems travel with the error"
    assert sandbox.journal.count() == 0
