"""The sandbox's journal: one entry per request it answered (or dropped), and route-name patterns."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class JournalEntry:
    seq: int
    time: float
    vendor: str
    route: str
    method: str
    path: str
    status: int
    request_bytes: int
    response_bytes: int
    fault: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class Journal:
    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []
        self._lock = threading.Lock()

    def add(self, **kw: Any) -> JournalEntry:
        with self._lock:
            entry = JournalEntry(seq=len(self._entries) + 1, time=time.time(), **kw)
            self._entries.append(entry)
            return entry

    def entries(self, route: str | None = None, vendor: str | None = None, status: int | None = None):
        with self._lock:
            out = list(self._entries)
        if route is not None:
            out = [e for e in out if route_matches(route, e.route)]
        if vendor is not None:
            out = [e for e in out if e.vendor == vendor]
        if status is not None:
            out = [e for e in out if e.status == status]
        return out

    def count(self, route: str | None = None, **kw: Any) -> int:
        return len(self.entries(route, **kw))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def as_dicts(self) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.entries()]


def route_matches(pattern: str, name: str) -> bool:
    """Whether route ``name`` matches ``pattern``: ``*``, the name itself, or ``prefix.*``."""
    if pattern in ("*", name):
        return True
    if pattern.endswith(".*"):
        return name.startswith(pattern[:-1])
    return False
