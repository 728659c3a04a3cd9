"""An agency's morning run: the same vendor tasks for every advertiser, fanned out.

An agency runs iSpot, BidSwitch and Opt-Intelligence for many advertisers, each with
accounts (and so Airflow connections) of its own: ``ispot_<advertiser>``,
``bidswitch_<advertiser>``, ``oi_<advertiser>``. One DAG serves them all with dynamic
task mapping: every step below is a single task in the DAG, expanded at run time into
one task instance per advertiser in ``ADVERTISERS`` (add an advertiser: add its three
connections and its name). For the run's data day (``data_interval_start``):

1. ``export_conversions`` writes each advertiser's TV conversions per channel (``web``,
   ``app``: stand-ins for warehouse exports); ``upload_conversions`` validates,
   normalizes and uploads each file to that advertiser's iSpot account, the files named
   after the advertiser and the channel.
2. ``discrepancy_rows`` gathers each advertiser's hourly figures per buyer seat for each
   BidSwitch platform it works with; ``upload_discrepancy_report`` uploads the day's
   report per platform to the advertiser's BidSwitch account.
3. ``wait_for_report`` waits, deferred in the triggerer, until each advertiser's
   Opt-Intelligence publisher report for the day has rows, and exports it as CSV.
4. ``agency_summary`` checks that every advertiser got every step and sums it up.

Tokens: the mapped tasks of one advertiser (two iSpot uploads, two BidSwitch reports)
share that advertiser's token of each vendor, whichever worker runs them. On several
workers (Celery, Kubernetes) give the connections ``{"token_cache": "variable"}``: one
token request per connection for the whole run, whichever worker runs which task (see
docs/deployment.md). The CSV exports go to the local temporary folder, which suits one
machine or workers sharing a volume; elsewhere give ``s3://`` paths and an
``aws_conn_id``. Parameters: ``rows`` (conversions per advertiser and channel; iSpot
refuses files under 8 MB), ``min_file_size`` (the operator's own check of that rule).
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_adtech.operators.bidswitch import BidSwitchDiscrepancyOperator
from airflow_provider_adtech.operators.ispot import IspotConversionUploadOperator
from airflow_provider_adtech.sensors.oi import OiReportSensor

# the tasks import the warehouse stand-ins of ``_sample_data.py`` beside this file: Airflow puts
# the DAGs folder on sys.path, except Airflow 3.0 when it runs a task in the parsing process
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))

#: the agency's advertisers; each has the connections ispot_<name>, bidswitch_<name>, oi_<name>
ADVERTISERS = ["adv1", "adv2", "adv3", "adv4", "adv5", "adv6"]
#: conversion sources each advertiser exports and uploads to iSpot as files of their own
CHANNELS = ["web", "app"]
#: BidSwitch platforms (type ssp) each advertiser reports its discrepancies to
BIDSWITCH_PLATFORMS = ["sandbox-ssp", "adrtbdummy"]
WORK_DIR = os.path.join(tempfile.gettempdir(), "adtech-examples", "agency")
# Seconds between report polls in the triggerer; the default suits real accounts,
# demos against the sandbox shorten it.
POKE_SECONDS = float(os.environ.get("ADTECH_OI_POKE_SECONDS", "300"))

with DAG(
    dag_id="adtech_agency_fanout",
    description="Every advertiser of an agency: iSpot conversions, BidSwitch report, Opt-Intelligence report",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule="0 6 * * *",
    catchup=False,
    max_active_runs=1,
    tags=["adtech", "agency"],
    params={"rows": 55_000, "min_file_size": 8_000_000},
) as dag:

    @task
    def export_conversions(advertiser: str, channel: str, data_interval_start=None, params=None) -> dict:
        """Write one advertiser's conversions of one channel and of the data day; return the
        arguments of its upload."""
        from _sample_data import write_conversions

        day = data_interval_start.astimezone(datetime.timezone.utc).date()
        folder = os.path.join(WORK_DIR, advertiser)
        os.makedirs(folder, exist_ok=True)
        path = write_conversions(os.path.join(folder, f"{channel}_conversions_{day.isoformat()}.csv"), day,
                                 int(params["rows"]), advertiser=advertiser, channel=channel)
        return {"ispot_conn_id": f"ispot_{advertiser}", "source": path,
                "file_prefix": f"{advertiser}_{channel}_conversions"}

    upload_conversions = IspotConversionUploadOperator.partial(
        task_id="upload_conversions",
        column_mapping={"LATEST_IPADDRESS": "ip", "TIME_STAMP": "datetime", "SITE_ID": "siteid"},
        passthru=True,
        min_file_size="{{ params.min_file_size }}",
    ).expand_kwargs(export_conversions.expand(advertiser=ADVERTISERS, channel=CHANNELS))

    @task
    def discrepancy_rows(advertiser: str, platform_name: str, data_interval_start=None) -> dict:
        """One advertiser's hourly figures per buyer seat on one platform for the data day."""
        from _sample_data import ssp_hourly_rows

        day = data_interval_start.astimezone(datetime.timezone.utc).date()
        return {"bidswitch_conn_id": f"bidswitch_{advertiser}", "platform_name": platform_name,
                "rows": ssp_hourly_rows(day, advertiser=f"{advertiser}/{platform_name}")}

    upload_discrepancy_report = BidSwitchDiscrepancyOperator.partial(
        task_id="upload_discrepancy_report",
        platform_type="ssp",
        timezone="UTC",
        currency="USD",
        granularity="hourly",
        zero_fill=True,
    ).expand_kwargs(discrepancy_rows.expand(advertiser=ADVERTISERS, platform_name=BIDSWITCH_PLATFORMS))

    wait_for_report = OiReportSensor.partial(
        task_id="wait_for_report",
        groupby="placement",
        fields=["impressions", "revenue", "rpm"],
        ready_when="rows",
        deferrable=True,
        poke_interval=POKE_SECONDS,
        timeout=datetime.timedelta(hours=12).total_seconds(),
    ).expand_kwargs([
        {"oi_conn_id": f"oi_{adv}",
         "output_path": os.path.join(WORK_DIR, adv, "placements_{{ data_interval_start | ds }}.csv")}
        for adv in ADVERTISERS
    ])

    @task
    def agency_summary(conversions: list, reports: list, oi_reports: list) -> dict:
        """Fail unless every advertiser got each step; per advertiser what each vendor received."""
        n = len(ADVERTISERS)
        wanted = {"ispot": n * len(CHANNELS), "bidswitch": n * len(BIDSWITCH_PLATFORMS), "oi": n}
        got = {"ispot": len(conversions), "bidswitch": len(reports), "oi": len(oi_reports)}
        if got != wanted:
            raise ValueError(f"expected {wanted} task results, got {got}")
        missing = [p["name"] for s in conversions for p in s["parts"]
                   if p["status"] not in ("uploaded", "already_uploaded")]
        unhandled = [s["platform_name"] for s in reports if not s["uploaded"] or not s["handled"]]
        empty = [s["output"] for s in oi_reports if not s["rows"]]
        if missing or unhandled or empty:
            raise ValueError(f"iSpot parts missing {missing}, BidSwitch reports unhandled {unhandled}, "
                             f"empty Opt-Intelligence reports {empty}")
        return {
            "advertisers": n,
            "ispot": {"rows": sum(s["rows"] for s in conversions),
                      "parts": sum(len(s["parts"]) for s in conversions)},
            "bidswitch": {"imps": sum(s["totals"]["imps"] for s in reports)},
            "oi": {"rows": sum(s["rows"] for s in oi_reports)},
        }

    agency_summary(upload_conversions.output, upload_discrepancy_report.output, wait_for_report.output)
