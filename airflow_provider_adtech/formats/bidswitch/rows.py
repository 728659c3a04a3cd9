"""One BidSwitch builder row: reading a user's record (SQL, XCom, CSV cells) into a checked ``ReportRow``."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_adtech.formats.bidswitch.relations import cost_without_imps
from airflow_provider_adtech.formats.bidswitch.schema import (
    COST_RULE,
    HOUR_RULE,
    TEXT_NUMBER_RULE,
    check_currency,
    check_date,
    check_hour,
    check_timezone,
)
from airflow_provider_adtech.formats.errors import Problem, ProblemCollector
from airflow_provider_adtech.formats.text import describe_control

_INT_RX = re.compile(r"^[+-]?\d+$")


class Where:
    """Names a problem's place in the input: a CSV line or a record index."""

    def __init__(self, source: str, line: int | None, index: int | None):
        self.source, self.line, self.index = source, line, index

    def problem(self, rule: str, message: str, column: str | None) -> Problem:
        if self.line is not None:
            return Problem(rule, message, self.source, self.line, column)
        return Problem(rule, message, f"{self.source}[{self.index}]", None, column)

    def text(self) -> str:
        return f"{self.source} line {self.line}" if self.line is not None else f"{self.source}[{self.index}]"


@dataclass
class ReportRow:
    """One input row of the builder, already checked and typed."""

    date: str
    imps: int
    cost: int | float
    hour: str | None = None
    seat: str | None = None
    bids: int | None = None
    timeouts: int | None = None
    timezone: str | None = None
    currency: str | None = None
    where: Where | None = field(default=None, compare=False, repr=False)
    #: the input had a seat field with no value (a blank CSV cell): no seat
    seat_blank: bool = field(default=False, compare=False, repr=False)

    @property
    def origin(self) -> str:
        """Where the row came from, e.g. ``daily.csv line 7`` or ``rows[3]``."""
        return self.where.text() if self.where is not None else "row"

    def problem(self, rule: str, message: str, column: str | None) -> Problem:
        if self.where is not None:
            return self.where.problem(rule, message, column)
        return Problem(rule, message, "row", None, column)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.hour is not None:
            out["hour"] = self.hour
        out["imps"] = self.imps
        out["cost"] = self.cost
        if self.bids is not None:
            out["bids"] = self.bids
        if self.timeouts is not None:
            out["timeouts"] = self.timeouts
        return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _as_int(value: Any) -> int | None:
    """An integer from int, integral Decimal/float, or a digit string; None if not integral."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, decimal.Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and _INT_RX.match(value.strip()):
        return int(value.strip())
    return None


def _as_number(value: Any) -> int | float | None:
    """A finite number (ints stay ints); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (float, decimal.Decimal)):
        try:
            num = float(value)
        except (OverflowError, ValueError):
            return None
        return num if math.isfinite(num) else None
    if isinstance(value, str):
        if _INT_RX.match(value.strip()):
            return int(value.strip())
        try:
            num = float(value.strip())
        except ValueError:
            return None
        return num if math.isfinite(num) else None
    return None


@dataclass
class Conversions:
    """What reading the input changed in the user's values, counted for the notes."""

    trimmed: dict[str, int] = field(default_factory=dict)
    counts_from_number: int = 0
    costs_from_decimal: int = 0
    costs_rounded: int = 0
    #: every report day named by an input row, valid or not
    days: set[str] = field(default_factory=set)

    def trim(self, name: str, raw: str) -> str:
        text = raw.strip()
        if text != raw:
            self.trimmed[name] = self.trimmed.get(name, 0) + 1
        return text

    def notes(self) -> list[str]:
        out = []
        if self.trimmed:
            out.append("removed spaces around value(s): " + ", ".join(
                f"{k} ({n} row(s))" for k, n in sorted(self.trimmed.items())))
        if self.counts_from_number:
            out.append(f"{self.counts_from_number} count(s) given as a whole float/Decimal written as JSON "
                       "integers (e.g. 100.0 -> 100)")
        if self.costs_from_decimal:
            out.append(f"{self.costs_from_decimal} cost(s) given as Decimal written as JSON numbers")
        if self.costs_rounded:
            out.append(f"{self.costs_rounded} cost(s) had more digits than a JSON number keeps and were "
                       "rounded to 17 significant digits")
        return out


def row_from_mapping(rec: Mapping[str, Any], where: Where, columns: Mapping[str, str],
                      col: ProblemCollector, conv: Conversions | None = None,
                      typed: bool = True) -> ReportRow | None:
    """One row; ``typed``: Python values (rows), where text is not a number; else CSV cells."""
    before = col.total
    conv = conv if conv is not None else Conversions()

    def get(name: str) -> Any:
        return rec.get(columns.get(name, name))

    def bad(rule: str, name: str, msg: str) -> None:
        col.add(where.problem(rule, msg, columns.get(name, name)))

    # date
    raw_date = get("date")
    date: str | None = None
    if _blank(raw_date):
        bad("bidswitch.date.required", "date", "date is missing")
    elif isinstance(raw_date, dt.datetime):
        if raw_date.time() != dt.time(0, 0):
            bad("bidswitch.date.format", "date",
                f"date {raw_date.isoformat()!r} has a time of day; give the day and put the hour in 'hour'")
        else:
            date = raw_date.date().isoformat()
    elif isinstance(raw_date, dt.date):
        date = raw_date.isoformat()
    else:
        text = conv.trim("date", str(raw_date))
        err = check_date(text)
        if err:
            bad(err[0], "date", err[1])
        else:
            date = text
    if date is not None:
        conv.days.add(date)

    # hour: a two-digit string, or a whole number 0-23 (SQL's EXTRACT(hour ...))
    raw_hour = get("hour")
    hour: str | None = None
    if not _blank(raw_hour):
        if isinstance(raw_hour, str):
            err = check_hour(raw_hour.strip())
            if err:
                bad(err[0], "hour", err[1])
            else:
                hour = conv.trim("hour", raw_hour)
        else:
            num = _as_int(raw_hour)
            if num is None or not 0 <= num <= 23:
                bad("bidswitch.hour.range", "hour", f"hour {raw_hour!r} is not a whole number 0-23 ({HOUR_RULE})")
            else:
                hour = f"{num:02d}"

    def count(name: str, required: bool) -> int | None:
        raw = get(name)
        if _blank(raw):
            if required:
                bad(f"bidswitch.{name}.required", name, f"{name} is missing (required by the document)")
            return None
        if typed and isinstance(raw, str):
            bad(f"bidswitch.{name}.type", name, f"{name} must be an integer, got text {raw!r} ({TEXT_NUMBER_RULE})")
            return None
        num = _as_int(raw)
        if num is None:
            bad(f"bidswitch.{name}.type", name, f"{name} must be an integer, got {raw!r}")
            return None
        if num < 0:
            bad(f"bidswitch.{name}.negative", name, f"{name} must be >= 0, got {num}")
            return None
        if isinstance(raw, str):
            conv.trim(name, raw)
        elif not isinstance(raw, int):
            conv.counts_from_number += 1
        return num

    imps = count("imps", True)
    bids = count("bids", False)
    timeouts = count("timeouts", False)

    raw_cost = get("cost")
    cost: int | float | None = None
    if _blank(raw_cost):
        bad("bidswitch.cost.required", "cost", "cost is missing (required by the document)")
    elif typed and isinstance(raw_cost, str):
        bad("bidswitch.cost.type", "cost", f"cost must be a number, got text {raw_cost!r} ({TEXT_NUMBER_RULE})")
    else:
        cost = _as_number(raw_cost)
        if cost is None:
            bad("bidswitch.cost.type", "cost", f"cost must be a finite number, got {raw_cost!r}")
        elif cost < 0:
            bad("bidswitch.cost.negative", "cost", f"cost must be >= 0, got {raw_cost!r}")
            cost = None
        elif isinstance(raw_cost, str):
            conv.trim("cost", raw_cost)
        elif isinstance(raw_cost, decimal.Decimal):
            conv.costs_from_decimal += 1
            if decimal.Decimal(repr(cost)) != raw_cost:
                conv.costs_rounded += 1

    seat_blank = False
    raw_seat = get("seat")
    seat = None
    if raw_seat is not None:
        if not isinstance(raw_seat, str):
            bad("bidswitch.seat.type", "seat", f"seat must be a string (the Buyer name), got "
                f"{type(raw_seat).__name__} {raw_seat!r}")
        elif describe_control(raw_seat):
            bad("bidswitch.seat.control", "seat", f"seat holds {describe_control(raw_seat)}: a Buyer name is "
                "one line of text")
        elif raw_seat.strip():
            seat = conv.trim("seat", raw_seat)
        elif typed:
            bad("bidswitch.seat.empty", "seat", f"seat {raw_seat!r} is empty: name the Buyer, or leave the "
                "field out (None) for a report without seat, which BidSwitch reads as the supplier total "
                "(document: \"When a Supplier wants to check for discrepancies with a particular Buyer, they "
                "can specify the Buyer name using this field\")")
        else:
            seat_blank = True

    def text_field(name: str, check: Any, rule: str) -> str | None:
        raw = get(name)
        if _blank(raw):
            return None
        if not isinstance(raw, str):
            bad(f"bidswitch.{name}.type", name, f"{name} must be a string, got {type(raw).__name__} {raw!r}")
            return None
        value = conv.trim(name, raw)
        err = check(value)
        if err:
            bad(rule, name, err)
            return None
        return value

    tz = text_field("timezone", check_timezone, "bidswitch.timezone.unknown")
    cur = text_field("currency", check_currency, "bidswitch.currency.allowed_values")

    if cost_without_imps(imps, cost):
        bad("bidswitch.cost.without_imps", "cost", f"cost {raw_cost!r} with imps 0 ({COST_RULE})")

    if col.total != before or date is None or imps is None or cost is None:
        return None
    return ReportRow(date=date, hour=hour, seat=seat, imps=imps, cost=cost, bids=bids, timeouts=timeouts,
                     timezone=tz, currency=cur, where=where, seat_blank=seat_blank)
