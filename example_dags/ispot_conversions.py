"""iSpot: upload the data day's TV-conversion events.

``export_conversions`` stands in for the export an advertiser runs on its warehouse
(``SELECT ... INTO OUTFILE``, an ``S3`` unload, a ``SqlHook`` query written to CSV): one
row per conversion of the run's data day, with the warehouse's own column names
(``LATEST_IPADDRESS``, ``TIME_STAMP``, ``SITE_ID``) and values quoted only where needed.
It writes synthetic rows here (deterministic per day, about 10 MB: iSpot refuses files
under 8 MB) so the DAG runs anywhere.

``upload_conversions`` maps those names onto iSpot's columns, checks every row against
the document (IPv4, ``YYYY-MM-DD hh:mm:ss`` UTC on the data day, ``siteid``, ``app``...),
rewrites the file into iSpot's exact format (every value quoted, ``passthru`` = 1 while
iSpot validates the schema), splits it into parts under 200 MB named
``conversions_<day>_<NNN>.csv`` and uploads them. Running the same day again uploads
nothing: iSpot answers 409 for names it already has and the summary says
``already_uploaded``.

Connection: ``ispot_default`` (type ``ispot``: client_id as login, client_secret as
password). Parameters: ``rows`` (rows exported), ``max_file_size`` (bytes per part).
"""

from __future__ import annotations

import datetime
import os
import sys

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_adtech.operators.ispot import IspotConversionUploadOperator

# the tasks import the warehouse stand-ins of ``_sample_data.py`` beside this file: Airflow puts
# the DAGs folder on sys.path, except Airflow 3.0 when it runs a task in the parsing process
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))

with DAG(
    dag_id="ispot_conversions",
    description="iSpot: validate, normalize, split and upload the daily TV-conversion file",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule="@daily",
    catchup=False,
    tags=["adtech", "ispot"],
    params={"rows": 50_000, "max_file_size": 200_000_000},
) as dag:

    @task
    def export_conversions(data_interval_start=None, params=None) -> str:
        """Write the data day's conversions as a warehouse would export them; return the path."""
        import os
        import tempfile

        from _sample_data import write_conversions

        day = data_interval_start.astimezone(datetime.timezone.utc).date()
        folder = os.path.join(tempfile.gettempdir(), "adtech-example-ispot")
        os.makedirs(folder, exist_ok=True)
        return write_conversions(os.path.join(folder, f"conversions_export_{day.isoformat()}.csv"), day,
                                 int(params["rows"]))

    export = export_conversions()

    upload = IspotConversionUploadOperator(
        task_id="upload_conversions",
        source=export,
        column_mapping={"LATEST_IPADDRESS": "ip", "TIME_STAMP": "datetime", "SITE_ID": "siteid"},
        passthru=True,
        max_file_size="{{ params.max_file_size }}",
    )

    @task
    def check_upload(summary: dict) -> dict:
        """Fail unless every part is at iSpot (uploaded now or by an earlier run)."""
        missing = [p["name"] for p in summary["parts"] if p["status"] not in ("uploaded", "already_uploaded")]
        if missing:
            raise ValueError(f"parts not at iSpot: {missing}")
        return {
            "data_date": summary["data_date"],
            "rows": summary["rows"],
            "parts": {p["name"]: p["status"] for p in summary["parts"]},
            "delayed_processing": summary["delayed_processing"],
        }

    @task(trigger_rule="all_done")
    def remove_export(path: str) -> None:
        """Delete the exported file (the parts were already removed by the operator)."""
        import os

        if path and os.path.exists(path):
            os.remove(path)

    check_upload(upload.output) >> remove_export(export)
