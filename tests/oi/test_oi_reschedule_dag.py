"""OiReportSensor in reschedule mode in a real DAG run (``airflow dags test``): the task
gives its slot back between pokes and the 'settled' criterion survives across them."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from dagrun import run_example_dag

pytestmark = pytest.mark.integration


def test_reschedule_mode_settled_across_task_runs(sandbox):
    sandbox.configure("oi", report_rows=40, report_settle_after=1)  # poll 1 partial, then final
    result = run_example_dag("oi_reschedule_settled", sandbox, dags_folder=Path(__file__).parent / "dags")
    result.assert_success()
    summary = result.xcoms["wait_settled"]
    assert summary["rows"] == 40 and "unchanged" in summary["reason"]
    # three pokes, each in its own task run (reschedule mode keeps no memory between them)
    assert [e.meta["poll"] for e in sandbox.journal.entries("oi.reports.publishers")] == [1, 2, 3]
    assert summary["polls"] == 1
    db = sqlite3.connect(os.path.join(os.environ["AIRFLOW_HOME"], "airflow.db"))
    try:
        reschedules = db.execute("SELECT count(*) FROM task_reschedule").fetchone()[0]
        leftovers = db.execute("SELECT count(*) FROM variable WHERE key LIKE 'adtech_oi_sensor__%'").fetchone()[0]
    finally:
        db.close()
    assert reschedules >= 2 and leftovers == 0
