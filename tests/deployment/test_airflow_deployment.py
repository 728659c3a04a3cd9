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

import os
from collections import Counter
from importlib.metadata import version

import pytest
from cryptography.fernet import Fernet

from airflow_provider_adtech.hooks.token_cache import FERNET_PREFIX
from deployment_harness import CELERY_DAG_FILES, EXAMPLE_DAGS, all_files, dag_files, readable_log, scan_for_secrets

AIRFLOW_3 = int(version("apache-airflow").split(".")[0]) >= 3

pytestmark = [
    pytest.mark.deployment,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not AIRFLOW_3, reason="the deployment (api-server, dag-processor) is Airflow 3's"),
]


def test_every_example_dag_file_is_deployed_and_triggered(deployed_examples):
    run = deployed_examples.run
    files = [p.name for p in dag_files(EXAMPLE_DAGS) if p.name not in CELERY_DAG_FILES]
    assert files, "example_dags/ holds no DAG file"
    assert all((EXAMPLE_DAGS / name).exists() for name in CELERY_DAG_FILES)  # run by test_celery_deployment
    assert sorted(run.dag_files) == sorted(files)
    for name, dag_ids in run.dag_files.items():
        assert dag_ids, f"{name} defines no DAG"
    triggered = sorted(run.outcomes)
    assert triggered == sorted(d for ids in run.dag_files.values() for d in ids)
    assert all(o.run_id and o.tasks for o in run.outcomes.values()), run.summary()


def test_every_run_and_every_task_succeeded(deployed_examples):
    run = deployed_examples.run
    bad = {d: (o.state, o.failed_tasks) for d, o in run.outcomes.items()
           if o.state != "success" or o.failed_tasks}
    assert not bad, f"{run.summary()}\n\n{run.failure_report()}"


def test_oi_report_sensor_deferred_and_its_trigger_fired_in_the_triggerer(deployed_examples):
    """The deferrable ``OiReportSensor`` of ``oi_reports`` hands its wait to the triggerer process."""
    run = deployed_examples.run
    dep = run.deployment
    lead = deployed_examples.lead_dag
    sensors = [(d, t) for d, t in run.tasks_of_class("OiReportSensor") if d == lead]
    assert sensors, f"no OiReportSensor task in {lead}: {run.operators}"
    job_types = dep.job_types()
    for dag_id, task_id in sensors:
        run_id = run.outcomes[dag_id].run_id
        changes = dep.state_changes(dag_id, run_id, task_id)
        assert changes == ["running", "deferred", "running", "success"], (
            f"{dag_id}.{task_id}: expected running -> deferred -> running (resumed) -> success, got {changes}"
        )
        task_log = "\n".join(readable_log(p.read_text("utf-8", "replace"))
                             for p in dep.task_log_files(dag_id, run_id, task_id)
                             if p.name == "attempt=1.log")
        assert "Pausing task as DEFERRED" in task_log, task_log[-3000:]
        trigger_logs = dep.trigger_log_files(dag_id, run_id, task_id)
        assert trigger_logs, (
            f"no trigger log for {dag_id}.{task_id}:\n{dep.task_log(dag_id, run_id, task_id)}"
        )
        fired = dep.trigger_fired(dag_id, run_id, task_id)
        assert list(fired) == [-1], f"the trigger never fired:\n{dep.task_log(dag_id, run_id, task_id)}"
        # the trigger log's name carries the id of the job that ran it: the triggerer's
        assert all(job_types.get(j) == "TriggererJob" for j in trigger_logs), (trigger_logs, job_types)


def test_ispot_token_requested_once_across_all_task_processes(deployed_examples):
    """iSpot: "only request a new one when absolutely necessary" (a token lasts 24 hours).
    Every task process finds the token in the shared file cache."""
    sandbox = deployed_examples.sandbox
    journal = sandbox.journal
    ispot_calls = [e for e in journal.entries("ispot.*") if e.route != "ispot.token"]
    assert ispot_calls, "no example DAG called iSpot"
    assert journal.count("ispot.token") == 1, [(e.route, e.status) for e in journal.entries("ispot.*")]
    token = next(t.value for t in sandbox.tokens._tokens.values() if t.vendor == "ispot")
    files = sorted(deployed_examples.token_cache_dir.glob("*.json"))
    # at rest the token is encrypted with the deployment's Fernet key (its airflow.cfg has one)
    assert not any(token.encode() in p.read_bytes() for p in files), "a token file holds the token in clear"
    fernet = Fernet(_fernet_key(deployed_examples.run.home))
    cached = [p for p in files if p.read_bytes().startswith(FERNET_PREFIX)
              and token in fernet.decrypt(p.read_bytes()[len(FERNET_PREFIX):]).decode()]
    assert len(cached) == 1, [p.name for p in files]


def _fernet_key(home) -> str:
    """``[core] fernet_key`` of the deployment (written into its airflow.cfg by ``airflow db migrate``)."""
    import configparser

    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(home / "airflow.cfg")
    key = os.environ.get("AIRFLOW__CORE__FERNET_KEY") or cfg.get("core", "fernet_key", fallback="")
    assert key, "the deployment has no Fernet key"
    return key


def test_iqm_login_shared_by_every_task_process(deployed_examples):
    """IQM: several task processes (one per task) use one login: the token cache crosses processes."""
    run, journal = deployed_examples.run, deployed_examples.sandbox.journal
    users = [(d, t) for d, t in run.tasks_of_class("IqmCampaignOperator")
             if run.outcomes[d].tasks.get(t) == "success"]
    assert len(users) >= 2, f"fewer than two IQM tasks: {users}"
    assert journal.count("iqm.login") == 1, [(e.route, e.status) for e in journal.entries("iqm.*")]


def test_no_credential_or_token_in_any_log_or_component_output(deployed_examples):
    """Every credential of the five vendors and every token the sandbox issued, searched for
    verbatim in every log file, in the output of the four Airflow commands, and in the
    metadata database (XComs, rendered template fields, audit log)."""
    run = deployed_examples.run
    sandbox = deployed_examples.sandbox
    secrets = sandbox.secrets()
    issued = sandbox.tokens.all_values()
    assert issued, "the sandbox issued no token: nothing authenticated"
    assert len(secrets) > len(issued)
    files = all_files(run.home / "logs") + all_files(run.deployment.output_dir)
    files += sorted(run.home.glob("airflow.db*"))
    ran = [(o.dag_id, o.run_id, t.split("[")[0]) for o in run.outcomes.values() for t, st in o.tasks.items()
           if st in ("success", "failed", "up_for_retry")]
    assert ran
    no_log = [r for r in ran if not run.deployment.task_log_files(*r)]
    assert not no_log, f"task instances without a log file: {no_log}"
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
    """Every sensor polls the day's report until it has rows (the first ``report_ready_after``
    polls of the day answer none, whoever asks), then exports it: a sensor that deferred walks
    the report once more after its trigger fired; one that found rows at once exports that walk.
    Nothing is fetched twice."""
    run, journal = deployed_examples.run, deployed_examples.sandbox.journal
    dep = run.deployment
    ready_after = deployed_examples.sandbox.vendors["oi"].settings["report_ready_after"]
    sensors = _summaries(run, "OiReportSensor")
    assert sensors
    by_range: dict[str, list[tuple[str, str, dict]]] = {}
    for dag_id, task_id, summary in sensors:
        by_range.setdefault(f"{summary['start']}..{summary['end']}", []).append((dag_id, task_id, summary))
    for key, group in by_range.items():
        calls = [e for e in journal.entries("oi.reports.publishers") if e.meta.get("range") == key]
        first_pages = [e.meta for e in calls if e.meta["row_start"] == 1]
        deferred = [(d, t) for d, t, _ in group
                    if "deferred" in dep.state_changes(d, run.outcomes[d].run_id, t)]
        expected = sum(s["polls"] for _, _, s in group) + len(deferred)
        assert len(first_pages) == expected, (key, [(m["poll"], m["rows"]) for m in first_pages], group)
        assert [m["rows"] for m in first_pages[:ready_after]] == [0] * ready_after
        assert all(m["rows"] > 0 for m in first_pages[ready_after:])
        for _, _, summary in group:
            assert summary["rows"] > 0 and summary["output"]


def test_bidswitch_received_each_report_once(deployed_examples):
    """BidSwitch "processes only the last report uploaded on a calendar day": every upload
    the DAGs made was accepted once, none was repeated, and the platform's figures are the
    last upload's."""
    run, sandbox = deployed_examples.run, deployed_examples.sandbox
    ops = [s for _, _, s in _summaries(run, "BidSwitchDiscrepancyOperator") if s["uploaded"]]
    assert ops, "no example DAG uploaded a BidSwitch report"
    uploads = sandbox.journal.entries("bidswitch.upload")
    accepted = [e for e in uploads if e.meta.get("accepted")]
    assert len(uploads) == len(accepted) == len(ops), [(e.status, e.meta.get("handled")) for e in uploads]
    assert sorted(sorted(map(tuple, e.meta["handled"])) for e in accepted) == sorted(
        sorted(map(tuple, s["handled"])) for s in ops
    )
    figures = sandbox.vendors["bidswitch"].figures()
    for platform in {f"{s['platform_type']}/{s['platform_name']}" for s in ops}:
        last = [e for e in accepted if f"{e.meta['platform_type']}/{e.meta['platform_name']}" == platform][-1]
        assert sorted(figures[platform]) == sorted(i for items in last.meta["handled"] for i in items)
        for key, fig in figures[platform].items():
            assert fig["upload_seq"] == last.meta["upload_seq"], (key, fig)
            sent = {tot["imps"] for s in ops for rep in s["reports"] for day, tot in rep["days"].items()
                    if (f"{rep['seat']} {day}" if rep["seat"] is not None else day) == key}
            assert fig["imps"] in sent, (key, fig, sent)


def _iqm_writes_reported(run) -> tuple[int, dict[str, Counter]]:
    """Requests and campaign ids per change kind that the DAGs' IQM tasks report sending."""
    kinds = ("end_date", "budget", "name")
    expected: dict[str, Counter] = {kind: Counter() for kind in kinds}
    requests = 0
    for _, _, s in _summaries(run, "IqmCampaignOperator"):
        if not isinstance(s, dict):
            continue
        if s.get("action") == "apply_changes":
            requests += s["requests"]
            for kind in kinds:
                expected[kind].update(s["applied"][kind])
                expected[kind].update(f["id"] for f in s["failed"] if f["change"] == kind)
        elif isinstance(s.get("request"), dict):  # a single write: update_end_date, update_budget ...
            req = s["request"]
            kind = ("end_date" if "endDate" in req else "budget" if "totalBudgetUpdateType" in req
                    else "name" if "campaignName" in req else None)
            if kind is not None:
                requests += 1
                expected[kind].update(req.get("campaignIds") or [req.get("campaignId")])
    return requests, expected


def test_iqm_changes_sent_once_each(deployed_examples):
    """IQM budget and end-date changes are not idempotent (never retried): IQM received exactly
    the changes the DAGs report sending, each once."""
    run, journal = deployed_examples.run, deployed_examples.sandbox.journal
    routes = {"end_date": "iqm.campaigns_update_end_date", "budget": "iqm.campaigns_update_budget",
              "name": "iqm.campaign_update_name"}
    requests, expected = _iqm_writes_reported(run)
    assert requests, "no example DAG sent IQM changes"
    writes = [e for r in routes.values() for e in journal.entries(r)]
    assert len(writes) == requests, [(e.route, e.status, e.meta.get("campaignIds")) for e in writes]
    for kind, route in routes.items():
        received = Counter(cid for e in journal.entries(route)
                           for cid in (e.meta.get("campaignIds") or [e.meta.get("campaignId")]))
        assert received == expected[kind], (kind, received, expected[kind])


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
