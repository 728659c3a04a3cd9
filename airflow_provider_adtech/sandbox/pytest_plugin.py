"""pytest fixtures that run the sandbox for a test session.

Enable in a ``conftest.py`` with ``pytest_plugins = ["airflow_provider_adtech.sandbox.pytest_plugin"]``
(pytest comes with the ``sandbox`` extra: ``pip install "airflow-provider-adtech[sandbox]"``).

* ``adtech_sandbox_server``: one sandbox per test session.
* ``sandbox``: that sandbox, reset (journal, faults, tokens, vendor state) for the
  test, with the five ``AIRFLOW_CONN_..._DEFAULT`` variables and the advertisers'
  ``AIRFLOW_CONN_ISPOT_ADV1`` ... variables pointing at it, and a token cache
  directory of the test's own.
"""

from __future__ import annotations

try:
    import pytest
except ImportError as _exc:
    from airflow_provider_adtech.sandbox._extra import extra_missing

    raise extra_missing("the sandbox's pytest plugin", _exc) from None


@pytest.fixture(scope="session")
def adtech_sandbox_server():
    from airflow_provider_adtech.sandbox.server import SandboxServer

    server = SandboxServer().start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(adtech_sandbox_server, monkeypatch, tmp_path):
    adtech_sandbox_server.reset()
    monkeypatch.setenv("ADTECH_TOKEN_CACHE_DIR", str(tmp_path / "token-cache"))
    for key, value in adtech_sandbox_server.connection_env().items():
        monkeypatch.setenv(key, value)
    yield adtech_sandbox_server
    adtech_sandbox_server.reset()
