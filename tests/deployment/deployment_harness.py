"""A real Airflow 3 deployment on loopback, for the deployment test.

Four long-running Airflow commands, as an operator would run them: ``api-server``
(REST API and the execution API the task processes talk to), ``scheduler``
(LocalExecutor: every task in a fresh supervised worker process),
``dag-processor`` and ``triggerer``. SQLite metadata database and a throw-away
``AIRFLOW_HOME``.

The four commands are started separately rather than through ``airflow
standalone``: each writes its own output file (so the test can read what the
triggerer itself logged), readiness is one health request instead of a
fixed wait, the API server runs a single worker (2 cores), and nothing waits on
standalone's start-up sequence. All four share one process group, created for
the first one, so :meth:`AirflowDeployment.stop` ends every process they spawned
(executor workers, task supervisors and task processes) with one ``killpg``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from airflow_launch import AIRFLOW_LAUNCH

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = ROOT / "example_dags"
#: yesterday (UTC), from the clock: the vendors' date rules (iSpot's reprocessing window, IQM
#: end dates in the future) are checked against the real time of the run
LOGICAL_DATE = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")

TERMINAL_RUN_STATES = {"success", "failed"}
FAILING_TASK_STATES = {"failed", "up_for_retry", "upstream_failed"}


class DeploymentError(RuntimeError):
    """The deployment did not come up, or a run did not finish in time."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


#: example DAG files that run on the Celery deployment (``test_celery_deployment.py``), not on
#: the LocalExecutor one: the agency's fan-out over advertisers and workers
CELERY_DAG_FILES = ("adtech_agency_fanout.py",)


def dag_files(folder: Path) -> list[Path]:
    """Python files in ``folder`` that are DAG files (helper modules start with ``_``)."""
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def dags_folder_with(files: Iterable[Path], target: Path) -> Path:
    """A DAGs folder at ``target`` holding copies of ``files`` and of the helper modules
    (``_*.py``) and ``.airflowignore`` found beside them."""
    import shutil

    target.mkdir(parents=True, exist_ok=True)
    files = list(files)
    helpers = {h for f in files for h in [*f.parent.glob("_*.py"), f.parent / ".airflowignore"] if h.exists()}
    for path in [*files, *sorted(helpers)]:
        shutil.copy2(path, target / path.name)
    return target


@dataclass
class RunOutcome:
    dag_id: str
    run_id: str
    state: str | None
    tasks: dict[str, str | None] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed_tasks(self) -> dict[str, str | None]:
        return {t: s for t, s in self.tasks.items() if s != "success"}


class AirflowDeployment:
    """Start, drive and stop a four-process Airflow deployment.

    :param home: an empty folder to become ``AIRFLOW_HOME``.
    :param dags_folder: the DAGs folder (the default DAG bundle).
    :param env: extra environment for every Airflow process (connections, token cache).
    :param pythonpath: extra import paths for every Airflow process.
    """

    def __init__(
        self,
        home: Path,
        dags_folder: Path,
        env: dict[str, str] | None = None,
        pythonpath: Iterable[str] = (),
    ) -> None:
        self.home = Path(home)
        self.dags_folder = Path(dags_folder)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.output_dir = self.home / "output"
        self.procs: dict[str, subprocess.Popen] = {}
        self._outputs: list[Any] = []
        self.pgid: int | None = None
        self.env = self._environment(env or {}, list(pythonpath))
        self.timings: dict[str, float] = {}
        self.killed_after_grace: list[str] = []
        self.triggered_at: dict[str, float] = {}

    # ------------------------------------------------------------------ set-up
    def _environment(self, extra: dict[str, str], pythonpath: list[str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
        venv_bin = str(Path(sys.executable).parent)
        env.update(
            {
                # the commands spawn ``airflow`` themselves
                "PATH": os.pathsep.join([venv_bin, env.get("PATH", "")]),
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                # LocalExecutor forks ``parallelism`` workers: keep it small on 2 cores
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__BASE_URL": self.base,
                # with a non-default port every task fails with "connection refused" without this
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base}/execution/",
                "AIRFLOW__CORE__AUTH_MANAGER": (
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                ),
                # loopback only, throw-away: the REST API needs no login
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                # one secret for every process that signs or checks execution-API tokens
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                # only the runs the test triggers; no scheduled run next to them
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                "AIRFLOW__API__EXPOSE_CONFIG": "False",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                # the example DAGs write their files under tempfile.gettempdir(): keep them
                # apart from any other run on this machine
                "TMPDIR": str(self.home / "tmp"),
            }
        )
        paths = [*pythonpath, env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        env.update(extra)
        return env

    def _airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=self.env, capture_output=True, text=True, timeout=timeout,
        )

    def start(self, ready_timeout: float = 180) -> AirflowDeployment:
        """Migrate the database, start the four commands, wait until all report healthy."""
        t0 = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        self.output_dir.mkdir(exist_ok=True)
        (self.home / "tmp").mkdir(exist_ok=True)
        proc = self._airflow("db", "migrate", timeout=300)
        if proc.returncode != 0:
            raise DeploymentError(f"airflow db migrate failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        self.timings["db_migrate"] = time.monotonic() - t0
        for name, args in self.commands().items():
            out = open(self.output_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
            self._outputs.append(out)
            # the first command leads a new process group, the others join it
            kwargs: dict[str, Any] = {"process_group": 0 if self.pgid is None else self.pgid}
            p = subprocess.Popen(
                [sys.executable, "-c", AIRFLOW_LAUNCH, str(os.getpid()), *args],
                env={**self.env, **self.command_env(name)}, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=self.home, **kwargs,
            )
            if self.pgid is None:
                self.pgid = p.pid
            self.procs[name] = p
        self.wait_healthy(ready_timeout)
        self.timings["ready"] = time.monotonic() - t0
        return self

    def commands(self) -> dict[str, list[str]]:
        """The long-running Airflow commands, by name (``airflow <args>``), in start order."""
        return {
            "api-server": ["api-server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
            "scheduler": ["scheduler"],
            "dag-processor": ["dag-processor"],
            "triggerer": ["triggerer"],
        }

    def command_env(self, name: str) -> dict[str, str]:
        """Environment of one command on top of :attr:`env` (none here)."""
        return {}

    def stop(self, grace: float = 20) -> None:
        """Stop the commands (SIGTERM: each shuts its own children down), then SIGKILL
        whatever is left in the process group after ``grace`` seconds."""
        if self.pgid is None:
            return
        pgid, self.pgid = self.pgid, None
        t0 = time.monotonic()
        for p in self.procs.values():
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = t0 + grace
        while time.monotonic() < deadline and _group_alive(pgid):
            for name, p in self.procs.items():
                if p.poll() is not None and f"exit {name}" not in self.timings:
                    self.timings[f"exit {name}"] = time.monotonic() - t0
            if all(p.poll() is not None for p in self.procs.values()):
                # the commands are gone: anything still in the group is an orphan
                time.sleep(0.5)
                break
            time.sleep(0.2)
        if _group_alive(pgid):
            self.killed_after_grace = sorted(_group_members(pgid))
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.timings["stop"] = time.monotonic() - t0
        for out in self._outputs:
            out.close()
        self._outputs.clear()

    def __enter__(self) -> AirflowDeployment:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ REST API
    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + "/api/v2" + path, data=data, method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:2000]
            raise DeploymentError(f"{method} {path} -> HTTP {exc.code}: {detail}") from None
        return json.loads(raw) if raw else None

    def _check_processes(self) -> None:
        dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
        if dead:
            raise DeploymentError(f"Airflow commands exited: {dead}\n{self.output_tail()}")

    def wait_healthy(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            self._check_processes()
            try:
                health = self.api("GET", "/monitor/health", timeout=5)
            except (OSError, DeploymentError) as exc:
                last = exc
            else:
                last = health
                parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
                if all((health.get(p) or {}).get("status") == "healthy" for p in parts):
                    return health
            time.sleep(1)
        raise DeploymentError(f"deployment not healthy after {timeout:.0f}s: {last}\n{self.output_tail()}")

    def wait_parsed(self, files: list[Path], timeout: float = 120) -> dict[str, list[str]]:
        """Wait until every DAG file has produced DAGs; return ``{file name: [dag_id, ...]}``.

        An import error for one of the files fails at once with the error text.
        """
        deadline = time.monotonic() + timeout
        wanted = {p.name for p in files}
        found: dict[str, list[str]] = {}
        while time.monotonic() < deadline:
            self._check_processes()
            errors = self.api("GET", "/importErrors?limit=100").get("import_errors", [])
            if errors:
                text = "\n\n".join(f"{e.get('filename')}:\n{e.get('stack_trace')}" for e in errors)
                raise DeploymentError(f"DAG import errors:\n{text}")
            dags = self.api("GET", "/dags?limit=1000").get("dags", [])
            found = {}
            for d in dags:
                found.setdefault(Path(d.get("fileloc") or "").name, []).append(d["dag_id"])
            if wanted <= set(found):
                return {name: sorted(found[name]) for name in sorted(wanted)}
            time.sleep(1)
        raise DeploymentError(
            f"DAG files not parsed after {timeout:.0f}s: missing {sorted(wanted - set(found))}\n"
            f"{self.output_tail('dag-processor')}"
        )

    def trigger(self, dag_id: str, logical_date: str, conf: dict | None = None) -> str:
        """Unpause ``dag_id`` and trigger one run at ``logical_date`` (with ``conf``); return the run id."""
        self.triggered_at[dag_id] = time.monotonic()
        self.api("PATCH", f"/dags/{urllib.parse.quote(dag_id)}", {"is_paused": False})
        run_id = f"deployment_test__{logical_date}"
        self.api(
            "POST",
            f"/dags/{urllib.parse.quote(dag_id)}/dagRuns",
            {"dag_run_id": run_id, "logical_date": logical_date, "conf": conf or {}},
        )
        return run_id

    def wait_for(self, condition: Callable[[], bool], runs: dict[str, str], timeout: float) -> bool:
        """Poll ``condition`` until true, until one of ``runs`` is over, or ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_processes()
            if condition():
                return True
            for dag_id, run_id in runs.items():
                run = self.api("GET", _run_path(dag_id, run_id))
                if run.get("state") in TERMINAL_RUN_STATES:
                    return False
            time.sleep(0.5)
        return False

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        path = _run_path(dag_id, run_id) + "/taskInstances?limit=1000"
        out = {}
        for ti in self.api("GET", path).get("task_instances", []):
            mapped = ti.get("map_index", -1) not in (-1, None)
            key = f"{ti['task_id']}[{ti['map_index']}]" if mapped else ti["task_id"]
            out[key] = ti.get("state")
        return out

    def wait_runs(self, runs: dict[str, str], timeout: float) -> dict[str, RunOutcome]:
        """Poll until every ``{dag_id: run_id}`` is over (bounded by ``timeout``).

        A run is over when it reached a final state, or as soon as one of its tasks failed or
        went ``up_for_retry``: against the sandbox with no injected fault nothing should need a
        retry, and waiting for retry delays would only make a failing test slow. Such a run is
        reported as ``failing``.
        """
        t0 = time.monotonic()
        deadline = t0 + timeout
        outcomes: dict[str, RunOutcome] = {}
        pending = dict(runs)
        while pending and time.monotonic() < deadline:
            self._check_processes()
            for dag_id, run_id in list(pending.items()):
                run = self.api("GET", _run_path(dag_id, run_id))
                state = run.get("state")
                tasks = self.task_states(dag_id, run_id)
                if state not in TERMINAL_RUN_STATES and any(s in FAILING_TASK_STATES for s in tasks.values()):
                    state = "failing"
                if state in TERMINAL_RUN_STATES or state == "failing":
                    took = time.monotonic() - self.triggered_at.get(dag_id, t0)
                    outcomes[dag_id] = RunOutcome(dag_id, run_id, state, tasks, took)
                    del pending[dag_id]
            if pending:
                time.sleep(2)
        for dag_id, run_id in pending.items():
            outcomes[dag_id] = RunOutcome(dag_id, run_id, "timeout", self.task_states(dag_id, run_id),
                                          time.monotonic() - self.triggered_at.get(dag_id, t0))
        return outcomes

    # ------------------------------------------------------------------ evidence
    def output(self, name: str) -> str:
        path = self.output_dir / f"{name}.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def output_tail(self, *names: str, chars: int = 3000) -> str:
        return "\n".join(
            f"--- {n} output (tail) ---\n{self.output(n)[-chars:]}" for n in (names or self.procs or COMPONENTS)
        )

    def task_log_files(
        self, dag_id: str, run_id: str | None = None, task_id: str | None = None
    ) -> list[Path]:
        root = self.home / "logs" / f"dag_id={dag_id}"
        if run_id:
            root = root / f"run_id={run_id}"
        pattern = f"**/task_id={task_id}/**/*" if task_id else "**/*"
        return sorted(p for p in root.glob(pattern) if p.is_file())

    def task_log(self, dag_id: str, run_id: str, task_id: str, chars: int = 8000) -> str:
        """The task's log files (every attempt, trigger logs too), JSON lines made readable."""
        task = task_id.split("[")[0]
        parts = []
        for path in self.task_log_files(dag_id, run_id, task):
            text = readable_log(path.read_text("utf-8", "replace"))
            parts.append(f"--- {path.relative_to(self.home)} ---\n{text[-chars:]}")
        return "\n".join(parts) or f"(no log file for {dag_id}/{run_id}/{task_id} under {self.home / 'logs'})"

    def db(self) -> sqlite3.Connection:
        """Read-only connection to the metadata database (use after :meth:`stop`)."""
        return sqlite3.connect(f"file:{self.home / 'airflow.db'}?mode=ro", uri=True)

    def state_changes(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[str]:
        """The states the execution API recorded for a task instance, in order (audit log)."""
        with contextlib.closing(self.db()) as db:
            rows = db.execute(
                "SELECT event FROM log WHERE dag_id=? AND run_id=? AND task_id=? AND map_index=? ORDER BY id",
                (dag_id, run_id, task_id, map_index),
            ).fetchall()
        return [r[0] for r in rows]

    def return_values(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """Every task's return value (XCom) of a run, decoded from JSON."""
        with contextlib.closing(self.db()) as db:
            rows = db.execute(
                "SELECT task_id, map_index, value FROM xcom"
                " WHERE dag_id=? AND run_id=? AND key='return_value'",
                (dag_id, run_id),
            ).fetchall()
        out = {}
        for task_id, map_index, value in rows:
            if isinstance(value, (bytes, bytearray)):
                value = value.decode("utf-8", "replace")
            try:
                value = json.loads(value) if value is not None else None
            except (TypeError, ValueError):
                pass
            out[task_id if map_index in (-1, None) else f"{task_id}[{map_index}]"] = value
        return out

    def job_types(self) -> dict[int, str]:
        with contextlib.closing(self.db()) as db:
            return {i: t for i, t in db.execute("SELECT id, job_type FROM job")}

    def trigger_log_files(self, dag_id: str, run_id: str, task_id: str) -> dict[int, Path]:
        """``{triggerer job id: file}``: the triggerer writes a trigger's log next to the task's
        log as ``attempt=N.log.trigger.<triggerer job id>.log``."""
        out = {}
        for path in self.task_log_files(dag_id, run_id, task_id):
            m = re.search(r"\.log\.trigger\.(\d+)\.log$", path.name)
            if m:
                out[int(m.group(1))] = path
        return out

    def trigger_fired(self, dag_id: str, run_id: str, task_id: str) -> dict[int, str]:
        """``{map index: where}`` for each trigger of the task that logged "Trigger fired event".

        The triggerer writes a trigger's lines into its trigger log file while the trigger is
        known to be running. Its runner subprocess sends log lines and the "finished" state change
        over two sockets, and when the state change is handled first the trigger's log file is
        already closed: the line then goes to the triggerer's own output, with the task instance's
        ``dag_id``, ``run_id``, ``task_id`` and ``map_index`` beside it. Both are the triggerer's
        output, so both count.
        """
        found: dict[int, str] = {}
        for path in self.task_log_files(dag_id, run_id, task_id):
            if re.search(r"\.log\.trigger\.\d+\.log$", path.name) and "Trigger fired event" in readable_log(
                path.read_text("utf-8", "replace")
            ):
                m = re.search(r"/map_index=(-?\d+)/", path.as_posix())
                found[int(m.group(1)) if m else -1] = str(path.relative_to(self.home))
        own = self.output_dir / "triggerer.log"
        lines = own.read_text("utf-8", "replace").splitlines() if own.exists() else []
        for line in lines:
            if "Trigger fired event" not in line:
                continue
            try:
                fields = json.loads(line)
            except ValueError:
                fields = {k: v.strip("'\"") for k, v in re.findall(r"(\w+)=('[^']*'|\"[^\"]*\"|\S+)", line)}
            if not isinstance(fields, dict):
                continue
            if (fields.get("dag_id"), fields.get("run_id"), fields.get("task_id")) == (dag_id, run_id, task_id):
                found.setdefault(int(fields.get("map_index", -1)), "triggerer output")
        return found


def _run_path(dag_id: str, run_id: str) -> str:
    return f"/dags/{urllib.parse.quote(dag_id)}/dagRuns/{urllib.parse.quote(run_id)}"


def readable_log(text: str) -> str:
    """Airflow 3 task logs are JSON lines: keep time, level, event and any exception."""
    out = []
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            out.append(line)
            continue
        if not isinstance(rec, dict):
            out.append(line)
            continue
        out.append(f"{rec.get('timestamp', '')} {rec.get('level', ''):<7} {rec.get('event', '')}")
        for err in rec.get("error_detail") or []:
            frames = err.get("frames") or []
            for fr in frames[-6:]:
                out.append(f"    {fr.get('filename')}:{fr.get('lineno')} in {fr.get('name')}")
            out.append(f"    {err.get('exc_type')}: {err.get('exc_value')}")
    return "\n".join(out)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # zombies of our own children still count as members; reap them where we can
    return any(_pgid_of(pid) == pgid and not _is_zombie(pid) for pid in _pids())


def _group_members(pgid: int) -> list[str]:
    out = []
    for pid in _pids():
        if _pgid_of(pid) == pgid and not _is_zombie(pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
            except OSError:
                cmd = "?"
            out.append(f"{pid} {cmd}")
    return out


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2:].split()


def _pgid_of(pid: int) -> int | None:
    st = _stat(pid)
    return int(st[2]) if st else None


def _is_zombie(pid: int) -> bool:
    st = _stat(pid)
    return bool(st) and st[0] == "Z"


# ---------------------------------------------------------------------- secret scan
@dataclass
class SecretHit:
    path: str
    secret_index: int
    line: int


def scan_for_secrets(
    files: Iterable[Path], secret_values: Iterable[str], min_len: int = 8
) -> tuple[int, list[SecretHit]]:
    """Look for every secret value, verbatim, in every file; return (files scanned, hits).

    Hits name the file, the line and the secret's index, never the secret itself. A secret
    shorter than ``min_len`` is refused (it would match by chance), not skipped.
    """
    values = list(dict.fromkeys(secret_values))
    short = [i for i, v in enumerate(values) if len(v or "") < min_len]
    if short:
        raise ValueError(f"secrets #{short} are shorter than {min_len} characters: too short to scan for")
    needles = [v.encode() for v in values]
    scanned = 0
    hits: list[SecretHit] = []
    for path in files:
        try:
            data = Path(path).read_bytes()
        except OSError:
            continue
        scanned += 1
        for i, needle in enumerate(needles):
            pos = data.find(needle)
            if pos >= 0:
                hits.append(SecretHit(str(path), i, data.count(b"\n", 0, pos) + 1))
    return scanned, hits


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


# ---------------------------------------------------------------------- one full run
@dataclass
class DeploymentRun:
    """What one deployment run produced; the deployment itself is stopped by then."""

    deployment: AirflowDeployment
    dag_files: dict[str, list[str]]
    outcomes: dict[str, RunOutcome]
    operators: dict[str, dict[str, str]]
    logical_date: str
    wall_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.deployment.home

    def xcom(self, dag_id: str, task_id: str) -> Any:
        """The return value of ``task_id`` in this run of ``dag_id`` (KeyError when none)."""
        values = self.deployment.return_values(dag_id, self.outcomes[dag_id].run_id)
        if task_id not in values:
            raise KeyError(f"{dag_id}.{task_id} returned nothing; return values: {sorted(values)}")
        return values[task_id]

    def tasks_of_class(self, class_name: str) -> list[tuple[str, str]]:
        """``(dag_id, task_id)`` of every task whose operator class is ``class_name``."""
        return [(d, t) for d, ops in self.operators.items() for t, c in ops.items() if c == class_name]

    def failure_report(self) -> str:
        """For every unsuccessful run: its state, its unsuccessful tasks and their logs."""
        parts = []
        for o in self.outcomes.values():
            if o.state == "success" and not o.failed_tasks:
                continue
            parts.append(f"=== {o.dag_id} run {o.run_id}: {o.state}; unsuccessful tasks {o.failed_tasks}")
            for task_id, state in o.failed_tasks.items():
                if state in ("failed", "up_for_retry", "upstream_failed", "running", "deferred", "queued"):
                    parts.append(self.deployment.task_log(o.dag_id, o.run_id, task_id))
        if parts:
            parts.append(self.deployment.output_tail())
        return "\n".join(parts)

    def summary(self) -> str:
        lines = [f"deployment test: {len(self.outcomes)} DAG runs at {self.logical_date}, "
                 f"wall time {self.wall_seconds:.1f}s "
                 + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items())]
        for o in sorted(self.outcomes.values(), key=lambda o: o.dag_id):
            done = sum(1 for s in o.tasks.values() if s == "success")
            lines.append(f"  {o.dag_id:<32} {o.state:<8} {done}/{len(o.tasks)} tasks successful, "
                         f"done {o.seconds:.1f}s after its trigger")
        return "\n".join(lines)


def run_deployment(
    home: Path,
    dags_folder: Path,
    env: dict[str, str],
    logical_date: str = LOGICAL_DATE,
    pythonpath: Iterable[str] = (),
    run_timeout: float = 420,
    lead: Sequence[str] = (),
    lead_done: Callable[[], bool] | None = None,
    lead_timeout: float = 180,
) -> DeploymentRun:
    """Start a deployment, trigger one run of every DAG in every DAG file, wait, stop.

    :param lead: DAG ids triggered first; the others follow once ``lead_done()`` is true
        (or a lead run is over, or ``lead_timeout`` passed). For vendor scenarios in which
        the order of the first calls matters.

    The deployment is stopped before this returns or raises, so logs are complete and
    the metadata database is quiet when the caller inspects them.
    """
    t0 = time.monotonic()
    deployment = AirflowDeployment(home, dags_folder, env, pythonpath)
    files = dag_files(dags_folder)
    if not files:
        raise DeploymentError(f"no DAG files in {dags_folder}")
    try:
        deployment.start()
        parsed = deployment.wait_parsed(files)
        timings = {"ready": deployment.timings["ready"], "parsed": time.monotonic() - t0}
        dag_ids = [d for ids in parsed.values() for d in ids]
        missing = [d for d in lead if d not in dag_ids]
        if missing:
            raise DeploymentError(f"DAGs to trigger first not found: {missing}; DAGs: {dag_ids}")
        operators = {
            d: {t["task_id"]: (t.get("class_ref") or {}).get("class_name") or t.get("operator_name")
                for t in deployment.api("GET", f"/dags/{urllib.parse.quote(d)}/tasks").get("tasks", [])}
            for d in dag_ids
        }
        runs = {d: deployment.trigger(d, logical_date) for d in lead}
        if lead and lead_done is not None:
            deployment.wait_for(lead_done, {d: runs[d] for d in lead}, lead_timeout)
            timings["lead"] = time.monotonic() - t0
        runs.update({d: deployment.trigger(d, logical_date) for d in dag_ids if d not in runs})
        outcomes = deployment.wait_runs(runs, run_timeout)
        timings["runs_done"] = time.monotonic() - t0
    finally:
        deployment.stop()
    timings["stopped"] = time.monotonic() - t0
    return DeploymentRun(deployment, parsed, outcomes, operators, logical_date,
                         time.monotonic() - t0, timings)
