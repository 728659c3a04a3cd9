"""Opt-Intelligence: wait for the day's publisher report, export it, use it downstream.

``wait_for_report`` is a deferrable :class:`OiReportSensor`: it checks the report once,
then hands the wait to the triggerer (no worker slot is held while Opt-Intelligence
is still filling the day). When the report for the run's data day has rows, every row
(grouped by placement) is written to a CSV file and the sensor returns a small summary;
``top_placements`` reads that file.

The file goes to the local temporary directory, which suits a single machine; with
several workers give an ``s3://`` URI as ``output_path`` (and an ``aws_conn_id``).
Connection: ``oi_default`` (type ``optintelligence``).
"""

from __future__ import annotations

import datetime
import os
import tempfile

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_adtech.sensors.oi import OiReportSensor

OUTPUT_DIR = os.path.join(tempfile.gettempdir(), "adtech-examples", "oi")
# Seconds between report polls in the triggerer; the default suits a real account,
# demos against the sandbox shorten it.
POKE_SECONDS = float(os.environ.get("ADTECH_OI_POKE_SECONDS", "300"))

with DAG(
    dag_id="oi_reports",
    description="Opt-Intelligence: deferrable wait for the daily report, CSV export, top placements",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule="@daily",
    catchup=False,
    tags=["adtech", "opt-intelligence"],
) as dag:
    wait_for_report = OiReportSensor(
        task_id="wait_for_report",
        groupby="placement",
        fields=["impressions", "revenue", "rpm"],
        ready_when="rows",
        # named after the report's day: the run's data interval start (what the sensor waits for)
        output_path=os.path.join(OUTPUT_DIR, "placements_{{ data_interval_start | ds }}.csv"),
        deferrable=True,
        poke_interval=POKE_SECONDS,
        timeout=datetime.timedelta(hours=12).total_seconds(),
    )

    @task
    def top_placements(summary: dict) -> dict:
        """Read the exported report and pick the three placements with the most revenue."""
        import csv

        with open(summary["output"], newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        if len(rows) != summary["rows"]:
            raise ValueError(f"{summary['output']} holds {len(rows)} rows, the sensor reported {summary['rows']}")
        top = sorted(rows, key=lambda r: float(r["REVENUE"]), reverse=True)[:3]
        return {
            "day": summary["start"],
            "rows": len(rows),
            "revenue": round(sum(float(r["REVENUE"]) for r in rows), 2),
            "top": [{"placement_id": int(r["PLACEMENT_ID"]), "placement": r["PLACEMENT"],
                     "revenue": float(r["REVENUE"])} for r in top],
        }

    top_placements(wait_for_report.output)
