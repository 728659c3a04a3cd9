"""The cross-vendor corpus of malformed inputs (``tests/data/bad_inputs/<vendor>/cases.json``).

Each case is handed to its vendor's operator as a user would; each must be rejected
before any network call (the sandbox journal stays empty), with a message naming the
file or record, the line or field, and the rule.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError

CORPUS = Path(__file__).resolve().parent / "data" / "bad_inputs"


def load_cases() -> list:
    cases = []
    for spec_file in sorted(CORPUS.rglob("cases.json")):
        spec = json.loads(spec_file.read_text())
        group = "-".join(spec_file.parent.relative_to(CORPUS).parts)
        for case in spec["cases"]:
            cases.append(pytest.param(spec_file.parent, spec, case, id=f"{group}-{case['name']}"))
    return cases


CASES = load_cases()


def test_corpus_covers_every_vendor_with_at_least_30_inputs():
    vendors = {p.values[0].relative_to(CORPUS).parts[0] for p in CASES}
    assert vendors == {"ispot", "bidswitch", "freewheel", "iqm", "oi"}
    assert len(CASES) >= 30


def _context() -> dict:
    start = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    return {"data_interval_start": start, "data_interval_end": start + dt.timedelta(days=1),
            "logical_date": start, "ds": "2026-11-20"}


@pytest.mark.parametrize(("folder", "spec", "case"), CASES)
def test_bad_input_is_rejected_before_any_request(sandbox, folder, spec, case):
    module, _, cls_name = spec["operator"].rpartition(".")
    operator_cls = getattr(importlib.import_module(module), cls_name)
    kwargs = {**spec.get("common_kwargs", {}), **case.get("kwargs", {})}
    input_arg = case.get("input_arg", spec.get("input_arg"))  # a case may name another input
    if case.get("file") is not None and input_arg:
        kwargs[input_arg] = str(folder / case["file"])
    with pytest.raises(AdtechValidationError) as err:
        operator_cls(**kwargs).execute(_context())
    message = str(err.value)
    missing = [e for e in case["expect"] if e not in message]
    assert missing == [], f"message lacks {missing}:\n{message}"
    assert sandbox.journal.entries() == []
