"""The example DAG ``bidswitch_discrepancy``: it parses, and ``airflow dags test`` runs it end to
end against the sandbox."""

from __future__ import annotations

import importlib.util

import pytest

from dagrun import DATA_DAYS, EXAMPLE_DAGS, run_example_dag

DAG_FILE = EXAMPLE_DAGS / "bidswitch_discrepancy.py"


def test_example_dag_imports_with_the_house_conventions():
    spec = importlib.util.spec_from_file_location("bidswitch_discrepancy_example", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    assert dag.dag_id == "bidswitch_discrepancy"
    assert "adtech" in dag.tags and dag.catchup is False
    assert {t.task_id for t in dag.tasks} == {"daily_rows", "upload_discrepancy_report", "check_handled"}
    upload = dag.get_task("upload_discrepancy_report")
    assert upload.bidswitch_conn_id == "bidswitch_default"


@pytest.mark.integration
def test_example_dag_runs_against_the_sandbox(sandbox):
    result = run_example_dag("bidswitch_discrepancy", sandbox)
    result.assert_success()

    summary = result.xcoms["upload_discrepancy_report"]
    # the report day is the run's data interval start: RUN_DATE on Airflow 3, the day before on
    # Airflow 2 (whose manual runs end their interval at the logical date)
    (day,) = summary["report_dates"]
    assert day in DATA_DAYS
    assert summary["uploaded"] is True and summary["platform_name"] == "sandbox-ssp"
    assert summary["handled"] == [[f"buyer-a {day}"], [f"buyer-b {day}"]]

    rows = result.xcoms["daily_rows"]
    assert len(rows) == 48
    # what BidSwitch received and processed equals the rows the DAG produced
    figures = sandbox.state()["bidswitch"]["figures"]["ssp/sandbox-ssp"]
    for seat in ("buyer-a", "buyer-b"):
        mine = [r for r in rows if r["seat"] == seat]
        got = figures[f"{seat} {day}"]
        assert got["rows"] == 24 and got["hourly"] is True
        assert got["imps"] == sum(r["imps"] for r in mine)
        assert got["bids"] == sum(r["bids"] for r in mine)
        assert got["timeouts"] == sum(r["timeouts"] for r in mine)
        assert got["cost"] == pytest.approx(sum(r["cost"] for r in mine))
    assert sandbox.journal.count("bidswitch.upload") == 1
    assert sandbox.journal.count("bidswitch.token") == 1

    check = result.xcoms["check_handled"]
    assert check["handled"] == [f"buyer-a {day}", f"buyer-b {day}"]
    assert check["imps"] == sum(r["imps"] for r in rows)
