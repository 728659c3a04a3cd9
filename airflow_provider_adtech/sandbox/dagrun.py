"""Run a DAG the way a user does (``airflow dags test``) in a separate process, against
the sandbox, and read back what happened from the metadata database.

Usable in your own DAG tests::

    from airflow_provider_adtech.sandbox.dagrun import run_dag

    def test_my_dag(sandbox):  # fixture from airflow_provider_adtech.sandbox.pytest_plugin
        result = run_dag("my_dag", dags_folder="dags/")
        result.assert_success()
        assert sandbox.journal.count("ispot.upload") == 1

The subprocess inherits ``os.environ`` (``AIRFLOW_HOME``, the ``AIRFLOW_CONN_...``
variables and the token cache directory set by the ``sandbox`` fixture). The
metadata database is SQLite under ``AIRFLOW_HOME`` and is migrated on first use.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_migrated: set[str] = set()
_lock = threading.Lock()


@dataclass
class DagRunResult:
    dag_id: str
    run_id: str | None
    state: str | None
    task_states: dict[str, str | None] = field(default_factory=dict)
    xcoms: dict[str, Any] = field(default_factory=dict)
    output: str = ""
    returncode: int = 0

    def assert_success(self) -> None:
        failed = {t: s for t, s in self.task_states.items() if s != "success"}
        assert self.state == "success" and not failed, (
            f"DAG {self.dag_id} ended {self.state}, tasks not successful: {failed}\n"
            f"--- output (last 6000 chars) ---\n{self.output[-6000:]}"
        )


def airflow_env(dags_folder: str | Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an ``airflow`` command: ``os.environ`` with the DAGs folder set."""
    env = dict(os.environ)
    env.setdefault("AIRFLOW_HOME", os.path.join(os.path.expanduser("~"), "airflow"))  # Airflow's default
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(dags_folder).resolve())
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    env.update(extra_env or {})
    return env


def _airflow(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True, timeout=timeout,
    )


def ensure_db(env: dict[str, str]) -> None:
    home = env["AIRFLOW_HOME"]
    with _lock:
        if home in _migrated:
            return
        proc = _airflow(["db", "migrate"], env, 600)
        if proc.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        _migrated.add(home)


def _decode(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", "replace")
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def read_run(dag_id: str, airflow_home: str) -> tuple[str | None, str | None, dict, dict]:
    """Latest run of ``dag_id``: run_id, state, task states, return-value XComs."""
    db = sqlite3.connect(os.path.join(airflow_home, "airflow.db"))
    try:
        row = db.execute(
            "SELECT run_id, state FROM dag_run WHERE dag_id=? ORDER BY id DESC LIMIT 1", (dag_id,)
        ).fetchone()
        if row is None:
            return None, None, {}, {}
        run_id, state = row
        tasks = {
            (t if m in (-1, None) else f"{t}[{m}]"): s
            for t, m, s in db.execute(
                "SELECT task_id, map_index, state FROM task_instance WHERE dag_id=? AND run_id=?", (dag_id, run_id)
            )
        }
        xcoms = {
            (t if m in (-1, None) else f"{t}[{m}]"): _decode(v)
            for t, m, v in db.execute(
                "SELECT task_id, map_index, value FROM xcom WHERE dag_id=? AND run_id=? AND key='return_value'",
                (dag_id, run_id),
            )
        }
        return run_id, state, tasks, xcoms
    finally:
        db.close()


def run_dag(
    dag_id: str,
    dags_folder: str | Path,
    logical_date: str | None = None,
    extra_env: dict[str, str] | None = None,
    conf: dict | None = None,
    timeout: float = 600,
    output_dir: str | Path | None = None,
) -> DagRunResult:
    """``airflow dags test DAG_ID LOGICAL_DATE`` in a subprocess; return what the run did.

    :param dag_id: the DAG to run.
    :param dags_folder: the folder holding the DAG file (Airflow 3 runs only DAGs of a bundle).
    :param logical_date: the run's logical date (``YYYY-MM-DD`` or an ISO timestamp); default
        yesterday (UTC), from the clock. On Airflow 2 the data interval of a daily DAG's manual
        run ends there; on Airflow 3 it starts there.
    :param extra_env: variables added to ``os.environ`` for the run (e.g. connections).
    :param output_dir: where the run's console output is kept (default ``AIRFLOW_HOME/dag-test-output``).
    """
    if logical_date is None:
        logical_date = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)).isoformat()
    env = airflow_env(dags_folder, extra_env)
    ensure_db(env)
    args = ["dags", "test", dag_id, logical_date]
    if conf:
        args += ["--conf", json.dumps(conf)]
    proc = _airflow(args, env, timeout)
    output = proc.stdout + "\n" + proc.stderr
    log_dir = Path(output_dir or Path(env["AIRFLOW_HOME"]) / "dag-test-output")
    log_dir.mkdir(parents=True, exist_ok=True)
    n = len(list(log_dir.glob(f"{dag_id}-*.log")))
    (log_dir / f"{dag_id}-{n + 1}.log").write_text(output)
    run_id, state, tasks, xcoms = read_run(dag_id, env["AIRFLOW_HOME"])
    return DagRunResult(dag_id, run_id, state, tasks, xcoms, output, proc.returncode)
