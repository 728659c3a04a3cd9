"""Fixtures of the IQM tests: a hook against the sandbox that records the delays it asks for."""

from __future__ import annotations

import datetime as dt
import json

import pytest

RUN_DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)


@pytest.fixture
def iqm(sandbox):
    """The IQM part of the sandbox (its stores and settings)."""
    return sandbox.vendors["iqm"]


@pytest.fixture
def unpaced(sandbox, monkeypatch):
    """``iqm_default`` without client-side pacing, for tests that send more than 20 requests."""
    env = sandbox.connection_env(iqm_default={"requests_per_minute": 0})
    monkeypatch.setenv("AIRFLOW_CONN_IQM_DEFAULT", env["AIRFLOW_CONN_IQM_DEFAULT"])
    return sandbox


@pytest.fixture
def hook(sandbox, unpaced):
    from airflow_provider_adtech.hooks.iqm import IqmHook

    h = IqmHook()
    h.sleeps = []
    h.sleep = h.sleeps.append
    yield h
    h.close()


@pytest.fixture
def context():
    """What the operators read from an Airflow context: the run of 2026-11-20 (UTC)."""
    return {"data_interval_start": RUN_DAY, "data_interval_end": RUN_DAY + dt.timedelta(days=1),
            "logical_date": RUN_DAY, "ds": "2026-11-20"}


def write_json(path, obj) -> str:
    path.write_text(json.dumps(obj, indent=1))
    return str(path)
