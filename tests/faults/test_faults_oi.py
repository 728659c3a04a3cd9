"""Opt-Intelligence under injected faults, through ``OiReportSensor`` (poke mode and its
trigger) and ``OiPlacementOperator``; the publisher delete through ``OiHook``.

Reads (the report) and ``PUT`` (sets fields to given values) are repeatable and retried.
``POST`` creates a record ("Deletes are soft: a deleted name cannot be reused"; placements
have no unique name at all) and ``DELETE`` of a deleted id answers 403: both are sent once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException
from airflow_provider_adtech.exceptions import VendorApiError, VendorTransportError
from airflow_provider_adtech.operators.oi import OiPlacementOperator
from airflow_provider_adtech.sensors.oi import OiReportSensor
from fault_kit import ONCE, explains_not_repeated, RETRIED, Scenario, ids

pytestmark = pytest.mark.integration

VENDOR = "Opt-Intelligence"
CONN = "oi_default"
REPORT = "oi.reports.publishers"
REPORT_ENDPOINT = "GET /reports/publishers/"
CREATE = "oi.placements.create"
UPDATE = "oi.placements.update"
DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
DOWN = "Service temporarily unavailable"
PLACEMENT = {"status_id": 9, "layout_id": 1, "offer_format_id": 2607, "max_offers": 4,
             "parameter_share": True}


class FakeTI:
    dag_id, run_id, task_id, map_index = "oi_faults", "manual__2026-11-20", "wait", -1
    max_tries = 0

    def get_first_reschedule_date(self, context):
        return None


@pytest.fixture
def context():
    return {"data_interval_start": DAY, "data_interval_end": DAY + dt.timedelta(days=1), "logical_date": DAY,
            "ti": FakeTI()}


def oi_error(text: str) -> dict:
    return {"status": "error", "message": text}


def body_for(scenario: Scenario) -> dict | None:
    if scenario.kind != "status":
        return None
    return oi_error("Too many requests" if scenario.status == 429 else DOWN)


def sensor(**kw):
    args = {"task_id": "wait_for_report", "poke_interval": 0.01, "timeout": 30, "groupby": "placement",
            "deferrable": False}
    args.update(kw)
    return OiReportSensor(**args)


@pytest.fixture
def publisher(sandbox):
    """A publisher and one placement of it, created before any fault is injected."""
    from airflow_provider_adtech.hooks.oi import OiHook

    hook = OiHook()
    pid = hook.create_publisher({"name": "News Site", "status_id": 1})["id"]
    placement = hook.create_placement({**PLACEMENT, "publisher_id": pid, "name": "Home"})["id"]
    hook.close()
    sandbox.journal.clear()
    return pid, placement


def placements_named(sandbox, name: str) -> int:
    return sum(1 for p in sandbox.state()["oi"]["placements"] if p["name"] == name)


# --------------------------------------------------------------------------- repeatable
@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_report_poke_survives_fault(sandbox, kit, context, scenario: Scenario):
    sandbox.configure("oi", report_rows=7)
    kit.inject(REPORT, scenario, CONN, body=body_for(scenario))
    summary = sensor().execute(context)
    assert summary["rows"] == 7 and summary["requests"] == 1
    assert sandbox.journal.count(REPORT) == scenario.attempts
    assert kit.faults_seen(REPORT) == [scenario.kind] * scenario.times + [None]
    scenario.check_sleeps(kit.sleeps)
    kit.record(VENDOR, f"report poke {scenario.name}")
    kit.check_no_secrets()


@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_placement_update_survives_fault(sandbox, kit, publisher, tmp_path, scenario: Scenario):
    _, placement = publisher
    path = tmp_path / "updates.jsonl"
    path.write_text(json.dumps({"id": placement, "status_id": 2, "max_offers": 2}) + "\n")
    kit.inject(UPDATE, scenario, CONN, body=body_for(scenario))
    op = OiPlacementOperator(task_id="update_placements", payload_path=str(path), action="update")
    summary = op.execute({})
    assert summary["ids"] == [placement]
    assert sandbox.journal.count(UPDATE) == scenario.attempts
    scenario.check_sleeps(kit.sleeps)
    held = {p["id"]: p for p in sandbox.state()["oi"]["placements"]}
    assert held[placement]["status_id"] == 2 and held[placement]["max_offers"] == 2
    kit.record(VENDOR, f"placement update {scenario.name}", duplicates=placements_named(sandbox, "Home") - 1)
    assert placements_named(sandbox, "Home") == 1
    kit.check_no_secrets()


@pytest.mark.parametrize("scenario", [s for s in RETRIED if s.kind in ("status", "drop")],
                         ids=ids(s for s in RETRIED if s.kind in ("status", "drop")))
def test_trigger_poll_survives_fault(sandbox, kit, context, scenario: Scenario):
    """Deferrable mode: the trigger's poll (a worker thread of the triggerer) retries the same way."""
    from airflow.providers.common.compat.sdk import TaskDeferred

    sandbox.configure("oi", report_rows=5, report_ready_after=1)
    s = sensor(deferrable=True, poke_interval=0)
    with pytest.raises(TaskDeferred) as deferred:
        s.execute(context)  # first poll on the worker: no rows yet
    kit.inject(REPORT, scenario, CONN, body=body_for(scenario))
    event = asyncio.run(_first_event(deferred.value.trigger))
    # readiness asks for min_rows (1) row: the whole report is read once later, by the task
    assert event["status"] == "success" and event["figures"]["rows"] == 1 and event["figures"]["partial"]
    scenario.check_sleeps(kit.sleeps)
    assert sandbox.journal.count(REPORT) == 1 + scenario.attempts
    kit.record(VENDOR, f"trigger poll {scenario.name}")
    kit.check_no_secrets()


async def _first_event(trigger):
    agen = trigger.run()
    try:
        return (await asyncio.wait_for(agen.__anext__(), 30)).payload
    finally:
        await agen.aclose()


# --------------------------------------------------------------------------- never repeated
@pytest.mark.parametrize("scenario", ONCE, ids=ids(ONCE))
def test_placement_create_is_sent_once(sandbox, kit, publisher, tmp_path, scenario: Scenario):
    pid, _ = publisher
    path = tmp_path / "placements.json"
    path.write_text(json.dumps([{**PLACEMENT, "publisher_id": pid, "name": "Sidebar"}]))
    kit.inject(CREATE, scenario, CONN, body=body_for(scenario))
    op = OiPlacementOperator(task_id="create_placements", payload_path=str(path))
    with pytest.raises(AirflowException) as err:
        op.execute({})
    if scenario.kind == "delay":
        kit.settle(CREATE, 1)
    sent = sandbox.journal.count(CREATE)
    kit.record(VENDOR, f"placement create {scenario.name}", repeats=sent - 1)
    assert sent == 1 and kit.sleeps == []
    text = str(err.value)
    status = f"HTTP {scenario.status}" if scenario.kind == "status" else "no response"
    assert f"{path} line 1" in text and f"{VENDOR} POST /placements/ failed: {status}" in text
    assert explains_not_repeated(text, scenario)
    kit.check_no_secrets(err.value)
    assert placements_named(sandbox, "Sidebar") == (1 if scenario.reaches_vendor else 0)
    # Airflow runs a failed task again unless the error is an AirflowFailException: an answer
    # that leaves the create's outcome unknown must not be retried blindly
    unknown = scenario.kind != "status" or scenario.status >= 500
    assert isinstance(err.value, AirflowFailException) is unknown


def test_task_retry_after_a_lost_create_answer_creates_nothing_twice(sandbox, kit, publisher, tmp_path):
    pid, _ = publisher
    path = tmp_path / "placements.json"
    path.write_text(json.dumps([{**PLACEMENT, "publisher_id": pid, "name": "Sidebar"}]))
    sandbox.inject(CREATE, kind="drop_after")
    for _attempt in range(3):  # the task's tries, as Airflow would make them with retries=2
        try:
            OiPlacementOperator(task_id="create_placements", payload_path=str(path)).execute({})
            break
        except AirflowFailException:
            break  # no further try
        except AirflowException:
            continue
    created = placements_named(sandbox, "Sidebar")
    kit.record(VENDOR, "placement create answer lost, task retries", repeats=created - 1)
    assert created == 1


@pytest.mark.parametrize("scenario", ONCE, ids=ids(ONCE))
def test_publisher_delete_is_sent_once(sandbox, kit, publisher, scenario: Scenario):
    """Through the hook (no operator deletes): "DELETE of a missing id answers 403"."""
    from airflow_provider_adtech.hooks.oi import OiHook

    pid, _ = publisher
    kit.inject("oi.publishers.delete", scenario, CONN, body=body_for(scenario))
    hook = OiHook()
    with pytest.raises(VendorApiError) as err:
        hook.delete_publisher(pid)
    hook.close()
    if scenario.kind == "delay":
        kit.settle("oi.publishers.delete", 1)
    sent = sandbox.journal.count("oi.publishers.delete")
    kit.record(VENDOR, f"publisher delete {scenario.name}", repeats=sent - 1)
    assert sent == 1 and kit.sleeps == []
    message = (("Too many requests" if scenario.status == 429 else DOWN) if scenario.kind == "status"
               else "no answer within the read timeout" if scenario.kind == "delay"
               else "connection failed or was dropped before an answer")
    text = kit.check_failure(err.value, vendor=VENDOR, endpoint="DELETE /publishers/{id}/",
                             status=scenario.status if scenario.kind == "status" else None, message=message)
    assert explains_not_repeated(text, scenario)
    deleted = [p["id"] for p in sandbox.state()["oi"]["deleted_publishers"]]
    assert deleted == ([pid] if scenario.reaches_vendor else [])


# --------------------------------------------------------------------------- final failures
def test_report_5xx_until_retries_run_out(sandbox, kit, context):
    kit.connection(CONN, max_retries=2)
    sandbox.inject(REPORT, status=503, times=-1, body=oi_error(DOWN))
    with pytest.raises(VendorApiError) as err:
        sensor().execute(context)
    text = kit.check_failure(err.value, vendor=VENDOR, endpoint=REPORT_ENDPOINT, status=503, message=DOWN)
    assert "retries exhausted" in text and sandbox.journal.count(REPORT) == 3 and len(kit.sleeps) == 2
    kit.record(VENDOR, "report 503 until retries run out")


def test_report_429_until_retries_run_out(sandbox, kit, context):
    kit.connection(CONN, max_retries=1)
    sandbox.inject(REPORT, status=429, times=-1, retry_after=20, body=oi_error("Too many requests"))
    with pytest.raises(VendorApiError) as err:
        sensor().execute(context)
    kit.check_failure(err.value, vendor=VENDOR, endpoint=REPORT_ENDPOINT,
                      status=429, message="Too many requests")
    assert kit.sleeps == [20.0] and sandbox.journal.count(REPORT) == 2
    kit.record(VENDOR, "report 429 until retries run out")


def test_report_dropped_until_retries_run_out(sandbox, kit, context):
    kit.connection(CONN, max_retries=2)
    sandbox.inject(REPORT, kind="drop", times=-1)
    with pytest.raises(VendorTransportError) as err:
        sensor().execute(context)
    kit.check_failure(err.value, vendor=VENDOR, endpoint=REPORT_ENDPOINT, status=None,
                      message="connection failed or was dropped before an answer")
    assert sandbox.journal.count(REPORT) == 3
    kit.record(VENDOR, "report dropped until retries run out")


def test_report_slow_until_retries_run_out(sandbox, kit, context):
    kit.inject(REPORT, Scenario("slow", kind="delay"), CONN, times=-1)
    kit.connection(CONN, max_retries=1)
    with pytest.raises(VendorTransportError) as err:
        sensor().execute(context)
    kit.check_failure(err.value, vendor=VENDOR, endpoint=REPORT_ENDPOINT, status=None,
                      message="no answer within the read timeout")
    kit.settle(REPORT, 2)
    kit.record(VENDOR, "report slow until retries run out")


def test_trigger_error_event_and_the_task_failure_name_the_call(sandbox, kit, context):
    """Deferrable mode: retries run out in the triggerer; the event and the task's error name
    vendor, endpoint, status and message, and nothing secret."""
    from airflow.providers.common.compat.sdk import TaskDeferred

    kit.connection(CONN, max_retries=1)
    sandbox.configure("oi", report_rows=5, report_ready_after=1)
    s = sensor(deferrable=True, poke_interval=0)
    with pytest.raises(TaskDeferred) as deferred:
        s.execute(context)
    sandbox.inject(REPORT, status=500, times=-1, body=oi_error(DOWN))
    event = asyncio.run(_first_event(deferred.value.trigger))
    assert event["status"] == "error" and event["error_type"] == "VendorApiError"
    with pytest.raises(AirflowException) as err:
        sensor(deferrable=True).execute_complete(context, event)
    text = str(err.value)
    assert f"{VENDOR} {REPORT_ENDPOINT} failed: HTTP 500: {DOWN!r}" in text and "retries exhausted" in text
    assert len(kit.sleeps) == 1
    for secret in sandbox.secrets():
        assert secret not in text and secret not in json.dumps(event)
    kit.check_no_secrets(err.value)
    kit.record(VENDOR, "trigger 500 until retries run out")
