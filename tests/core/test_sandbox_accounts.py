"""The sandbox serves one iSpot, BidSwitch and Opt-Intelligence account per advertiser, each with
its own credentials, and counts token requests per account in its journal."""

from __future__ import annotations

import json
import os

import pytest

from airflow_provider_adtech.exceptions import VendorAuthError
from airflow_provider_adtech.hooks.bidswitch import BidSwitchHook
from airflow_provider_adtech.hooks.ispot import IspotHook
from airflow_provider_adtech.hooks.oi import OiHook
from airflow_provider_adtech.sandbox.credentials import ACCOUNT_VENDORS, ADVERTISERS

pytestmark = pytest.mark.integration


def _conn(conn_id: str) -> dict:
    return json.loads(os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"])


def test_every_advertiser_has_its_own_connection_with_distinct_credentials(sandbox):
    assert len(ADVERTISERS) >= 6
    for vendor in ACCOUNT_VENDORS:
        conns = [_conn(f"{vendor}_{adv}") for adv in ADVERTISERS] + [_conn(f"{vendor}_default")]
        assert len({c["login"] for c in conns}) == len({c["password"] for c in conns}) == len(conns)
        assert all(c["host"] == sandbox.url for c in conns)
    secrets = sandbox.secrets()
    assert all(_conn(f"{v}_{a}")["password"] in secrets for v in ACCOUNT_VENDORS for a in ADVERTISERS)


def test_token_requests_are_counted_per_account(sandbox):
    for adv in ADVERTISERS[:3]:
        IspotHook(f"ispot_{adv}").get_token()
        BidSwitchHook(f"bidswitch_{adv}").get_token()
    IspotHook(f"ispot_{ADVERTISERS[0]}").get_token()  # cached: no second request
    IspotHook(f"ispot_{ADVERTISERS[0]}").get_token(force=True)
    counts = sandbox.token_requests()
    assert counts == {"ispot:adv1": 2, "ispot:adv2": 1, "ispot:adv3": 1,
                      "bidswitch:adv1": 1, "bidswitch:adv2": 1, "bidswitch:adv3": 1}
    issued = {t.data.get("account") for t in sandbox.tokens._tokens.values() if t.vendor == "ispot"}
    assert issued == {"adv1", "adv2", "adv3"}


def test_one_advertisers_login_with_another_advertisers_secret_is_refused(sandbox, monkeypatch):
    mixed = _conn("ispot_adv1") | {"password": _conn("ispot_adv2")["password"]}
    monkeypatch.setenv("AIRFLOW_CONN_ISPOT_MIXED", json.dumps(mixed))
    with pytest.raises(VendorAuthError):
        IspotHook("ispot_mixed").get_token()
    assert sandbox.token_requests() == {"ispot:?": 1}


def test_opt_intelligence_answers_each_account_and_counts_its_report_polls_apart(sandbox):
    sandbox.configure("oi", report_ready_after=1)
    first = OiHook("oi_adv1").custom_report("2026-11-01", "2026-11-01")
    second = OiHook("oi_adv1").custom_report("2026-11-01", "2026-11-01")
    other = OiHook("oi_adv2").custom_report("2026-11-01", "2026-11-01")
    # each account's first poll of the day finds no rows, whatever other accounts did
    assert (len(first), len(other)) == (0, 0) and len(second) > 0
    polls = sandbox.vendors["oi"].state()["report_polls"]
    assert polls == {"adv1:2026-11-01..2026-11-01": 2, "adv2:2026-11-01..2026-11-01": 1}
    accounts = [e.meta["account"] for e in sandbox.journal.entries("oi.reports.publishers")]
    assert set(accounts) == {"adv1", "adv2"}
