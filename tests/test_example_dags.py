"""The example DAGs: they import cleanly, stay cheap to parse, and run to success against
the sandbox (and moto S3) without any secret reaching their output, XComs or rendered
template fields."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest

from dagrun import EXAMPLE_DAGS, run_example_dag

MASKER_IPC = re.compile(r"\[debug\s*\]\s+Sending request\s+msg=MaskSecret\(")
HEAVY = ["boto3", "botocore", "requests_toolbelt", "pytz", "csv", "zipfile"]
DAG_FILES = sorted(p for p in EXAMPLE_DAGS.glob("*.py") if not p.name.startswith("_"))


def _dagbag():
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag
    return DagBag(dag_folder=str(EXAMPLE_DAGS))


def example_dag_ids() -> list[str]:
    return sorted(_dagbag().dag_ids)


def test_every_example_dag_imports_without_errors():
    bag = _dagbag()
    assert bag.import_errors == {}
    assert len(bag.dag_ids) >= len(DAG_FILES) >= 1
    for dag_id in bag.dag_ids:
        dag = bag.dags[dag_id]
        assert "adtech" in dag.tags, dag_id


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.stem)
def test_parsing_an_example_dag_loads_no_heavy_module(dag_file):
    """DAG files are parsed constantly: boto3, requests_toolbelt, pytz, the csv and zip
    machinery and our pydantic models load only when a task executes."""
    code = (
        "import sys, runpy\n"
        "import airflow\n"
        f"runpy.run_path({str(dag_file)!r})\n"
        f"heavy = {HEAVY!r}\n"
        "own = [n for n, m in list(sys.modules.items()) if n.startswith('airflow_provider_adtech.')\n"
        "       and 'pydantic' in open(getattr(m, '__file__', None) or '/dev/null').read()]\n"
        "own += [n for n in sys.modules if n.startswith('airflow_provider_adtech.sandbox')]\n"
        "print([m for m in heavy if m in sys.modules] + sorted(own))\n"
    )
    # what Airflow itself loads for any DAG with a task and a sensor is the baseline
    baseline_dag = (
        "import sys, datetime\n"
        "from airflow.providers.common.compat.sdk import DAG, task, BaseSensorOperator\n"
        "with DAG('baseline', schedule='@daily', start_date=datetime.datetime(2026, 1, 1)):\n"
        "    task(lambda: None, task_id='t')()\n"
        "    BaseSensorOperator(task_id='s')\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    base = subprocess.run([sys.executable, "-c", baseline_dag], capture_output=True, text=True, check=True)
    preloaded = set(eval(base.stdout.strip().splitlines()[-1]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(eval(out.stdout.strip().splitlines()[-1])) - preloaded
    assert loaded == set(), f"{dag_file.name} loads at parse time: {sorted(loaded)}"


@pytest.fixture(scope="module")
def moto_s3():
    from airflow_provider_adtech.sandbox.s3 import start_moto

    server, env = start_moto("127.0.0.1")
    yield env
    server.stop()


def _rendered_fields(dag_id: str, run_id: str) -> str:
    db = sqlite3.connect(os.path.join(os.environ["AIRFLOW_HOME"], "airflow.db"))
    try:
        rows = db.execute("SELECT rendered_fields FROM rendered_task_instance_fields WHERE dag_id=? AND run_id=?",
                          (dag_id, run_id)).fetchall()
    finally:
        db.close()
    return " ".join(str(r[0]) for r in rows)


@pytest.mark.parametrize("dag_id", example_dag_ids())
def test_example_dag_runs_against_the_sandbox_and_leaks_no_secret(sandbox, moto_s3, monkeypatch, dag_id):
    for key, value in moto_s3.items():
        monkeypatch.setenv(key, value)
    result = run_example_dag(dag_id, sandbox)
    result.assert_success()
    assert sandbox.journal.entries(), "the DAG talked to no vendor"
    rendered = _rendered_fields(dag_id, result.run_id)
    assert rendered, "no rendered template fields were stored"
    # Airflow 3.0's `dags test` prints its supervisor's DEBUG messages whatever the log level,
    # among them each value registered with the masker (`Sending request msg=MaskSecret(value=...)`):
    # Airflow's own channel (docs/errors.md); every other line must be free of secrets
    output = "\n".join(line for line in result.output.splitlines() if not MASKER_IPC.search(line))
    haystacks = {"output": output, "xcom": json.dumps(result.xcoms, default=str), "rendered": rendered}
    secrets = sandbox.secrets()
    assert len(secrets) >= 6  # six configured secrets of the five vendors, plus any token issued
    leaks = [(where, s[:6] + "...") for s in secrets for where, text in haystacks.items() if s in text]
    assert leaks == []
