"""The FreeWheel bad-input corpus (``tests/data/bad_inputs/freewheel/cases.json``).

Every case: the operator raises AdtechValidationError naming file, line, field and rule,
before any request (the sandbox journal stays empty, nothing reaches S3).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad_inputs" / "freewheel"
SPEC = json.loads((CORPUS / "cases.json").read_text())
UTC = dt.timezone.utc


def operator_class():
    module, _, name = SPEC["operator"].rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_corpus_is_complete():
    names = [c["name"] for c in SPEC["cases"]]
    assert len(names) >= 6 and len(set(names)) == len(names)
    for case in SPEC["cases"]:
        assert case["file"] is None or (CORPUS / case["file"]).is_file(), case
        assert case["expect"], case
    # the bad inputs the FreeWheel issue lists are all there
    for required in ("bad_dates", "orbits_x", "bookingdesc_without_minutes", "arrays_of_unequal_length",
                     "duration_45", "duplicate_contract_system_line"):
        assert required in names


@pytest.mark.parametrize("case", SPEC["cases"], ids=[c["name"] for c in SPEC["cases"]])
def test_bad_input_is_rejected_before_any_request(sandbox, case, monkeypatch):
    sent = []
    import botocore.client

    real = botocore.client.BaseClient._make_api_call
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call",
                        lambda self, op, params: sent.append(op) or real(self, op, params))
    kwargs = {**SPEC["common_kwargs"], **case["kwargs"]}
    if case["file"] is not None:
        kwargs[SPEC["input_arg"]] = str(CORPUS / case["file"])
    op = operator_class()(**kwargs)
    day = dt.datetime(2026, 11, 20, tzinfo=UTC)
    context = {"data_interval_start": day, "data_interval_end": day + dt.timedelta(days=1), "logical_date": day}
    with pytest.raises(AdtechValidationError) as err:
        op.execute(context)
    message = str(err.value)
    for text in case["expect"]:
        assert text in message, f"{text!r} not in:\n{message}"
    assert err.value.problems, "the problems travel with the error"
    assert sandbox.journal.count() == 0
    assert sent == []  # no S3 call either
