"""iSpot under injected faults, through ``IspotConversionUploadOperator`` (what users run).

Document ("CSV File Format"): "Files must have unique file names for a given day. If two
or more files with the same name are uploaded, only the first file will be kept", and the
response table's ``409 The file already exists.``: repeating an upload is harmless, so every
fault ends with each file accepted exactly once.
"""

from __future__ import annotations

import datetime as dt

import pytest

from airflow_provider_adtech.exceptions import VendorApiError, VendorTransportError
from airflow_provider_adtech.operators.ispot import IspotConversionUploadOperator
from fault_kit import RETRIED, Scenario, ids

pytestmark = pytest.mark.integration

VENDOR = "iSpot"
CONN = "ispot_default"
UPLOAD = "ispot.upload"
TOKEN = "ispot.token"
UPLOAD_ENDPOINT = "POST /v4/metrics/conversions"
TOKEN_ENDPOINT = "POST /v4/oauth2/token"
DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
CONTEXT = {"data_interval_start": DAY, "data_interval_end": DAY + dt.timedelta(days=1), "logical_date": DAY}
#: before 07:00 PDT of the next day: standard processing, no warning
NOW = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.timezone.utc)
#: the document's answer texts
INTERNAL = "Internal error. Please contact our API team."
UA = ("Mozilla/5.0 (Macintosh; Intel) AppleWebKit/537.36 (KHTML, like Gecko) Chrome 70.0.3359.117 "
      "Safari/537.36")


def conversions(n: int) -> list[dict[str, str]]:
    """``n`` valid conversions of the data day (the document's columns)."""
    return [{"ip": f"66.87.{i // 250}.{i % 250 + 1}",
             "datetime": f"2026-11-20 12:{i // 60 % 60:02d}:{i % 60:02d}",
             "siteid": "TC-1234-5", "app": "web", "type": "purchase", "useragent": UA} for i in range(n)]


@pytest.fixture(autouse=True)
def setup(sandbox, monkeypatch):
    sandbox.configure("ispot", min_bytes=0)  # small test files; the 8 MB minimum is not what is tested here
    monkeypatch.setattr(IspotConversionUploadOperator, "_now", staticmethod(lambda: NOW))


def upload(**kw):
    kw.setdefault("task_id", "upload_conversions")
    kw.setdefault("rows", conversions(40))
    kw.setdefault("min_file_size", 0)
    return IspotConversionUploadOperator(**kw).execute(dict(CONTEXT))


def accepted(sandbox) -> list[str]:
    """File names of the uploads iSpot accepted (201), in order."""
    return [e.meta["file"] for e in sandbox.journal.entries(UPLOAD) if e.meta.get("outcome") == "accepted"]


def duplicates_accepted(sandbox) -> int:
    names = accepted(sandbox)
    return len(names) - len(set(names))


@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_upload_fault_ends_with_the_file_accepted_once(sandbox, kit, scenario: Scenario):
    kit.inject(UPLOAD, scenario, CONN, body={"message": INTERNAL} if scenario.status >= 500 else None)
    summary = upload()

    (part,) = summary["parts"]
    assert part["status"] == "uploaded" and part["attempts"] == scenario.attempts
    assert summary["uploaded"] == 1 and summary["already_uploaded"] == 0
    assert sandbox.journal.count(UPLOAD) == scenario.attempts
    assert kit.faults_seen(UPLOAD) == [scenario.kind] * scenario.times + [None]
    scenario.check_sleeps(kit.sleeps)
    dups = duplicates_accepted(sandbox)
    kit.record(VENDOR, f"upload {scenario.name}", duplicates=dups)
    assert dups == 0
    (stored,) = sandbox.state()["ispot"]["files"]
    assert stored["file"] == part["name"] and stored["rows"] == 40
    # a lost answer: iSpot kept the first attempt, the repeat was answered 409 (and counted as uploaded)
    refused = sandbox.state()["ispot"]["duplicates"]
    assert len(refused) == (scenario.handled - 1)
    kit.check_no_secrets()


@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_fault_on_the_second_of_three_parts_resends_only_that_part(sandbox, kit, scenario: Scenario):
    kit.inject(UPLOAD, scenario, CONN, skip=1)
    summary = upload(rows=conversions(45), max_file_size=3000)

    names = [p["name"] for p in summary["parts"]]
    assert len(names) == 3 and [p["status"] for p in summary["parts"]] == ["uploaded"] * 3
    assert [p["attempts"] for p in summary["parts"]] == [1, scenario.attempts, 1]
    handled = [e.meta.get("file") for e in sandbox.journal.entries(UPLOAD)]
    assert [handled.count(n) for n in names] == [1, scenario.handled, 1]
    scenario.check_sleeps(kit.sleeps)
    dups = duplicates_accepted(sandbox)
    kit.record(VENDOR, f"part 2 of 3 {scenario.name}", duplicates=dups)
    assert dups == 0
    assert sorted(f["file"] for f in sandbox.state()["ispot"]["files"]) == names
    assert sum(f["rows"] for f in sandbox.state()["ispot"]["files"]) == 45


@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_token_request_fault_is_retried(sandbox, kit, scenario: Scenario):
    """The token endpoint is repeatable: a lost answer costs one more token, never a failed run."""
    kit.inject(TOKEN, scenario, CONN)
    summary = upload()
    assert summary["uploaded"] == 1
    assert sandbox.journal.count(TOKEN) == scenario.attempts
    assert sandbox.journal.count(UPLOAD) == 1 and len(sandbox.state()["ispot"]["files"]) == 1
    scenario.check_sleeps(kit.sleeps)
    kit.record(VENDOR, f"token {scenario.name}", duplicates=duplicates_accepted(sandbox))
    kit.check_no_secrets()


# --------------------------------------------------------------------------- final failures
def test_5xx_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=2)
    sandbox.inject(UPLOAD, status=503, times=-1, body={"message": INTERNAL})
    with pytest.raises(VendorApiError) as err:
        upload()
    text = kit.check_failure(err.value, vendor=VENDOR, endpoint=UPLOAD_ENDPOINT, status=503, message=INTERNAL)
    assert "after 3 attempt(s)" in text and "contact iSpot's API team" in text
    assert sandbox.journal.count(UPLOAD) == 3 and len(kit.sleeps) == 2
    assert sandbox.state()["ispot"]["files"] == []
    kit.record(VENDOR, "upload 503 until retries run out", duplicates=duplicates_accepted(sandbox))


def test_429_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=1)
    sandbox.inject(UPLOAD, status=429, times=-1, retry_after=30, body={"message": "Too Many Requests"})
    with pytest.raises(VendorApiError) as err:
        upload()
    kit.check_failure(err.value, vendor=VENDOR, endpoint=UPLOAD_ENDPOINT,
                      status=429, message="Too Many Requests")
    assert kit.sleeps == [30.0] and sandbox.journal.count(UPLOAD) == 2
    kit.record(VENDOR, "upload 429 until retries run out")


def test_dropped_connections_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=2)
    sandbox.inject(UPLOAD, kind="drop", times=-1)
    with pytest.raises(VendorTransportError) as err:
        upload()
    text = kit.check_failure(err.value, vendor=VENDOR, endpoint=UPLOAD_ENDPOINT, status=None,
                             message="connection failed or was dropped before an answer")
    assert "retries exhausted" in text
    assert sandbox.journal.count(UPLOAD) == 3 and sandbox.state()["ispot"]["files"] == []
    kit.record(VENDOR, "upload dropped until retries run out")


def test_slow_answers_until_retries_run_out(sandbox, kit):
    """Every answer too slow: the task fails, but iSpot did receive the file once (the repeats
    were answered 409), so the next try of the task finds it ``already_uploaded``."""
    kit.inject(UPLOAD, Scenario("slow", kind="delay"), CONN, times=-1)
    kit.connection(CONN, max_retries=1)
    with pytest.raises(VendorTransportError) as err:
        upload()
    kit.check_failure(err.value, vendor=VENDOR, endpoint=UPLOAD_ENDPOINT, status=None,
                      message="no answer within the read timeout")
    kit.settle(UPLOAD, 2)
    dups = duplicates_accepted(sandbox)
    kit.record(VENDOR, "upload slow until retries run out", duplicates=dups)
    assert dups == 0 and len(sandbox.state()["ispot"]["files"]) == 1
    sandbox.faults.clear()
    again = upload()  # Airflow's next try of the task
    assert again["already_uploaded"] == 1 and len(sandbox.state()["ispot"]["files"]) == 1


def test_token_endpoint_down(sandbox, kit):
    kit.connection(CONN, max_retries=1)
    sandbox.inject(TOKEN, status=503, times=-1, body={"message": "Service Unavailable"})
    with pytest.raises(VendorApiError) as err:
        upload()
    kit.check_failure(err.value, vendor=VENDOR, endpoint=TOKEN_ENDPOINT,
                      status=503, message="Service Unavailable")
    assert sandbox.journal.count(TOKEN) == 2 and sandbox.journal.count(UPLOAD) == 0
    kit.record(VENDOR, "token 503 until retries run out")



# --------------------------------------------------------------------------- parallel uploads
@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_fault_during_four_parallel_uploads_still_accepts_each_part_once(sandbox, kit, scenario: Scenario):
    """``max_parallel_uploads=4``: the same guarantees as one at a time; whichever part meets the
    fault is repeated until accepted, and no part is accepted twice."""
    kit.inject(UPLOAD, scenario, CONN, skip=1)
    summary = upload(rows=conversions(90), max_file_size=3000, max_parallel_uploads=4)

    names = [p["name"] for p in summary["parts"]]
    assert len(names) == 6 and [p["status"] for p in summary["parts"]] == ["uploaded"] * 6
    # the injected faults meet whichever requests come next, of one part or of several
    assert sum(p["attempts"] for p in summary["parts"]) == 6 + scenario.attempts - 1
    assert summary["uploaded"] == 6 and summary["already_uploaded"] == 0
    dups = duplicates_accepted(sandbox)
    kit.record(VENDOR, f"4 parallel, {scenario.name}", duplicates=dups)
    assert dups == 0
    assert sorted(f["file"] for f in sandbox.state()["ispot"]["files"]) == names
    assert sum(f["rows"] for f in sandbox.state()["ispot"]["files"]) == 90
    kit.check_no_secrets()
