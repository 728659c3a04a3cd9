"""``token_cache=variable``: several processes that need a token at the same moment make one
token request between them (the lease Variable of ``VariableTokenCache``).

Each contender is a separate Python process (as tasks on different workers are) with its
own hook on the advertiser connection ``ispot_adv1``; all are released at once, and the
sandbox's token endpoint answers slowly so that they really overlap. The Variables live in:

* a Variable server in the test process that behaves like the execution API the tasks
  of an Airflow 3 deployment use (get / upsert / delete over HTTP, a few milliseconds of
  latency each) - on both Airflow lines;
* on Airflow 2, also Airflow's own Variables in the metadata database (what tasks use
  there). On Airflow 3 tasks can only reach Variables from inside a running task: the
  Celery deployment test (``-m celery``) covers that path.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path

import pytest

from airflow_provider_adtech.hooks.token_cache import Token, TokenCache, VariableTokenCache

pytestmark = pytest.mark.integration
AIRFLOW_2 = int(version("apache-airflow").split(".")[0]) < 3
CONTENDERS = 6
CONN_ID = "ispot_adv1"


class _VariableServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _VariableHandler)
        self.values: dict[str, str] = {}
        self.guard = threading.Lock()
        self.writes: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _VariableHandler(BaseHTTPRequestHandler):
    server: _VariableServer

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        time.sleep(random.uniform(0.001, 0.02))
        with self.server.guard:
            value = self.server.values.get(self.path[1:])
        self._answer(404) if value is None else self._answer(200, value.encode())

    def do_PUT(self) -> None:  # an upsert, as the execution API's variable PUT
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        time.sleep(random.uniform(0.001, 0.02))
        with self.server.guard:
            self.server.values[self.path[1:]] = body
            self.server.writes.append(self.path[1:])
        self._answer(204)

    def do_DELETE(self) -> None:
        with self.server.guard:
            self.server.values.pop(self.path[1:], None)
        self._answer(204)


# The contender: waits for the go file, then asks its hook for a token; prints the token's hash.
CONTENDER = textwrap.dedent('''
    import hashlib, json, os, sys, time, urllib.error, urllib.request
    from airflow_provider_adtech.hooks.ispot import IspotHook
    from airflow_provider_adtech.hooks import token_cache

    class HttpVariables:
        def __init__(self, url):
            self.url = url
        def get(self, key):
            try:
                with urllib.request.urlopen(f"{self.url}/{key}", timeout=10) as r:
                    return r.read().decode()
            except urllib.error.HTTPError:
                return None
        def set(self, key, value, description):
            req = urllib.request.Request(f"{self.url}/{key}", data=value.encode(), method="PUT")
            urllib.request.urlopen(req, timeout=10).close()
        def delete(self, key):
            urllib.request.urlopen(urllib.request.Request(f"{self.url}/{key}", method="DELETE"), timeout=10).close()

    url, lock, go = sys.argv[1], sys.argv[2], sys.argv[3]
    hook = IspotHook(os.environ["CONN_ID"])
    store = HttpVariables(url) if url != "airflow" else None
    cache = token_cache.VariableTokenCache(store)
    if lock == "none":  # the cache as it was before the lease: no lock across processes
        cache.lock = token_cache.TokenCache().lock
    hook.token_cache = cache
    open(go + "." + str(os.getpid()) + ".ready", "w").close()
    while not os.path.exists(go):
        time.sleep(0.005)
    token = hook.get_token()
    print(json.dumps({"token": hashlib.sha256(token.access_token.encode()).hexdigest()}))
''')


def _race(tmp_path: Path, store_url: str, lock: str = "lease") -> list[str]:
    """Start ``CONTENDERS`` processes, release them together; return their tokens' hashes."""
    go = tmp_path / f"go-{time.monotonic_ns()}"
    env = {**os.environ, "CONN_ID": CONN_ID, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, "-c", CONTENDER, store_url, lock, str(go)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(CONTENDERS)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob(go.name + ".*.ready"))) < CONTENDERS:
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [
            p.communicate()[1][-2000:] for p in procs if p.poll() is not None]
        time.sleep(0.05)
    go.touch()
    hashes = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-3000:]
        hashes.append(json.loads(out.strip().splitlines()[-1])["token"])
    return hashes


@pytest.fixture
def variable_server():
    server = _VariableServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def slow_tokens(sandbox):
    """iSpot's token endpoint answers after 0.5 s: every contender is inside ``get_token`` then."""
    sandbox.inject("ispot.token", kind="delay", delay=0.5, times=-1)
    return sandbox


def _expire_cached(server: _VariableServer) -> None:
    """Make the shared token look expired, as it is for every task after the token's lifetime."""
    (key,) = [k for k in server.values if k.startswith(VariableTokenCache.prefix)]
    token = Token.from_json(server.values[key])
    token.expires_at = time.time() - 1
    server.values[key] = token.to_json()


def test_contenders_on_a_shared_variable_store_make_one_token_request(slow_tokens, variable_server, tmp_path):
    sandbox = slow_tokens
    first = _race(tmp_path, variable_server.url)
    assert sandbox.token_requests() == {"ispot:adv1": 1}
    assert len(set(first)) == 1
    assert not [k for k in variable_server.values if k.startswith(VariableTokenCache.lease_prefix)], (
        "the lease was not released")
    leases_written = [k for k in variable_server.writes if k.startswith(VariableTokenCache.lease_prefix)]
    assert leases_written, "nobody took the lease"

    # the token expires: every contender finds it stale at the same moment
    _expire_cached(variable_server)
    second = _race(tmp_path, variable_server.url)
    assert sandbox.token_requests() == {"ispot:adv1": 2}
    assert len(set(second)) == 1 and second[0] != first[0]


def test_without_the_lease_the_same_race_makes_several_token_requests(slow_tokens, variable_server, tmp_path):
    """The race above is real: the lock-less cache lets every contender fetch its own token."""
    hashes = _race(tmp_path, variable_server.url, lock="none")
    assert slow_tokens.token_requests()["ispot:adv1"] > 1
    assert len(set(hashes)) > 1


if AIRFLOW_2:  # Airflow 3 gives Variables to running tasks only: see the module docstring

    def test_contenders_on_airflow_2_variables_make_one_token_request(slow_tokens, tmp_path):
        from airflow_provider_adtech.sandbox.dagrun import airflow_env, ensure_db

        ensure_db(airflow_env(tmp_path))
        hashes = _race(tmp_path, "airflow")
        assert slow_tokens.token_requests() == {"ispot:adv1": 1}
        assert len(set(hashes)) == 1


def test_a_lease_left_by_a_dead_holder_expires(variable_server):
    """A worker that died holding the lease blocks the others for ``lease_seconds`` at most."""
    cache = VariableTokenCache(_LocalStore(variable_server))
    variable_server.values[cache.lease_prefix + "k"] = json.dumps({"owner": "gone", "until": time.time() + 1.5})
    t0 = time.monotonic()
    with cache.lock("k"):
        waited = time.monotonic() - t0
        assert json.loads(variable_server.values[cache.lease_prefix + "k"])["owner"] != "gone"
    assert 1.0 < waited < 1.5 + cache.settle + 2 * cache.poll + 1
    assert cache.lease_prefix + "k" not in variable_server.values
    assert isinstance(cache, TokenCache)


class _LocalStore:
    def __init__(self, server: _VariableServer):
        self.server = server

    def get(self, key):
        return self.server.values.get(key)

    def set(self, key, value, description):
        self.server.values[key] = value

    def delete(self, key):
        self.server.values.pop(key, None)
