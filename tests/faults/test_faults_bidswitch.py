"""BidSwitch under injected faults, through ``BidSwitchDiscrepancyOperator`` (what users run).

Document: "If you upload several reports during one day, only the last one uploaded is
going to be processed": repeating an upload is harmless, so every fault ends with one
processed report per day whose figures are those of the rows sent (never counted twice).
Errors: "500 Internal Server Error: If another unexpected error occurred."
"""

from __future__ import annotations

import datetime as dt

import pytest

from airflow_provider_adtech.exceptions import VendorApiError, VendorTransportError
from airflow_provider_adtech.operators.bidswitch import BidSwitchDiscrepancyOperator
from fault_kit import RETRIED, Scenario, ids

pytestmark = pytest.mark.integration

VENDOR = "BidSwitch"
CONN = "bidswitch_default"
UPLOAD = "bidswitch.upload"
TOKEN = "bidswitch.token"
PLATFORM = "sandbox-ssp"
UPLOAD_ENDPOINT = f"POST /discrepancy-check/v1.0/ssp/{PLATFORM}/upload-report/"
TOKEN_ENDPOINT = "POST token"
DAY = "2026-11-20"
RUN = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
CONTEXT = {"data_interval_start": RUN, "data_interval_end": RUN + dt.timedelta(days=1), "logical_date": RUN}
UNEXPECTED = "Internal Server Error: another unexpected error occurred"


def hourly(seats=("s1", "s2")) -> list[dict]:
    return [{"date": DAY, "hour": h, "seat": s, "imps": 100 + h, "cost": 0.5, "bids": 1000, "timeouts": 10}
            for s in seats for h in range(24)]


IMPS = sum(100 + h for h in range(24))


def upload(**kw):
    kw.setdefault("task_id", "discrepancy_report")
    kw.setdefault("platform_name", PLATFORM)
    kw.setdefault("rows", hourly())
    return BidSwitchDiscrepancyOperator(**kw).execute(dict(CONTEXT))


def processed_per_day(sandbox) -> dict[str, int]:
    """Uploads BidSwitch processes per platform and upload day (the document: only the last)."""
    out: dict[str, int] = {}
    for up in sandbox.state()["bidswitch"]["uploads"]:
        if up["processed"]:
            key = f"{up['platform_type']}/{up['platform_name']} {up['upload_day']}"
            out[key] = out.get(key, 0) + 1
    return out


def duplicates_accepted(sandbox) -> int:
    """Reports counted more than once: processed uploads beyond one per platform and day, and
    seat-days whose figures exceed what was sent."""
    extra = sum(n - 1 for n in processed_per_day(sandbox).values())
    figures = sandbox.state()["bidswitch"]["figures"].get(f"ssp/{PLATFORM}", {})
    inflated = sum(1 for f in figures.values() if f["imps"] > IMPS or f["rows"] > 24)
    return extra + inflated


@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_upload_fault_ends_with_one_processed_report(sandbox, kit, scenario: Scenario):
    kit.inject(UPLOAD, scenario, CONN, body={"detail": UNEXPECTED} if scenario.status >= 500 else None)
    summary = upload()

    assert summary["uploaded"] is True and summary["handled"] == [[f"s1 {DAY}"], [f"s2 {DAY}"]]
    assert sandbox.journal.count(UPLOAD) == scenario.attempts
    assert kit.faults_seen(UPLOAD) == [scenario.kind] * scenario.times + [None]
    scenario.check_sleeps(kit.sleeps)
    uploads = sandbox.state()["bidswitch"]["uploads"]
    assert [u["accepted"] for u in uploads] == [True] * scenario.handled
    dups = duplicates_accepted(sandbox)
    kit.record(VENDOR, f"upload {scenario.name}", duplicates=dups)
    assert dups == 0
    assert list(processed_per_day(sandbox).values()) == [1]
    figures = sandbox.state()["bidswitch"]["figures"][f"ssp/{PLATFORM}"]
    assert {k: (f["rows"], f["imps"]) for k, f in figures.items()} == {
        f"s1 {DAY}": (24, IMPS), f"s2 {DAY}": (24, IMPS)}
    assert figures[f"s1 {DAY}"]["upload_seq"] == uploads[-1]["seq"]  # the last upload is the one processed
    kit.check_no_secrets()


@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_token_request_fault_is_retried(sandbox, kit, scenario: Scenario):
    kit.inject(TOKEN, scenario, CONN,
               body={"error": "temporarily_unavailable"} if scenario.status >= 500 else None)
    summary = upload()
    assert summary["uploaded"] is True
    assert sandbox.journal.count(TOKEN) == scenario.attempts and sandbox.journal.count(UPLOAD) == 1
    scenario.check_sleeps(kit.sleeps)
    kit.record(VENDOR, f"token {scenario.name}", duplicates=duplicates_accepted(sandbox))
    kit.check_no_secrets()


def test_report_uploaded_again_later_the_same_day_replaces_the_first(sandbox, kit):
    """A run retried by Airflow after a lost answer sends the report again: still one report."""
    kit.connection(CONN, max_retries=0)
    sandbox.inject(UPLOAD, kind="drop_after")
    with pytest.raises(VendorTransportError):
        upload()
    summary = upload()  # Airflow's next try
    assert summary["uploaded"] is True
    dups = duplicates_accepted(sandbox)
    kit.record(VENDOR, "task retried after a lost answer", duplicates=dups)
    assert dups == 0 and len(sandbox.state()["bidswitch"]["uploads"]) == 2


# --------------------------------------------------------------------------- final failures
def test_5xx_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=2)
    sandbox.inject(UPLOAD, status=500, times=-1, body={"detail": UNEXPECTED})
    with pytest.raises(VendorApiError) as err:
        upload()
    text = kit.check_failure(err.value, vendor=VENDOR, endpoint=UPLOAD_ENDPOINT,
                             status=500, message=UNEXPECTED)
    assert "retries exhausted" in text
    assert sandbox.journal.count(UPLOAD) == 3 and len(kit.sleeps) == 2
    assert sandbox.state()["bidswitch"]["uploads"] == []
    kit.record(VENDOR, "upload 500 until retries run out")


def test_429_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=1)
    sandbox.inject(UPLOAD, status=429, times=-1, retry_after=12, body={"detail": "Request was throttled."})
    with pytest.raises(VendorApiError) as err:
        upload()
    kit.check_failure(err.value, vendor=VENDOR, endpoint=UPLOAD_ENDPOINT, status=429,
                      message="Request was throttled.")
    assert kit.sleeps == [12.0] and sandbox.journal.count(UPLOAD) == 2
    kit.record(VENDOR, "upload 429 until retries run out")


def test_dropped_connections_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=2)
    sandbox.inject(UPLOAD, kind="drop", times=-1)
    with pytest.raises(VendorTransportError) as err:
        upload()
    kit.check_failure(err.value, vendor=VENDOR, endpoint=UPLOAD_ENDPOINT, status=None,
                      message="connection failed or was dropped before an answer")
    assert sandbox.journal.count(UPLOAD) == 3 and sandbox.state()["bidswitch"]["uploads"] == []
    kit.record(VENDOR, "upload dropped until retries run out")


def test_slow_answers_until_retries_run_out(sandbox, kit):
    kit.inject(UPLOAD, Scenario("slow", kind="delay"), CONN, times=-1)
    kit.connection(CONN, max_retries=1)
    with pytest.raises(VendorTransportError) as err:
        upload()
    kit.check_failure(err.value, vendor=VENDOR, endpoint=UPLOAD_ENDPOINT, status=None,
                      message="no answer within the read timeout")
    kit.settle(UPLOAD, 2)
    dups = duplicates_accepted(sandbox)
    kit.record(VENDOR, "upload slow until retries run out", duplicates=dups)
    assert dups == 0


def test_token_endpoint_down(sandbox, kit):
    kit.connection(CONN, max_retries=1)
    sandbox.inject(TOKEN, status=503, times=-1,
                   body={"error": "temporarily_unavailable",
                         "error_description": "The server is temporarily unavailable"})
    with pytest.raises(VendorApiError) as err:
        upload()
    kit.check_failure(err.value, vendor=VENDOR, endpoint=TOKEN_ENDPOINT, status=503,
                      message="The server is temporarily unavailable")
    assert sandbox.journal.count(TOKEN) == 2 and sandbox.journal.count(UPLOAD) == 0
    kit.record(VENDOR, "token 503 until retries run out")
