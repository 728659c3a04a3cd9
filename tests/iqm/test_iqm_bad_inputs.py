"""The IQM bad-input corpus (``tests/data/bad_inputs/iqm/cases.json``): every case fails with
:class:`AdtechValidationError` naming field (or file and line) and rule, before any request."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad_inputs" / "iqm"
SPEC = json.loads((CORPUS / "cases.json").read_text())


def _operator_class():
    module, _, name = SPEC["operator"].rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_corpus_is_big_enough_and_every_file_is_used():
    assert len(SPEC["cases"]) >= 6
    files = {c["file"] for c in SPEC["cases"] if c["file"]}
    assert files == {p.name for p in CORPUS.iterdir() if p.name != "cases.json"}


@pytest.mark.parametrize("case", SPEC["cases"], ids=[c["name"] for c in SPEC["cases"]])
def test_bad_input_is_refused_before_any_request(sandbox, context, case):
    kwargs = {**SPEC["common_kwargs"], **case["kwargs"]}
    if case["file"] is not None:
        kwargs[SPEC["input_arg"]] = str(CORPUS / case["file"])
    with pytest.raises(AdtechValidationError) as err:
        op = _operator_class()(**kwargs)
        op.execute(context)
    message = str(err.value)
    for expected in case["expect"]:
        assert expected in message, f"{expected!r} not in:\n{message}"
    assert err.value.problems, "the problems are attached to the error"
    assert sandbox.journal.count() == 0
