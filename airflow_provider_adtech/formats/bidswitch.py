"""BidSwitch discrepancy report: model, validation, builder and summary.

Specification: BidSwitch "Supplier Discrepancy API", section "Upload Report Format".
An upload is ``{"reports": [report, ...]}``; a report is::

    {"seat": "123",            # optional (suppliers only): the Buyer
     "timezone": "UTC",        # required, one of pytz.all_timezones
     "currency": "USD",        # required, one of USD, EUR, JPY
     "data": {"2016-08-05": [  # one array of rows per day (several days: "Multi-Day Report")
         {"hour": "00", "imps": 895, "cost": 16.6, "bids": 419746, "timeouts": 26887}]}}

Rules (quoted from the document where it states them):

* ``timezone``: "the valid options being those in the pytz.all_timezones list".
* ``currency``: "one of the following: [ 'USD', 'EUR', 'JPY']".
* ``hour``: "Value is from range 00-23. If this field is absent, it is assumed that
  the report is for the full day"; "hour is represented as a string and must contain
  2 digits".
* ``imps`` (Integer, required), ``cost`` (Float, required), ``bids`` and ``timeouts``
  (Integer, optional): counts and money are never negative.
* Zero reports: "Zero reports indicate that no trading occurred, and they must contain
  {"imps":0,"cost":0}" (so a day is never an empty array).
* Within one day and seat an hour appears once, and a day holds either hourly rows or
  one full-day row, never both (the full-day row would count the hours twice).
* Relations between the fields of one row, from their descriptions: ``cost`` is "The
  final cost for delivered impressions", so a row with ``imps`` 0 has ``cost`` 0
  (refused otherwise). ``timeouts`` is "The number of bid requests ending in a timeout",
  a part of ``bids`` ("This includes all bid types such as requests ending in an error or
  timeout"); the document's own Hourly Report example breaks that on 15 of 24 rows, so
  such rows are sent as given and listed in the notes (:func:`relation_notes`).

Everything here is pure Python (pydantic and pytz, no Airflow, no HTTP): usable in
a notebook or a unit test. Problems carry the JSON path of the offending value,
e.g. ``reports[1].data.2016-08-05[3].hour``, and a rule id such as
``bidswitch.hour.format``.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector, ValidationFailed
from airflow_provider_adtech.formats.text import describe_control, not_utf8_cell, read_rows, tolerant, unreadable

#: document: "one of the following: [ 'USD', 'EUR', 'JPY']"
CURRENCIES = ("USD", "EUR", "JPY")
#: the fields of a row of the report, in the order they are written
ROW_FIELDS = ("hour", "imps", "cost", "bids", "timeouts")
#: the fields a builder row may carry (a SQL record, an XCom dict, a CSV line)
RECORD_FIELDS = ("date", "hour", "seat", "imps", "cost", "bids", "timeouts", "timezone", "currency")
GRANULARITIES = ("auto", "hourly", "daily")

_DATE_RX = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HOUR_RX = re.compile(r"^\d{2}$")
_INT_RX = re.compile(r"^[+-]?\d+$")

HOUR_RULE = 'document: "hour" is represented as a string and must contain 2 digits, from range 00-23'
#: a relation between two fields of one row, read from their descriptions
COST_RULE = ('document: cost is "The final cost for delivered impressions": a row with imps 0 delivered '
             'nothing, so its cost must be 0 (zero reports "must contain {"imps":0,"cost":0}")')
TIMEOUTS_TEXT = ('the document defines timeouts as "The number of bid requests ending in a timeout" and bids '
                 'as "The total number of bid requests ... This includes all bid types such as requests ending '
                 'in an error or timeout"')
ZERO_RULE = 'document: zero reports indicate that no trading occurred and must contain {"imps":0,"cost":0}'


def _timezones() -> frozenset[str]:
    import pytz

    return frozenset(pytz.all_timezones)


# --------------------------------------------------------------------------- rules shared by model and builder
def check_timezone(value: str) -> str | None:
    """Error text when ``value`` is not in ``pytz.all_timezones``, else None."""
    if value not in _timezones():
        return f"timezone {value!r} is not in pytz.all_timezones (document: the valid options are those in that list)"
    return None


def check_currency(value: str) -> str | None:
    if value not in CURRENCIES:
        return f"currency {value!r} is not one of {', '.join(CURRENCIES)} (document)"
    return None


def check_date(value: str) -> tuple[str, str] | None:
    """``(rule, text)`` when ``value`` is not a ``YYYY-MM-DD`` calendar date, else None."""
    if not _DATE_RX.match(value):
        return "bidswitch.date.format", f"date {value!r} is not in the form YYYY-MM-DD"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return "bidswitch.date.invalid", f"date {value!r} is not a calendar date"
    return None


def check_hour(value: str) -> tuple[str, str] | None:
    """``(rule, text)`` when ``value`` is not a two-digit hour ``00``-``23``, else None."""
    if not _HOUR_RX.match(value):
        return "bidswitch.hour.format", f"hour {value!r} must be a string of 2 digits ({HOUR_RULE})"
    if int(value) > 23:
        return "bidswitch.hour.range", f"hour {value!r} is outside 00-23 ({HOUR_RULE})"
    return None


# --------------------------------------------------------------------------- pydantic model
def _v_timezone(value: str) -> str:
    err = check_timezone(value)
    if err:
        raise PydanticCustomError("bidswitch.timezone.unknown", err)
    return value


def _v_hour(value: str) -> str:
    err = check_hour(value)
    if err:
        raise PydanticCustomError(err[0], err[1])
    return value


def _v_date(value: str) -> str:
    err = check_date(value)
    if err:
        raise PydanticCustomError(err[0], err[1])
    return value


NonNegInt = Annotated[int, Field(ge=0)]
ReportDate = Annotated[str, AfterValidator(_v_date)]


class DataRow(BaseModel):
    """One row of a day ("Report Data Values Object"); no ``hour`` means the full day."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    hour: Annotated[str, AfterValidator(_v_hour)] | None = None
    imps: NonNegInt
    cost: Annotated[float, Field(ge=0)]
    bids: NonNegInt | None = None
    timeouts: NonNegInt | None = None


class Report(BaseModel):
    """One report ("Report Object"): a seat (optional), a timezone, a currency and days of rows."""

    model_config = ConfigDict(extra="forbid", strict=True)

    seat: Annotated[str, Field(min_length=1)] | None = None
    timezone: Annotated[str, AfterValidator(_v_timezone)]
    currency: Literal["USD", "EUR", "JPY"]
    data: Annotated[dict[ReportDate, Annotated[list[DataRow], Field(min_length=1)]], Field(min_length=1)]


class DiscrepancyUpload(BaseModel):
    """The body of ``POST .../upload-report/`` ("Reports Object")."""

    model_config = ConfigDict(extra="forbid", strict=True)

    reports: Annotated[list[Report], Field(min_length=1)]


# --------------------------------------------------------------------------- validation of a report
def json_path(loc: Sequence[Any]) -> str:
    """``('reports', 1, 'data', '2016-08-05', 3, 'hour')`` -> ``reports[1].data.2016-08-05[3].hour``."""
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "$"


def _field_of(loc: Sequence[Any]) -> str:
    """The rule family of a location: a field name, or date/day/row/report/body."""
    if not loc:
        return "body"
    if loc[-1] == "[key]":
        return "date"
    if len(loc) >= 2 and loc[-2] == "data":
        return "day"
    if len(loc) >= 3 and loc[-3] == "data" and isinstance(loc[-1], int):
        return "row"
    if len(loc) == 2 and loc[0] == "reports" and isinstance(loc[1], int):
        return "report"
    return str(loc[-1])


_PYDANTIC_KIND = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "int_type": "type",
    "int_from_float": "type",
    "int_parsing": "type",
    "float_type": "type",
    "float_parsing": "type",
    "string_type": "type",
    "dict_type": "type",
    "list_type": "type",
    "model_type": "type",
    "model_attributes_type": "type",
    "greater_than_equal": "negative",
    "finite_number": "not_finite",
    "too_short": "empty",
    "string_too_short": "empty",
    "literal_error": "allowed_values",
}

_EXPECTED = {
    "imps": "an integer", "bids": "an integer", "timeouts": "an integer",
    "cost": "a number", "hour": "a string", "seat": "a string", "timezone": "a string", "currency": "a string",
}


def _problem_from_pydantic(err: Mapping[str, Any], source: str | None) -> Problem:
    loc = tuple(err.get("loc", ()))
    path = json_path(loc)
    etype = str(err.get("type", "error"))
    fld = _field_of(loc)
    if etype == "extra_forbidden":
        fld = {0: "body", 2: "report"}.get(len(loc) - 1, "row")
    value = err.get("input")
    if etype.startswith("bidswitch."):
        return Problem(etype, str(err.get("msg")), source, None, path)
    kind = _PYDANTIC_KIND.get(etype, etype)
    if fld == "currency" and etype == "literal_error":
        msg = check_currency(str(value)) or f"currency {value!r} is not allowed"
        return Problem("bidswitch.currency.allowed_values", msg, source, None, path)
    if etype == "missing":
        msg = f"required field {fld!r} is missing"
    elif etype == "extra_forbidden":
        msg = f"unknown field {loc[-1]!r} (the document defines {_known_fields(loc)})"
    elif kind == "type":
        want = _EXPECTED.get(fld, "an object" if etype in ("dict_type", "model_type", "model_attributes_type")
                             else "an array")
        msg = f"{fld} must be {want}, got {type(value).__name__} {value!r}"
        if isinstance(value, str) and fld in ("imps", "cost", "bids", "timeouts"):
            msg += f" ({TEXT_NUMBER_RULE})"
    elif kind == "negative":
        msg = f"{fld} must be >= 0, got {value!r}"
    elif kind == "not_finite":
        msg = f"{fld} must be a finite number, got {value!r}"
    elif kind == "empty":
        if fld == "day":
            msg = f"day {loc[-1]} has no rows ({ZERO_RULE})"
        elif fld == "seat":
            msg = "seat must not be empty (omit the field for a report without a seat)"
        else:
            msg = f"{fld} must not be empty"
    else:
        msg = str(err.get("msg"))
    return Problem(f"bidswitch.{fld}.{kind}", msg, source, None, path)


def _known_fields(loc: Sequence[Any]) -> str:
    parent = [p for p in loc[:-1] if isinstance(p, str) and p != "[key]"]
    if not parent:
        return "only 'reports'"
    if parent[-1] == "reports":
        return "seat, timezone, currency, data"
    return ", ".join(ROW_FIELDS)


def _cross_row_problems(payload: Any, source: str | None) -> list[Problem]:
    """Duplicate hours and hourly/full-day mixes per (seat, day), over every report.

    Runs on the raw payload and tolerates malformed parts (they are reported by the model).
    """
    out: list[Problem] = []
    reports = payload.get("reports") if isinstance(payload, Mapping) else None
    if not isinstance(reports, list):
        return out
    hours_seen: dict[tuple[Any, str, str], str] = {}
    full_seen: dict[tuple[Any, str], str] = {}
    for ri, rep in enumerate(reports):
        if not isinstance(rep, Mapping) or not isinstance(rep.get("data"), Mapping):
            continue
        seat = rep.get("seat") if isinstance(rep.get("seat"), str) else None
        for day, rows in rep["data"].items():
            if not isinstance(rows, list):
                continue
            for j, row in enumerate(rows):
                if not isinstance(row, Mapping):
                    continue
                path = f"reports[{ri}].data.{day}[{j}]"
                seat_txt = f"seat {seat!r}" if seat is not None else "no seat"
                hour = row.get("hour")
                if hour is None:
                    key_full = (seat, str(day))
                    first_hour = next((p for (s, d, _h), p in hours_seen.items() if (s, d) == key_full), None)
                    if key_full in full_seen:
                        out.append(Problem("bidswitch.day.duplicate",
                                           f"second full-day row for {day} ({seat_txt}); first at "
                                           f"{full_seen[key_full]}", source, None, path))
                    elif first_hour is not None:
                        out.append(Problem("bidswitch.day.mixed",
                                           f"day {day} ({seat_txt}) mixes hourly rows (e.g. {first_hour}) with a "
                                           "full-day row (no hour): the hours would be counted twice",
                                           source, None, path))
                    full_seen.setdefault(key_full, path)
                    continue
                if not isinstance(hour, str):
                    continue
                key = (seat, str(day), hour)
                if key in hours_seen:
                    out.append(Problem("bidswitch.hour.duplicate",
                                       f"hour {hour!r} of {day} ({seat_txt}) appears twice; first at "
                                       f"{hours_seen[key]}", source, None, path + ".hour"))
                    continue
                hours_seen[key] = path + ".hour"
                if (seat, str(day)) in full_seen:
                    out.append(Problem("bidswitch.day.mixed",
                                       f"day {day} ({seat_txt}) mixes a full-day row ({full_seen[(seat, str(day))]}) "
                                       "with hourly rows: the hours would be counted twice",
                                       source, None, path + ".hour"))
    return out


def _row_relations(payload: Any) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """``(path, row)`` of every row object of a raw payload (malformed parts skipped)."""
    reports = payload.get("reports") if isinstance(payload, Mapping) else None
    for ri, rep in enumerate(reports if isinstance(reports, list) else []):
        data = rep.get("data") if isinstance(rep, Mapping) else None
        for day, rows in (data.items() if isinstance(data, Mapping) else ()):
            for j, row in enumerate(rows if isinstance(rows, list) else []):
                if isinstance(row, Mapping):
                    yield f"reports[{ri}].data.{day}[{j}]", row


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_amount(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def cost_without_imps(imps: Any, cost: Any) -> bool:
    """True when a row charges for nothing delivered (imps 0, cost above 0): :data:`COST_RULE`."""
    return _is_count(imps) and imps == 0 and _is_amount(cost) and cost > 0


def relation_problems(payload: Any, source: str | None = None) -> list[Problem]:
    """Rows whose fields contradict each other's description (:data:`COST_RULE`)."""
    return [Problem("bidswitch.cost.without_imps", f"cost {row['cost']!r} with imps 0 ({COST_RULE})", source, None,
                    path + ".cost")
            for path, row in _row_relations(payload) if cost_without_imps(row.get("imps"), row.get("cost"))]


def relation_notes(payload: Any) -> list[str]:
    """Sentences for rows whose timeouts exceed their bids: sent as given, but said.

    The descriptions make timeouts a part of bids; the document's own "Hourly Report"
    example has timeouts above bids on 15 of its 24 rows, so BidSwitch accepts such
    rows and they are not refused.
    """
    odd = [(path, row) for path, row in _row_relations(payload)
           if _is_count(row.get("timeouts")) and _is_count(row.get("bids")) and row["timeouts"] > row["bids"]]
    if not odd:
        return []
    path, row = odd[0]
    return [f"timeouts exceed bids on {len(odd)} row(s) (e.g. {path}: timeouts {row['timeouts']} > bids "
            f"{row['bids']}); {TIMEOUTS_TEXT}, but its own Hourly Report example has such rows, so they are "
            "sent as given: check how timeouts are counted"]


def report_problems(payload: Any, source: str | None = None) -> list[Problem]:
    """Every problem of an upload body (all of them, not only the first), in path order."""
    problems: list[Problem] = []
    if not isinstance(payload, Mapping):
        return [Problem("bidswitch.body.type", f"the upload must be a JSON object with 'reports', got "
                        f"{type(payload).__name__}", source, None, "$")]
    try:
        DiscrepancyUpload.model_validate(payload)
    except ValidationError as exc:
        problems.extend(_problem_from_pydantic(e, source) for e in exc.errors(include_url=False))
    problems.extend(_cross_row_problems(payload, source))
    problems.extend(relation_problems(payload, source))
    return problems


def validate_upload(payload: Any, source: str | None = None, limit: int = 50) -> DiscrepancyUpload:
    """Validate an upload body; raise :class:`ValidationFailed` listing every problem.

    :param payload: the parsed JSON body ``{"reports": [...]}``.
    :param source: file name or description used in the messages.
    :param limit: problems listed in full (the rest are counted).
    """
    col = ProblemCollector(limit)
    col.extend(report_problems(payload, source))
    col.raise_if_any(f"BidSwitch report {source}" if source else "BidSwitch report")
    return DiscrepancyUpload.model_validate(payload)


# --------------------------------------------------------------------------- rows -> report
class _Where:
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
    where: _Where | None = field(default=None, compare=False, repr=False)
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


@dataclass
class BuildResult:
    """What the builder made: the upload body and everything it did that was not a copy.

    :param payload: ``{"reports": [...]}``, valid.
    :param notes: sentences for the log and the summary (zero-filled days, hours summed
        into full days, input columns ignored, seats without a row on a report day).
    :param rows: input rows used.
    """

    payload: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    rows: int = 0


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


#: "Coercion policy" (docs/bidswitch.md): text is never read as a number in typed input
TEXT_NUMBER_RULE = ("numbers must be given as numbers: text is not converted in rows or report= "
                    "(a CSV file is text and its cells are read as numbers)")


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


def _row_from_mapping(rec: Mapping[str, Any], where: _Where, columns: Mapping[str, str],
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


def _column_map(columns: Mapping[str, str] | None) -> dict[str, str]:
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(RECORD_FIELDS))
    if unknown:
        raise ValueError(f"columns: unknown field(s) {unknown}; the fields are {', '.join(RECORD_FIELDS)}")
    return columns


def rows_from_records(
    records: Iterable[Mapping[str, Any] | Sequence[Any]],
    *,
    columns: Mapping[str, str] | Sequence[str] | None = None,
    source: str = "rows",
    collector: ProblemCollector | None = None,
    notes: list[str] | None = None,
    conversions: Conversions | None = None,
) -> list[ReportRow]:
    """Typed rows from dicts (XCom, ``get_records`` as dicts) or sequences (SQL records).

    Values must have the document's types: text is not read as a number (see
    :data:`TEXT_NUMBER_RULE`); numbers of other Python types (``Decimal``, a whole
    ``float`` for a count) and spaces around text are converted and counted in
    ``conversions`` (whose :meth:`Conversions.notes` go to the summary).

    :param records: dicts keyed by field name, or sequences in the order of ``columns``.
    :param columns: for dicts, ``{field: key}`` where a key differs from the field name;
        for sequences, the field names of the positions (default: ``RECORD_FIELDS`` order:
        date, hour, seat, imps, cost, bids, timeouts, timezone, currency).
    :param source: name of the input in problem messages.
    :param collector: where problems go; a new one (raising at the end) when omitted.
    :param notes: where to add sentences about ignored keys.
    :param conversions: shared by several inputs; when omitted, its notes go to ``notes`` here.
    """
    own = collector is None
    col = collector if collector is not None else ProblemCollector()
    conv = conversions if conversions is not None else Conversions()
    positional = list(columns) if columns is not None and not isinstance(columns, Mapping) else None
    if positional is not None:
        bad = sorted(set(positional) - set(RECORD_FIELDS))
        if bad:
            raise ValueError(f"columns: unknown field(s) {bad}; the fields are {', '.join(RECORD_FIELDS)}")
    mapping = _column_map(columns if isinstance(columns, Mapping) else None)
    wanted = {mapping.get(f, f) for f in RECORD_FIELDS}
    ignored: dict[str, int] = {}
    numeric_hours = 0
    out: list[ReportRow] = []
    for i, rec in enumerate(records):
        where = _Where(source, None, i)
        if isinstance(rec, Mapping):
            for key in rec:
                if key not in wanted:
                    ignored[str(key)] = ignored.get(str(key), 0) + 1
            row = _row_from_mapping(rec, where, mapping, col, conv)
        elif isinstance(rec, Sequence) and not isinstance(rec, (str, bytes)):
            names = positional or list(RECORD_FIELDS)
            if len(rec) > len(names):
                col.add(where.problem("bidswitch.record.width",
                                      f"record has {len(rec)} values but only {len(names)} column names "
                                      f"({', '.join(names)}); pass columns=[...]", None))
                continue
            row = _row_from_mapping(dict(zip(names, rec)), where, {}, col, conv)
        else:
            col.add(where.problem("bidswitch.record.type",
                                  f"a row must be a dict or a sequence, got {type(rec).__name__}", None))
            continue
        if row is not None:
            out.append(row)
            if row.hour is not None and row.hour != _raw_hour(rec, mapping, positional):
                numeric_hours += 1
    if numeric_hours and notes is not None:
        notes.append(f"hour given as a number on {numeric_hours} row(s), written as the document's two-digit "
                     "string (e.g. 7 -> \"07\")")
    if ignored and notes is not None:
        notes.append("ignored input field(s) not part of the report: "
                     + ", ".join(f"{k} ({n} row(s))" for k, n in sorted(ignored.items())))
    if conversions is None and notes is not None:
        notes.extend(conv.notes())
    if own:
        col.raise_if_any(source)
    return out


def _raw_hour(rec: Any, mapping: Mapping[str, str], positional: list[str] | None) -> Any:
    if isinstance(rec, Mapping):
        raw = rec.get(mapping.get("hour", "hour"))
    else:
        names = positional or list(RECORD_FIELDS)
        raw = dict(zip(names, rec)).get("hour")
    return raw.strip() if isinstance(raw, str) else raw


def rows_from_csv(
    stream: IO[str],
    *,
    source: str = "csv",
    columns: Mapping[str, str] | Sequence[str] | None = None,
    delimiter: str = ",",
    collector: ProblemCollector | None = None,
    notes: list[str] | None = None,
    conversions: Conversions | None = None,
) -> list[ReportRow]:
    """Typed rows from a CSV text stream, read line by line.

    The first line is the header (columns ``date, hour, seat, imps, cost, bids,
    timeouts`` and optionally ``timezone, currency``) unless ``columns`` is a list,
    which names the columns of a file without header. Problems name the file, the
    physical line and the column.

    :param stream: text stream opened with ``newline=''``.
    :param source: file name or URI used in messages.
    :param columns: ``{field: header}`` for differently named headers, or a list of
        field names for a headerless file.
    """
    own = collector is None
    col = collector if collector is not None else ProblemCollector()
    conv = conversions if conversions is not None else Conversions()
    reader = csv.reader(tolerant(stream), delimiter=delimiter)
    rows = read_rows(reader)
    if columns is not None and not isinstance(columns, Mapping):
        header = list(columns)
        bad = sorted(set(header) - set(RECORD_FIELDS))
        if bad:
            raise ValueError(f"columns: unknown field(s) {bad}; the fields are {', '.join(RECORD_FIELDS)}")
        mapping: dict[str, str] = {}
    else:
        mapping = _column_map(columns)
        first = next(rows, None)
        if first is None or isinstance(first, Exception):
            col.add(Problem("bidswitch.csv.empty", "the file is empty (no header line)", source, 1, None)
                    if first is None else Problem("bidswitch.csv.unreadable", unreadable(first, 0), source, 1, None))
            if own:
                col.raise_if_any(source)
            return []
        header = [h.strip() for h in first]
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        missing = [mapping.get(f, f) for f in ("date", "imps", "cost") if mapping.get(f, f) not in header]
        for name in missing:
            col.add(Problem("bidswitch.csv.header", f"required column {name!r} is missing from the header "
                            f"(found: {', '.join(header)})", source, 1, name))
        if missing:
            if own:
                col.raise_if_any(source)
            return []
        wanted = {mapping.get(f, f) for f in RECORD_FIELDS}
        extra = [h for h in header if h not in wanted]
        if extra and notes is not None:
            notes.append(f"{source}: ignored column(s) not part of the report: {', '.join(extra)}")
    out: list[ReportRow] = []
    blank = 0
    for values in rows:
        if isinstance(values, Exception):  # not UTF-8, or a field over the csv module's size limit
            col.add(Problem("bidswitch.csv.unreadable", unreadable(values, reader.line_num), source,
                            reader.line_num + 1, None))
            break
        line = reader.line_num
        if not values or all(not v.strip() for v in values):
            blank += 1
            continue
        where = _Where(source, line, None)
        bad = not_utf8_cell(values)
        if bad is not None:
            i, what = bad
            col.add(where.problem("bidswitch.csv.encoding", f"the cell holds {what}",
                                  header[i] if i < len(header) else f"cell {i + 1}"))
            continue
        if len(values) != len(header):
            col.add(where.problem("bidswitch.csv.width",
                                  f"line has {len(values)} values, the header has {len(header)}", None))
            continue
        row = _row_from_mapping(dict(zip(header, values)), where, mapping, col, conv, typed=False)
        if row is not None:
            out.append(row)
    if blank and notes is not None:
        notes.append(f"{source}: skipped {blank} blank line(s)")
    if conversions is None and notes is not None:
        notes.extend(conv.notes())
    if own:
        col.raise_if_any(source)
    return out


def parse_report_dates(value: Any) -> list[str] | None:
    """Report days from a date, a list of dates, ``"d1,d2"`` or a range ``"start..end"`` (inclusive)."""
    if value is None or value == "" or value == []:
        return None
    items: list[Any]
    if isinstance(value, str):
        text = value.strip()
        if ".." in text:
            start_s, _, end_s = text.partition("..")
            start, end = _day(start_s), _day(end_s)
            if end < start:
                raise ValueError(f"report dates: range {text!r} ends before it starts")
            return [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
        items = [p for p in re.split(r"[,\s]+", text) if p]
    elif isinstance(value, (dt.date, dt.datetime)):
        items = [value]
    else:
        items = list(value)
    return sorted({_day(v).isoformat() for v in items})


def _day(value: Any) -> dt.date:
    """A date from a date, a datetime, ``YYYY-MM-DD`` or an ISO timestamp (as ``{{ data_interval_start }}``)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if check_date(text[:10]) or (len(text) > 10 and text[10] not in "T "):
        raise ValueError(f"report dates: {value!r} is not a YYYY-MM-DD date")
    return dt.date.fromisoformat(text[:10])


def _zero_row() -> dict[str, Any]:
    return {"imps": 0, "cost": 0}


def build_upload(
    rows: Iterable[ReportRow],
    *,
    report_dates: Iterable[str] | None = None,
    timezone: str = "UTC",
    currency: str = "USD",
    seat: str | None = None,
    granularity: str = "auto",
    zero_fill: bool = False,
    source: str = "rows",
    collector: ProblemCollector | None = None,
    notes: list[str] | None = None,
    input_days: Iterable[str] | None = None,
) -> BuildResult:
    """Group rows into one report per (seat, timezone, currency), one data array per day.

    :param rows: typed rows (:func:`rows_from_records`, :func:`rows_from_csv`).
    :param report_dates: the days to upload (``YYYY-MM-DD``); default every day found in
        the rows. A row on another day is an error (it would be dropped otherwise).
    :param timezone: for rows without a ``timezone`` value (pytz name).
    :param currency: for rows without a ``currency`` value (USD, EUR or JPY).
    :param seat: for rows without a ``seat`` value (None: report without seat).
    :param granularity: ``auto`` keeps rows as given (hourly or full-day), ``hourly``
        requires an hour on every row, ``daily`` sums hourly rows into one full-day row.
    :param zero_fill: report days without rows as zero reports ``{"imps": 0, "cost": 0}``
        (document: "Zero reports indicate that no trading occurred"). Without it, a
        report day with no row at all is an error.
    :param source: name of the input in messages.
    :param input_days: every day named by an input row, refused rows included
        (:attr:`Conversions.days`): a report day among them whose rows were all refused
        is reported as such, not as a day without rows.
    """
    own = collector is None
    col = collector if collector is not None else ProblemCollector()
    notes = notes if notes is not None else []
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}, got {granularity!r}")
    for what, err in (("timezone", check_timezone(timezone)), ("currency", check_currency(currency))):
        if err:
            rule = "bidswitch.timezone.unknown" if what == "timezone" else "bidswitch.currency.allowed_values"
            col.add(Problem(rule, err, f"argument {what}", None, what))
    rows = list(rows)
    dates = sorted(set(report_dates)) if report_dates is not None else sorted({r.date for r in rows})
    wanted = set(dates)

    seated = next((r for r in rows if r.seat is not None), None)
    if seat is None and seated is not None:
        for r in rows:
            if r.seat_blank:
                col.add(r.problem("bidswitch.seat.empty", f"the row has no seat while others name one (e.g. "
                                  f"{seated.seat!r} at {seated.origin}): it would become a report without seat "
                                  "beside the per-Buyer reports, which BidSwitch reads as the supplier total; "
                                  "fill in the seat or pass seat=...", "seat"))
    groups: dict[tuple[str | None, str, str], dict[str, list[ReportRow]]] = {}
    for r in rows:
        if r.date not in wanted:
            col.add(r.problem("bidswitch.date.outside", f"row is for {r.date}, not one of the report dates "
                              f"({', '.join(dates)}); widen the report dates or remove the row", "date"))
            continue
        key = (r.seat if r.seat is not None else seat, r.timezone or timezone, r.currency or currency)
        groups.setdefault(key, {}).setdefault(r.date, []).append(r)

    # per (seat, day): an hour once; hourly rows and a full-day row never together
    hours_seen: dict[tuple[str | None, str], dict[str, str]] = {}
    full_day: dict[tuple[str | None, str], str] = {}
    for (g_seat, _tz, _cur), days in groups.items():
        for day, day_rows in days.items():
            k = (g_seat, day)
            seat_txt = f"seat {g_seat!r}" if g_seat is not None else "no seat"
            for r in day_rows:
                if r.hour is None:
                    if granularity == "hourly":
                        col.add(r.problem("bidswitch.hour.required", "granularity 'hourly' needs an hour on "
                                          f"every row; {day} ({seat_txt}) has a full-day row", "hour"))
                    elif k in full_day:
                        col.add(r.problem("bidswitch.day.duplicate", f"second full-day row for {day} "
                                          f"({seat_txt}); first at {full_day[k]}", "hour"))
                    elif hours_seen.get(k):
                        first = next(iter(hours_seen[k].values()))
                        col.add(r.problem("bidswitch.day.mixed", f"{day} ({seat_txt}) has hourly rows (e.g. "
                                          f"{first}) and this full-day row (no hour): the hours would be "
                                          "counted twice", "hour"))
                    full_day.setdefault(k, r.origin)
                    continue
                seen = hours_seen.setdefault(k, {})
                if r.hour in seen:
                    col.add(r.problem("bidswitch.hour.duplicate", f"hour {r.hour} of {day} ({seat_txt}) appears "
                                      f"twice; first at {seen[r.hour]}", "hour"))
                    continue
                if k in full_day:
                    col.add(r.problem("bidswitch.day.mixed", f"{day} ({seat_txt}) has a full-day row "
                                      f"({full_day[k]}) and this hourly row: the hours would be counted twice",
                                      "hour"))
                seen[r.hour] = r.origin

    if not dates:
        col.add(Problem("bidswitch.rows.empty", "no rows and no report dates: nothing to report (give report "
                        "dates with zero_fill=True to report days without trading)", source, None, None))
    days_with_rows = {d for days in groups.values() for d in days}
    refused_days = set(input_days or ()) - days_with_rows
    for day in dates:
        if day in days_with_rows:
            continue
        if day in refused_days:
            col.add(Problem("bidswitch.date.no_valid_rows", f"every row for report day {day} was refused (see "
                            "the problems listed with it); fix those rows: the day is not reported without them",
                            source, None, "date"))
        elif not zero_fill:
            col.add(Problem("bidswitch.date.no_rows", f"no row for report day {day}; if nothing was traded, "
                            f"pass zero_fill=True to send a zero report ({ZERO_RULE})", source, None, "date"))
    if own:
        col.raise_if_any(source)
    elif col:
        return BuildResult({"reports": []}, notes, len(rows))

    if not groups and zero_fill:
        groups[(seat, timezone, currency)] = {}
    reports: list[dict[str, Any]] = []
    summed = 0
    filled: list[str] = []
    missing: list[str] = []
    for (g_seat, g_tz, g_cur), days in groups.items():
        data: dict[str, list[dict[str, Any]]] = {}
        for day in dates:
            day_rows = days.get(day)
            label = f"{g_seat} {day}" if g_seat is not None else day
            if not day_rows:
                if zero_fill:
                    data[day] = [_zero_row()]
                    filled.append(label)
                else:
                    missing.append(label)
                continue
            if granularity == "daily" and any(r.hour is not None for r in day_rows):
                data[day] = [_sum_rows(day_rows, label, col)]
                summed += len(day_rows)
            else:
                data[day] = [r.values() for r in sorted(day_rows, key=lambda r: r.hour or "")]
        if not data:
            continue
        rep: dict[str, Any] = {}
        if g_seat is not None:
            rep["seat"] = g_seat
        rep.update({"timezone": g_tz, "currency": g_cur, "data": data})
        reports.append(rep)
    if filled:
        notes.append(f"zero report ({{\"imps\": 0, \"cost\": 0}}) for day(s) without rows: {', '.join(filled)}")
    if missing:
        notes.append("no row and not reported (zero_fill is off) for: " + ", ".join(missing))
    if summed:
        notes.append(f"summed {summed} hourly row(s) into full-day rows (granularity 'daily')")
    payload = {"reports": reports}
    col.extend(report_problems(payload, source))
    if own:
        col.raise_if_any(source)
    return BuildResult(payload, notes, len(rows))


def _sum_rows(rows: list[ReportRow], label: str, col: ProblemCollector) -> dict[str, Any]:
    out: dict[str, Any] = {"imps": sum(r.imps for r in rows), "cost": round(sum(r.cost for r in rows), 6)}
    for name in ("bids", "timeouts"):
        present = [getattr(r, name) for r in rows if getattr(r, name) is not None]
        if len(present) == len(rows):
            out[name] = sum(present)
        elif present:
            col.add(rows[0].problem(f"bidswitch.{name}.partial", f"{label}: {name} is given on {len(present)} of "
                                    f"{len(rows)} hourly rows; a daily total would be wrong", name))
    return out


def apply_report_dates(payload: dict[str, Any], dates: Iterable[str], zero_fill: bool,
                       source: str | None = None) -> list[str]:
    """Check a ready report against the expected report days; zero-fill missing ones.

    Adds ``{"imps": 0, "cost": 0}`` days to ``payload`` in place when ``zero_fill``;
    returns notes. Raises :class:`ValidationFailed` for days outside ``dates`` or missing
    days without ``zero_fill``.
    """
    wanted = sorted(set(dates))
    col = ProblemCollector()
    notes: list[str] = []
    filled: list[str] = []
    for i, rep in enumerate(payload.get("reports") or []):
        data = rep.get("data") or {}
        for day in data:
            if day not in wanted:
                col.add(Problem("bidswitch.date.outside", f"day {day} is not one of the report dates "
                                f"({', '.join(wanted)})", source, None, f"reports[{i}].data.{day}"))
        for day in wanted:
            if day not in data:
                if zero_fill:
                    data[day] = [_zero_row()]
                    filled.append(f"reports[{i}].data.{day}")
                else:
                    col.add(Problem("bidswitch.date.no_rows", f"report has no day {day}; pass zero_fill=True to "
                                    f"send a zero report ({ZERO_RULE})", source, None, f"reports[{i}].data"))
        rep["data"] = {d: data[d] for d in sorted(data)}
    col.raise_if_any(f"BidSwitch report {source}" if source else "BidSwitch report")
    if filled:
        notes.append("zero report added for: " + ", ".join(filled))
    return notes


# --------------------------------------------------------------------------- report -> rows, summaries
def upload_to_rows(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Flatten an upload body back into builder rows (the inverse of :func:`build_upload`)."""
    out: list[dict[str, Any]] = []
    for rep in payload.get("reports", []):
        for day, rows in rep["data"].items():
            for row in rows:
                rec: dict[str, Any] = {"date": day, "hour": row.get("hour"), "seat": rep.get("seat"),
                                       "imps": row["imps"], "cost": row["cost"], "bids": row.get("bids"),
                                       "timeouts": row.get("timeouts"), "timezone": rep["timezone"],
                                       "currency": rep["currency"]}
                out.append(rec)
    return out


def describe_report(payload: Mapping[str, Any], index: Any) -> str:
    """``report 1 (seat '456', EST/JPY, days 2015-11-27)`` for an index the vendor quoted."""
    try:
        i = int(index)
        rep = payload["reports"][i]
        if i < 0:
            raise IndexError(i)
    except (TypeError, ValueError, IndexError, KeyError):
        return f"report index {index!r}"
    seat = f"seat {rep.get('seat')!r}" if rep.get("seat") is not None else "no seat"
    days = ", ".join(sorted(rep.get("data") or {})) or "no days"
    return f"report {i} ({seat}, {rep.get('timezone')}/{rep.get('currency')}, days {days})"


def summarize(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per report and day: rows, granularity and the totals of imps/cost/bids/timeouts."""
    out = []
    for i, rep in enumerate(payload.get("reports", [])):
        days: dict[str, dict[str, Any]] = {}
        for day, rows in rep["data"].items():
            tot: dict[str, Any] = {"rows": len(rows),
                                   "granularity": "hourly" if any("hour" in r for r in rows) else "daily",
                                   "imps": sum(r["imps"] for r in rows),
                                   "cost": round(sum(float(r["cost"]) for r in rows), 6)}
            for name in ("bids", "timeouts"):
                present = [r[name] for r in rows if r.get(name) is not None]
                tot[name] = sum(present) if present else None
            days[day] = tot
        out.append({"index": i, "seat": rep.get("seat"), "timezone": rep["timezone"],
                    "currency": rep["currency"], "days": days})
    return out


__all__ = [
    "CURRENCIES", "RECORD_FIELDS", "DataRow", "Report", "DiscrepancyUpload", "ReportRow", "BuildResult", "Conversions",
    "json_path", "report_problems", "validate_upload", "rows_from_records", "rows_from_csv", "build_upload",
    "apply_report_dates", "parse_report_dates", "upload_to_rows", "describe_report", "summarize",
    "ValidationFailed",
]
