"""A real Airflow 3 deployment on CeleryExecutor, on loopback, for the Celery deployment test.

On top of :class:`deployment_harness.AirflowDeployment` (api-server, scheduler,
dag-processor, triggerer):

* **Redis** (Debian's ``redis-server``) as the Celery broker, on a free loopback port, no
  persistence, in a throw-away folder;
* **PostgreSQL** (Debian's server binaries: ``initdb`` + ``postgres``) as the metadata
  database and the Celery result backend (``db+postgresql+psycopg2://``). Airflow documents SQLite
  for the LocalExecutor only; with two Celery workers writing results next to the
  scheduler, api-server and triggerer, a server database is what a Celery deployment
  uses. The cluster is created in a temporary folder and runs as the ``postgres`` system
  user when the tests run as root (``initdb`` refuses root);
* **two Celery workers** as separate processes (``airflow celery worker``), named
  ``worker-a`` and ``worker-b`` (``--celery-hostname``), ``--concurrency 2`` each, on the
  ``default`` queue. Each reports its own name as the task instances' hostname
  (``[core] hostname_callable``), as two machines would; ``--skip-serve-logs`` because both
  share this machine's log folder (and would both bind the log server's port).

Redis and PostgreSQL are started and stopped by :func:`services`; the Airflow commands
by :class:`CeleryDeployment` (one process group, as the LocalExecutor deployment).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from deployment_harness import AirflowDeployment, DeploymentError, free_port

WORKERS = ("worker-a", "worker-b")
WORKER_CONCURRENCY = 2
HERE = Path(__file__).resolve().parent


def _wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DeploymentError(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise DeploymentError(f"{what} not listening on 127.0.0.1:{port} after {timeout:.0f}s")


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@dataclass
class Services:
    """Redis and PostgreSQL of one test run."""

    folder: Path
    redis_port: int
    pg_port: int
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def broker_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg2://airflow@127.0.0.1:{self.pg_port}/airflow"

    @property
    def result_backend(self) -> str:
        return f"db+postgresql+psycopg2://airflow@127.0.0.1:{self.pg_port}/airflow"

    def redis_dump(self) -> bytes:
        """Every key of the Redis keyspace with its value, as bytes (for the secret scan)."""
        import redis

        r = redis.Redis(host="127.0.0.1", port=self.redis_port)
        out = []
        for key in r.scan_iter(count=1000):
            kind = r.type(key).decode()
            if kind == "string":
                value: Any = r.get(key)
            elif kind == "list":
                value = r.lrange(key, 0, -1)
            elif kind == "hash":
                value = r.hgetall(key)
            elif kind == "set":
                value = sorted(r.smembers(key))
            elif kind == "zset":
                value = r.zrange(key, 0, -1)
            else:
                value = kind
            out.append(b"%s %s %r\n" % (key, kind.encode(), value))
        r.close()
        return b"".join(out)

    def pg_dump(self, target: Path) -> Path:
        """The metadata database as SQL text (every table: XComs, variables, logs ...)."""
        proc = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "airflow",
                               "-f", str(target), "airflow"], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise DeploymentError(f"pg_dump failed: {proc.stderr[-2000:]}")
        return target


def _as_postgres() -> dict[str, Any]:
    """``subprocess`` arguments that run a PostgreSQL binary as ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return {}
    user = pwd.getpwnam("postgres")
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not versions:
        raise DeploymentError(f"PostgreSQL's {name} not found (apt-get install postgresql)")
    return str(versions[-1])


@contextlib.contextmanager
def services() -> Iterator[Services]:
    """Start Redis and a throw-away PostgreSQL cluster on free loopback ports; stop and
    delete both afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="adtech-celery-services-"))
    svc = Services(folder, free_port(), free_port())
    pg_data = folder / "pg"
    pg_data.mkdir()
    as_pg = _as_postgres()
    if as_pg:
        os.chown(folder, as_pg["user"], as_pg["group"])
        os.chown(pg_data, as_pg["user"], as_pg["group"])
    try:
        redis_dir = folder / "redis"
        redis_dir.mkdir()
        svc.procs["redis"] = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1", "--port", str(svc.redis_port),
             "--save", "", "--appendonly", "no", "--dir", str(redis_dir), "--protected-mode", "yes"],
            stdout=open(folder / "redis.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
        )
        init = subprocess.run([_pg_bin("initdb"), "-D", str(pg_data), "-U", "airflow", "-A", "trust", "-E", "UTF8",
                               "--no-sync"], capture_output=True, text=True, timeout=120, **as_pg)
        if init.returncode != 0:
            raise DeploymentError(f"initdb failed: {init.stdout[-2000:]}{init.stderr[-2000:]}")
        svc.procs["postgres"] = subprocess.Popen(
            [_pg_bin("postgres"), "-D", str(pg_data), "-p", str(svc.pg_port), "-k", str(pg_data),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
            stdout=open(folder / "postgres.log", "wb"), stderr=subprocess.STDOUT, **as_pg,  # noqa: SIM115
        )
        _wait_port(svc.redis_port, svc.procs["redis"], "redis-server")
        _wait_port(svc.pg_port, svc.procs["postgres"], "postgres")
        deadline = time.monotonic() + 60
        while True:
            made = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(svc.pg_port), "-U", "airflow", "-d",
                                   "postgres", "-c", "CREATE DATABASE airflow"], capture_output=True, text=True)
            if made.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise DeploymentError(f"CREATE DATABASE failed: {made.stderr[-2000:]}")
            time.sleep(0.5)
        yield svc
    finally:
        if "postgres" in svc.procs:
            _stop(svc.procs["postgres"], signal.SIGINT)  # "fast shutdown"
        if "redis" in svc.procs:
            _stop(svc.procs["redis"])
        shutil.rmtree(folder, ignore_errors=True)


class RedisWatch:
    """Copies the Redis keyspace every ``interval`` seconds while a run is under way, so the
    secret scan also sees messages that were only queued for a moment."""

    def __init__(self, svc: Services, target: Path, interval: float = 1.0):
        self.svc, self.target, self.interval = svc, target, interval
        self.snapshots = 0
        self.keys_seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        with open(self.target, "ab") as fh:
            while True:
                with contextlib.suppress(Exception):
                    dump = self.svc.redis_dump()
                    fh.write(dump)
                    self.snapshots += 1
                    self.keys_seen = max(self.keys_seen, dump.count(b"\n"))
                if self._stop.wait(self.interval):
                    return

    def __enter__(self) -> RedisWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(30)


class CeleryDeployment(AirflowDeployment):
    """The four commands of :class:`AirflowDeployment` plus two Celery workers, on
    CeleryExecutor with Redis and PostgreSQL from :func:`services`."""

    def __init__(self, home: Path, dags_folder: Path, env: dict[str, str], svc: Services, **kwargs: Any):
        self.svc = svc
        super().__init__(home, dags_folder, env, pythonpath=[str(HERE)], **kwargs)

    def _environment(self, extra: dict[str, str], pythonpath: list[str]) -> dict[str, str]:
        from cryptography.fernet import Fernet

        env = super()._environment(extra, pythonpath)
        env.update({
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.svc.database_url,
            "AIRFLOW__CELERY__BROKER_URL": self.svc.broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": self.svc.result_backend,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
            # one task slot per worker process
            "AIRFLOW__CORE__PARALLELISM": str(WORKER_CONCURRENCY * len(WORKERS)),
            # Variables (the shared token cache) are stored encrypted
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        })
        return env

    def commands(self) -> dict[str, list[str]]:
        commands = super().commands()
        for name in WORKERS:
            commands[name] = ["celery", "worker", "--celery-hostname", f"{name}@adtech", "--queues", "default",
                              "--concurrency", str(WORKER_CONCURRENCY), "--skip-serve-logs"]
        return commands

    def command_env(self, name: str) -> dict[str, str]:
        if name not in WORKERS:
            return {}
        # the name each worker's task instances record as their hostname
        return {"ADTECH_WORKER_HOSTNAME": name,
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "worker_hostname.hostname"}

    def start(self, ready_timeout: float = 240) -> CeleryDeployment:
        t0 = time.monotonic()
        super().start(ready_timeout)
        deadline = time.monotonic() + ready_timeout
        while not all(f"{w}@adtech ready" in self.output(w) for w in WORKERS):
            self._check_processes()
            if time.monotonic() > deadline:
                raise DeploymentError(f"Celery workers not ready\n{self.output_tail(*WORKERS)}")
            time.sleep(1)
        self.timings["workers_ready"] = time.monotonic() - t0
        return self

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        from deployment_harness import _run_path

        return self.api("GET", _run_path(dag_id, run_id) + "/taskInstances?limit=1000")["task_instances"]

    def db(self):
        """The metadata database (PostgreSQL), with the ``?`` placeholders the base class writes."""
        return _PgConnection(self.svc.pg_port)


class _PgConnection:
    def __init__(self, port: int):
        import psycopg2

        self._conn = psycopg2.connect(host="127.0.0.1", port=port, user="airflow", dbname="airflow")

    def execute(self, sql: str, params: tuple = ()):
        cur = self._conn.cursor()
        cur.execute(sql.replace("?", "%s"), params)
        return cur

    def close(self) -> None:
        self._conn.close()
