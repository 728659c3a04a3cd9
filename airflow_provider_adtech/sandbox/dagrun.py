"""Run an example DAG the way a user does (``airflow dags test``) in a separate process,
against the sandbox, and read back what happened from the metadata database.

The subprocess shares this test session's ``AIRFLOW_HOME`` (a throw-away folder
created by ``conftest.py``), so the connections (``AIRFLOW_CONN_...`` variables)
and the token cache directory set by the ``sandbox`` fixture apply to it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_DAGS = ROOT / "example_dags"
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


def airflow_env(extra_env: dict[str, str] | None = None, dags_folder: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags_folder or EXAMPLE_DAGS)
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    env.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
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


def run_example_dag(
    dag_id: str,
    sandbox: Any = None,
    logical_date: str = "2026-11-20",
    extra_env: dict[str, str] | None = None,
    conf: dict | None = None,
    dags_folder: Path | None = None,
    timeout: float = 600,
) -> DagRunResult:
    """``airflow dags test DAG_ID LOGICAL_DATE`` in a subprocess; return what the run did.

    :param sandbox: the ``sandbox`` fixture (its connection variables are already in
        ``os.environ``; passing it documents the dependency).
    """
    env = airflow_env(extra_env, dags_folder)
    if sandbox is not None:
        env.update(sandbox.connection_env() | {k: v for k, v in (extra_env or {}).items()})
        # keep per-test overrides of the connection variables made through monkeypatch
        for key in list(env):
            if key.startswith("AIRFLOW_CONN_") and key in os.environ:
                env[key] = os.environ[key]
        env.update(extra_env or {})
    ensure_db(env)
    args = ["dags", "test", dag_id, logical_date]
    if conf:
        args += ["--conf", json.dumps(conf)]
    proc = _airflow(args, env, timeout)
    output = proc.stdout + "\n" + proc.stderr
    log_dir = Path(env["AIRFLOW_HOME"]) / "dag-test-output"
    log_dir.mkdir(exist_ok=True)
    n = len(list(log_dir.glob(f"{dag_id}-*.log")))
    (log_dir / f"{dag_id}-{n + 1}.log").write_text(output)
    run_id, state, tasks, xcoms = read_run(dag_id, env["AIRFLOW_HOME"])
    return DagRunResult(dag_id, run_id, state, tasks, xcoms, output, proc.returncode)
