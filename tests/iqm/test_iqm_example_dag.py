"""``example_dags/iqm_campaigns.py``: imports with the house conventions on both Airflow lines
and runs end to end with ``airflow dags test`` against the sandbox."""

from __future__ import annotations

import importlib.util
import time

from dagrun import EXAMPLE_DAGS, run_example_dag

DAG_FILE = EXAMPLE_DAGS / "iqm_campaigns.py"


def test_example_dag_imports_with_the_house_conventions():
    spec = importlib.util.spec_from_file_location("iqm_campaigns_example", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    assert dag.dag_id == "iqm_campaigns" and "adtech" in dag.tags and dag.catchup is False
    assert {t.task_id for t in dag.tasks} == {"list_running_campaigns", "plan_changes", "apply_changes",
                                              "count_by_status"}
    assert all(getattr(t, "iqm_conn_id", "iqm_default") == "iqm_default" for t in dag.tasks)
    assert "password" not in DAG_FILE.read_text().lower()


def test_example_dag_runs_against_the_sandbox(sandbox):
    iqm = sandbox.vendors["iqm"]
    before = {cid: dict(iqm.campaigns[cid]) for cid in (20731, 4120, 4121)}
    result = run_example_dag("iqm_campaigns", sandbox)
    result.assert_success()

    listing = result.xcoms["list_running_campaigns"]
    assert listing["count"] == 1 and listing["ids"] == [48]
    assert sorted(listing["campaign_ids"]) == [4120, 4121, 20731]

    applied = result.xcoms["apply_changes"]
    assert applied["records"] == 3 and applied["failed"] == []
    assert sorted(applied["applied"]["end_date"]) == [4120, 4121, 20731]
    assert sorted(applied["applied"]["budget"]) == [4120, 4121, 20731]
    assert applied["requests"] == 2  # one end-date call and one budget call for the three campaigns

    # what IQM received and now holds
    week = time.time() + 6 * 86400
    for cid, old in before.items():
        now = iqm.campaigns[cid]
        assert now["endTime"] > week and now["endTime"] > old["endTime"]
        assert now["budgetDay"] == 75
    counts = {r["status_key"]: r["status_count"] for r in result.xcoms["count_by_status"]}
    assert counts["running"] == 3
    assert sandbox.journal.count("iqm.login") == 1  # one token for all four tasks (shared cache)
    assert sandbox.journal.count("iqm.campaigns_update_end_date") == 1
    assert sandbox.journal.count("iqm.campaigns_update_budget") == 1
    assert not any(s in result.output for s in sandbox.secrets())
