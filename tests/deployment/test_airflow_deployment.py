"""Every example DAG on a real Airflow 3 deployment: scheduler, dag-processor, triggerer, api-server.

``dag.test()`` runs every task and trigger in one process. A deployment does not:
trigger arguments cross the database and run in the triggerer, every task runs in
a fresh process under a supervisor with its own log masking, and token caches must
work across processes. The fixture (``conftest.py``) starts such a deployment,
triggers one run of every DAG found in ``example_dags/`` and stops it; these tests
read what happened from the REST API answers, the metadata database, the log files
and the sandbox journal.

Run it alone with ``python -m pytest -m deployment`` (Airflow 3 only).
"""

from __future__ import annotations

from collections import Counter
from importlib.metadata import version

import pytest

from deployment_harness import EXAMPLE_DAGS, all_files, dag_files, readable_log, scan_for_secrets

AIRFLOW_3 = int(version("apache-airflow").split(".")[0]) >= 3

pytestmark = [
    pytest.mark.deployment,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not AIRFLOW_3, reason="the deployment (api-server, dag-processor) is Airflow 3's"),
]


def test_every_example_dag_file_is_deployed_and_triggered(deployed_examples):
    run = deployed_examples.run
    files = [p.name for p in dag_files(EXAMPLE_DAGS)]
    assert files, "example_dags/ holds no DAG file"
    assert sorted(run.dag_files) == sorted(files)
    for name, dag_ids in run.dag_files.items():
        assert dag_ids, f"{name} defines no DAG"
    triggered = sorted(run.outcomes)
    assert triggered == sorted(d for ids in run.dag_files.values() for d in ids)
    assert all(o.run_id and o.tasks for o in run.outcomes.values()), run.summary()


def test_every_run_and_every_task_succeeded(deployed_examples):
    run = deployed_examples.run
    bad = {d: (o.state, o.failed_tasks) for d, o in run.outcomes.items() if o.state != "success" or o.failed_tasks}
    assert not bad, f"{run.summary()}\n\n{run.failure_report()}"


def test_oi_report_sensor_deferred_and_its_trigger_fired_in_the_triggerer(deployed_examples):
    """The deferrable ``OiReportSensor`` hands its wait to the triggerer process."""
    run = deployed_examples.run
    dep = run.deployment
    sensors = run.tasks_of_class("OiReportSensor")
    assert sensors, f"no OiReportSensor task in the example DAGs: {run.operators}"
    job_types = dep.job_types()
    for dag_id, task_id in sensors:
        run_id = run.outcomes[dag_id].run_id
        changes = dep.state_changes(dag_id, run_id, task_id)
        assert "deferred" in changes, f"{dag_id}.{task_id} never deferred; state changes {changes}"
        assert changes[-1] == "success", changes
        assert changes.index("running") < changes.index("deferred") < len(changes) - 1 - changes[::-1].index(
            "running"
        ), f"expected running -> deferred -> running (resumed): {changes}"

        trigger_logs = dep.trigger_log_files(dag_id, run_id, task_id)
        assert trigger_logs, f"no trigger log for {dag_id}.{task_id}:\n{dep.task_log(dag_id, run_id, task_id)}"
        fired_in = []
        for job_id, path in trigger_logs.items():
            text = readable_log(path.read_text("utf-8", "replace"))
            if "Trigger fired event" in text:
                fired_in.append(job_id)
        assert fired_in, f"the trigger never fired:\n{dep.task_log(dag_id, run_id, task_id)}"
        assert all(job_types.get(j) == "TriggererJob" for j in fired_in), (fired_in, job_types)


def test_ispot_token_requested_once_across_all_task_processes(deployed_examples):
    """iSpot: "only request a new one when absolutely necessary" (a token lasts 24 hours).
    Every task process finds the token in the shared file cache."""
    sandbox = deployed_examples.sandbox
    journal = sandbox.journal
    ispot_calls = [e for e in journal.entries("ispot.*") if e.route != "ispot.token"]
    assert ispot_calls, "no example DAG called iSpot"
    assert journal.count("ispot.token") == 1, [(e.route, e.status) for e in journal.entries("ispot.*")]
    token = next(t.value for t in sandbox.tokens._tokens.values() if t.vendor == "ispot")
    cached = [p for p in deployed_examples.token_cache_dir.glob("*.json") if token in p.read_text()]
    assert len(cached) == 1, sorted(p.name for p in deployed_examples.token_cache_dir.iterdir())


def test_iqm_login_shared_by_every_task_process(deployed_examples):
    """IQM: several task processes (one per task) use one login: the token cache crosses processes."""
    run, journal = deployed_examples.run, deployed_examples.sandbox.journal
    users = [t for t in run.tasks_of_class("IqmCampaignOperator") if run.outcomes[t[0]].tasks.get(t[1]) == "success"]
    assert len(users) >= 2, f"fewer than two IQM tasks: {users}"
    assert journal.count("iqm.login") == 1, [(e.route, e.status) for e in journal.entries("iqm.*")]


def test_no_credential_or_token_in_any_log_or_component_output(deployed_examples):
    run = deployed_examples.run
    sandbox = deployed_examples.sandbox
    secrets = sandbox.secrets()
    issued = sandbox.tokens.all_values()
    assert issued, "the sandbox issued no token: nothing authenticated"
    files = all_files(run.home / "logs") + all_files(run.deployment.output_dir)
    task_logs = [p for p in files if "dag_id=" in str(p)]
    assert len(task_logs) >= sum(len(o.tasks) for o in run.outcomes.values()), "task logs missing"
    scanned, hits = scan_for_secrets(files, secrets)
    assert scanned == len(files)
    where = Counter(h.path for h in hits)
    assert not hits, f"{len(hits)} secret occurrences (of {len(secrets)} secrets) in {dict(where)}"


# ---------------------------------------------------------------- what each vendor received
def _summaries(run, class_name: str) -> list[tuple[str, str, dict]]:
    """``(dag_id, task_id, return value)`` of every successful task of ``class_name``."""
    out = []
    for dag_id, task_id in run.tasks_of_class(class_name):
        if run.outcomes[dag_id].tasks.get(task_id) == "success":
            out.append((dag_id, task_id, run.xcom(dag_id, task_id)))
    return out


def test_opt_intelligence_report_polled_until_ready_then_exported_once(deployed_examples):
    """Polls cross the worker and the triggerer: the report answers no rows for its first
    ``report_ready_after`` polls; then the ready report is walked once for the export."""
    run, journal = deployed_examples.run, deployed_examples.sandbox.journal
    ready_after = deployed_examples.sandbox.vendors["oi"].settings["report_ready_after"]
    sensors = _summaries(run, "OiReportSensor")
    assert sensors
    for dag_id, task_id, summary in sensors:
        key = f"{summary['start']}..{summary['end']}"
        calls = [e for e in journal.entries("oi.reports.publishers") if e.meta.get("range") == key]
        first_pages = [e.meta["poll"] for e in calls if e.meta["row_start"] == 1]
        # polls until ready (the first on the worker, the others in the trigger), then one export walk
        assert first_pages == list(range(1, ready_after + 3)), (dag_id, task_id, first_pages)
        assert [e.meta["rows"] for e in calls if e.meta["poll"] <= ready_after] == [0] * ready_after
        exported = sum(e.meta["rows"] for e in calls if e.meta["poll"] == ready_after + 2)
        assert exported == summary["rows"] > 0, (exported, summary)


def test_bidswitch_received_each_report_once(deployed_examples):
    """BidSwitch "processes only the last report uploaded on a calendar day": every upload
    the DAGs made was accepted once, and none was repeated."""
    run, sandbox = deployed_examples.run, deployed_examples.sandbox
    ops = [s for s in _summaries(run, "BidSwitchDiscrepancyOperator") if s[2]["uploaded"]]
    assert ops, "no example DAG uploaded a BidSwitch report"
    accepted = [e for e in sandbox.journal.entries("bidswitch.upload") if e.meta.get("accepted")]
    assert len(accepted) == len(ops), [(e.status, e.meta.get("handled")) for e in accepted]
    assert sorted(sorted(map(tuple, e.meta["handled"])) for e in accepted) == sorted(
        sorted(map(tuple, s["handled"])) for _, _, s in ops
    )
    figures = sandbox.vendors["bidswitch"].figures()
    for _, _, s in ops:
        plat = figures[f"{s['platform_type']}/{s['platform_name']}"]
        for rep in s["reports"]:
            for day, tot in rep["days"].items():
                key = f"{rep['seat']} {day}" if rep["seat"] is not None else day
                assert plat[key]["imps"] == tot["imps"], (key, plat[key], tot)


def test_iqm_changes_sent_once_each(deployed_examples):
    """IQM budget and end-date changes are not idempotent: one call per group, each campaign once."""
    run, journal = deployed_examples.run, deployed_examples.sandbox.journal
    applied = [s for s in _summaries(run, "IqmCampaignOperator")
               if isinstance(s[2], dict) and s[2].get("action") == "apply_changes"]
    assert applied, "no example DAG applied IQM changes"
    routes = {"end_date": "iqm.campaigns_update_end_date", "budget": "iqm.campaigns_update_budget",
              "name": "iqm.campaign_update_name"}
    writes = [e for r in routes.values() for e in journal.entries(r)]
    assert len(writes) == sum(s["requests"] for _, _, s in applied), [(e.route, e.status) for e in writes]
    for kind, route in routes.items():
        sent = [cid for e in journal.entries(route)
                for cid in (e.meta.get("campaignIds") or [e.meta.get("campaignId")])]
        assert len(sent) == len(set(sent)), f"a campaign got its {kind} change twice: {sent}"
        expected = [cid for _, _, s in applied for cid in s["applied"][kind]]
        expected += [f["id"] for _, _, s in applied for f in s["failed"] if f["change"] == kind]
        assert sorted(sent) == sorted(expected), kind


def test_ispot_received_each_file_once(deployed_examples):
    """iSpot keeps one file per name and day (a repeat answers 409): every part the DAGs
    report as uploaded was accepted exactly once, with its rows, and nothing else was."""
    run, journal = deployed_examples.run, deployed_examples.sandbox.journal
    ops = _summaries(run, "IspotConversionUploadOperator")
    assert ops, "no example DAG uploaded to iSpot"
    accepted = [e.meta for e in journal.entries("ispot.upload") if e.meta.get("outcome") == "accepted"]
    names = [m["file"] for m in accepted]
    assert len(names) == len(set(names)), f"a file name was accepted twice: {names}"
    uploaded = {p["name"]: p for _, _, s in ops for p in s["parts"] if p["status"] == "uploaded"}
    assert sorted(names) == sorted(uploaded)
    for m in accepted:
        assert m["rows"] == uploaded[m["file"]]["rows"], (m, uploaded[m["file"]])
    assert journal.count("ispot.upload") == sum(p["attempts"] for p in uploaded.values())


def test_freewheel_received_each_order_file_and_line_once(deployed_examples):
    """FreeWheel: one zipped file per delivery in the dedicated S3 folder, and every order line
    posted once (the API upserts on ``external_id``: a repeat would show as an update)."""
    import boto3

    run, journal = deployed_examples.run, deployed_examples.sandbox.journal
    deliveries = [s for _, _, s in _summaries(run, "FreeWheelS3OrderOperator") if s["delivered"]]
    posts = [s for _, _, s in _summaries(run, "FreeWheelLinearOrderOperator")]
    assert deliveries and posts, "no example DAG delivered FreeWheel orders both ways"

    s3 = boto3.client("s3", endpoint_url=deployed_examples.s3_url, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    objects = {}
    for bucket in {d["bucket"] for d in deliveries}:
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            objects[f"s3://{bucket}/{obj['Key']}"] = obj["Size"]
    assert objects == {d["uri"]: d["bytes"] for d in deliveries}

    calls = journal.entries("freewheel.linear_orders")
    assert len(calls) == sum(p["requests"] for p in posts), [(e.status, e.meta.get("lines")) for e in calls]
    ids = [i for e in calls for i in e.meta["external_ids"]]
    assert len(ids) == len(set(ids)) == sum(p["lines"] for p in posts), "an order line was posted twice"
    assert sum(e.meta["created"] for e in calls) == len(ids) and sum(e.meta["updated"] for e in calls) == 0
