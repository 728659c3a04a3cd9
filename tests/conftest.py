"""Shared test set-up: an isolated AIRFLOW_HOME and the sandbox fixtures."""

from __future__ import annotations

import os
import tempfile

import pytest

# Isolated Airflow home before anything imports airflow.
_HOME = tempfile.mkdtemp(prefix="adtech-airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

pytest_plugins = ["airflow_provider_adtech.sandbox.pytest_plugin"]



@pytest.fixture
def written(monkeypatch) -> list[str]:
    """Every progress line written (formats.progress), whatever logging backend the Airflow line has."""
    from airflow_provider_adtech.formats.progress import Progress

    lines: list[str] = []
    emit = Progress._emit

    def recording(self, text: str) -> None:
        lines.append(text)
        emit(self, text)

    monkeypatch.setattr(Progress, "_emit", recording)
    return lines


@pytest.fixture(scope="session")
def moto_server_url():
    """moto's S3 server on loopback for the whole session: s3fs (aiobotocore) talks HTTP, which
    ``mock_aws`` does not serve. It runs in this process, so it shares ``mock_aws``'s state."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _forget_object_stores() -> None:
    """Drop the file systems Airflow's object storage caches per connection id, so a test's
    connection (keys, endpoint_url) is the one used."""
    import importlib

    from airflow.providers.common.compat.sdk import ObjectStoragePath

    importlib.import_module(ObjectStoragePath.__module__.rsplit(".", 1)[0] + ".store")._STORE_CACHE.clear()


@pytest.fixture
def s3_endpoint(moto_server_url):
    """The moto server's URL, with Airflow's object stores forgotten before and after, and the
    server's buckets dropped after the test."""
    from moto.moto_api._internal.models import moto_api_backend

    _forget_object_stores()
    yield moto_server_url
    _forget_object_stores()
    moto_api_backend.reset()


@pytest.fixture
def s3_server(s3_endpoint, monkeypatch):
    """``aws_default`` pointing at moto's S3 server (``endpoint_url`` in its extra, fake keys);
    yields a boto3 S3 client of that server to prepare and inspect buckets."""
    import json

    import boto3

    keys = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps({
        "conn_type": "aws", "login": "testing", "password": "testing",
        "extra": {"region_name": "us-east-1", "endpoint_url": s3_endpoint}}))
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")
