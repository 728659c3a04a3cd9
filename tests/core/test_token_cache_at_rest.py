"""Tokens at rest: cache files encrypted with Airflow's Fernet key when one is configured,
plain ``0600`` JSON otherwise, in a directory no one else can read; and no secret in our
own logs, at any level (DEBUG included)."""

from __future__ import annotations

import logging
import os
import stat
import time

import pytest
from cryptography.fernet import Fernet

from airflow_provider_adtech.exceptions import AdtechError
from airflow_provider_adtech.hooks.token_cache import FERNET_PREFIX, FileTokenCache, Token

SECRET = "access-token-that-must-not-be-readable"


def token() -> Token:
    return Token(access_token=SECRET, expires_at=time.time() + 3600, refresh_token="refresh-secret")


@pytest.fixture
def fernet_key(monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", key)
    _reset_airflow_fernet(monkeypatch)
    return key


@pytest.fixture
def no_fernet_key(monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", "")
    _reset_airflow_fernet(monkeypatch)


def _reset_airflow_fernet(monkeypatch):
    import airflow.models.crypto as crypto

    if hasattr(crypto, "_fernet"):  # Airflow 2 keeps the Fernet of the first call
        monkeypatch.setattr(crypto, "_fernet", None)
    if hasattr(crypto.get_fernet, "cache_clear"):  # Airflow 3 caches it
        crypto.get_fernet.cache_clear()


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_with_a_fernet_key_the_file_is_encrypted(tmp_path, fernet_key):
    cache = FileTokenCache(tmp_path / "cache")
    cache.set("ispot_abc", token())
    raw = (tmp_path / "cache" / "ispot_abc.json").read_bytes()
    assert raw.startswith(FERNET_PREFIX)
    assert SECRET.encode() not in raw and b"refresh-secret" not in raw
    assert Fernet(fernet_key.encode()).decrypt(raw[len(FERNET_PREFIX):]).decode().count(SECRET) == 1
    assert cache.get("ispot_abc").access_token == SECRET
    assert mode(tmp_path / "cache" / "ispot_abc.json") == 0o600 and mode(tmp_path / "cache") == 0o700


def test_without_a_key_the_file_is_plain_json_0600(tmp_path, no_fernet_key):
    cache = FileTokenCache(tmp_path / "cache")
    cache.set("k", token())
    path = tmp_path / "cache" / "k.json"
    assert path.read_text().startswith("{") and mode(path) == 0o600
    assert cache.get("k").access_token == SECRET


def test_a_plain_file_is_encrypted_once_a_key_is_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", "")
    _reset_airflow_fernet(monkeypatch)
    cache = FileTokenCache(tmp_path)
    cache.set("k", token())
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", Fernet.generate_key().decode())
    _reset_airflow_fernet(monkeypatch)
    assert cache.get("k").access_token == SECRET
    assert (tmp_path / "k.json").read_bytes().startswith(FERNET_PREFIX)


def test_a_file_under_another_key_is_a_miss_not_an_error(tmp_path, monkeypatch, fernet_key):
    cache = FileTokenCache(tmp_path)
    cache.set("k", token())
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", Fernet.generate_key().decode())
    _reset_airflow_fernet(monkeypatch)
    assert cache.get("k") is None


def test_an_existing_group_readable_directory_is_forced_to_0700(tmp_path, no_fernet_key):
    folder = tmp_path / "cache"
    folder.mkdir()
    os.chmod(folder, 0o755)
    FileTokenCache(folder).set("k", token())
    assert mode(folder) == 0o700


def test_a_directory_that_cannot_be_restricted_is_refused(tmp_path, monkeypatch, no_fernet_key):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o777)

    def refuse(path, m, *a, **k):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", refuse)
    with pytest.raises(AdtechError, match=r"accessible to group/others \(mode 0777\) and cannot be restricted"):
        FileTokenCache(folder).set("k", token())
    assert list(folder.iterdir()) == []


def test_nothing_of_ours_logs_a_secret_even_at_debug(sandbox, caplog, capsys):
    """Token requests, cache reads, a refused token and re-authentication, for every vendor,
    with every logger at DEBUG: no credential and no token in what our code logs."""
    from airflow_provider_adtech.hooks.bidswitch import BidSwitchHook
    from airflow_provider_adtech.hooks.freewheel import FreeWheelHook
    from airflow_provider_adtech.hooks.iqm import IqmHook
    from airflow_provider_adtech.hooks.ispot import IspotHook
    from airflow_provider_adtech.hooks.oi import OiHook

    with caplog.at_level(logging.DEBUG):
        logging.getLogger("airflow_provider_adtech").setLevel(logging.DEBUG)
        for cls in (IspotHook, BidSwitchHook, FreeWheelHook, IqmHook):
            hook = cls()
            first = hook.get_token()
            hook.invalidate_token(first)  # as after a 401: forgotten, fetched again
            hook.get_token()
        OiHook().list_publishers()
        IqmHook().get_campaign(537599)
    ours = "\n".join(r.getMessage() for r in caplog.records if "airflow_provider_adtech" in r.name
                     or "adtech" in r.name.lower())
    everything = caplog.text + capsys.readouterr().out
    assert sandbox.journal.count("*") >= 6  # the calls happened
    assert "token" in everything.lower()  # the token handling was logged (without the tokens)
    for secret in sandbox.secrets():
        assert secret not in ours
        assert secret not in everything
