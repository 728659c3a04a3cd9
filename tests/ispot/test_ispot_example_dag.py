"""The example DAG ``ispot_conversions``: it parses, and ``airflow dags test`` runs it end to
end against the sandbox: a first run uploads every part exactly once even when iSpot answers
500 to part 2 of 3; a second run of the same day uploads nothing and reports
``already_uploaded``."""

from __future__ import annotations

import importlib.util

import pytest

from dagrun import DATA_DAYS, EXAMPLE_DAGS, RUN_DATE, run_example_dag

DAG_FILE = EXAMPLE_DAGS / "ispot_conversions.py"


def test_example_dag_imports_with_the_house_conventions():
    spec = importlib.util.spec_from_file_location("ispot_conversions_example", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    assert dag.dag_id == "ispot_conversions"
    assert "adtech" in dag.tags and dag.catchup is False
    assert {t.task_id for t in dag.tasks} == {"export_conversions", "upload_conversions", "check_upload",
                                              "remove_export"}
    upload = dag.get_task("upload_conversions")
    assert upload.ispot_conn_id == "ispot_default"
    assert "source" in upload.template_fields and "max_file_size" in upload.template_fields


@pytest.mark.integration
def test_example_dag_uploads_each_part_once_and_a_rerun_uploads_nothing(sandbox):
    # part 2 of 3 is answered 500 once: the hook retries it (the name makes a repeat safe)
    sandbox.inject("ispot.upload", status=500, skip=1, times=1,
                   body={"message": "Internal error. Please contact our API team."})
    conf = {"rows": 135_000, "max_file_size": 12_000_000}
    first = run_example_dag("ispot_conversions", sandbox, logical_date=RUN_DATE, conf=conf)
    first.assert_success()

    summary = first.xcoms["upload_conversions"]
    day = summary["data_date"]
    # the data day is the run's data interval start (RUN_DATE on Airflow 3, the day before on Airflow 2)
    assert day in DATA_DAYS
    names = [f"conversions_{day}_{n:03d}.csv" for n in (1, 2, 3)]
    assert [p["name"] for p in summary["parts"]] == names
    assert [p["status"] for p in summary["parts"]] == ["uploaded"] * 3
    assert [p["attempts"] for p in summary["parts"]] == [1, 2, 1]
    assert summary["rows"] == 135_000 == sum(p["rows"] for p in summary["parts"])
    assert all(8 * 1024 * 1024 <= p["bytes"] <= 12_000_000 for p in summary["parts"])
    # 12 MB parts would have left about 6 MB for the last one: the known input size spreads the rows
    assert not any("re-cut" in r for r in summary["rewrites"])
    assert any("columns renamed: LATEST_IPADDRESS -> ip" in r for r in summary["rewrites"])

    state = sandbox.state()["ispot"]
    accepted = [f["file"] for f in state["files"]]
    assert accepted == names  # each part accepted exactly once
    assert state["rows"] == 135_000
    assert all(f["passthru"] and f["columns"][0] == "ip" for f in state["files"])
    uploads = sandbox.journal.entries("ispot.upload")
    assert [e.status for e in uploads] == [201, 500, 201, 201]
    assert [e.meta.get("file") for e in uploads if e.status == 201] == names

    second = run_example_dag("ispot_conversions", sandbox, logical_date=RUN_DATE, conf=conf)
    second.assert_success()
    again = second.xcoms["upload_conversions"]
    assert [p["status"] for p in again["parts"]] == ["already_uploaded"] * 3
    assert again["uploaded"] == 0 and again["already_uploaded"] == 3
    assert second.xcoms["check_upload"]["parts"] == {n: "already_uploaded" for n in names}
    state = sandbox.state()["ispot"]
    assert [f["file"] for f in state["files"]] == names  # nothing new accepted
    assert [d["file"] for d in state["duplicates"]] == names
    # the token of the first run was reused by the second (iSpot: "only request a new one when
    # absolutely necessary")
    assert sandbox.journal.count("ispot.token") == 1
