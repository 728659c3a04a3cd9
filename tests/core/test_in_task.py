"""Hooks inside real task runs (``airflow dags test`` in a separate process)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from dagrun import run_example_dag

DAGS = Path(__file__).resolve().parents[1] / "dags"


def _with_cache(kind: str) -> dict[str, str]:
    conn = json.loads(os.environ["AIRFLOW_CONN_ISPOT_DEFAULT"])
    conn["extra"]["token_cache"] = kind
    return {"AIRFLOW_CONN_ISPOT_DEFAULT": json.dumps(conn)}


def test_tokens_and_passwords_are_masked_in_task_logs_and_xcom(sandbox):
    result = run_example_dag("adtech_core_checks", sandbox, dags_folder=DAGS, extra_env=_with_cache("file"))
    result.assert_success()
    assert result.xcoms["authenticate"] == {"cache": "file", "token_masked": True, "secret_masked": True}
    leaked = [s for s in sandbox.secrets() if s in result.output or s in json.dumps(result.xcoms)]
    assert leaked == []
    assert sandbox.journal.count("ispot.token") == 1


def test_variable_token_cache_is_shared_between_runs(sandbox):
    env = _with_cache("variable")
    first = run_example_dag("adtech_core_checks", sandbox, dags_folder=DAGS, extra_env=env)
    first.assert_success()
    second = run_example_dag("adtech_core_checks", sandbox, dags_folder=DAGS, extra_env=env,
                             logical_date="2026-11-21")
    second.assert_success()
    assert second.xcoms["authenticate"]["cache"] == "variable"
    assert sandbox.journal.count("ispot.token") == 1
    assert not any(s in first.output + second.output for s in sandbox.secrets())
