"""Test helper: run a DAG of ``example_dags/`` (or another folder) against the sandbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from airflow_provider_adtech.sandbox.dagrun import DagRunResult, run_dag

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_DAGS = ROOT / "example_dags"

__all__ = ["DagRunResult", "run_example_dag", "EXAMPLE_DAGS", "RUN_DATE", "DATA_DAYS", "days_ago"]


def days_ago(n: int) -> dt.date:
    """The UTC day ``n`` days before today, from the real clock."""
    return dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=n)


#: The logical date of example-DAG runs: yesterday, derived from the clock (a DAG run goes
#: through Airflow in a subprocess, where the vendors' date rules see the real time).
RUN_DATE = days_ago(1).isoformat()
#: The run's data day: the logical date on Airflow 3, the day before on Airflow 2 (whose
#: manual runs end their data interval at the logical date).
DATA_DAYS = (days_ago(2).isoformat(), RUN_DATE)


def run_example_dag(
    dag_id: str,
    sandbox: Any = None,
    logical_date: str = RUN_DATE,
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
