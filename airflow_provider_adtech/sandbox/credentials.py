"""Credentials the sandbox accepts, and the Airflow connections that point at it."""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

_ALNUM = string.ascii_letters + string.digits


def _alnum(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def random_credentials() -> dict[str, dict[str, str]]:
    """Fresh credentials for every sandbox start, shaped like each vendor's real ones."""
    return {
        # iSpot: "client_id is a 20-character alphanumeric value", secret 40 characters
        "ispot": {"client_id": _alnum(20), "client_secret": _alnum(40)},
        "bidswitch": {"username": "sbx_ssp_" + _alnum(6).lower(), "password": "bsPW-" + _alnum(24)},
        "freewheel": {"username": "sbx_fw_" + _alnum(6).lower(), "password": "fwPW-" + _alnum(24)},
        "iqm": {
            "email": f"sbx.{_alnum(6).lower()}@example.com",
            "password": "iqmPW-" + _alnum(24),
            "client_id": "iqmcid" + _alnum(10),
            "client_secret": "iqmCS-" + _alnum(30),
            "ow_id": "203578",
        },
        "oi": {"username": "sbx_oi_" + _alnum(6).lower(), "password": "oiPW-" + _alnum(24)},
    }


#: the advertisers of an agency: each has its own iSpot, BidSwitch and Opt-Intelligence account
ADVERTISERS = tuple(f"adv{i}" for i in range(1, 7))
#: the vendors whose sandbox serves one account per advertiser
ACCOUNT_VENDORS = ("ispot", "bidswitch", "oi")


def advertiser_accounts(advertisers: tuple[str, ...] = ADVERTISERS) -> dict[str, dict[str, dict[str, str]]]:
    """Fresh credentials of every advertiser's own account: ``{vendor: {advertiser: credentials}}``.

    Each advertiser's credentials differ from every other account's (and from the
    default account of :func:`random_credentials`).
    """
    out: dict[str, dict[str, dict[str, str]]] = {v: {} for v in ACCOUNT_VENDORS}
    for adv in advertisers:
        creds = random_credentials()
        for vendor in ACCOUNT_VENDORS:
            out[vendor][adv] = creds[vendor]
    return out


def connections(url: str, creds: dict[str, dict[str, str]], accounts: dict | None = None,
                **extra_overrides: Any) -> dict[str, dict]:
    """Airflow connection dicts (``conn_id`` -> fields) pointing every vendor at ``url``.

    :param accounts: ``{vendor: {advertiser: credentials}}`` (see :func:`advertiser_accounts`):
        adds one connection per vendor and advertiser, ``<vendor>_<advertiser>`` (``ispot_adv1``),
        shaped like the vendor's ``<vendor>_default``.
    :param extra_overrides: per conn_id, extras merged into the defaults (e.g. a
        ``token_cache_dir`` for tests).
    """
    common = {"connect_timeout": 5, "read_timeout": 30}
    conns = {
        "ispot_default": {
            "conn_type": "ispot", "host": url,
            "login": creds["ispot"]["client_id"], "password": creds["ispot"]["client_secret"],
            "extra": dict(common),
        },
        "bidswitch_default": {
            "conn_type": "bidswitch", "host": url,
            "login": creds["bidswitch"]["username"], "password": creds["bidswitch"]["password"],
            "extra": {**common, "auth_url": f"{url}/oauth2/token/"},
        },
        "freewheel_default": {
            "conn_type": "freewheel", "host": url,
            "login": creds["freewheel"]["username"], "password": creds["freewheel"]["password"],
            # FreeWheel's S3 folder in moto (sandbox/s3.py), reached through its role
            "extra": {**common, "s3_bucket": "freewheel-autoscheduler-sandbox",
                      "s3_prefix": "linear_orders/sandbox", "aws_conn_id": "aws_freewheel"},
        },
        "iqm_default": {
            "conn_type": "iqm", "host": url,
            "login": creds["iqm"]["email"], "password": creds["iqm"]["password"],
            "extra": {**common, "client_id": creds["iqm"]["client_id"],
                      "client_secret": creds["iqm"]["client_secret"], "workspace_host": "api.iqm.com"},
        },
        "oi_default": {
            "conn_type": "optintelligence", "host": url,
            "login": creds["oi"]["username"], "password": creds["oi"]["password"],
            "extra": dict(common),
        },
    }
    login_fields = {"ispot": ("client_id", "client_secret"), "bidswitch": ("username", "password"),
                    "oi": ("username", "password")}
    for vendor, per_adv in (accounts or {}).items():
        login, password = login_fields[vendor]
        for adv, cred in per_adv.items():
            conn = json.loads(json.dumps(conns[f"{vendor}_default"]))
            conn.update(login=cred[login], password=cred[password])
            conns[f"{vendor}_{adv}"] = conn
    for conn_id, extra in extra_overrides.items():
        conns[conn_id]["extra"].update(extra)
    return conns


def connection_env(url: str, creds: dict[str, dict[str, str]], accounts: dict | None = None,
                   **extra_overrides: Any) -> dict[str, str]:
    """``AIRFLOW_CONN_<ID>`` environment variables (JSON form) for :func:`connections`."""
    return {
        f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn)
        for conn_id, conn in connections(url, creds, accounts, **extra_overrides).items()
    }
