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
    journal = deployed_examples.sandbox.journal
    ispot_calls = [e for e in journal.entries("ispot.*") if e.route != "ispot.token"]
    assert ispot_calls, "no example DAG called iSpot"
    assert journal.count("ispot.token") == 1, [(e.route, e.status) for e in journal.entries("ispot.*")]


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
