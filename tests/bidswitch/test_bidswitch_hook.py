"""BidSwitchHook.upload_report against the sandbox over loopback HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_adtech.exceptions import VendorApiError, VendorAuthError
from airflow_provider_adtech.formats.errors import ValidationFailed
from airflow_provider_adtech.hooks.bidswitch import BidSwitchHook, BidSwitchReportRejected

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent / "data"
DOC_EXAMPLES = ["zero_report", "hourly_report", "supplier_reports", "minimal_report", "multi_day_report"]


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def make_hook() -> BidSwitchHook:
    hook = BidSwitchHook()
    hook.slept = []
    hook.sleep = hook.slept.append
    return hook


def use_connection(sandbox, monkeypatch, **extra):
    env = sandbox.connection_env(bidswitch_default=extra)
    monkeypatch.setenv("AIRFLOW_CONN_BIDSWITCH_DEFAULT", env["AIRFLOW_CONN_BIDSWITCH_DEFAULT"])


@pytest.mark.parametrize("name", DOC_EXAMPLES)
def test_document_examples_are_uploaded_and_handled(sandbox, name):
    result = make_hook().upload_report(load(name), "abc")
    assert result["status"] == "success"
    assert result["handled"] == sandbox.journal.entries("bidswitch.upload")[0].meta["handled"]
    assert result["path"] == "/discrepancy-check/v1.0/ssp/abc/upload-report/"


def test_path_is_lower_case_and_headers_are_the_documented_ones(sandbox):
    make_hook().upload_report(load("minimal_report"), "  AdRtbDummy ")
    (entry,) = sandbox.journal.entries("bidswitch.upload")
    assert entry.path == "/discrepancy-check/v1.0/ssp/adrtbdummy/upload-report/"
    assert entry.meta["accept"] == "application/json" and entry.meta["content_type"] == "application/json"
    assert entry.status == 200


def test_buyer_side_uses_dsp(sandbox):
    make_hook().upload_report(load("minimal_report"), "sandbox-dsp", platform_type="DSP")
    assert sandbox.journal.entries("bidswitch.upload")[0].path == \
        "/discrepancy-check/v1.0/dsp/sandbox-dsp/upload-report/"


@pytest.mark.parametrize("ptype,name", [("xsp", "abc"), ("ssp", ""), ("ssp", None)])
def test_bad_platform_arguments_are_refused_before_any_request(sandbox, ptype, name):
    with pytest.raises(ValueError):
        make_hook().upload_report(load("minimal_report"), name, platform_type=ptype)
    assert sandbox.journal.count() == 0


def test_invalid_report_is_refused_before_any_request(sandbox):
    body = load("minimal_report")
    body["reports"][0]["data"]["2015-11-26"][0]["hour"] = "7"
    with pytest.raises(ValidationFailed) as err:
        make_hook().upload_report(body, "abc")
    assert "reports[0].data.2015-11-26[0].hour" in str(err.value)
    assert sandbox.journal.count() == 0


@pytest.mark.parametrize("http_status", [400, 200])
def test_error_answer_is_mapped_back_to_seat_and_days(sandbox, http_status):
    """Document, "Error Response": {"errors": [["<index of report>", "<error text>"]], "status": "error"}."""
    sandbox.configure("bidswitch", error_http_status=http_status)
    body = load("supplier_reports")
    body["reports"][1]["currency"] = "GBP"
    body["reports"][1]["data"]["2015-11-27"][0]["imps"] = -1
    with pytest.raises(BidSwitchReportRejected) as err:
        make_hook().upload_report(body, "abc", validate=False)
    exc = err.value
    assert exc.status == http_status
    assert [e["index"] for e in exc.errors] == [1, 1]
    assert all(e["report"] == "report 1 (seat '456', EST/GBP, days 2015-11-27)" for e in exc.errors)
    assert "report 1 (seat '456', EST/GBP, days 2015-11-27): currency" in str(exc)
    assert "data.2015-11-27[0].imps" in str(exc)
    assert sandbox.journal.count("bidswitch.upload") == 1   # a refused report is not retried


def test_404_names_the_platform_used(sandbox):
    with pytest.raises(VendorApiError) as err:
        make_hook().upload_report(load("minimal_report"), "No-Such-SSP")
    assert err.value.status == 404
    assert "platform name not found" in str(err.value) and "'no-such-ssp'" in str(err.value)
    assert sandbox.journal.count("bidswitch.upload") == 1


def test_401_reauthenticates_once_then_fails_clearly(sandbox):
    """Document: 401 "If you don't have access ... or you don't have the permission to upload"."""
    sandbox.configure("bidswitch", upload_forbidden=True)
    with pytest.raises(VendorAuthError) as err:
        make_hook().upload_report(load("minimal_report"), "abc")
    assert err.value.status == 401 and "API Account" in str(err.value)
    assert sandbox.journal.count("bidswitch.upload") == 2
    assert sandbox.journal.count("bidswitch.token") == 2


def test_revoked_token_is_replaced_once_and_the_upload_succeeds(sandbox):
    hook = make_hook()
    hook.upload_report(load("minimal_report"), "abc")
    sandbox.tokens.expire("bidswitch")
    hook.upload_report(load("zero_report"), "abc")
    assert [e.status for e in sandbox.journal.entries("bidswitch.upload")] == [200, 401, 200]
    assert sandbox.journal.count("bidswitch.token") == 2


def test_429_and_500_are_retried_and_end_in_one_accepted_report(sandbox):
    """Safe to repeat: "only the last one uploaded is going to be processed"."""
    sandbox.inject("bidswitch.upload", status=429, retry_after=7, times=1)
    sandbox.inject("bidswitch.upload", status=500, times=1)
    sandbox.inject("bidswitch.upload", kind="drop", times=1)
    hook = make_hook()
    result = hook.upload_report(load("hourly_report"), "abc")
    assert result["handled"] == [["2016-08-05"]]
    statuses = [e.status for e in sandbox.journal.entries("bidswitch.upload")]
    assert statuses == [429, 500, 0, 200]
    assert hook.slept[0] == 7          # Retry-After honoured
    assert len(hook.slept) == 3
    state = sandbox.state()["bidswitch"]
    assert [u["processed"] for u in state["uploads"]] == [True]
    assert state["figures"]["ssp/abc"]["2016-08-05"]["rows"] == 24


def test_retries_are_bounded(sandbox, monkeypatch):
    use_connection(sandbox, monkeypatch, max_retries=2)
    sandbox.inject("bidswitch.upload", status=503, times=-1)
    hook = make_hook()
    with pytest.raises(VendorApiError) as err:
        hook.upload_report(load("minimal_report"), "abc")
    assert err.value.status == 503 and "retries exhausted" in str(err.value)
    assert sandbox.journal.count("bidswitch.upload") == 3


def test_keycloak_variant_refreshes_after_a_refused_token(sandbox, monkeypatch):
    use_connection(sandbox, monkeypatch,
                   auth_url=f"{sandbox.url}/auth/realms/bidswitch/protocol/openid-connect/token",
                   auth_client_id="public-client", auth_scope="")
    hook = make_hook()
    hook.upload_report(load("minimal_report"), "abc")
    sandbox.tokens.expire("bidswitch")          # access tokens only; the refresh token stays valid
    hook.upload_report(load("minimal_report"), "abc")
    grants = [e.meta["grant_type"] for e in sandbox.journal.entries("bidswitch.keycloak_token")]
    assert grants == ["password", "refresh_token"]
    assert sandbox.journal.count("bidswitch.token") == 0
    assert [e.status for e in sandbox.journal.entries("bidswitch.upload")] == [200, 401, 200]


def test_token_is_reused_across_hooks(sandbox):
    make_hook().upload_report(load("minimal_report"), "abc")
    make_hook().upload_report(load("zero_report"), "abc")
    assert sandbox.journal.count("bidswitch.token") == 1
