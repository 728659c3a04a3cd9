"""OiReportTrigger: serialization for the triggerer, and its run() events against the sandbox."""

from __future__ import annotations

import asyncio
import importlib
import json

import pytest

from airflow_provider_adtech.formats.oi import build_report_query
from airflow_provider_adtech.triggers.oi import OiReportTrigger

pytestmark = pytest.mark.integration

QUERY = build_report_query("2026-11-20", "2026-11-20", groupby="placement").as_dict()


def make(**kw):
    args = {"query": QUERY, "poke_interval": 0.01}
    args.update(kw)
    return OiReportTrigger(**args)


async def first_event(trigger, timeout=20):
    agen = trigger.run()
    try:
        return await asyncio.wait_for(agen.__anext__(), timeout)
    finally:
        await agen.aclose()


def test_serialize_round_trip_is_json_and_holds_no_secret(sandbox):
    trigger = make(ready_when="settled", min_rows=3, min_impressions=10, previous_fingerprint="abc", polls=2,
                   page_size=500)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_adtech.triggers.oi.OiReportTrigger"
    wire = json.dumps(kwargs)  # what the metadata database stores
    for secret in sandbox.secrets():
        assert secret not in wire
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**json.loads(wire))
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs["oi_conn_id"] == "oi_default" and kwargs["query"]["groupby"] == ["placement"]


async def test_fires_when_data_arrives_after_n_polls(sandbox):
    sandbox.configure("oi", report_rows=30, report_ready_after=3)
    event = await first_event(make())
    assert event.payload["status"] == "success"
    assert event.payload["polls"] == 4
    # readiness asks for just enough rows: one request of row_limit=min_rows per poll
    assert event.payload["figures"]["rows"] == 1 and event.payload["figures"]["partial"] is True
    assert "at least 1 row(s)" in event.payload["reason"]
    entries = sandbox.journal.entries("oi.reports.publishers")
    assert [e.meta["poll"] for e in entries] == [1, 2, 3, 4]
    assert {e.meta["row_limit"] for e in entries} == {1}


async def test_readiness_costs_one_request_per_poll_even_for_a_long_report(sandbox):
    """4500 rows, min_rows=1: one request of one row, not the whole report (3 requests)."""
    sandbox.configure("oi", report_rows=4500)
    event = await first_event(make(min_rows=1))
    entries = sandbox.journal.entries("oi.reports.publishers")
    assert len(entries) == 1 and entries[0].meta["row_limit"] == 1
    assert len(json.dumps(event.payload)) < 1000  # figures only, never rows


async def test_readiness_asks_for_min_rows_rows(sandbox):
    sandbox.configure("oi", report_rows=4500)
    await first_event(make(min_rows=150))
    assert [e.meta["row_limit"] for e in sandbox.journal.entries("oi.reports.publishers")] == [150]


async def test_counts_polls_made_before_deferral(sandbox):
    from airflow_provider_adtech.formats.oi import ReportQuery
    from airflow_provider_adtech.hooks.oi import OiHook

    sandbox.configure("oi", report_rows=3, report_ready_after=1)
    assert OiHook().report_figures(ReportQuery.from_dict(QUERY)).rows == 0  # the sensor's own poke
    event = await first_event(make(polls=1))
    assert event.payload["polls"] == 2 and sandbox.journal.count("oi.reports.publishers") == 2


async def test_settled_waits_for_two_identical_polls(sandbox):
    sandbox.configure("oi", report_rows=12, report_settle_after=2)
    event = await first_event(make(ready_when="settled"))
    # polls 1 and 2 see growing figures, 3 the final ones, 4 the same again
    assert event.payload["status"] == "success" and event.payload["polls"] == 4
    assert "unchanged" in event.payload["reason"]


async def test_settled_uses_the_fingerprint_from_the_sensors_last_poke(sandbox):
    from airflow_provider_adtech.hooks.oi import OiHook

    sandbox.configure("oi", report_rows=4)
    fp = OiHook().report_figures(build_report_query("2026-11-20", "2026-11-20", groupby="placement")).fingerprint
    event = await first_event(make(ready_when="settled", previous_fingerprint=fp, polls=1))
    assert event.payload["polls"] == 2  # one poll in the trigger was enough


async def test_minimum_impressions(sandbox):
    from airflow_provider_adtech.formats.oi import ReportQuery
    from airflow_provider_adtech.hooks.oi import OiHook

    sandbox.configure("oi", report_rows=6)
    final = OiHook().report_figures(ReportQuery.from_dict(QUERY)).impressions
    sandbox.reset()
    # figures grow over 3 polls (1/4, 2/4, 3/4 of the final ones), then stay final
    sandbox.configure("oi", report_rows=6, report_settle_after=3)
    event = await first_event(make(ready_when="impressions", min_impressions=final))
    assert event.payload["status"] == "success"
    assert event.payload["figures"]["impressions"] == final and event.payload["polls"] == 4


async def test_error_event_on_wrong_credentials(sandbox, monkeypatch):
    conn = json.loads(sandbox.connection_env()["AIRFLOW_CONN_OI_DEFAULT"])
    conn["password"] = "wrong"
    monkeypatch.setenv("AIRFLOW_CONN_OI_DEFAULT", json.dumps(conn))
    event = await first_event(make())
    assert event.payload["status"] == "error"
    assert event.payload["error_type"] == "VendorAuthError" and "401" in event.payload["message"]


async def test_run_does_not_block_the_event_loop(sandbox):
    """While a poll waits 0.8 s on a slow answer, other coroutines keep running."""
    sandbox.configure("oi", report_rows=5)
    sandbox.inject("oi.reports.publishers", kind="delay", delay=0.8)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        event = await first_event(make())
    finally:
        task.cancel()
    assert event.payload["status"] == "success"
    assert ticks >= 8  # a blocking poll would have frozen the ticker for the whole 0.8 s


async def test_sleeps_poke_interval_between_polls_without_blocking(sandbox, monkeypatch):
    sandbox.configure("oi", report_rows=5, report_ready_after=2)
    slept = []
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds, *a, **kw):
        slept.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr("airflow_provider_adtech.triggers.oi.asyncio.sleep", fake_sleep)
    event = await first_event(make(poke_interval=42))
    assert event.payload["polls"] == 3 and slept == [42.0, 42.0]


async def test_after_the_sensors_own_poll_the_trigger_waits_one_interval_first(sandbox, monkeypatch):
    """The sensor polled on the worker just before deferring (``polls=1``): the trigger waits a
    full poke interval before its first poll instead of polling again at once."""
    sandbox.configure("oi", report_rows=5)
    events = []
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds, *a, **kw):
        events.append(("sleep", seconds))
        await real_sleep(0)

    monkeypatch.setattr("airflow_provider_adtech.triggers.oi.asyncio.sleep", fake_sleep)
    event = await first_event(make(poke_interval=30, polls=1))
    assert event.payload["status"] == "success" and event.payload["polls"] == 2
    assert events == [("sleep", 30.0)]
    assert sandbox.journal.count("oi.reports.publishers") == 1
