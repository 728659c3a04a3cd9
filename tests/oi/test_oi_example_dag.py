"""The example DAG ``oi_reports`` end to end: ``airflow dags test`` (which runs the trigger
in process) against the sandbox, with the report's data arriving only after two polls."""

from __future__ import annotations

import csv
import os
import tempfile

import pytest

from dagrun import DATA_DAYS, RUN_DATE, run_example_dag

pytestmark = pytest.mark.integration


def test_oi_reports_dag_defers_then_exports_and_feeds_downstream(sandbox):
    sandbox.configure("oi", report_rows=2100, report_ready_after=2)
    folder = os.path.join(tempfile.gettempdir(), "adtech-examples", "oi")
    # the report day is the run's data interval start: RUN_DATE on Airflow 3, the day
    # before on Airflow 2 (whose manual runs end their interval at the logical date)
    for day in DATA_DAYS:
        if os.path.exists(os.path.join(folder, f"placements_{day}.csv")):
            os.remove(os.path.join(folder, f"placements_{day}.csv"))

    result = run_example_dag("oi_reports", sandbox, logical_date=RUN_DATE,
                             extra_env={"ADTECH_OI_POKE_SECONDS": "0.2"})
    result.assert_success()
    for secret in sandbox.secrets():  # the API password never reaches the logs
        assert secret not in result.output

    summary = result.xcoms["wait_for_report"]
    day = summary["start"]
    assert day in DATA_DAYS and summary["end"] == day
    assert summary["rows"] == 2100
    out = os.path.join(folder, f"placements_{day}.csv")
    assert summary["output"] == out
    # polls of the day: 1 on the worker before deferring, then the trigger's until data arrived
    assert summary["polls"] == 3
    # the wait ran in the trigger (in process under 'dags test'), not in a poking worker
    assert "running trigger in line" in result.output
    assert "Opt-Intelligence report ready after 3 poll(s)" in result.output

    reports = sandbox.journal.entries("oi.reports.publishers")
    first_pages = [e for e in reports if e.meta["row_start"] == 1]
    # 3 polls (2 empty, 1 with data) + the export walk after the trigger fired; the trigger's
    # polls ask for min_rows (1) row each, the report itself is read once (2000 + 100 rows)
    assert [e.meta["poll"] for e in first_pages] == [1, 2, 3, 4]
    assert [e.meta["rows"] for e in first_pages] == [0, 0, 1, 2000]
    assert [e.meta["row_limit"] for e in reports] == [2000, 1, 1, 2000, 2000]
    assert all(e.meta["range"] == f"{day}..{day}" for e in reports)

    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2100
    assert set(rows[0]) == {"PUB_ID", "PUB", "PLACEMENT_ID", "PLACEMENT", "IMPRESSIONS", "REVENUE", "RPM"}

    top = result.xcoms["top_placements"]
    assert top["rows"] == 2100
    best = max(rows, key=lambda r: float(r["REVENUE"]))
    assert top["top"][0]["placement_id"] == int(best["PLACEMENT_ID"])
    assert top["revenue"] == pytest.approx(sum(float(r["REVENUE"]) for r in rows), abs=0.01)
