"""The bad-input corpus ``tests/data/bad_inputs/bidswitch/cases.json``: every case is refused by
the operator before any request, with a message naming the input, the place and the rule."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad_inputs" / "bidswitch"
SPEC = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)


def operator_class():
    module, _, name = SPEC["operator"].rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_corpus_is_large_enough_and_files_exist():
    assert len(SPEC["cases"]) >= 9
    for case in SPEC["cases"]:
        if case["file"] is not None:
            assert (CORPUS / case["file"]).is_file(), case["file"]
    # the list: timezone, GBP, hour 7, hour 24, negative imps, cost string, date, duplicate, mixed
    names = {c["name"] for c in SPEC["cases"]}
    assert {"unknown_timezone", "currency_gbp", "hour_7", "hour_24", "negative_imps", "cost_as_string",
            "bad_date", "duplicate_hour", "mixed_hourly_daily"} <= names


@pytest.mark.parametrize("case", SPEC["cases"], ids=[c["name"] for c in SPEC["cases"]])
def test_bad_input_is_refused_before_any_request(sandbox, case):
    kwargs = dict(SPEC["common_kwargs"]) | case["kwargs"]
    if case["file"] is not None:
        kwargs[case.get("input_arg", SPEC["input_arg"])] = str(CORPUS / case["file"])
    op = operator_class()(**kwargs)
    context = {"data_interval_start": DAY, "data_interval_end": DAY + dt.timedelta(days=1), "logical_date": DAY}
    with pytest.raises(AdtechValidationError) as err:
        op.execute(context)
    message = str(err.value)
    missing = [e for e in case["expect"] if e not in message]
    assert not missing, f"{missing} not in:\n{message}"
    assert err.value.problems, "the problems are attached to the error"
    assert sandbox.journal.count() == 0
