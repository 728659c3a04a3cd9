"""IspotHook.upload_conversions against the sandbox over loopback HTTP: the multipart upload,
every documented answer, re-authentication and retries."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow_provider_adtech.exceptions import VendorApiError, VendorAuthError
from airflow_provider_adtech.hooks.ispot import (
    UPLOAD_ERRORS,
    IspotDuplicateFile,
    IspotHook,
    IspotUploadRejected,
)
from ispot_helpers import DOC_HEADER, csv_text, rows, write

pytestmark = pytest.mark.integration


@pytest.fixture
def hook(sandbox):
    sandbox.configure("ispot", min_bytes=0)
    h = IspotHook()
    h.slept = []
    h.sleep = h.slept.append
    yield h
    h.close()


@pytest.fixture
def part(tmp_path) -> str:
    return write(tmp_path / "conversions_2026-11-20_001.csv", csv_text(rows(50), DOC_HEADER))


def test_upload_is_accepted_and_recorded(sandbox, hook, part):
    result = hook.upload_conversions(part)
    assert result.status == "uploaded" and result.http_status == 201 and result.attempts == 1
    assert result.message == "Uploaded. Our team will process your request soon! Thank you."
    (entry,) = sandbox.journal.entries("ispot.upload")
    assert entry.meta == {"file": "conversions_2026-11-20_001.csv", "bytes": Path(part).stat().st_size,
                          "outcome": "accepted", "rows": 50}
    (stored,) = sandbox.state()["ispot"]["files"]
    assert stored["columns"] == DOC_HEADER and stored["passthru"] is True


def test_body_is_a_streamed_multipart_encoder(sandbox, hook, part, monkeypatch):
    """The file goes out through requests_toolbelt's MultipartEncoder (read in chunks, never whole)
    in the field ``upload[file]``, with the multipart content type and its boundary."""
    from requests_toolbelt import MultipartEncoder

    seen = {}
    real = hook.session.request

    def spy(method, url, **kw):
        if url.endswith("/v4/metrics/conversions"):
            seen["data"] = kw.get("data")
            seen["content_type"] = kw["headers"]["Content-Type"]
        return real(method, url, **kw)

    monkeypatch.setattr(hook.session, "request", spy)
    hook.upload_conversions(part, "named.csv")
    enc = seen["data"]
    assert isinstance(enc, MultipartEncoder)
    assert list(enc.fields) == ["upload[file]"] and enc.fields["upload[file]"][0] == "named.csv"
    assert seen["content_type"] == f"multipart/form-data; boundary={enc.boundary_value}"
    assert enc.len > Path(part).stat().st_size
    assert sandbox.state()["ispot"]["files"][0]["file"] == "named.csv"


def test_same_name_again_is_already_uploaded_or_fails_when_asked(sandbox, hook, part):
    hook.upload_conversions(part)
    again = hook.upload_conversions(part)
    assert again.status == "already_uploaded" and again.http_status == 409
    assert again.message == "The file already exists."
    with pytest.raises(IspotDuplicateFile) as exc:
        hook.upload_conversions(part, fail_on_duplicate=True)
    assert isinstance(exc.value, AirflowFailException) and exc.value.status == 409
    assert len(sandbox.state()["ispot"]["files"]) == 1


@pytest.mark.parametrize("message", list(UPLOAD_ERRORS)[:6])
def test_each_documented_400_message_is_quoted_and_explained(sandbox, hook, part, message):
    sandbox.inject("ispot.upload", status=400, body={"message": message})
    with pytest.raises(IspotUploadRejected) as exc:
        hook.upload_conversions(part)
    err = exc.value
    assert isinstance(err, AirflowFailException)  # a refused file does not get better by retrying
    assert err.status == 400 and err.vendor_message == message
    assert UPLOAD_ERRORS[message] in str(err) and "conversions_2026-11-20_001.csv" in str(err)
    assert sandbox.journal.count("ispot.upload") == 1


def test_rfc9457_problem_details_are_read_too(sandbox, hook, part):
    """iSpot's errors may come as application/problem+json: ``detail`` carries the message."""
    sandbox.inject("ispot.upload", status=400, body={
        "type": "about:blank", "title": "Bad Request", "status": 400,
        "detail": "The file is too small. The minimum file size allowed is 8 MB."})
    with pytest.raises(IspotUploadRejected) as exc:
        hook.upload_conversions(part)
    assert exc.value.vendor_message == "The file is too small. The minimum file size allowed is 8 MB."
    assert "below iSpot's 8 MB minimum" in str(exc.value)


def test_real_refusals_from_the_sandbox(sandbox, hook, tmp_path):
    sandbox.configure("ispot", min_bytes=10_000)
    small = write(tmp_path / "small.csv", csv_text(rows(2), DOC_HEADER))
    with pytest.raises(IspotUploadRejected, match="The file is too small. The minimum file size allowed is 8 MB"):
        hook.upload_conversions(small)
    sandbox.configure("ispot", min_bytes=0, max_bytes=1000)
    big = write(tmp_path / "big.csv", csv_text(rows(20), DOC_HEADER))
    with pytest.raises(IspotUploadRejected, match="maximum file size allowed is 200 MB"):
        hook.upload_conversions(big)
    sandbox.configure("ispot", max_bytes=10**9, mandatory_headers=["LATEST_IPADDRESS", "SITE_ID", "TIME_STAMP"])
    with pytest.raises(IspotUploadRejected, match="mandatory headers: LATEST_IPADDRESS") as exc:
        hook.upload_conversions(big)
    assert "column_mapping" in str(exc.value)
    assert sandbox.state()["ispot"]["files"] == []


def test_401_reauthenticates_once(sandbox, hook, part):
    hook.get_token()
    sandbox.tokens.expire("ispot")  # iSpot no longer accepts the cached token
    result = hook.upload_conversions(part)
    assert result.status == "uploaded"
    assert sandbox.journal.count("ispot.token") == 2
    assert [e.status for e in sandbox.journal.entries("ispot.upload")] == [401, 201]


def test_401_with_a_fresh_token_too_is_an_auth_error(sandbox, hook, part):
    sandbox.inject("ispot.upload", status=401, times=2, body={"message": "Unauthorized"})
    with pytest.raises(VendorAuthError):
        hook.upload_conversions(part)
    assert sandbox.state()["ispot"]["files"] == []


def test_429_waits_for_retry_after(sandbox, hook, part):
    sandbox.inject("ispot.upload", status=429, retry_after=7, times=2)
    result = hook.upload_conversions(part)
    assert result.status == "uploaded" and result.attempts == 3
    assert hook.slept == [7.0, 7.0]


def test_real_rate_limit_of_the_metrics_endpoint(sandbox, hook, tmp_path):
    """The sandbox limits /v4/metrics (10 requests per 10 s, here 2 per second) and answers 429 with
    Retry-After; the hook waits that long and sends the file again."""
    sandbox.configure("ispot", rate_limit=2, rate_window=1.0)
    waits = []
    hook.sleep = lambda s: (waits.append(s), time.sleep(s))
    paths = [write(tmp_path / f"p{i}.csv", csv_text(rows(3), DOC_HEADER)) for i in range(3)]
    results = [hook.upload_conversions(p) for p in paths]
    assert [r.status for r in results] == ["uploaded"] * 3
    assert [e.status for e in sandbox.journal.entries("ispot.upload")] == [201, 201, 429, 201]
    assert waits == [1.0]


def test_5xx_is_retried_and_each_file_accepted_once(sandbox, hook, part):
    sandbox.inject("ispot.upload", status=500, times=2, body={"message": "Internal error. Please contact our API team."})
    result = hook.upload_conversions(part)
    assert result.status == "uploaded" and result.attempts == 3 and len(hook.slept) == 2
    assert len(sandbox.state()["ispot"]["files"]) == 1


def test_5xx_until_retries_run_out_explains_the_message(sandbox, hook, part, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_ISPOT_DEFAULT", json.dumps(
        {**json.loads(sandbox.connection_env()["AIRFLOW_CONN_ISPOT_DEFAULT"]),
         "extra": {"max_retries": 1}}))
    sandbox.inject("ispot.upload", status=500, times=-1,
                   body={"message": "The server disk is full. Please contact our API team."})
    h = IspotHook()
    h.sleep = lambda s: None
    with pytest.raises(VendorApiError) as exc:
        h.upload_conversions(part)
    assert exc.value.status == 500 and "out of disk space" in str(exc.value) and "after 2 attempt(s)" in str(exc.value)
    assert not isinstance(exc.value, AirflowFailException)  # Airflow may retry the task later


def test_lost_answer_then_409_counts_as_uploaded(sandbox, monkeypatch, part):
    """iSpot stored the file but the answer never arrived: the repeat is answered 409, which for
    this upload means "accepted earlier", not "uploaded by someone else"."""
    sandbox.configure("ispot", min_bytes=0)
    env = sandbox.connection_env(ispot_default={"read_timeout": 1})
    monkeypatch.setenv("AIRFLOW_CONN_ISPOT_DEFAULT", env["AIRFLOW_CONN_ISPOT_DEFAULT"])
    h = IspotHook()
    h.sleep = lambda s: time.sleep(1.5)  # the first attempt is stored by then
    h.get_token()
    sandbox.inject("ispot.upload", kind="delay", delay=2.0, times=1)
    result = h.upload_conversions(part)
    assert result.status == "uploaded" and result.http_status == 409 and result.attempts == 2
    assert len(sandbox.state()["ispot"]["files"]) == 1


def test_dropped_connection_is_retried(sandbox, hook, part):
    sandbox.inject("ispot.upload", kind="drop", times=1)
    result = hook.upload_conversions(part)
    assert result.status == "uploaded" and result.attempts == 2
    assert [e.fault for e in sandbox.journal.entries("ispot.upload")] == ["drop", None]


def test_zip_part_goes_as_application_zip(sandbox, hook, tmp_path):
    import zipfile

    path = tmp_path / "conversions_2026-11-20_001.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("conversions_2026-11-20_001.csv", csv_text(rows(30), DOC_HEADER))
    assert hook.upload_conversions(str(path)).status == "uploaded"
    (stored,) = sandbox.state()["ispot"]["files"]
    assert stored["members"] == ["conversions_2026-11-20_001.csv"] and stored["rows"] == 30


def test_token_is_cached_across_hooks(sandbox, part, tmp_path):
    sandbox.configure("ispot", min_bytes=0)
    IspotHook().upload_conversions(part)
    IspotHook().upload_conversions(write(tmp_path / "second.csv", csv_text(rows(3), DOC_HEADER)))
    assert sandbox.journal.count("ispot.token") == 1
