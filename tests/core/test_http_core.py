"""The shared HTTP core (hooks/base.py and hooks/_http.py) against the sandbox over real loopback HTTP."""

from __future__ import annotations

import json
import os
import time

import pytest
import requests

from airflow_provider_adtech.exceptions import VendorApiError, VendorAuthError, VendorTransportError
from airflow_provider_adtech.hooks.base import parse_retry_after
from airflow_provider_adtech.hooks.freewheel import FreeWheelHook
from airflow_provider_adtech.hooks.ispot import IspotHook
from airflow_provider_adtech.hooks.oi import OiHook


def set_extra(monkeypatch, conn_id: str, **extra):
    key = f"AIRFLOW_CONN_{conn_id.upper()}"
    conn = json.loads(os.environ[key])
    conn["extra"].update(extra)
    monkeypatch.setenv(key, json.dumps(conn))


def recording(hook):
    sleeps: list[float] = []
    hook.sleep = sleeps.append
    return sleeps


INFO = "/auth/token/info"


def test_retry_after_is_honoured_as_the_requested_sleep(sandbox):
    hook = FreeWheelHook()
    sleeps = recording(hook)
    sandbox.inject("freewheel.token_info", status=429, retry_after=7, times=2)
    resp = hook.request("GET", INFO)
    assert resp.status_code == 200
    assert sleeps == [7.0, 7.0]
    assert [e.status for e in sandbox.journal.entries("freewheel.token_info")] == [429, 429, 200]


def test_retry_after_http_date_and_garbage():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_is_bounded_in_attempts_and_delay(sandbox, monkeypatch):
    set_extra(monkeypatch, "freewheel_default", max_retries=3)
    hook = FreeWheelHook()
    sleeps = recording(hook)
    sandbox.inject("freewheel.token_info", status=503, times=-1)
    with pytest.raises(VendorApiError) as err:
        hook.request("GET", INFO)
    assert err.value.status == 503
    assert "retries exhausted" in str(err.value)
    assert sandbox.journal.count("freewheel.token_info") == 4  # 1 + max_retries
    assert len(sleeps) == 3
    assert all(0 <= s <= hook.backoff_max for s in sleeps)


def test_request_not_marked_idempotent_is_never_retried(sandbox):
    hook = FreeWheelHook()
    sleeps = recording(hook)
    sandbox.inject("freewheel.token_info", status=500, times=1)
    with pytest.raises(VendorApiError) as err:
        hook.request("GET", INFO, idempotent=False)
    assert sandbox.journal.count("freewheel.token_info") == 1
    assert sleeps == []
    assert "may or may not have been applied" in str(err.value)
    # Airflow must not retry the task either: that would send the request again
    from airflow.providers.common.compat.sdk import AirflowFailException

    from airflow_provider_adtech.exceptions import VendorOutcomeUnknown

    assert isinstance(err.value, VendorOutcomeUnknown) and isinstance(err.value, AirflowFailException)


def test_request_not_marked_idempotent_meeting_429_is_refused_not_unknown(sandbox):
    hook = FreeWheelHook()
    recording(hook)
    sandbox.inject("freewheel.token_info", status=429, retry_after=3, times=1)
    with pytest.raises(VendorApiError) as err:
        hook.request("GET", INFO, idempotent=False)
    assert "refused, not applied" in str(err.value) and "may or may not" not in str(err.value)
    assert sandbox.journal.count("freewheel.token_info") == 1


def test_dropped_connection_is_retried_for_idempotent_requests(sandbox):
    hook = FreeWheelHook()
    recording(hook)
    sandbox.inject("freewheel.token_info", kind="drop", times=1)
    assert hook.request("GET", INFO).status_code == 200
    assert [e.fault for e in sandbox.journal.entries("freewheel.token_info")] == ["drop", None]


def test_read_timeout_retried_then_transport_error_names_vendor_and_endpoint(sandbox, monkeypatch):
    set_extra(monkeypatch, "freewheel_default", read_timeout=0.3, max_retries=1)
    hook = FreeWheelHook()
    hook.get_token()
    recording(hook)
    sandbox.inject("freewheel.token_info", kind="delay", delay=1.0, times=-1)
    with pytest.raises(VendorTransportError) as err:
        hook.request("GET", INFO)
    text = str(err.value)
    assert "FreeWheel" in text and "GET /auth/token/info" in text and "read timeout" in text
    # the sandbox journals a delayed request once its (late) answer is written
    deadline = time.monotonic() + 10
    while sandbox.journal.count("freewheel.token_info") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.journal.count("freewheel.token_info") == 2


def test_401_invalidates_the_token_and_reauthenticates_exactly_once(sandbox):
    hook = FreeWheelHook()
    first = hook.get_token()
    sandbox.tokens.expire("freewheel")  # the vendor no longer accepts it
    resp = hook.request("GET", INFO)
    assert resp.status_code == 200
    assert sandbox.journal.count("freewheel.token") == 2
    assert hook.get_token().access_token != first.access_token


def test_401_after_reauthentication_fails_clearly(sandbox):
    hook = FreeWheelHook()
    sandbox.inject("freewheel.token_info", status=401, times=2)
    with pytest.raises(VendorAuthError) as err:
        hook.request("GET", INFO)
    assert err.value.status == 401
    assert sandbox.journal.count("freewheel.token") == 2  # first token + one re-authentication
    assert sandbox.journal.count("freewheel.token_info") == 2


def test_token_is_cached_on_disk_with_private_permissions(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("ADTECH_TOKEN_CACHE_DIR", str(tmp_path / "cache"))
    IspotHook().get_token()
    IspotHook().get_token()  # a new hook (as a new task would) reuses the cached token
    assert sandbox.journal.count("ispot.token") == 1
    files = list((tmp_path / "cache").glob("*.json"))
    assert len(files) == 1
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "cache").stat().st_mode & 0o777) == "0o700"


def test_expired_token_is_replaced(sandbox):
    sandbox.configure("ispot", token_ttl=0)
    hook = IspotHook()
    hook.get_token()
    hook.get_token()
    assert sandbox.journal.count("ispot.token") == 2


def test_memory_cache_is_per_process(sandbox, monkeypatch):
    set_extra(monkeypatch, "ispot_default", token_cache="memory")
    IspotHook().get_token()
    IspotHook().get_token()
    assert sandbox.journal.count("ispot.token") == 1
    assert not any(os.scandir(os.environ["ADTECH_TOKEN_CACHE_DIR"])) if os.path.isdir(
        os.environ["ADTECH_TOKEN_CACHE_DIR"]) else True


def test_unknown_token_cache_backend_is_rejected(sandbox, monkeypatch):
    set_extra(monkeypatch, "ispot_default", token_cache="redis")
    with pytest.raises(ValueError, match="token_cache must be one of"):
        IspotHook().get_token()


def test_every_issued_token_is_masked(sandbox):
    from airflow.providers.common.compat.sdk import redact

    hook = IspotHook()
    token = hook.get_token().access_token
    assert redact(f"Bearer {token}") == "Bearer ***"
    refresh_hook_token = FreeWheelHook().get_token().access_token
    assert refresh_hook_token not in str(redact({"t": refresh_hook_token}))


def test_wrong_credentials_give_an_auth_error_without_the_secret(sandbox, monkeypatch):
    key = "AIRFLOW_CONN_ISPOT_DEFAULT"
    conn = json.loads(os.environ[key])
    conn["password"] = "wrong-secret-" + "x" * 27
    monkeypatch.setenv(key, json.dumps(conn))
    with pytest.raises(VendorAuthError) as err:
        IspotHook().get_token()
    assert err.value.status == 401
    assert "wrong-secret" not in str(err.value)
    assert "iSpot" in str(err.value)


def test_basic_auth_hook_does_not_use_tokens(sandbox):
    hook = OiHook()
    assert hook.request("GET", "publishers/").status_code == 200
    assert sandbox.journal.count("*.token") == 0


def test_no_answer_at_all_is_a_transport_error(monkeypatch, tmp_path):
    from airflow_provider_adtech.sandbox.core import free_port

    port = free_port()
    monkeypatch.setenv("AIRFLOW_CONN_OI_DEFAULT", json.dumps(
        {"conn_type": "optintelligence", "host": f"http://127.0.0.1:{port}", "login": "u", "password": "p",
         "extra": {"max_retries": 1}}))
    hook = OiHook()
    recording(hook)
    with pytest.raises(VendorTransportError, match="Opt-Intelligence GET /v1/publishers/"):
        hook.request("GET", "publishers/")


@pytest.mark.parametrize(
    ("host", "schema", "port", "expected"),
    [
        (None, None, None, "https://oiapi.com/v1"),
        ("oi.example.com", None, None, "https://oi.example.com/v1"),
        ("oi.example.com", "http", 8080, "http://oi.example.com:8080/v1"),
        ("http://127.0.0.1:9000", None, None, "http://127.0.0.1:9000/v1"),
        ("https://staging.example.com/api/v1", None, None, "https://staging.example.com/api/v1"),
    ],
)
def test_base_url_from_connection(monkeypatch, host, schema, port, expected):
    conn = {"conn_type": "optintelligence", "login": "u", "password": "p"}
    conn.update({k: v for k, v in (("host", host), ("schema", schema), ("port", port)) if v is not None})
    monkeypatch.setenv("AIRFLOW_CONN_OI_DEFAULT", json.dumps(conn))
    assert OiHook().base_url == expected


@pytest.mark.parametrize(("raw", "expected"), [(None, True), ("false", False), (True, True),
                                               ("/etc/ssl/ca.pem", "/etc/ssl/ca.pem")])
def test_tls_verification_on_by_default_and_configurable(monkeypatch, raw, expected):
    conn = {"conn_type": "optintelligence", "host": "oi.example.com", "login": "u", "password": "p",
            "extra": {} if raw is None else {"verify": raw}}
    monkeypatch.setenv("AIRFLOW_CONN_OI_DEFAULT", json.dumps(conn))
    hook = OiHook()
    assert hook.verify == expected
    assert hook.session.verify == expected


def test_timeouts_apply_to_every_request(sandbox, monkeypatch):
    set_extra(monkeypatch, "oi_default", connect_timeout=2, read_timeout=3)
    hook = OiHook()
    seen = {}
    original = requests.Session.request

    def spy(self, method, url, **kw):
        seen["timeout"] = kw.get("timeout")
        return original(self, method, url, **kw)

    monkeypatch.setattr(requests.Session, "request", spy)
    hook.request("GET", "publishers/")
    assert seen["timeout"] == (2.0, 3.0)


def test_answer_lost_after_the_write_is_retried_for_idempotent_requests(sandbox):
    """``drop_after``: the vendor handled the request but the answer never arrived."""
    hook = FreeWheelHook()
    recording(hook)
    sandbox.inject("freewheel.token_info", kind="drop_after", times=1)
    assert hook.request("GET", INFO).status_code == 200
    entries = sandbox.journal.entries("freewheel.token_info")
    assert [(e.status, e.fault) for e in entries] == [(200, "drop_after"), (200, None)]
