"""Test helper: run a DAG of ``example_dags/`` (or another folder) against the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_provider_adtech.sandbox.dagrun import DagRunResult, run_dag

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_DAGS = ROOT / "example_dags"

__all__ = ["DagRunResult", "run_example_dag", "EXAMPLE_DAGS"]


def run_example_dag(
    dag_id: str,
    sandbox: Any = None,
    logical_date: str = "2026-11-20",
    extra_env: dict[str, str] | None = None,
    conf: dict | None = None,
    dags_folder: Path | None = None,
    timeout: float = 600,
) -> DagRunResult:
    """Run ``dag_id`` with ``airflow dags test`` in a subprocess.

    The ``sandbox`` fixture has already put the connection variables into ``os.environ``;
    ``extra_env`` overrides them (e.g. a connection with other extras).
    """
    return run_dag(dag_id, dags_folder or EXAMPLE_DAGS, logical_date=logical_date, extra_env=extra_env,
                   conf=conf, timeout=timeout)
