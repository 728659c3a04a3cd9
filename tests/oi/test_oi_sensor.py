"""OiReportSensor against the sandbox: poke, reschedule and deferrable modes, criteria,
timeouts and soft_fail, the rows written to a file or S3, and the summary it returns."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
from datetime import timedelta

import pytest

from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowSensorTimeout,
    AirflowSkipException,
    TaskDeferred,
)
from airflow_provider_adtech.exceptions import AdtechValidationError, VendorAuthError
from airflow_provider_adtech.sensors.oi import OiReportSensor
from airflow_provider_adtech.triggers.oi import OiReportTrigger

try:  # Airflow 3
    from airflow.sdk.exceptions import AirflowRescheduleException
except ImportError:  # Airflow 2
    from airflow.exceptions import AirflowRescheduleException

pytestmark = pytest.mark.integration

DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)


class FakeTI:
    """What BaseSensorOperator reads from ``context["ti"]`` in reschedule mode."""

    dag_id, run_id, task_id, map_index = "oi_test", "manual__2026-11-20", "wait", -1
    max_tries = 0

    def get_first_reschedule_date(self, context):
        return None


@pytest.fixture
def context(monkeypatch):
    try:  # Airflow 2 reads the first try's start date from the database in reschedule mode
        import airflow.sensors.base as sensors_base

        if hasattr(sensors_base, "_orig_start_date"):
            monkeypatch.setattr(sensors_base, "_orig_start_date", lambda **kw: None)
    except ImportError:
        pass
    return {"data_interval_start": DAY, "data_interval_end": DAY + timedelta(days=1), "logical_date": DAY,
            "ti": FakeTI()}


def sensor(**kw):
    args = {"task_id": "wait", "poke_interval": 0.01, "timeout": 30, "groupby": "placement"}
    args.update(kw)
    return OiReportSensor(**args)


def polls(sandbox):
    return [e.meta["poll"] for e in sandbox.journal.entries("oi.reports.publishers") if e.meta["row_start"] == 1]


def run_trigger(trigger):
    async def first():
        agen = trigger.run()
        try:
            return await asyncio.wait_for(agen.__anext__(), 20)
        finally:
            await agen.aclose()

    return asyncio.run(first())


# ---------------------------------------------------------------- deferrable
def test_deferrable_defers_to_the_trigger_and_execute_complete_finishes(sandbox, context, tmp_path):
    sandbox.configure("oi", report_rows=2500, report_ready_after=2)
    out = tmp_path / "report.csv"
    s = sensor(deferrable=True, output_path=str(out), timeout=600, poke_interval=0.01)
    with pytest.raises(TaskDeferred) as deferred:
        s.execute(context)
    trigger = deferred.value.trigger
    assert isinstance(trigger, OiReportTrigger)
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout == timedelta(seconds=600)
    _, kwargs = trigger.serialize()
    assert kwargs["query"]["start"] == kwargs["query"]["end"] == "2026-11-20"  # the data interval's day
    assert kwargs["polls"] == 1 and kwargs["oi_conn_id"] == "oi_default"
    assert polls(sandbox) == [1] and not out.exists()

    event = run_trigger(trigger)  # what the triggerer does
    assert event.payload["status"] == "success" and event.payload["polls"] == 3

    fresh = sensor(deferrable=True, output_path=str(out), timeout=600)  # the resumed task is a new process
    summary = fresh.execute_complete(context, event.payload)
    assert summary["rows"] == 2500 and summary["polls"] == 3 and summary["output"] == str(out)
    assert summary["requests"] == 2  # the export walk: 2000 + 500 rows
    json.dumps(summary)
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2500 and rows[0]["PLACEMENT_ID"] and rows[0]["REVENUE"]
    assert summary["impressions"] == sum(int(r["IMPRESSIONS"]) for r in rows)


def test_deferrable_with_output_reads_the_report_once(sandbox, context, tmp_path):
    """4500 rows: the trigger's polls ask for one row each; execute_complete reads the report once
    (3 requests of 2000, 2000, 500 rows), not once in the trigger and again in the task."""
    sandbox.configure("oi", report_rows=4500, report_ready_after=1)
    out = tmp_path / "report.jsonl"
    with pytest.raises(TaskDeferred) as deferred:
        sensor(deferrable=True, output_path=str(out), timeout=600).execute(context)
    event = run_trigger(deferred.value.trigger)
    trigger_calls = sandbox.journal.entries("oi.reports.publishers")
    assert [e.meta["row_limit"] for e in trigger_calls] == [2000, 1]  # the sensor's first poke, the trigger's
    summary = sensor(deferrable=True, output_path=str(out), timeout=600).execute_complete(context, event.payload)
    export = sandbox.journal.entries("oi.reports.publishers")[len(trigger_calls):]
    assert [(e.meta["row_start"], e.meta["row_limit"]) for e in export] == [(1, 2000), (2001, 2000), (4001, 2000)]
    assert summary["rows"] == 4500 == len(out.read_text().splitlines()) and summary["requests"] == 3


def test_deferrable_without_output_still_reports_the_whole_report(sandbox, context):
    sandbox.configure("oi", report_rows=2500, report_ready_after=1)
    with pytest.raises(TaskDeferred) as deferred:
        sensor(deferrable=True, timeout=600).execute(context)
    event = run_trigger(deferred.value.trigger)
    summary = sensor(deferrable=True, timeout=600).execute_complete(context, event.payload)
    assert summary["rows"] == 2500 and "at least 1 row(s)" in summary["reason"]


def test_deferrable_does_not_defer_when_the_data_is_already_there(sandbox, context):
    sandbox.configure("oi", report_rows=7)
    summary = sensor(deferrable=True).execute(context)
    assert summary["rows"] == 7 and summary["polls"] == 1 and summary["output"] is None


def test_execute_complete_fails_on_an_error_event_or_skips_with_soft_fail(sandbox, context):
    event = {"status": "error", "message": "Opt-Intelligence ... HTTP 401", "error_type": "VendorAuthError"}
    with pytest.raises(AirflowException, match="HTTP 401"):
        sensor(deferrable=True).resume_execution("execute_complete", {"event": event}, context)
    with pytest.raises(AirflowSkipException):
        sensor(deferrable=True, soft_fail=True).resume_execution("execute_complete", {"event": event}, context)


def test_deferral_timeout_is_a_sensor_timeout_or_a_skip_with_soft_fail(context):
    try:
        from airflow.sdk.bases.operator import TriggerFailureReason

        error = TriggerFailureReason.TRIGGER_TIMEOUT
    except ImportError:
        error = "Trigger/execution timeout"
    with pytest.raises(AirflowSkipException):
        sensor(deferrable=True, soft_fail=True).resume_execution("__fail__", {"error": error}, context)
    with pytest.raises(AirflowException) as err:
        sensor(deferrable=True).resume_execution("__fail__", {"error": error}, context)
    if "TriggerFailureReason" in repr(type(error)):
        assert isinstance(err.value, AirflowSensorTimeout)


# ---------------------------------------------------------------- poke and reschedule
def test_poke_mode_waits_for_data_arriving_after_n_polls(sandbox, context):
    sandbox.configure("oi", report_rows=12, report_ready_after=3)
    summary = sensor(mode="poke").execute(context)
    assert summary["rows"] == 12 and summary["polls"] == 4
    assert polls(sandbox) == [1, 2, 3, 4]


def test_reschedule_mode_gives_the_slot_back_between_pokes(sandbox, context):
    sandbox.configure("oi", report_rows=5, report_ready_after=2)
    for expected_poll in (1, 2):
        with pytest.raises(AirflowRescheduleException):
            sensor(mode="reschedule", poke_interval=60).execute(context)  # each poke: a new process
        assert polls(sandbox)[-1] == expected_poll
    summary = sensor(mode="reschedule", poke_interval=60).execute(context)
    assert summary["rows"] == 5 and polls(sandbox) == [1, 2, 3]


def test_reschedule_mode_settled_keeps_the_previous_figures_in_a_variable(sandbox, context, monkeypatch):
    from airflow.providers.common.compat.sdk import Variable

    store: dict[str, str] = {}
    monkeypatch.setattr(Variable, "get", lambda key, default=None, *a, **k: store.get(key, default))
    monkeypatch.setattr(Variable, "set", lambda key, value, *a, **k: store.__setitem__(key, value))
    monkeypatch.setattr(Variable, "delete", lambda key, *a, **k: store.pop(key, None))
    sandbox.configure("oi", report_rows=9, report_settle_after=1)  # poll 1 partial, 2 and 3 final

    seen = []
    for _ in range(2):
        with pytest.raises(AirflowRescheduleException):
            sensor(mode="reschedule", ready_when="settled", poke_interval=60).execute(context)
        seen.append(dict(store))
    assert list(seen[0]) == ["adtech_oi_sensor__oi_test__manual__2026-11-20__wait__-1"]
    assert seen[0] != seen[1]  # the figures moved between poll 1 and 2
    summary = sensor(mode="reschedule", ready_when="settled", poke_interval=60).execute(context)
    assert summary["rows"] == 9 and "unchanged" in summary["reason"]
    assert store == {}  # removed on success


def test_settled_in_poke_mode(sandbox, context):
    sandbox.configure("oi", report_rows=3, report_settle_after=2)
    summary = sensor(ready_when="settled").execute(context)
    assert summary["polls"] == 4 and polls(sandbox) == [1, 2, 3, 4]


def test_minimum_impressions_and_timeout(sandbox, context):
    sandbox.configure("oi", report_rows=3)
    with pytest.raises(AirflowSensorTimeout):
        sensor(ready_when="impressions", min_impressions=10**9, timeout=0.3, poke_interval=0.1).execute(context)
    assert len(polls(sandbox)) >= 2
    with pytest.raises(AirflowSkipException):
        sensor(ready_when="impressions", min_impressions=10**9, timeout=0.2, poke_interval=0.1,
               soft_fail=True).execute(context)
    summary = sensor(ready_when="impressions", min_impressions=100).execute(context)
    assert summary["impressions"] >= 100


def test_explicit_range_filters_and_jsonl_output(sandbox, context, tmp_path):
    sandbox.configure("oi", report_rows=30, report_publishers=3)
    out = tmp_path / "sub" / "pub.jsonl"
    summary = sensor(start="2026-11-01", end="2026-11-07", id_type="publisher", ids="1000", groupby="placement",
                     fields=["revenue"], output_path=str(out)).execute(context)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == summary["rows"] == 10 and {r["PUB_ID"] for r in lines} == {1000}
    assert set(lines[0]) == {"PUB_ID", "PUB", "PLACEMENT_ID", "PLACEMENT", "REVENUE"}
    assert summary["impressions"] is None and summary["revenue"] == pytest.approx(sum(r["REVENUE"] for r in lines))
    assert sandbox.journal.entries("oi.reports.publishers")[0].meta["range"] == "2026-11-01..2026-11-07"


def test_output_to_s3(sandbox, context, s3_server):
    sandbox.configure("oi", report_rows=2100)
    s3 = s3_server
    s3.create_bucket(Bucket="reports")
    summary = sensor(output_path="s3://reports/oi/2026-11-20.csv").execute(context)
    body = s3.get_object(Bucket="reports", Key="oi/2026-11-20.csv")["Body"].read().decode()
    rows = list(csv.DictReader(body.splitlines()))
    assert summary["output"] == "s3://reports/oi/2026-11-20.csv" and len(rows) == 2100 == summary["rows"]


def test_wrong_credentials_fail_clearly(sandbox, context, monkeypatch):
    conn = json.loads(sandbox.connection_env()["AIRFLOW_CONN_OI_DEFAULT"])
    conn["login"] = "someone-else"
    monkeypatch.setenv("AIRFLOW_CONN_OI_DEFAULT", json.dumps(conn))
    with pytest.raises(VendorAuthError, match="credentials in connection 'oi_default' were refused"):
        sensor().execute(context)


def test_every_bad_argument_reported_before_any_request(sandbox, context):
    s = sensor(start="2026-11-20", end="2026-11-01", groupby="day", fields="clicks", id_type="placement",
               ready_when="soon", output_path="s3://bucket-only", page_size=2001)
    with pytest.raises(AdtechValidationError) as err:
        s.execute(context)
    rules = {p.rule for p in err.value.problems}
    assert rules == {"oi.report.range", "oi.report.groupby", "oi.report.fields", "oi.report.ids_required",
                     "oi.sensor.ready_when", "oi.output.s3", "oi.report.row_limit"}
    assert sandbox.journal.count("*") == 0


def test_template_fields_cover_every_per_run_argument():
    assert set(OiReportSensor.template_fields) >= {
        "start", "end", "id_type", "ids", "fields", "groupby", "output_path", "oi_conn_id", "ready_when",
        "min_rows", "min_impressions"}
