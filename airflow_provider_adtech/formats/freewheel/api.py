"""FreeWheel JSON order lines (the API's "Basic Attributes" table): mapping, validation, batching."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import IO, Any

from airflow_provider_adtech.formats.dates import iso_date
from airflow_provider_adtech.formats.errors import Problem, ProblemCollector
from airflow_provider_adtech.formats.freewheel.keys import KeyIndex
from airflow_provider_adtech.formats.freewheel.records import parse_records
from airflow_provider_adtech.formats.freewheel.schema import (
    API_ONE_LINE_RULE,
    DEFAULT_DURATIONS,
    HHMM,
    INT_RE,
    LineRules,
    OrderLine,
    fmt_set,
)
from airflow_provider_adtech.formats.text import control_chars_in

_HHMM_RE = re.compile(rf"^(?:{HHMM}|24:00)$")


#: "Basic Attributes Field" table: required fields (dotted paths)
API_REQUIRED = (
    "external_id", "parent_external_id", "advertiser_external_id", "start_date", "end_date", "duration",
    "budget.type", "budget.total_unit", "price", "priority_code",
    "targeting.content.channel.include", "targeting.geo.zone.include",
    "targeting.dayparts.days_of_week", "targeting.dayparts.parts",
)


def api_line_from_order(line: OrderLine) -> tuple[dict[str, Any] | None, list[tuple[str, str, str]]]:
    """Map a delivery line onto one API order line; ``(line, problems)``.

    Where the two meet: ``external_id`` = contractid-tb_system_id-order_line;
    ``parent_external_id`` = contractid (the order); ``advertiser_external_id`` =
    advertiser_code (must be an integer); dates as ``%Y-%m-%d``; ``duration`` = the
    line's single duration (all ``duration`` elements and ``spot_length`` must agree);
    ``budget`` = ``UNIT`` with the sum of ``buget_units``; ``price`` = the sum of
    ``gross_dollars`` / the sum of units (dollars per unit); ``priority_code`` =
    prioritycode; channels from ``networkcode`` (unique, in order); zones from ``syscode``
    followed by the ``syscode_inclusions`` (the local syscodes where the units of a
    regional line "can air"), unique, in order; one daypart from
    ``bookingdesc``; ``days_of_week`` empty ("AutoScheduler considers all days").
    ``orbits``, ``broadcast_week``, names of networks and markets have no API field.
    Problems are ``(rule, field, message)``.
    """
    problems: list[tuple[str, str, str]] = []
    code = line.advertiser_code.strip()
    if not INT_RE.match(code):
        problems.append(("freewheel.api.advertiser_external_id", "advertiser_code",
                         f"advertiser_external_id is an int in the API; advertiser_code {code!r} is not"))
    durations = set(line.duration) | {line.spot_length}
    if len(durations) != 1:
        problems.append(("freewheel.api.duration", "duration",
                         f"an API line has one duration; this line has {sorted(durations)} "
                         "(spot_length and duration elements)"))
    units = sum(line.buget_units)
    dollars = sum(Decimal(x) for x in line.gross_dollars)
    if units <= 0:
        problems.append(("freewheel.api.budget.total_unit", "buget_units",
                         "the line books no units, so it has no price per unit"))
    if problems:
        return None, problems
    zones = [str(s) for s in line.syscode] + [str(s) for s in line.syscode_inclusions]
    start, _, end = line.bookingdesc.partition("-")
    channels = [{"network_code": c} for c in dict.fromkeys(line.networkcode)]
    api = {
        "external_id": line.external_id,
        "parent_external_id": str(line.contractid),
        "advertiser_external_id": int(code),
        "advertiser_name": line.advertiser_name,
        "start_date": line.order_start_date.isoformat(),
        "end_date": line.order_end_date.isoformat(),
        "duration": durations.pop(),
        "budget": {"type": "UNIT", "total_unit": units},
        "price": float(round(dollars / units, 4)),
        "priority_code": line.prioritycode,
        "targeting": {
            "content": {"channel": {"include": channels}},
            "geo": {"zone": {"include": [{"syscode": z} for z in dict.fromkeys(zones)]}},
            "dayparts": {"days_of_week": [], "parts": [{"from": start, "to": end}]},
        },
    }
    return api, problems


class ApiLineValidator:
    """Checks JSON order lines against the "Basic Attributes" table, one at a time.

    :param allowed_durations: "In seconds (15,30,60)".
    """

    def __init__(self, problems: ProblemCollector, allowed_durations: Iterable[int] = DEFAULT_DURATIONS,
                 source: str = "order lines"):
        self.problems = problems
        self.durations = frozenset(allowed_durations)
        self.source = source
        self.ids = KeyIndex()
        self._n = 0
        self._bad = False

    def _p(self, rule: str, path: str, message: str, n: int) -> None:
        self._bad = True
        self.problems.add(Problem(rule, message, self.source, n, path))

    def check(self, obj: Any, n: int | None = None) -> bool:
        """Validate one line (``n``: 1-based record number); True when it is valid."""
        self._n += 1
        n = n or self._n
        self._bad = False
        if not isinstance(obj, Mapping):
            self._p("freewheel.api.type", "",
                    f"an order line must be a JSON object, got {type(obj).__name__}", n)
            return False
        for path, what in control_chars_in(obj, ""):
            self._p("freewheel.api.text.control", path, f"{path} holds {what} ({API_ONE_LINE_RULE})", n)
        for path in API_REQUIRED:
            if _get(obj, path) is _MISSING:
                self._p("freewheel.api.required", path, f"{path} is required", n)
        for name in ("external_id", "parent_external_id"):
            v = obj.get(name, _MISSING)
            if v is not _MISSING and (not isinstance(v, str) or not v.strip()):
                self._p("freewheel.api.type", name, f"{name} must be a non-empty string, got {v!r}", n)
        for name in ("name", "advertiser_name"):
            v = obj.get(name, _MISSING)
            if v is not _MISSING and not isinstance(v, str):
                self._p("freewheel.api.type", name, f"{name} must be a string, got {v!r}", n)
        for name in ("advertiser_external_id", "priority_code", "budget.total_unit"):
            v = _get(obj, name)
            if v is not _MISSING and (not isinstance(v, int) or isinstance(v, bool)):
                self._p("freewheel.api.type", name, f"{name} must be an int, got {v!r}", n)
        dates = {}
        for name in ("start_date", "end_date"):
            v = obj.get(name, _MISSING)
            if v is _MISSING:
                continue
            try:
                day = iso_date(v)
            except ValueError:
                day = None
            if day is None:
                self._p("freewheel.api.date", name, f"{name} must be a date as %Y-%m-%d, got {v!r}", n)
            else:
                dates[name] = day
        if len(dates) == 2 and dates["end_date"] < dates["start_date"]:
            self._p("freewheel.api.date.order", "end_date", "end_date is before start_date", n)
        v = obj.get("duration", _MISSING)
        if v is not _MISSING and (not isinstance(v, int) or isinstance(v, bool) or v not in self.durations):
            self._p("freewheel.api.duration", "duration",
                    f"duration must be one of {fmt_set(self.durations)} seconds, got {v!r}", n)
        v = _get(obj, "budget.type")
        if v is not _MISSING and v != "UNIT":
            self._p("freewheel.api.budget.type", "budget.type", f"only UNIT is allowed, got {v!r}", n)
        v = obj.get("price", _MISSING)
        if v is not _MISSING and (isinstance(v, bool) or not isinstance(v, (int, float))
                                  or not math.isfinite(v) or v < 0):
            self._p("freewheel.api.price", "price",
                    f"price must be a non-negative number of dollars, got {v!r}", n)
        self._check_list(obj, "targeting.content.channel.include", "network_code", n, may_be_empty=False)
        self._check_list(obj, "targeting.geo.zone.include", "syscode", n, may_be_empty=True)
        days = _get(obj, "targeting.dayparts.days_of_week")
        if days is not _MISSING:
            if not isinstance(days, list):
                self._p("freewheel.api.days_of_week", "targeting.dayparts.days_of_week", "must be an array",
                        n)
            else:
                for i, d in enumerate(days):
                    if not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 7:
                        self._p("freewheel.api.days_of_week", f"targeting.dayparts.days_of_week[{i}]",
                                f"days are 1 (Monday) to 7 (Sunday), got {d!r}", n)
        parts = _get(obj, "targeting.dayparts.parts")
        if parts is not _MISSING:
            if not isinstance(parts, list) or not parts:
                self._p("freewheel.api.dayparts", "targeting.dayparts.parts",
                        "must be a non-empty array of {from, to}", n)
            else:
                for i, part in enumerate(parts):
                    for end in ("from", "to"):
                        t = part.get(end) if isinstance(part, Mapping) else None
                        if not isinstance(t, str) or not _HHMM_RE.match(t):
                            self._p("freewheel.api.dayparts", f"targeting.dayparts.parts[{i}].{end}",
                                    f"must be HH:MM (e.g. \"04:00\"), got {t!r}", n)
        ext = obj.get("external_id")
        if isinstance(ext, str) and ext.strip():
            first = self.ids.add((ext,), n)
            if first is not None:
                self._p("freewheel.api.external_id.unique", "external_id",
                        f"external_id {ext!r} was already used by record {first}; each line has a unique "
                        "external_id", n)
        return not self._bad

    def _check_list(self, obj: Mapping, path: str, key: str, n: int, may_be_empty: bool) -> None:
        items = _get(obj, path)
        if items is _MISSING:
            return
        if not isinstance(items, list) or (not items and not may_be_empty):
            self._p(f"freewheel.api.{key}", path,
                    "must be an array" + ("" if may_be_empty else " with at least one entry"), n)
            return
        for i, item in enumerate(items):
            v = item.get(key) if isinstance(item, Mapping) else None
            if not isinstance(v, str) or not v.strip():
                self._p(f"freewheel.api.{key}", f"{path}[{i}].{key}",
                        f"{key} must be a non-empty string, got {v!r}", n)


_MISSING = object()


def _get(obj: Mapping, path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


def validate_api_lines(lines: Iterable[Any], allowed_durations: Iterable[int] = DEFAULT_DURATIONS,
                       max_problems: int = 50, source: str = "order lines") -> int:
    """Validate JSON order lines; return their number or raise :class:`ValidationFailed`."""
    problems = ProblemCollector(max_problems)
    validator = ApiLineValidator(problems, allowed_durations, source)
    n = 0
    for n, obj in enumerate(lines, start=1):
        validator.check(obj, n)
    problems.raise_if_any("FreeWheel order lines")
    return n


def _json_line(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":")) + "\n"


def spool_api_lines(lines: Iterable[Any], out: IO[str], *, problems: ProblemCollector,
                    allowed_durations: Iterable[int] = DEFAULT_DURATIONS, source: str = "order_lines") -> int:
    """Check JSON order lines against the "Basic Attributes" table and write them to ``out``, one
    JSON object a line, while no problem has been found; return how many were read.

    :raises ValidationFailed: with every problem (``out`` then holds only a prefix: discard it).
    """
    validator = ApiLineValidator(problems, allowed_durations, source)
    n = 0
    for n, obj in enumerate(lines, start=1):
        if validator.check(obj, n) and not problems:
            out.write(_json_line(obj))
    problems.raise_if_any("FreeWheel order lines")
    return n


def spool_orders_as_api_lines(
    inputs: Iterable[tuple[str, Iterable[tuple[int, Mapping[str, Any]]]]],
    out: IO[str],
    *,
    problems: ProblemCollector,
    rules: LineRules | None = None,
    stats: dict[str, int] | None = None,
) -> int:
    """Check delivery-schema records line by line (as the S3 delivery does), map each to its JSON
    order line (:func:`api_line_from_order`), check that too and write it to ``out`` while no
    problem has been found; return the number of order lines read.

    :param inputs: ``(source name, records)`` pairs, as for :func:`build_delivery`.
    :raises ValidationFailed: with every problem, naming the source and its line.
    """
    rules = rules or LineRules()
    keys = KeyIndex()
    validator = ApiLineValidator(problems, rules.allowed_durations)
    n = 0
    for source, records in inputs:
        validator.source = source
        for line in parse_records(records, source, problems, rules, keys, stats if stats is not None else {}):
            n += 1
            api, mapping_problems = api_line_from_order(line)
            for rule, fld, msg in mapping_problems:
                problems.add(Problem(rule, msg, source, line.source_line, fld))
            if api is not None and validator.check(api, line.source_line) and not problems:
                out.write(_json_line(api))
    problems.raise_if_any("FreeWheel order lines")
    return n


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of at most ``size`` items."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
