"""Shared machinery of the fault-injection suite.

* :class:`Scenario`: one kind of misbehaviour the sandbox injects (``SandboxServer.inject``):
  ``429`` with ``Retry-After``, bursts of ``500``/``503``, a dropped connection before the
  vendor handled the request (``drop``) or after it did (``drop_after``: the write happened,
  the answer was lost), and an answer slower than the connection's read timeout (``delay``).
* :class:`FaultKit` (fixture ``kit``): points a vendor connection at the sandbox with the
  extras a scenario needs, replaces the sleep of every hook built during the test with a
  recorder (backoff costs no wall time; tests assert on the delays *requested*), waits for
  the sandbox to finish handling a slow request (never on wall-clock figures), and checks
  that a final failure names the vendor, endpoint, status and the vendor's message, and no
  credential, token or ``Authorization`` header.
* :data:`TALLY`: what every scenario measured (duplicates the vendor accepted, repeats of
  calls that must not be repeated), printed at the end of the run by ``conftest.py``.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: the read timeout (seconds) of a connection in a slow-answer scenario, and the sandbox's delay
SLOW_READ_TIMEOUT = 1.0
SLOW_DELAY = 2.0

NOT_REPEATED_WORDS = "may or may not have been applied"
#: what a 429 on a call sent once says: the vendor refused it, nothing was applied
REFUSED_WORDS = "refused, not applied"


def explains_not_repeated(text: str, scenario: "Scenario") -> bool:
    """The error of a call that is sent once says what happened to it: refused (429),
    or an outcome that is unknown (5xx, no answer)."""
    if scenario.kind == "status" and scenario.status == 429:
        return REFUSED_WORDS in text and NOT_REPEATED_WORDS not in text
    return NOT_REPEATED_WORDS in text


@dataclass(frozen=True)
class Scenario:
    """One injected fault. ``times`` matching requests misbehave (after ``skip`` good ones)."""

    name: str
    kind: str = "status"
    status: int = 500
    times: int = 1
    retry_after: float | None = None

    @property
    def attempts(self) -> int:
        """Requests the route receives when the call is retried until it succeeds."""
        return self.times + 1

    @property
    def reaches_vendor(self) -> bool:
        """Whether a faulted request was handled by the vendor (its effect happened)."""
        return self.kind in ("drop_after", "delay")

    @property
    def handled(self) -> int:
        """Requests the vendor handled when the call is retried until it succeeds."""
        return 1 + (self.times if self.reaches_vendor else 0)

    def check_sleeps(self, sleeps: list[float], backoff_base: float = 1.0, backoff_max: float = 60.0) -> None:
        """The delays requested between the attempts: ``Retry-After`` when the vendor sent it,
        else exponential backoff with full jitter (attempt n waits at most ``base * 2**(n-1)``)."""
        assert len(sleeps) == self.times, (self.name, sleeps)
        for n, slept in enumerate(sleeps, start=1):
            if self.retry_after is not None:
                assert slept == self.retry_after, (self.name, sleeps)
            else:
                assert 0 <= slept <= min(backoff_max, backoff_base * 2 ** (n - 1)), (self.name, sleeps)


#: faults that a repeatable call survives (it is retried and ends accepted once)
RETRIED = (
    Scenario("429_retry_after", status=429, times=2, retry_after=7),
    Scenario("500_burst", status=500, times=3),
    Scenario("503_burst", status=503, times=3),
    Scenario("drop", kind="drop"),
    Scenario("drop_after", kind="drop_after"),
    Scenario("slow_answer", kind="delay"),
)

#: the same faults hitting a call that must never be repeated (sent once, whatever happens)
ONCE = (
    Scenario("429_retry_after", status=429, retry_after=7),
    Scenario("500", status=500),
    Scenario("503", status=503),
    Scenario("drop", kind="drop"),
    Scenario("drop_after", kind="drop_after"),
    Scenario("slow_answer", kind="delay"),
)


def ids(scenarios) -> list[str]:
    return [s.name for s in scenarios]


# --------------------------------------------------------------------------- tally
@dataclass
class Tally:
    """What one scenario measured, for the closing figures."""

    vendor: str
    scenario: str
    duplicates: int = 0
    repeats: int = 0


TALLY: list[Tally] = []


# --------------------------------------------------------------------------- sleeps
class Sleeps(list):
    """Stands in for ``hook.sleep``: records each requested delay and returns at once.

    ``before_return`` (if set) is called with the number of sleeps so far; the kit uses it to
    wait until the sandbox has finished handling the attempt that failed (a slow answer is
    still being handled when the client gives up), so the next attempt meets a vendor in a
    known state.
    """

    def __init__(self) -> None:
        super().__init__()
        self.before_return: Callable[[int], None] | None = None

    def __call__(self, seconds: float) -> None:
        self.append(float(seconds))
        if self.before_return is not None:
            self.before_return(len(self))


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a broken record still must not hide a leak in its args
            text = f"{record.msg} {record.args}"
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + "".join(traceback.format_exception(record.exc_info[1]))
        self.lines.append(f"{record.name} {record.levelname} {text}")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


# --------------------------------------------------------------------------- the kit
class FaultKit:
    """Per-test helper bound to the ``sandbox`` fixture (see the module docstring)."""

    def __init__(self, sandbox: Any, monkeypatch: Any, capfd: Any = None) -> None:
        from airflow_provider_adtech.hooks.base import AdtechHook

        self.sandbox = sandbox
        self.monkeypatch = monkeypatch
        self.capfd = capfd
        self._output = ""
        self.sleeps = Sleeps()
        self.hooks: list[Any] = []
        self._overrides: dict[str, dict[str, Any]] = {}
        kit = self
        original = AdtechHook.__init__

        def init(hook: Any, *args: Any, **kwargs: Any) -> None:
            original(hook, *args, **kwargs)
            hook.sleep = kit.sleeps
            kit.hooks.append(hook)

        monkeypatch.setattr(AdtechHook, "__init__", init)
        self.capture = _Capture()
        self._loggers = [logging.getLogger(name) for name in ("", "airflow", "airflow.task")]
        for logger in self._loggers:
            logger.addHandler(self.capture)
        self._levels = [(logger, logger.level) for logger in self._loggers]
        logging.getLogger("airflow.task").setLevel(logging.DEBUG)

    def close(self) -> None:
        for logger in self._loggers:
            logger.removeHandler(self.capture)
        for logger, level in self._levels:
            logger.setLevel(level)

    # -- connections
    def connection(self, conn_id: str, **extras: Any) -> None:
        """Set extras of the sandbox connection ``conn_id`` (merged with earlier calls)."""
        self._overrides.setdefault(conn_id, {}).update(extras)
        env = self.sandbox.connection_env(**self._overrides)
        name = f"AIRFLOW_CONN_{conn_id.upper()}"
        self.monkeypatch.setenv(name, env[name])

    # -- faults
    def inject(self, route: str, scenario: Scenario, conn_id: str | None = None, *, times: int | None = None,
               skip: int = 0, body: Any = None) -> None:
        """Inject ``scenario`` on ``route``; a slow-answer scenario also lowers the read timeout of
        ``conn_id`` below the sandbox's delay."""
        kw: dict[str, Any] = {"times": scenario.times if times is None else times, "skip": skip}
        if scenario.kind == "status":
            kw.update(status=scenario.status, retry_after=scenario.retry_after, body=body)
        elif scenario.kind == "delay":
            kw.update(delay=SLOW_DELAY)
            if conn_id is None:
                raise ValueError("a slow-answer scenario needs the connection whose read timeout to lower")
            self.connection(conn_id, read_timeout=SLOW_READ_TIMEOUT)
        self.sandbox.inject(route, scenario.kind, **kw)
        # attempt n failed: go on once the sandbox has handled (or refused, or dropped) it
        self.sleeps.before_return = lambda n: self.settle(route, n + skip)

    def settle(self, route: str, count: int, timeout: float = 30.0) -> None:
        """Wait until the sandbox journal holds ``count`` requests of ``route`` (a slow answer is
        journaled when its handling ends)."""
        deadline = time.monotonic() + timeout
        while self.sandbox.journal.count(route) < count:
            if time.monotonic() > deadline:
                seen = [(e.route, e.status, e.fault) for e in self.sandbox.journal.entries()]
                raise AssertionError(f"the journal never reached {count} request(s) of {route}: {seen}")
            time.sleep(0.01)

    def faults_seen(self, route: str) -> list[str | None]:
        return [e.fault for e in self.sandbox.journal.entries(route)]

    def output(self) -> str:
        """Everything written to stdout/stderr so far (Airflow 3 logs through structlog there)."""
        if self.capfd is not None:
            out, err = self.capfd.readouterr()
            self._output += out + err
        return self._output

    # -- figures
    def record(self, vendor: str, scenario: str, duplicates: int = 0, repeats: int = 0) -> None:
        TALLY.append(Tally(vendor, scenario, duplicates, repeats))

    # -- final failures
    def check_failure(self, exc: BaseException, *, vendor: str, endpoint: str, status: int | None,
                      message: str) -> str:
        """Assert the error names vendor, endpoint, status and the vendor's message, and carries
        no credential, token or Authorization header (neither does anything logged). Returns the
        error text."""
        from airflow_provider_adtech.exceptions import VendorApiError

        assert isinstance(exc, VendorApiError), repr(exc)
        text = str(exc)
        assert exc.vendor == vendor and exc.endpoint == endpoint and exc.status == status, text
        assert message in exc.vendor_message, text
        status_text = f"HTTP {status}" if status is not None else "no response"
        assert text.startswith(f"{vendor} {endpoint} failed: {status_text}: {exc.vendor_message!r}"), text
        self.check_no_secrets(exc)
        return text

    def check_no_secrets(self, exc: BaseException | None = None) -> None:
        """No credential and no token the sandbox issued in the error (text, repr, traceback,
        the vendor body it keeps) or in anything logged during the test."""
        texts = {"log": self.capture.text + "\n" + self.output()}
        if exc is not None:
            texts.update({
                "str": str(exc), "repr": repr(exc),
                "traceback": "".join(traceback.format_exception(exc)),
                "body": json.dumps(getattr(exc, "body", None), default=str),
            })
        secrets = self.sandbox.secrets()
        assert secrets, "the sandbox names its credentials and tokens"
        for where, text in texts.items():
            for secret in secrets:
                assert secret not in text, f"a credential or token appears in the {where}"
        for where in ("str", "repr", "body", "log"):
            if where in texts:
                low = texts[where].lower()
                assert "authorization" not in low and "bearer " not in low, f"an auth header in the {where}"
        if exc is not None:
            assert self.sandbox.url not in str(exc), "the error names the endpoint, not the host"
