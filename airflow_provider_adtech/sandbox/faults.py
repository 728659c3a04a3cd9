"""Fault injection: the misbehaviour the sandbox adds to matching requests (status, drop, delay, bandwidth)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from airflow_provider_adtech.sandbox.journal import route_matches


@dataclass
class Fault:
    """Injected misbehaviour for requests whose route matches ``route``.

    ``kind``: ``status`` (answer ``status``, with ``Retry-After`` when ``retry_after``
    is set), ``drop`` (close the connection without an answer, request not handled),
    ``drop_after`` (handle the request, then close the connection without an answer:
    the write happened but the caller never learns it), ``delay`` (sleep ``delay``
    seconds, then handle normally), ``bandwidth`` (every connection's request body is
    read at ``rate`` bytes per second at most, on every route, until the faults are cleared). ``skip`` matching requests pass first,
    then the fault fires ``times`` times (``-1``: forever).
    """

    route: str
    kind: str = "status"
    status: int = 500
    times: int = 1
    skip: int = 0
    retry_after: float | None = None
    delay: float = 0.0
    body: Any = None
    fired: int = 0
    seen: int = 0

    def consider(self) -> bool:
        self.seen += 1
        if self.seen <= self.skip:
            return False
        if self.times >= 0 and self.fired >= self.times:
            return False
        self.fired += 1
        return True

    def retry_after_header(self) -> dict[str, str]:
        """``{"Retry-After": ...}`` when the fault sets one (whole seconds written without ``.0``)."""
        if self.retry_after is None:
            return {}
        value = float(self.retry_after)
        return {"Retry-After": str(int(self.retry_after) if value.is_integer() else self.retry_after)}


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        #: request bodies are read at most this many bytes per second on each connection (None: no limit);
        #: set with ``add("*", "bandwidth", rate=...)``, removed by :meth:`clear`
        self.bandwidth: float | None = None

    def add(self, route: str, kind: str = "status", **kw: Any) -> Fault:
        if kind not in ("status", "drop", "drop_after", "delay", "bandwidth"):
            raise ValueError(f"unknown fault kind {kind!r}")
        if kind == "bandwidth":
            rate = float(kw.pop("rate"))
            if rate <= 0:
                raise ValueError("bandwidth rate must be positive (bytes per second)")
            self.bandwidth = rate
            return Fault(route=route, kind=kind, times=0, **kw)
        fault = Fault(route=route, kind=kind, **kw)
        with self._lock:
            self._faults.append(fault)
        return fault

    def pick(self, route_name: str) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if route_matches(f.route, route_name) and f.consider():
                    return f
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.bandwidth = None

    def pace(self, started: float, received: int) -> None:
        """Sleep until ``received`` bytes since ``started`` fit the bandwidth limit."""
        rate = self.bandwidth
        if rate:
            ahead = started + received / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
