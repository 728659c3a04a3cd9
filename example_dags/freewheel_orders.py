"""FreeWheel: deliver the day's linear orders to AutoScheduler, as a file in S3 and through the API.

``order_lines`` stands in for the export of a traffic system: one dict per linear order
line in FreeWheel's delivery schema (contract, dates, daypart, and per syscode the
dollars, units, durations, networks and markets). It produces sample lines here for the
broadcast week after the run's data day, so the DAG runs anywhere.

``deliver_to_s3`` validates every line (all problems at once, nothing uploaded when
any is wrong), writes ``linear_orders_{date}_{timestamp}.csv`` zipped and puts it in
FreeWheel's S3 folder. Bucket, folder and AWS connection come from the FreeWheel
connection's extras (``s3_bucket``, ``s3_prefix``, ``aws_conn_id``); the AWS connection
either assumes the role FreeWheel created for your account (``role_arn`` in its extra)
or holds the key FreeWheel issued. The bucket is FreeWheel's: nothing here creates it.
A re-run of the same DAG run finds the file it delivered and does not deliver it again.

``post_order_lines`` sends the same lines to ``POST /services/v4/linear_orders``
(an upsert on ``external_id``) in batches; ``check`` compares both.

Connections: ``freewheel_default`` (type ``freewheel``) and the AWS connection it names.
"""

from __future__ import annotations

import datetime
import os
import sys

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_adtech.operators.freewheel import FreeWheelLinearOrderOperator, FreeWheelS3OrderOperator

# the tasks import the warehouse stand-ins of ``_sample_data.py`` beside this file: Airflow puts
# the DAGs folder on sys.path, except Airflow 3.0 when it runs a task in the parsing process
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))

#: regional syscode -> its local syscodes (what a regional line "can air in");
#: the sample lines of ``_sample_data.linear_order_lines`` use regional syscode 7001
REGIONAL_SYSCODES = {"7001": [1234, 1235, 1236]}

with DAG(
    dag_id="freewheel_orders",
    description="FreeWheel AutoScheduler: linear orders to S3 (zipped CSV) and to the linear orders API",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule="@daily",
    catchup=False,
    tags=["adtech", "freewheel"],
) as dag:

    @task
    def order_lines(data_interval_start=None) -> list[dict]:
        """Sample order lines for the broadcast week after the data day (deterministic)."""
        from _sample_data import linear_order_lines

        return linear_order_lines(data_interval_start.date())

    lines = order_lines()

    deliver = FreeWheelS3OrderOperator(
        task_id="deliver_to_s3",
        rows=lines,
        regional_syscodes=REGIONAL_SYSCODES,
    )

    post = FreeWheelLinearOrderOperator(
        task_id="post_order_lines",
        rows=lines,
        regional_syscodes=REGIONAL_SYSCODES,
        batch_size=10,
    )

    @task
    def check(delivery: dict, api: dict) -> dict:
        """Fail unless the file and the API carried every order line."""
        if delivery["lines"] != api["lines"] or api["failed"]:
            raise ValueError(f"S3 file has {delivery['lines']} line(s), API ingested {api['ingested']} "
                             f"of {api['lines']} (failed: {api['failed_records']})")
        return {"lines": delivery["lines"], "s3": delivery["uri"], "bytes": delivery["bytes"],
                "already_delivered": delivery["already_delivered"], "api_requests": api["requests"]}

    check(deliver.output, post.output)
