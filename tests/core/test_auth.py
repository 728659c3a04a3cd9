"""Token lifecycle across processes, refresh tokens, and each hook's real authentication."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from airflow_provider_adtech.hooks.bidswitch import BidSwitchHook
from airflow_provider_adtech.hooks.freewheel import FreeWheelHook
from airflow_provider_adtech.hooks.iqm import IqmHook
from airflow_provider_adtech.hooks.ispot import IspotHook
from airflow_provider_adtech.hooks.oi import OiHook

HOOKS = [IspotHook, BidSwitchHook, FreeWheelHook, IqmHook, OiHook]

CHILD = textwrap.dedent(
    """
    import sys, time
    start_at = float(sys.argv[1])
    from airflow_provider_adtech.hooks.ispot import IspotHook
    hook = IspotHook()
    hook.connection  # resolve the connection before the common start
    while time.time() < start_at:
        time.sleep(0.005)
    token = hook.get_token()
    print("got", len(token.access_token))
    """
)


def test_three_processes_share_one_ispot_token_request(sandbox):
    """iSpot: "limit the amount of token requests per day and only request a new one when
    absolutely necessary": three task processes started together cause one token request."""
    import time

    start_at = time.time() + 4
    procs = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(start_at)], env=dict(os.environ),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
        assert out.strip().splitlines()[-1] == "got 50"
    assert sandbox.journal.count("ispot.token") == 1
    for out, err in outs:  # the child logs never show the token
        assert not any(secret in out + err for secret in sandbox.secrets())


def test_iqm_expired_access_token_is_renewed_with_the_refresh_token(sandbox):
    sandbox.configure("iqm", token_ttl=0)
    hook = IqmHook()
    first = hook.get_token()
    second = hook.get_token()
    assert first.access_token != second.access_token
    assert sandbox.journal.count("iqm.login") == 1
    assert sandbox.journal.count("iqm.oauth_token") == 1
    assert second.extra.get("owId") == first.extra.get("owId")
    headers = hook.auth_headers(second)
    assert headers["X-IAA-OW-ID"] == str(first.extra["owId"])
    assert headers["X-IAA-HOST"] == "api.iqm.com"


def test_iqm_form_login_style(sandbox, monkeypatch):
    key = "AIRFLOW_CONN_IQM_DEFAULT"
    conn = json.loads(os.environ[key])
    conn["extra"]["login_style"] = "form"
    monkeypatch.setenv(key, json.dumps(conn))
    assert IqmHook().get_token().access_token
    assert sandbox.journal.count("iqm.login") == 0
    assert sandbox.journal.count("iqm.oauth_token") == 1


def test_bidswitch_keycloak_variant_uses_its_refresh_token(sandbox, monkeypatch):
    key = "AIRFLOW_CONN_BIDSWITCH_DEFAULT"
    conn = json.loads(os.environ[key])
    conn["extra"].update(
        auth_url=f"{sandbox.url}/auth/realms/bidswitch/protocol/openid-connect/token",
        auth_client_id="public-client", auth_scope="",
    )
    monkeypatch.setenv(key, json.dumps(conn))
    sandbox.configure("bidswitch", keycloak_ttl=0)
    hook = BidSwitchHook()
    first = hook.get_token()
    assert first.refresh_token
    second = hook.get_token()
    assert second.access_token != first.access_token
    assert sandbox.journal.count("bidswitch.keycloak_token") == 2
    assert sandbox.journal.count("bidswitch.token") == 0


@pytest.mark.parametrize("hook_cls", HOOKS, ids=lambda c: c.__name__)
def test_test_connection_really_authenticates(sandbox, hook_cls):
    ok, message = hook_cls().test_connection()
    assert ok, message
    assert len(sandbox.journal.entries()) >= 1
    assert all(e.status < 400 for e in sandbox.journal.entries())


@pytest.mark.parametrize("hook_cls", HOOKS, ids=lambda c: c.__name__)
def test_test_connection_reports_wrong_password_without_leaking_it(sandbox, monkeypatch, hook_cls):
    key = f"AIRFLOW_CONN_{hook_cls.default_conn_name.upper()}"
    conn = json.loads(os.environ[key])
    conn["password"] = "definitely-wrong-password-123"
    monkeypatch.setenv(key, json.dumps(conn))
    ok, message = hook_cls().test_connection()
    assert not ok
    assert hook_cls.vendor in message
    assert "definitely-wrong-password" not in message
