"""Checking one FreeWheel order line: a raw record (CSV cells or Python values) into an ``OrderLine``."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector
from airflow_provider_adtech.formats.freewheel.schema import (
    ARRAY_FIELDS,
    ARRAY_HINT,
    ARRAY_SEPARATOR,
    DOLLARS_RULE,
    HHMM,
    INCLUSIONS_COLUMN,
    INT_RE,
    INTEGER_FIELDS,
    ONE_LINE_RULE,
    STRING_FIELDS,
    LineRules,
    OrderLine,
    fmt_set,
)
from airflow_provider_adtech.formats.text import CONTROL_RX, control_chars_in

_DEC_RE = re.compile(r"^\d+(\.\d+)?$")
_INT_LIST_RE = re.compile(r"^\d+(?:,\d+)*$")
_DEC_LIST_RE = re.compile(r"^\d+(?:\.\d+)?(?:,\d+(?:\.\d+)?)*$")
_YMD_RE = re.compile(r"^\d{8}$")
_WEEK_RE = re.compile(r"^(\d{4})([1-9]|[1-4]\d|5[0-3])$")
_BOOKING_RE = re.compile(rf"^({HHMM})-({HHMM}|24:00)$")


def _may_hold_control(raw: Mapping[str, Any]) -> bool:
    """False when no string value of ``raw`` holds a control character (one regex over all)."""
    texts = []
    for v in raw.values():
        if type(v) is str:
            texts.append(v)
        elif isinstance(v, (list, tuple, Mapping)):
            return True
    return CONTROL_RX.search("".join(texts)) is not None


class LineParser:
    """Parses one raw record (a CSV row as dict of text, or a dict from Python) into an
    :class:`OrderLine`, adding a :class:`Problem` for each broken rule."""

    def __init__(self, rules: LineRules, problems: ProblemCollector, stats: dict[str, int] | None = None):
        self.rules = rules
        self.problems = problems
        #: ``values_trimmed``: values whose surrounding spaces were removed (said in the summary)
        self.stats = stats if stats is not None else {}
        self._durations = frozenset(rules.allowed_durations)
        self._bad = False
        self._source: str | None = None
        self._line: int | None = None

    def _problem(self, rule: str, column: str | None, message: str) -> None:
        self._bad = True
        self.problems.add(Problem(rule, message, self._source, self._line, column))

    def _strip(self, text: str) -> str:
        """``text`` without surrounding spaces, counting the values that had some."""
        out = text.strip()
        if out != text:
            self.stats["values_trimmed"] = self.stats.get("values_trimmed", 0) + 1
        return out

    # -- scalars
    def _text(self, raw: Mapping[str, Any], name: str) -> str | None:
        val = raw.get(name)
        if val is None or (isinstance(val, str) and val.strip() == ""):
            self._problem("freewheel.required", name, f"{name} is required")
            return None
        return val if isinstance(val, str) else str(val)

    def _int(self, raw: Mapping[str, Any], name: str) -> int | None:
        val = raw.get(name)
        if type(val) is str and val.isascii() and val.isdigit():  # the common case, fast
            return int(val)
        if isinstance(val, bool):
            self._problem("freewheel.integer", name, f"{name} must be an Integer, got {val!r}")
            return None
        if isinstance(val, int):
            if val < 0:
                self._problem("freewheel.integer", name, f"{name} must be a non-negative Integer, got {val}")
                return None
            return val
        text = self._text(raw, name)
        if text is None:
            return None
        text = self._strip(text)
        if not INT_RE.match(text):
            self._problem("freewheel.integer", name, f"{name} must be an Integer (digits only), got {text!r}")
            return None
        return int(text)

    def _date(self, raw: Mapping[str, Any], name: str) -> dt.date | None:
        val = raw.get(name)
        if isinstance(val, dt.datetime):
            if val.time() != dt.time(0, 0):
                self._problem("freewheel.date.time_of_day", name,
                              f"{name} {val.isoformat()!r} has a time of day; the field is a date "
                              "(YYYYMMDD), give the day only")
                return None
            return val.date()
        if isinstance(val, dt.date):
            return val
        if type(val) is str:
            day = _ymd(val)
            if day is not None:
                return day
        text = self._text(raw, name)
        if text is None:
            return None
        text = self._strip(text)
        day = _ymd(text)
        if day is not None:
            return day
        self._problem("freewheel.date.format", name,
                      f"{name} must be a date as YYYYMMDD (e.g. 20060102), got {text!r}")
        return None

    # -- arrays
    def _array(self, raw: Mapping[str, Any], name: str, kind: str) -> list[Any] | None:
        val = raw.get(name)
        if type(val) is str:  # fast paths for well-formed cells; anything else is checked element by element
            if kind == "integer":
                if _INT_LIST_RE.match(val):
                    return [int(x) for x in val.split(ARRAY_SEPARATOR)]
            elif kind == "float":
                if _DEC_LIST_RE.match(val):
                    return val.split(ARRAY_SEPARATOR)
            elif val.strip():
                items = val.split(ARRAY_SEPARATOR)
                if all(x.strip() for x in items):
                    return items
        if isinstance(val, (list, tuple)):
            items = list(val)
        else:
            text = self._text(raw, name)
            if text is None:
                return None
            items = text.split(ARRAY_SEPARATOR)
        if not items:
            self._problem("freewheel.array.empty", name, f"{name} must hold at least one element")
            return None
        out: list[Any] = []
        ok = True
        for i, item in enumerate(items):
            where = f"{name}[{i}]"
            if kind == "integer":
                if isinstance(item, int) and not isinstance(item, bool) and item >= 0:
                    out.append(item)
                    continue
                text = self._strip(str(item))
                if INT_RE.match(text):
                    out.append(int(text))
                    continue
                self._problem("freewheel.array.element", where,
                              f"element {i} of {name} must be a non-negative Integer, got {item!r} "
                              f"({ARRAY_HINT})")
            elif kind == "float":
                text = _decimal_text(item)
                if text is not None:
                    out.append(text)
                    continue
                self._problem("freewheel.array.element", where,
                              f"element {i} of {name} must be a non-negative number like 1500.00, "
                              f"got {item!r} ({ARRAY_HINT})")
            else:
                text = str(item) if item is not None else ""
                if text.strip() == "":
                    self._problem("freewheel.array.element", where, f"element {i} of {name} is empty")
                elif ARRAY_SEPARATOR in text:
                    self._problem("freewheel.array.separator", where,
                                  f"element {i} of {name} contains a comma, the array separator: {text!r}")
                else:
                    out.append(text)
                    continue
            ok = False
        return out if ok else None

    # -- the line
    def parse(self, raw: Mapping[str, Any], source: str | None, line: int | None) -> OrderLine | None:
        self._bad = False
        self._source, self._line = source, line
        if _may_hold_control(raw):
            for path, what in control_chars_in(raw, ""):
                self._problem("freewheel.text.control", path, f"{path} holds {what} ({ONE_LINE_RULE})")
        ints = {name: self._int(raw, name) for name in INTEGER_FIELDS}
        start = self._date(raw, "order_start_date")
        end = self._date(raw, "order_end_date")
        if start and end and end < start:
            self._problem("freewheel.date.order", "order_end_date",
                          f"order_end_date {end:%Y%m%d} is before order_start_date {start:%Y%m%d}")
        strings = {name: self._text(raw, name) for name in STRING_FIELDS}

        week = self._text(raw, "broadcast_week")
        if week is not None:
            week = self._strip(week)
            if not _WEEK_RE.match(week):
                self._problem("freewheel.broadcast_week.format", "broadcast_week",
                              "broadcast_week must be a year and a week number 1-53 as in 20201, "
                              f"got {week!r}")

        booking = self._text(raw, "bookingdesc")
        if booking is not None:
            booking = self._strip(booking)
            if not _BOOKING_RE.match(booking):
                self._problem("freewheel.bookingdesc.format", "bookingdesc",
                              f"bookingdesc must be HH:MM-HH:MM, times split by \"-\" (e.g. 16:00-20:00), "
                              f"got {booking!r}")

        orbits_raw = raw.get("orbits")
        orbits: bool | None = None
        if isinstance(orbits_raw, bool):
            orbits = orbits_raw
        elif orbits_raw in ("Y", "N"):
            orbits = orbits_raw == "Y"
        elif orbits_raw is None or orbits_raw == "":
            self._problem("freewheel.required", "orbits", "orbits is required")
        else:
            self._problem("freewheel.orbits", "orbits",
                          f"orbits must be Y (true) or N (false), got {orbits_raw!r}")

        spot = ints["spot_length"]
        if spot is not None and spot not in self._durations:
            self._problem("freewheel.duration", "spot_length",
                          f"spot_length must be one of {fmt_set(self._durations)} seconds, got {spot}")

        arrays = {name: self._array(raw, name, kind) for name, kind in ARRAY_FIELDS.items()}
        for i, d in enumerate(arrays["duration"] or []):
            if d not in self._durations:
                self._problem("freewheel.duration", f"duration[{i}]",
                              f"duration must be one of {fmt_set(self._durations)} seconds, got {d}")
        lengths = {name: len(v) for name, v in arrays.items() if v is not None}
        if len(set(lengths.values())) > 1:
            counts = list(lengths.values())
            usual = max(counts, key=counts.count)
            odd = ",".join(n for n, k in lengths.items() if k != usual)
            detail = ", ".join(f"{n}={k}" for n, k in lengths.items())
            self._problem("freewheel.array.length", odd,
                          f"array fields of one line must have equal lengths, got {detail}")

        dollars, units = arrays["gross_dollars"], arrays["buget_units"]
        if dollars is not None and units is not None and len(dollars) == len(units):
            for i, (d, u) in enumerate(zip(dollars, units)):
                if u == 0 and Decimal(d) > 0:
                    self._problem("freewheel.gross_dollars.without_units", f"gross_dollars[{i}]",
                                  f"gross_dollars {d} for 0 buget_units ({DOLLARS_RULE})")

        inclusions = self._inclusions(raw, arrays["syscode"])
        if self._bad:
            return None
        filled = False
        syscodes = arrays["syscode"] or []
        if not inclusions and self.rules.regional_syscodes:
            for s in syscodes:
                inclusions.extend(self.rules.regional_syscodes.get(s, ()))
            filled = bool(inclusions)
        return OrderLine(
            contractid=ints["contractid"], tb_system_id=ints["tb_system_id"],
            order_start_date=start, order_end_date=end,
            advertiser_name=strings["advertiser_name"], advertiser_code=strings["advertiser_code"],
            order_line=ints["order_line"], spot_length=spot, prioritycode=ints["prioritycode"],
            broadcast_week=week, bookingdesc=booking, orbits=orbits,
            syscode=syscodes, gross_dollars=arrays["gross_dollars"], buget_units=arrays["buget_units"],
            duration=arrays["duration"], networkname=arrays["networkname"], networkcode=arrays["networkcode"],
            marketname=arrays["marketname"], syscode_inclusions=inclusions, inclusions_filled=filled,
            source_line=line,
        )  # type: ignore[arg-type]

    def _inclusions(self, raw: Mapping[str, Any], syscodes: list[int] | None) -> list[int]:
        val = raw.get(INCLUSIONS_COLUMN)
        if val is None or val == "" or val == []:
            return []
        items = list(val) if isinstance(val, (list, tuple)) else str(val).split(ARRAY_SEPARATOR)
        out: list[int] = []
        for i, item in enumerate(items):
            text = self._strip(str(item))
            if not INT_RE.match(text):
                self._problem("freewheel.syscode_inclusions.element", f"{INCLUSIONS_COLUMN}[{i}]",
                              f"local syscodes must be Integers, got {item!r} ({ARRAY_HINT})")
                continue
            out.append(int(text))
        regional = self.rules.regional_syscodes
        if regional and syscodes is not None and out:
            allowed = {x for s in syscodes for x in regional.get(s, ())}
            if not allowed:
                self._problem("freewheel.syscode_inclusions.not_regional", INCLUSIONS_COLUMN,
                              "syscode_inclusions are only for regional syscodes; none of the line's "
                              f"syscodes {syscodes} is regional")
            else:
                strays = [x for x in out if x not in allowed]
                if strays:
                    self._problem("freewheel.syscode_inclusions.not_local", INCLUSIONS_COLUMN,
                                  f"{strays} are not local syscodes of the line's regional syscode(s)")
        return out


@functools.lru_cache(maxsize=4096)
def _ymd(text: str) -> dt.date | None:
    """``YYYYMMDD`` as a date, or None (cached: a file repeats few dates)."""
    if not _YMD_RE.match(text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _decimal_text(item: Any) -> str | None:
    """Canonical text of a non-negative dollar amount, or None when it is not one."""
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return str(item) if item >= 0 else None
    if isinstance(item, float):
        if not math.isfinite(item) or item < 0:
            return None
        return format(Decimal(repr(item)), "f")
    if isinstance(item, Decimal):
        return format(item, "f") if item.is_finite() and item >= 0 else None
    text = str(item).strip() if item is not None else ""
    return text if _DEC_RE.match(text) else None
