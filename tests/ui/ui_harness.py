"""Airflow's real web UI on loopback, and a real browser, for the connection-form test.

:class:`AirflowUI` starts what a user opens Admin -> Connections in: Airflow 3's
``api-server`` (SimpleAuthManager, every user an admin) or Airflow 2's ``webserver``
(an admin user created for the test), with a throw-away ``AIRFLOW_HOME``, a SQLite
database made by ``airflow db migrate`` and connection testing enabled. It runs in a
process group of its own, so :meth:`AirflowUI.stop` ends it and every worker it forked
with one ``killpg``; a launcher asks Linux to SIGTERM it if the test process dies.

:func:`find_browser` locates Debian's ``chromium-headless-shell`` (``make browser``
installs it; Playwright's own browser download is not used).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from airflow_launch import AIRFLOW_LAUNCH

ROOT = Path(__file__).resolve().parents[2]
BROWSER_CANDIDATES = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class UIError(RuntimeError):
    """The UI did not come up, or a CLI call failed."""


class BrowserMissing(RuntimeError):
    pass


def find_browser() -> str:
    """Path of the Chromium binary to drive: ``$ADTECH_CHROMIUM``, else Debian's packages."""
    configured = os.environ.get("ADTECH_CHROMIUM")
    for candidate in [configured] if configured else BROWSER_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    raise BrowserMissing(
        f"no Chromium for the browser test: looked for {configured or ' and '.join(BROWSER_CANDIDATES)}. "
        "Install Debian's chromium-headless-shell with `make browser` (apt-get install "
        "chromium-headless-shell), or set ADTECH_CHROMIUM to a Chromium binary."
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def airflow_version() -> tuple[int, int]:
    from importlib.metadata import version

    major, minor = version("apache-airflow").split(".")[:2]
    return int(major), int(minor)


def airflow_major() -> int:
    return airflow_version()[0]


class AirflowUI:
    """Start, query and stop Airflow's web UI.

    :param home: an empty folder to become ``AIRFLOW_HOME``.
    :param env: extra environment for the UI process and the CLI (token cache folder).
    """

    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = Path(home)
        self.version = airflow_version()
        self.major = self.version[0]
        #: Airflow 3.0 to 3.2's React UI renders no extra field as a password input (the
        #: ``format: password`` of its schema is honoured from 3.3 on), whichever provider
        self.masks_secret_extras = self.major < 3 or self.version >= (3, 3)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.user = "admin"
        self.user_password = secrets.token_urlsafe(12)
        self.proc: subprocess.Popen | None = None
        self.log_path = self.home / "ui.log"
        self.timings: dict[str, float] = {}
        self.env = self._environment(env or {})

    def _environment(self, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
        env.update(
            {
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
                "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.home / "dags"),
                # the Test button (and the test endpoint) is off by default
                "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            }
        )
        if self.major >= 3:
            env.update(
                {
                    "AIRFLOW__CORE__AUTH_MANAGER": (
                        "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                    ),
                    # loopback only, throw-away: every visitor is an admin
                    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                    "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                    # Airflow 3.0 leaves it unset, which PyJWT >= 2.10 refuses ("Issuer (iss)
                    # must be a string"): every request of the UI would answer 500
                    "AIRFLOW__API_AUTH__JWT_ISSUER": "airflow-browser-test",
                    "AIRFLOW__API__HOST": "127.0.0.1",
                    "AIRFLOW__API__PORT": str(self.port),
                    "AIRFLOW__API__BASE_URL": self.base,
                    "AIRFLOW__API__EXPOSE_CONFIG": "False",
                }
            )
        else:
            env.update(
                {
                    "AIRFLOW__WEBSERVER__WORKERS": "1",
                    "AIRFLOW__WEBSERVER__SECRET_KEY": secrets.token_urlsafe(32),
                    "AIRFLOW__WEBSERVER__WEB_SERVER_HOST": "127.0.0.1",
                    "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(self.port),
                    "AIRFLOW__WEBSERVER__WARN_DEPLOYMENT_EXPOSURE": "False",
                }
            )
        env.update(extra)
        return env

    # ------------------------------------------------------------------ lifecycle
    def cli(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "airflow", *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, cwd=self.home)
        if check and proc.returncode != 0:
            raise UIError(f"airflow {' '.join(args[:2])} failed ({proc.returncode}):\n"
                          f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc

    def start(self, ready_timeout: float = 180) -> AirflowUI:
        t0 = time.monotonic()
        (self.home / "dags").mkdir(parents=True, exist_ok=True)
        self.cli("db", "migrate")
        if self.major < 3:
            self.cli("users", "create", "--username", self.user, "--password", self.user_password,
                     "--role", "Admin", "--firstname", "Browser", "--lastname", "Test",
                     "--email", "browser-test@example.com")
        self.timings["db"] = time.monotonic() - t0
        if self.major >= 3:
            command = ["api-server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"]
        else:
            command = ["webserver", "--hostname", "127.0.0.1", "--port", str(self.port)]
        out = open(self.log_path, "wb")  # noqa: SIM115 - the child holds it; closed right after Popen
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", AIRFLOW_LAUNCH, str(os.getpid()), *command],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.home, start_new_session=True,
            )
        finally:
            out.close()
        try:
            self._wait_ready(ready_timeout)
            if self.major >= 3:
                # the first form metadata request imports every provider's hooks: make it here,
                # not inside the browser's 30-second waits
                self.api("GET", "/ui/connections/hook_meta", prefix="", timeout=ready_timeout)
        except BaseException:
            self.stop()
            raise
        self.timings["ready"] = time.monotonic() - t0
        return self

    def _wait_ready(self, timeout: float) -> None:
        path = "/api/v2/monitor/health" if self.major >= 3 else "/health"
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise UIError(f"the UI exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (OSError, urllib.error.URLError) as exc:
                last = exc
            time.sleep(0.5)
        raise UIError(f"the UI did not answer {path} within {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def stop(self, grace: float = 20) -> None:
        """SIGTERM the UI's process group, then SIGKILL whatever is left after ``grace`` s."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            if self._group_gone(pgid, wait):
                break
        self.proc.poll()
        self.proc = None

    def _group_gone(self, pgid: int, wait: float) -> bool:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            self.proc.poll()  # reap the group leader
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.2)
        return False

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # ------------------------------------------------------------------ reading back
    def stored_connection(self, conn_id: str) -> dict[str, Any]:
        """The connection as stored, secrets in clear (``airflow connections get -o json``)."""
        out = self.cli("connections", "get", conn_id, "-o", "json").stdout
        # the JSON is one line; some Airflow versions log to stdout around it
        rows = [json.loads(line) for line in out.splitlines() if line.startswith("[{")]
        if not rows:
            raise UIError(f"airflow connections get {conn_id}: no JSON in\n{out[-3000:]}")
        data = rows[0][0]
        extra = data.get("extra_dejson")
        if isinstance(extra, str):
            extra = json.loads(extra or "{}")
        data["extra_dejson"] = extra or {}
        return data

    def api(self, method: str, path: str, body: Any = None, timeout: float = 120,
            prefix: str = "/api/v2") -> tuple[int, Any]:
        """Airflow 3's REST API (every caller is an admin here)."""
        req = urllib.request.Request(self.base + prefix + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")


def chromium_version(path: str) -> str:
    try:
        return subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


__all__ = ["AirflowUI", "BrowserMissing", "BROWSER_ARGS", "UIError", "airflow_major", "airflow_version",
           "find_browser",
           "chromium_version"]
