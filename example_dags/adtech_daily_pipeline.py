"""The morning pipeline of an ad-tech data team, using all five vendors.

Every morning, for yesterday (the run's data interval):

1. **Opt-Intelligence**: ``wait_for_oi_report`` waits in the triggerer (deferrable) until
   yesterday's placement report has data, and saves it as CSV.
2. **iSpot**: yesterday's TV conversions, exported by the warehouse with its own column
   names, are validated, normalized, split and uploaded.
3. **BidSwitch**: yesterday's supplier discrepancy report is built from the hourly
   figures per buyer seat and uploaded (only the day's last upload counts, so a re-run is
   harmless).
4. **FreeWheel**: the linear order lines of the coming broadcast week are delivered as a
   zipped CSV to FreeWheel's S3 folder (never overwriting a delivered file).
5. **IQM**: the running campaigns of an insertion order get their end date extended and
   a daily budget derived from yesterday's Opt-Intelligence revenue. The new end date is
   taken from the clock, not from the data day: the end of the day ``extend_days`` after
   today (UTC), or the latest current end among those campaigns if that is later, so no
   campaign is ever shortened and a daily run does not push the dates further every day.
   A backfill of an old interval therefore sets the same end date as today's run would,
   never one in the past.

``report`` gathers the vendors' summaries. Stand-ins for the warehouse queries live in
``_sample_data.py``. Connections: ``oi_default``, ``ispot_default``, ``bidswitch_default``,
``freewheel_default`` (with its AWS connection), ``iqm_default``; no secret is in this file.
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_adtech.operators.bidswitch import BidSwitchDiscrepancyOperator
from airflow_provider_adtech.operators.freewheel import FreeWheelS3OrderOperator
from airflow_provider_adtech.operators.iqm import IqmCampaignOperator
from airflow_provider_adtech.operators.ispot import IspotConversionUploadOperator
from airflow_provider_adtech.sensors.oi import OiReportSensor

# the tasks import the warehouse stand-ins of ``_sample_data.py`` beside this file: Airflow puts
# the DAGs folder on sys.path, except Airflow 3.0 when it runs a task in the parsing process
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))

WORK_DIR = os.path.join(tempfile.gettempdir(), "adtech-examples", "daily")
POKE_SECONDS = float(os.environ.get("ADTECH_OI_POKE_SECONDS", "300"))

with DAG(
    dag_id="adtech_daily_pipeline",
    description="Yesterday's figures to iSpot, BidSwitch, FreeWheel and IQM, after Opt-Intelligence's report",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule="0 6 * * *",  # before iSpot's 07:00 America/Los_Angeles cut-off in most seasons
    catchup=False,
    max_active_runs=1,
    tags=["adtech", "pipeline"],
    default_args={
        "retries": 2,
        "retry_delay": datetime.timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "max_retry_delay": datetime.timedelta(minutes=30),
    },
    params={"conversion_rows": 50_000, "platform_name": "sandbox-ssp", "io_id": 48, "extend_days": 7},
) as dag:
    # 1. Opt-Intelligence: wait (in the triggerer) until yesterday's report has rows.
    oi_report = OiReportSensor(
        task_id="wait_for_oi_report",
        groupby="placement",
        fields=["impressions", "revenue", "rpm"],
        ready_when="rows",
        output_path=os.path.join(WORK_DIR, "oi_placements_{{ data_interval_start | ds }}.csv"),
        deferrable=True,
        poke_interval=POKE_SECONDS,
        timeout=datetime.timedelta(hours=6).total_seconds(),
        retries=0,  # the sensor's own timeout is the budget
    )

    # 2. iSpot: yesterday's conversions, in the warehouse's own column names.
    @task
    def export_conversions(data_interval_start=None, params=None) -> str:
        from _sample_data import write_conversions

        day = data_interval_start.astimezone(datetime.timezone.utc).date()
        os.makedirs(WORK_DIR, exist_ok=True)
        return write_conversions(os.path.join(WORK_DIR, f"conversions_{day}.csv"), day,
                                 int(params["conversion_rows"]))

    ispot = IspotConversionUploadOperator(
        task_id="upload_ispot_conversions",
        source=export_conversions(),
        column_mapping={"LATEST_IPADDRESS": "ip", "TIME_STAMP": "datetime", "SITE_ID": "siteid"},
        file_prefix="pipeline_conversions",
        passthru=True,
    )

    # 3. BidSwitch: yesterday's hourly figures per buyer seat.
    @task
    def ssp_figures(data_interval_start=None) -> list[dict]:
        from _sample_data import ssp_hourly_rows

        return ssp_hourly_rows(data_interval_start.date())

    bidswitch = BidSwitchDiscrepancyOperator(
        task_id="upload_bidswitch_discrepancy",
        platform_type="ssp",
        platform_name="{{ params.platform_name }}",
        rows=ssp_figures(),
        timezone="UTC",
        currency="USD",
        zero_fill=True,
    )

    # 4. FreeWheel: next broadcast week's linear orders to FreeWheel's S3 folder.
    @task
    def linear_orders(data_interval_start=None) -> list[dict]:
        from _sample_data import linear_order_lines

        return linear_order_lines(data_interval_start.date())

    @task
    def regional_syscodes() -> dict:
        from _sample_data import REGIONAL_SYSCODES

        return REGIONAL_SYSCODES

    freewheel = FreeWheelS3OrderOperator(
        task_id="deliver_freewheel_orders",
        rows=linear_orders(),
        regional_syscodes=regional_syscodes(),
    )

    # 5. IQM: extend and rebudget the insertion order's running campaigns.
    running = IqmCampaignOperator(
        task_id="list_running_iqm_campaigns",
        action="list_io_campaigns",
        filters="{{ {'ioIds': [params.io_id | int], 'status': ['running']} | tojson }}",
    )

    @task
    def plan_iqm(listing: dict, oi_summary: dict, params=None) -> dict:
        """Campaign ids to change, their new end date, and a daily budget that follows
        yesterday's OI revenue."""
        from airflow.providers.common.compat.sdk import AirflowSkipException

        ids = sorted(int(i) for i in listing.get("campaign_ids") or [])  # the IO's running campaigns
        if not ids:
            raise AirflowSkipException("no running campaign in the insertion order")
        # the later of "today + extend_days" and the latest current end: derived from the clock,
        # so a backfill of an old interval never asks for an end date in the past
        now = datetime.datetime.now(datetime.timezone.utc)
        end = now + datetime.timedelta(days=int(params["extend_days"]))
        for io in listing.get("rows") or []:
            for campaign in io.get("campaigns") or []:
                current = campaign.get("endTime")
                if current and int(campaign.get("id", 0)) in ids:
                    end = max(end, datetime.datetime.fromtimestamp(int(current), datetime.timezone.utc))
        budget = round(min(500.0, max(50.0, 2 * float(oi_summary.get("revenue") or 0))), 2)
        return {"campaign_ids": ids, "end_date": end.date().isoformat(), "daily_budget": budget}

    plan = plan_iqm(running.output, oi_report.output)

    extend = IqmCampaignOperator(
        task_id="extend_iqm_end_dates",
        action="update_end_date",
        campaign_ids="{{ ti.xcom_pull(task_ids='plan_iqm')['campaign_ids'] | tojson }}",
        end_time="{{ ti.xcom_pull(task_ids='plan_iqm')['end_date'] }}",
    )

    rebudget = IqmCampaignOperator(
        task_id="rebudget_iqm_campaigns",
        action="update_budget",
        campaign_ids="{{ ti.xcom_pull(task_ids='plan_iqm')['campaign_ids'] | tojson }}",
        daily_budget="{{ ti.xcom_pull(task_ids='plan_iqm')['daily_budget'] }}",
        total_budget_update_type="change",
    )
    plan >> extend >> rebudget

    @task
    def report(oi_summary: dict, ispot_summary: dict, bidswitch_summary: dict, freewheel_summary: dict,
               plan: dict) -> dict:
        """One small summary of the morning for the team's channel."""
        return {
            "oi": {"rows": oi_summary.get("rows"), "revenue": oi_summary.get("revenue")},
            "ispot": {"rows": ispot_summary.get("rows"),
                      "parts": {p["name"]: p["status"] for p in ispot_summary.get("parts", [])}},
            "bidswitch": {"handled": bidswitch_summary.get("handled"),
                          "imps": bidswitch_summary.get("totals", {}).get("imps")},
            "freewheel": {"uri": freewheel_summary.get("uri"), "lines": freewheel_summary.get("lines")},
            "iqm": plan,
        }

    summary = report(oi_report.output, ispot.output, bidswitch.output, freewheel.output, plan)
    rebudget >> summary
