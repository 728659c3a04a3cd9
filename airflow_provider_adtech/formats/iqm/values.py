"""Checks of single IQM values: ids, amounts, epoch times, names, choices, JSON objects.

They collect problems and note every value sent in another form than given.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector
from airflow_provider_adtech.formats.text import describe_control

# Unix-epoch magnitudes: seconds are ~1.7e9 today, milliseconds ~1.7e12.
_MS_THRESHOLD = 100_000_000_000


class _Checker:
    """Collects problems for one set of values (operator parameters, or one file record)."""

    def __init__(self, problems: ProblemCollector, source: str, line: int | None = None,
                 now: dt.datetime | None = None, notes: list[str] | None = None):
        self.problems = problems
        self.source = source
        self.line = line
        self.now = now or dt.datetime.now(dt.timezone.utc)
        #: every value sent in another form than given (text read as a number, a date as epoch)
        self.notes = notes if notes is not None else []

    def note(self, column: str, value: Any, sent: Any, detail: str = "") -> None:
        where = f"line {self.line}: " if self.line is not None else ""
        self.notes.append(f"{where}{column} {value!r} sent as {sent!r}{detail}")

    def name(self, value: Any, column: str) -> str | None:
        """A campaign name: non-empty text on one line; spaces around it are removed and noted."""
        if not isinstance(value, str) or not value.strip():
            self.add("iqm.campaign.name", f"{column} must be a non-empty text", column)
            return None
        what = describe_control(value)
        if what is not None:
            self.add("iqm.campaign.name.control", f"{column} holds {what}: a campaign name is one line of "
                     "text", column)
            return None
        if value.strip() != value:
            self.note(column, value, value.strip(), " (spaces around the name removed)")
        return value.strip()

    def add(self, rule: str, message: str, column: str | None) -> None:
        self.problems.add(Problem(rule, message, self.source, self.line, column))

    # -- ids
    def ids(self, value: Any, column: str, what: str = "id") -> list[int] | None:
        """One or more positive integer ids: an int, ``"1,2,3"``, ``"[1, 2]"`` or a list."""
        items: list[Any]
        if isinstance(value, bool):
            items = [value]
        elif isinstance(value, int):
            items = [value]
        elif isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    parsed = json.loads(text)
                except ValueError:
                    self.add("iqm.ids.format", f"{text!r} is not a JSON list of {what}s", column)
                    return None
                items = parsed if isinstance(parsed, list) else [parsed]
            else:
                items = [p.strip() for p in text.split(",")] if text else []
        elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
            items = list(value)
        else:
            self.add("iqm.ids.format", f"expected {what}s (integers), got {type(value).__name__}", column)
            return None
        if not items:
            self.add("iqm.param.required", f"no {what} given (empty list)", column)
            return None
        out: list[int] = []
        ok = True
        for pos, item in enumerate(items, 1):
            n = self._int(item)
            if n is None:
                self.add("iqm.ids.integer", f"{what} #{pos} {item!r} is not an integer", column)
                ok = False
            elif n <= 0:
                self.add("iqm.ids.positive", f"{what} #{pos} {item!r} must be a positive integer", column)
                ok = False
            else:
                out.append(n)
        seen: set[int] = set()
        for n in out:
            if n in seen:
                self.add("iqm.ids.duplicate", f"{what} {n} is listed more than once", column)
                ok = False
            seen.add(n)
        return out if ok else None

    def one_id(self, value: Any, column: str, what: str = "id") -> int | None:
        n = self._int(value)
        if n is None:
            self.add("iqm.ids.integer", f"{what} {value!r} is not an integer", column)
            return None
        if n <= 0:
            self.add("iqm.ids.positive", f"{what} {value!r} must be a positive integer", column)
            return None
        return n

    @staticmethod
    def _int(value: Any) -> int | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        return None

    # -- numbers
    def amount(self, value: Any, column: str, what: str) -> float | int | None:
        """A money amount or bid: a finite number greater than 0 (IQM budgets are positive)."""
        num: float | int | None = None
        if isinstance(value, bool):
            num = None
        elif isinstance(value, (int, float)):
            num = value
        elif isinstance(value, str):
            try:
                num = float(value.strip())
                if num.is_integer() and "." not in value and "e" not in value.lower():
                    num = int(num)
            except ValueError:
                num = None
            if num is not None and math.isfinite(num) and num > 0:
                self.note(column, value, num)
        if num is None or (isinstance(num, float) and not math.isfinite(num)):
            self.add("iqm.number.format", f"{what} {value!r} is not a number", column)
            return None
        if num < 0:
            self.add("iqm.budget.negative", f"{what} {value!r} is negative; it must be greater than 0",
                     column)
            return None
        if num == 0:
            self.add("iqm.budget.zero", f"{what} must be greater than 0", column)
            return None
        return num

    # -- times
    def epoch(self, value: Any, column: str, *, unit: str, end: bool, what: str,
              future: bool = False) -> int | None:
        """A Unix epoch in ``unit`` (``s`` or ``ms``) from an int, a digit string or an ISO date/time."""
        factor = 1000 if unit == "ms" else 1
        n = self._int(value)
        if n is not None:
            if n <= 0:
                self.add("iqm.date.format", f"{what} {value!r} is not a valid Unix timestamp", column)
                return None
            if unit == "s" and n >= _MS_THRESHOLD:
                self.add("iqm.date.unit", f"{what} {value!r} looks like milliseconds; campaign times are "
                         "Unix epoch seconds (document sample: \"endDate\": 1632132540)", column)
                return None
            if unit == "ms" and n < _MS_THRESHOLD:
                self.add("iqm.date.unit", f"{what} {value!r} looks like seconds; insertion-order times are "
                         "Unix epoch milliseconds (document sample: \"ioStartTime\": 1690898148000)", column)
                return None
            when = dt.datetime.fromtimestamp(n / factor, dt.timezone.utc)
        elif isinstance(value, (str, dt.date)):
            when = _parse_when(value, end)
            if when is None:
                self.add("iqm.date.format", f"{what} {value!r} is not a date (YYYY-MM-DD), an ISO date-time "
                         "or a Unix timestamp", column)
                return None
            n = int(when.timestamp() * factor)
            if not (future and when <= self.now):
                self.note(column, value if isinstance(value, str) else value.isoformat(), n,
                          f" ({when:%Y-%m-%dT%H:%M:%S}Z)")
        else:
            self.add("iqm.date.format", f"{what} {value!r} is not a date or a Unix timestamp", column)
            return None
        if future and when <= self.now:
            self.add("iqm.date.past",
                     f"{what} {when.isoformat()} is in the past (now {self.now:%Y-%m-%d %H:%M} "
                     "UTC); campaigns would stop at once", column)
            return None
        return n

    def choice(self, value: Any, column: str, allowed: tuple[str, ...], what: str, rule: str) -> str | None:
        text = str(value).strip() if value is not None else ""
        if text not in allowed:
            self.add(rule, f"{what} {value!r} is not one of {', '.join(allowed)}", column)
            return None
        return text

    def mapping(self, value: Any, column: str) -> dict[str, Any] | None:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                self.add("iqm.json.format", f"not a JSON object: {exc}", column)
                return None
        if not isinstance(value, Mapping):
            self.add("iqm.json.format", f"expected an object (dict), got {type(value).__name__}", column)
            return None
        return dict(value)


def _parse_when(value: Any, end: bool) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return _day_bound(value, end)
    text = str(value).strip()
    if len(text) == 10:
        try:
            return _day_bound(dt.date.fromisoformat(text), end)
        except ValueError:
            return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _day_bound(day: dt.date, end: bool) -> dt.datetime:
    t = dt.time(23, 59, 59) if end else dt.time(0, 0, 0)
    return dt.datetime.combine(day, t, dt.timezone.utc)
