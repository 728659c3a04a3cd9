"""IQM: every night, keep the running campaigns of an insertion order going.

``list_running_campaigns`` lists the running campaigns of one insertion order (IQM's
``POST /api/v3/cmp/io/campaign/basic/list``, every page) and writes them to a JSON Lines
file; its XCom is a small summary (count and ids). ``plan_changes`` turns them into a
changes file: each campaign's end date moves to ``extend_days`` after the later of its
current end and today, and its daily budget is set to ``daily_budget``. Producing that
file is where your own rules go (pacing reports, a spreadsheet, a planning table).
``apply_changes`` checks the file, then sends the changes in as few calls as IQM allows
(one end-date call per new date, one budget call per budget); a campaign IQM refuses
fails the task with its line and reason. ``count_by_status`` reports where the
insertion order stands afterwards.

Files go to the local temporary directory, which suits a single machine; with several
workers use ``s3://`` URIs for ``output_path`` and the changes file.
Connection: ``iqm_default`` (type ``iqm``). The insertion order is a DAG parameter.
"""

from __future__ import annotations

import datetime
import os
import tempfile

from airflow.providers.common.compat.sdk import DAG, AirflowSkipException, task

from airflow_provider_adtech.operators.iqm import IqmCampaignOperator

WORK_DIR = os.path.join(tempfile.gettempdir(), "adtech-examples", "iqm")

with DAG(
    dag_id="iqm_campaigns",
    description="IQM: extend end dates and set daily budgets of an insertion order's running campaigns",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    schedule="@daily",
    catchup=False,
    tags=["adtech", "iqm"],
    params={"io_id": 48, "extend_days": 7, "daily_budget": 75},
) as dag:
    list_running = IqmCampaignOperator(
        task_id="list_running_campaigns",
        action="list_io_campaigns",
        filters="{{ {'ioIds': [params.io_id | int], 'status': ['running']} | tojson }}",
        output_path=os.path.join(WORK_DIR, "{{ ds }}", "running_campaigns.jsonl"),
    )

    @task
    def plan_changes(listing: dict, params=None, ds=None) -> str:
        """Write one change per running campaign (JSON Lines) and return the file's path."""
        import json

        today = datetime.datetime.now(datetime.timezone.utc)
        changes = []
        with open(listing["output"], encoding="utf-8") as fh:
            for line in fh:
                for campaign in json.loads(line)["campaigns"]:
                    end = campaign.get("endTime")
                    current = datetime.datetime.fromtimestamp(end, datetime.timezone.utc) if end else today
                    new_end = max(current, today) + datetime.timedelta(days=int(params["extend_days"]))
                    changes.append({"campaignId": campaign["id"], "endDate": new_end.date().isoformat(),
                                    "dailyBudget": params["daily_budget"]})
        if not changes:
            raise AirflowSkipException(f"no running campaign in insertion order {params['io_id']}")
        path = os.path.join(WORK_DIR, ds, "changes.jsonl")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(c) + "\n" for c in changes)
        return path

    apply_changes = IqmCampaignOperator(
        task_id="apply_changes",
        action="apply_changes",
        changes_file="{{ ti.xcom_pull(task_ids='plan_changes') }}",
    )

    count_by_status = IqmCampaignOperator(
        task_id="count_by_status",
        action="count_by_status",
        filters="{{ {'owIds': 'all', 'ioIds': params.io_id | string} | tojson }}",
    )

    plan_changes(list_running.output) >> apply_changes >> count_by_status
