"""BidSwitch: upload yesterday's discrepancy report.

``daily_rows`` stands in for the query a supplier runs on its own reporting store
(e.g. ``SqlHook.get_records``): one row per buyer seat and hour of the run's data day
with impressions, cost, bid requests and timeouts. It produces sample figures here so
the DAG runs anywhere.

``upload_discrepancy_report`` groups the rows into one hourly report per seat (the
document's best-practice format), checks every rule of the document before sending
anything, uploads it and returns a summary: per seat and day the totals, and what
BidSwitch handled. ``check_handled`` makes the run fail if BidSwitch did not handle
every seat of the day.

BidSwitch processes only the last report uploaded on a calendar day, so back-fills
belong in one run with several report days (e.g. the week before the run,
``report_dates="{{ macros.ds_add(ds, -6) }}..{{ ds }}"``),
not in several runs on the same day.

Connection: ``bidswitch_default`` (type ``bidswitch``). The platform name is a DAG
parameter: set yours when triggering, or change the default.
"""

from __future__ import annotations

import datetime
import os
import sys

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_adtech.operators.bidswitch import BidSwitchDiscrepancyOperator

# the tasks import the warehouse stand-ins of ``_sample_data.py`` beside this file: Airflow puts
# the DAGs folder on sys.path, except Airflow 3.0 when it runs a task in the parsing process
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))

with DAG(
    dag_id="bidswitch_discrepancy",
    description="BidSwitch: build, validate and upload the daily supplier discrepancy report",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule="@daily",
    catchup=False,
    tags=["adtech", "bidswitch"],
    params={"platform_name": "sandbox-ssp"},
) as dag:

    @task
    def daily_rows(data_interval_start=None) -> list[dict]:
        """Sample figures for the data day: 24 hours for two buyer seats (deterministic)."""
        from _sample_data import ssp_hourly_rows

        return ssp_hourly_rows(data_interval_start.date())

    upload = BidSwitchDiscrepancyOperator(
        task_id="upload_discrepancy_report",
        platform_type="ssp",
        platform_name="{{ params.platform_name }}",
        rows=daily_rows(),
        timezone="UTC",
        currency="USD",
        granularity="hourly",
        zero_fill=True,
    )

    @task
    def check_handled(summary: dict) -> dict:
        """Fail when BidSwitch did not handle every seat and day that was sent."""
        sent = sorted(f"{r['seat']} {day}" if r["seat"] else day for r in summary["reports"] for day in r["days"])
        handled = sorted(item for items in summary["handled"] or [] for item in items)
        if handled != sent:
            raise ValueError(f"BidSwitch handled {handled}, expected {sent}")
        return {"handled": handled, "imps": summary["totals"]["imps"], "cost": summary["totals"]["cost"]}

    check_handled(upload.output)
