"""The real-deployment fixture: sandbox + moto S3 in this process, Airflow in four others."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from deployment_harness import (
    CELERY_DAG_FILES,
    EXAMPLE_DAGS,
    LOGICAL_DATE,
    DeploymentRun,
    all_files,
    dag_files,
    dags_folder_with,
    run_deployment,
    scan_for_secrets,
)

_summaries: list[str] = []

# Vendor behaviour for this run. Opt-Intelligence's report for the day answers no rows
# for its first two polls (counted over every caller): the sensor of ``oi_reports`` checks
# once on the worker, finds nothing and defers; its trigger polls at once (nothing yet) and
# again ADTECH_OI_POKE_SECONDS later, when the rows are there. ``oi_reports`` is triggered
# first and the other DAGs (another sensor polls the same day's report) only after those
# two polls, so the sensor's wait really happens in the triggerer, every time.
SANDBOX_SETTINGS = {"oi": {"report_ready_after": 2}}
LEAD_DAG = "oi_reports"
# The example DAGs read these. The Opt-Intelligence trigger polls at once, then every
# ADTECH_OI_POKE_SECONDS: with the report ready at the third poll it fires that long after
# the deferral. Airflow 3.3.2's scheduler fails a deferred task whose trigger fired before the
# scheduler processed the deferring attempt's own exit event (here up to ~5 s later): "reported
# that the task instance finished with state success, but the task instance's state attribute
# is queued" (apache/airflow issues 66374, 72716). 12 s keeps the test clear of that window.
DAG_ENV = {"ADTECH_OI_POKE_SECONDS": "12"}


@dataclass
class DeployedExamples:
    run: DeploymentRun
    sandbox: object  # airflow_provider_adtech.sandbox.core.SandboxServer
    s3_url: str
    token_cache_dir: Path
    lead_dag: str


@pytest.fixture(scope="module")
def deployed_examples(tmp_path_factory) -> DeployedExamples:
    """Every example DAG, triggered once at ``LOGICAL_DATE`` on a real deployment (but the
    agency's fan-out, ``CELERY_DAG_FILES``, which the Celery deployment runs).

    The vendors are the sandbox (started here; the deployment reaches it over
    127.0.0.1 and its journal is read directly) and moto's S3 server. The
    deployment is stopped before the tests look at the results.
    """
    from airflow_provider_adtech.sandbox.core import SandboxServer
    from airflow_provider_adtech.sandbox.s3 import start_moto

    sandbox = SandboxServer().start()
    for vendor, settings in SANDBOX_SETTINGS.items():
        sandbox.configure(vendor, **settings)
    moto = None
    try:
        moto, moto_env = start_moto()
        base = tmp_path_factory.mktemp("deployment")
        home = base / "airflow-home"
        env = {
            **sandbox.connection_env(),
            **moto_env,
            **DAG_ENV,
            # one token cache for every task process of the deployment (outside the logs)
            "ADTECH_TOKEN_CACHE_DIR": str(base / "token-cache"),
        }
        ready_after = SANDBOX_SETTINGS["oi"]["report_ready_after"]

        def oi_waits_in_the_triggerer() -> bool:
            polls = [e for e in sandbox.journal.entries("oi.reports.publishers")
                     if e.meta.get("row_start") == 1]
            return len(polls) >= ready_after

        dags = dags_folder_with([p for p in dag_files(EXAMPLE_DAGS) if p.name not in CELERY_DAG_FILES],
                                base / "dags")
        run = run_deployment(home, dags, env, logical_date=LOGICAL_DATE,
                             lead=[LEAD_DAG], lead_done=oi_waits_in_the_triggerer)
        _summaries.append(run.summary() + "\n" + _figures(run, sandbox))
        yield DeployedExamples(run, sandbox, moto_env.get("ADTECH_SANDBOX_S3_URL", ""), base / "token-cache",
                               LEAD_DAG)
    finally:
        if moto is not None:
            moto.stop()
        sandbox.stop()


def _figures(run: DeploymentRun, sandbox) -> str:
    token_routes = Counter(e.route for e in sandbox.journal.entries()
                           if e.route.endswith(("token", "login")) and e.status == 200)
    issued = Counter(t.vendor for t in list(sandbox.tokens._tokens.values()))
    files = all_files(run.home / "logs") + all_files(run.deployment.output_dir)
    files += sorted(run.home.glob("airflow.db*"))
    secrets = sandbox.secrets()
    _, hits = scan_for_secrets(files, secrets)
    return (f"  token requests: {dict(sorted(token_routes.items()))}; "
            f"tokens issued: {dict(sorted(issued.items()))}\n"
            f"  secrets searched for: {len(secrets)} in {len(files)} log, output and database files: "
            f"{len(hits)} found\n"
            f"  AIRFLOW_HOME: {run.home}")


@pytest.fixture(scope="session")
def deployment_summaries() -> list[str]:
    """Texts printed in the terminal summary under "real Airflow deployment"."""
    return _summaries


def pytest_terminal_summary(terminalreporter) -> None:
    for text in _summaries:
        terminalreporter.write_sep("-", "real Airflow deployment")
        terminalreporter.write_line(text)
