"""Test DAG: OiReportSensor in reschedule mode waiting for figures to settle (each poke is
a new task run; the previous poke's fingerprint lives in an Airflow Variable)."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_adtech.sensors.oi import OiReportSensor

with DAG(
    dag_id="oi_reschedule_settled",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule="@daily",
    catchup=False,
    tags=["adtech", "test"],
):
    OiReportSensor(
        task_id="wait_settled",
        groupby="placement",
        ready_when="settled",
        mode="reschedule",
        poke_interval=1,
        timeout=300,
        deferrable=False,
    )
