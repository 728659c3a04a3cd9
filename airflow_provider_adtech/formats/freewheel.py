"""FreeWheel AutoScheduler linear orders: the S3 delivery file and the JSON order lines.

Specification: FreeWheel's "AutoScheduler linear orders" document (file
specifications, "CSV File Data Fields" table and the API's "Basic Attributes" table).

**Delivery file** (:func:`build_delivery`): "a zipped, comma-delimited .csv file with a
file size of no more than 500MB", "each line in the file must represent one order
line", named ``linear_orders_{date of orders}_{timestamp}.csv``. Choices made here
where the document is silent, used everywhere:

* ``{date of orders}`` is ``YYYYMMDD`` (the document's date format), ``{timestamp}`` is
  ``YYYYMMDDHHMMSS`` (UTC). The archive is ``linear_orders_{date}_{timestamp}.zip`` and
  holds exactly one member, ``linear_orders_{date}_{timestamp}.csv``.
* The header row holds the column names of the table (``buget_units`` with the
  document's spelling; ``budget_units`` is accepted on input), then
  ``syscode_inclusions``, the field the document requires for regional syscodes.
* "String type fields must be enclosed within quotation marks": every String, Char and
  Array cell is quoted; Integer cells are not.
* **Array encoding**: the elements of an array field are written in one quoted cell,
  separated by commas without spaces, e.g. ``"1234,5678"`` (the document's own encoding
  for ``syscode_inclusions``: "a comma-separated list"). A String element therefore
  cannot contain a comma. Arrays of one line have equal lengths, at least one element.
* Line endings are CRLF (RFC 4180), encoding UTF-8 without BOM.

**JSON order lines** (:func:`validate_api_lines`, :func:`api_line_from_order`): the
API's "Basic Attributes" table; :func:`api_line_from_order` maps a delivery line to an
API line where the two meet.

Everything streams: the build keeps a compact index of the
``contractid+tb_system_id+order_line`` keys (12 bytes a line, needed for the
uniqueness rule), never the lines themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import math
import os
import re
import zipfile
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector, ValidationFailed
from airflow_provider_adtech.formats.text import (
    CONTROL_RX,
    control_chars_in,
    not_utf8_cell,
    read_rows,
    tolerant,
    unreadable,
)

# --------------------------------------------------------------------------- schema
#: "CSV File Data Fields", in the document's order (``buget_units`` spelled as there)
DOCUMENT_COLUMNS: tuple[str, ...] = (
    "contractid", "tb_system_id", "order_start_date", "order_end_date", "advertiser_name",
    "advertiser_code", "order_line", "spot_length", "prioritycode", "broadcast_week", "bookingdesc",
    "orbits", "syscode", "gross_dollars", "buget_units", "duration", "networkname", "networkcode",
    "marketname",
)
#: "If the order line is for regional syscode, then syscode_inclusions must have a
#: comma-separated list of local syscodes for that regional syscode."
INCLUSIONS_COLUMN = "syscode_inclusions"
#: the header of the delivered CSV
CSV_COLUMNS: tuple[str, ...] = DOCUMENT_COLUMNS + (INCLUSIONS_COLUMN,)
#: input spellings accepted for a column
INPUT_ALIASES: dict[str, str] = {"budget_units": "buget_units"}

INTEGER_FIELDS = ("contractid", "tb_system_id", "order_line", "spot_length", "prioritycode")
STRING_FIELDS = ("advertiser_name", "advertiser_code")
#: array fields and the type of their elements
ARRAY_FIELDS: dict[str, str] = {
    "syscode": "integer", "gross_dollars": "float", "buget_units": "integer", "duration": "integer",
    "networkname": "string", "networkcode": "string", "marketname": "string",
}
ARRAY_SEPARATOR = ","
#: "duration | required | int | In seconds (15,30,60)"
DEFAULT_DURATIONS: tuple[int, ...] = (15, 30, 60)
#: "a file size of no more than 500MB" (decimal megabytes: the stricter reading)
MAX_ZIP_BYTES = 500 * 1000 * 1000
#: separator of contractid, tb_system_id and order_line in the API's ``external_id``
EXTERNAL_ID_SEPARATOR = "-"

_INT_RE = re.compile(r"^\d+$")
_DEC_RE = re.compile(r"^\d+(\.\d+)?$")
_INT_LIST_RE = re.compile(r"^\d+(?:,\d+)*$")
_DEC_LIST_RE = re.compile(r"^\d+(?:\.\d+)?(?:,\d+(?:\.\d+)?)*$")
_YMD_RE = re.compile(r"^\d{8}$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEK_RE = re.compile(r"^(\d{4})([1-9]|[1-4]\d|5[0-3])$")
_HHMM = r"(?:[01]\d|2[0-3]):[0-5]\d"
_BOOKING_RE = re.compile(rf"^({_HHMM})-({_HHMM}|24:00)$")
_HHMM_RE = re.compile(rf"^(?:{_HHMM}|24:00)$")
_FILE_RE = re.compile(r"^linear_orders_(\d{8})_(\d{14})\.(csv|zip)$")

ARRAY_HINT = 'arrays are comma-separated values in one quoted cell, e.g. "1234,5678"'
#: a relation between two fields of one line, read from the API's description of the same order line
DOLLARS_RULE = ('document: the order line\'s "price | Price of each unit in dollars" and "budget.total_unit | '
                'Number of units requested": dollars are paid for units, so no units means no dollars')
#: "File Specifications": the reason a value may hold no line break (nor other control character)
ONE_LINE_RULE = 'document: "Each line in the file must represent one order line."'
#: "Basic Attributes Field": the same for the JSON order lines, which FreeWheel stores as order lines
API_ONE_LINE_RULE = ('document: "Each record represents a unit-based linear order line." (one line: '
                     '"Each line in the file must represent one order line.")')


def _may_hold_control(raw: Mapping[str, Any]) -> bool:
    """False when no string value of ``raw`` holds a control character (one regex over all)."""
    texts = []
    for v in raw.values():
        if type(v) is str:
            texts.append(v)
        elif isinstance(v, (list, tuple, Mapping)):
            return True
    return CONTROL_RX.search("".join(texts)) is not None


# --------------------------------------------------------------------------- names
def format_timestamp(value: Any) -> str:
    """``YYYYMMDDHHMMSS`` (UTC) from a datetime, an ISO string or such a 14-digit string."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value.strftime("%Y%m%d%H%M%S")
    text = str(value).strip()
    if re.fullmatch(r"\d{14}", text):
        dt.datetime.strptime(text, "%Y%m%d%H%M%S")  # a real time of day
        return text
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"timestamp must be a datetime, ISO text or YYYYMMDDHHMMSS, got {value!r}") from None
    return format_timestamp(parsed)


def delivery_names(orders_date: dt.date, timestamp: Any) -> tuple[str, str]:
    """``(csv_name, zip_name)``: ``linear_orders_{YYYYMMDD}_{YYYYMMDDHHMMSS}.csv`` / ``.zip``."""
    stem = f"linear_orders_{orders_date:%Y%m%d}_{format_timestamp(timestamp)}"
    return stem + ".csv", stem + ".zip"


def parse_delivery_name(name: str) -> tuple[dt.date, str, str] | None:
    """``(orders_date, timestamp, extension)`` of a delivery file name, or ``None``."""
    m = _FILE_RE.match(os.path.basename(name))
    if not m:
        return None
    try:
        day = dt.datetime.strptime(m.group(1), "%Y%m%d").date()
        dt.datetime.strptime(m.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return day, m.group(2), m.group(3)


def broadcast_week(day: dt.date) -> str:
    """The broadcast week of ``day`` in the document's ``broadcast_week`` form (``20201``).

    Broadcast calendar: weeks run Monday to Sunday; week 1 of a broadcast year is the
    week that contains January 1st. The week number is not zero-padded.
    """

    def year_start(year: int) -> dt.date:
        jan1 = dt.date(year, 1, 1)
        return jan1 - dt.timedelta(days=jan1.weekday())

    year = day.year
    if day >= year_start(year + 1):
        year += 1
    return f"{year}{(day - year_start(year)).days // 7 + 1}"


# --------------------------------------------------------------------------- one line
@dataclass
class OrderLine:
    """One validated delivery line (typed values)."""

    contractid: int
    tb_system_id: int
    order_start_date: dt.date
    order_end_date: dt.date
    advertiser_name: str
    advertiser_code: str
    order_line: int
    spot_length: int
    prioritycode: int
    broadcast_week: str
    bookingdesc: str
    orbits: bool
    syscode: list[int]
    gross_dollars: list[str]
    buget_units: list[int]
    duration: list[int]
    networkname: list[str]
    networkcode: list[str]
    marketname: list[str]
    syscode_inclusions: list[int] = field(default_factory=list)
    #: True when ``syscode_inclusions`` came from the ``regional_syscodes`` mapping
    inclusions_filled: bool = False
    #: line (or record number) of the input the line came from
    source_line: int | None = None

    @property
    def key(self) -> tuple[int, int, int]:
        return self.contractid, self.tb_system_id, self.order_line

    @property
    def external_id(self) -> str:
        """"contractid+tb_system_id+order_line ... compose the external_id"."""
        return EXTERNAL_ID_SEPARATOR.join(str(k) for k in self.key)

    def csv_cells(self) -> list[Any]:
        """Cells in :data:`CSV_COLUMNS` order: ints for Integer fields, text for the others."""
        sep = ARRAY_SEPARATOR
        return [
            self.contractid, self.tb_system_id,
            f"{self.order_start_date:%Y%m%d}", f"{self.order_end_date:%Y%m%d}",
            self.advertiser_name, self.advertiser_code,
            self.order_line, self.spot_length, self.prioritycode,
            self.broadcast_week, self.bookingdesc, "Y" if self.orbits else "N",
            sep.join(map(str, self.syscode)), sep.join(self.gross_dollars),
            sep.join(map(str, self.buget_units)), sep.join(map(str, self.duration)),
            sep.join(self.networkname), sep.join(self.networkcode), sep.join(self.marketname),
            sep.join(map(str, self.syscode_inclusions)),
        ]


@dataclass
class LineRules:
    """Configurable parts of the delivery rules.

    :param allowed_durations: permitted ``spot_length``/``duration`` values in seconds
        (the API's "In seconds (15,30,60)").
    :param regional_syscodes: regional syscode -> its local syscodes. A line that targets
        a regional syscode and carries no ``syscode_inclusions`` gets them from here (and
        the build reports how many lines were completed so); inclusions that name a
        syscode which is not local to any of the line's regional syscodes are an error.
    """

    allowed_durations: tuple[int, ...] = DEFAULT_DURATIONS
    regional_syscodes: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def make(cls, allowed_durations: Iterable[int] | None = None,
             regional_syscodes: Mapping[Any, Any] | None = None) -> LineRules:
        regional: dict[int, tuple[int, ...]] = {}
        for reg, locals_ in (regional_syscodes or {}).items():
            if isinstance(locals_, str):
                locals_ = [p for p in locals_.split(ARRAY_SEPARATOR) if p.strip()]
            try:
                regional[int(reg)] = tuple(int(x) for x in locals_)
            except (TypeError, ValueError):
                raise ValueError(f"regional_syscodes: {reg!r} -> {locals_!r} must map integers to integers") \
                    from None
        durations = tuple(int(d) for d in allowed_durations) if allowed_durations else DEFAULT_DURATIONS
        return cls(durations, regional)


class _LineParser:
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
        if not _INT_RE.match(text):
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
                if _INT_RE.match(text):
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
                          f"spot_length must be one of {_fmt_set(self._durations)} seconds, got {spot}")

        arrays = {name: self._array(raw, name, kind) for name, kind in ARRAY_FIELDS.items()}
        for i, d in enumerate(arrays["duration"] or []):
            if d not in self._durations:
                self._problem("freewheel.duration", f"duration[{i}]",
                              f"duration must be one of {_fmt_set(self._durations)} seconds, got {d}")
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
            if not _INT_RE.match(text):
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


def _fmt_set(values: Iterable[int]) -> str:
    return "{" + ", ".join(str(v) for v in sorted(values)) + "}"


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


# --------------------------------------------------------------------------- key index
class KeyIndex:
    """Set of line keys with the line that used each first, in flat arrays.

    Open addressing over 64-bit BLAKE2b digests of the key: 12 bytes a slot instead of
    the ~200 bytes of a Python ``dict`` entry, so a million lines cost ~25 MB.
    """

    def __init__(self, capacity: int = 1 << 12):
        self._cap = capacity
        self._mask = capacity - 1
        self._keys = array("Q", [0]) * capacity
        self._lines = array("I", [0]) * capacity
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @staticmethod
    def digest(key: tuple[Any, ...]) -> int:
        h = int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=8).digest(), "little")
        return h or 1

    def add(self, key: tuple[Any, ...], line: int) -> int | None:
        """Record ``key`` seen on ``line``; return the earlier line if it was seen before."""
        h = self.digest(key)
        keys, mask = self._keys, self._mask
        i = h & mask
        while True:
            k = keys[i]
            if k == 0:
                keys[i] = h
                self._lines[i] = line
                self._n += 1
                if self._n * 10 > self._cap * 7:
                    self._grow()
                return None
            if k == h:
                return self._lines[i]
            i = (i + 1) & mask

    def _grow(self) -> None:
        old_keys, old_lines = self._keys, self._lines
        self._cap *= 2
        self._mask = self._cap - 1
        self._keys = array("Q", [0]) * self._cap
        self._lines = array("I", [0]) * self._cap
        keys, lines, mask = self._keys, self._lines, self._mask
        for h, ln in zip(old_keys, old_lines):
            if h:
                i = h & mask
                while keys[i]:
                    i = (i + 1) & mask
                keys[i] = h
                lines[i] = ln


# --------------------------------------------------------------------------- input
def _canonical_header(name: str) -> str:
    name = name.strip().lstrip("\ufeff").strip().lower()
    return INPUT_ALIASES.get(name, name)


def check_columns(columns: Iterable[str], source: str | None) -> list[Problem]:
    """Problems with an input's columns (missing, unknown, twice, alias conflicts)."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for col in columns:
        canon = _canonical_header(col)
        if canon in seen:
            problems.append(Problem("freewheel.columns.duplicate",
                                    f"column {col!r} appears twice (as {seen[canon]!r} too)", source, 1, col))
            continue
        seen[canon] = col
        if canon not in CSV_COLUMNS:
            problems.append(Problem("freewheel.columns.unknown",
                                    f"unknown column {col!r}; the delivery file has {', '.join(CSV_COLUMNS)}",
                                    source, 1, col))
    for name in DOCUMENT_COLUMNS:
        if name not in seen:
            problems.append(Problem("freewheel.columns.missing", f"required column {name!r} is missing",
                                    source, 1, name))
    return problems


def iter_csv_records(stream: IO[str], source: str, problems: ProblemCollector,
                     stats: dict[str, int] | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, record)`` pairs from a delivery-schema CSV (header in the first row).

    ``line`` is the physical line where the record starts. A header with missing or
    unknown columns raises :class:`ValidationFailed` at once. Blank lines are skipped and
    counted in ``stats["blank_lines"]``; a row with the wrong number of cells is a problem.
    """
    reader = csv.reader(tolerant(stream))
    rows = read_rows(reader)
    header = next(rows, None)
    if header is None:
        problems.add(Problem("freewheel.empty", "the file is empty (no header row)", source, 1))
        return
    if isinstance(header, Exception):
        problems.add(Problem("freewheel.file.unreadable", unreadable(header, 0), source, 1))
        return
    header_problems = check_columns(header, source)
    if header_problems:
        problems.extend(header_problems)
        problems.raise_if_any(f"FreeWheel orders {source}")
    names = [_canonical_header(h) for h in header]
    width = len(names)
    prev_end = reader.line_num
    for row in rows:
        if isinstance(row, Exception):
            problems.add(Problem("freewheel.file.unreadable", unreadable(row, prev_end), source, prev_end + 1))
            return
        start = prev_end + 1
        prev_end = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            if stats is not None:
                stats["blank_lines"] = stats.get("blank_lines", 0) + 1
            continue
        bad = not_utf8_cell(row)
        if bad is not None:
            i, what = bad
            problems.add(Problem("freewheel.file.encoding", f"the cell holds {what}", source, start,
                                 names[i] if i < width else f"cell {i + 1}"))
            continue
        if len(row) != width:
            problems.add(Problem("freewheel.csv.cells",
                                 f"the row has {len(row)} cells, the header {width}; {ARRAY_HINT}",
                                 source, start))
            continue
        yield start, dict(zip(names, row))


def iter_row_records(rows: Iterable[Mapping[str, Any]], source: str,
                     problems: ProblemCollector) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(record number, record)`` pairs from dicts (1-based).

    Unknown keys (and a key given under two spellings) are problems of the record; a
    missing key is reported by the line rules as a required field.
    """
    good_keys: set[frozenset] = set()
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            problems.add(Problem("freewheel.record.type",
                                 f"a record must be a mapping, got {type(row).__name__}", source, n))
            continue
        keys = frozenset(row)
        if keys not in good_keys:
            bad = [p for p in check_columns(row.keys(), source) if p.rule != "freewheel.columns.missing"]
            for p in bad:
                problems.add(Problem(p.rule, p.message.replace("column", "field"), source, n, p.column))
            if bad:
                continue
            good_keys.add(keys)
        yield n, {_canonical_header(k): v for k, v in row.items()}


def parse_records(records: Iterable[tuple[int, Mapping[str, Any]]], source: str, problems: ProblemCollector,
                  rules: LineRules | None = None, keys: KeyIndex | None = None,
                  stats: dict[str, int] | None = None) -> Iterator[OrderLine]:
    """Validate records one by one; yield the good lines, add problems for the others.

    Enforces "contractid+tb_system_id+order_line must be unique within the CSV file"
    through ``keys`` (shared across several sources of one file).
    """
    parser = _LineParser(rules or LineRules(), problems, stats)
    keys = keys if keys is not None else KeyIndex()
    for line_no, raw in records:
        line = parser.parse(raw, source, line_no)
        if line is None:
            continue
        first = keys.add(line.key, line_no)
        if first is not None:
            problems.add(Problem(
                "freewheel.key.unique",
                "contractid+tb_system_id+order_line must be unique within the CSV file: "
                f"{line.key} was already used on line {first}",
                source, line_no, "contractid+tb_system_id+order_line"))
            continue
        yield line


# --------------------------------------------------------------------------- build
@dataclass
class DeliveryFile:
    """A built delivery: the zip on disk and what it holds."""

    zip_path: str
    zip_name: str
    csv_name: str
    orders_date: dt.date
    timestamp: str
    lines: int
    csv_bytes: int
    zip_bytes: int
    zip_md5: str
    csv_sha256: str
    inclusions_filled: int = 0
    blank_lines: int = 0
    values_trimmed: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.zip_name, "csv": self.csv_name, "orders_date": self.orders_date.isoformat(),
            "lines": self.lines, "csv_bytes": self.csv_bytes, "bytes": self.zip_bytes,
            "syscode_inclusions_filled": self.inclusions_filled, "blank_lines_skipped": self.blank_lines,
            "values_trimmed": self.values_trimmed,
        }


class DeliveryWriter:
    """Writes validated :class:`OrderLine` objects to the delivery CSV (stream)."""

    def __init__(self, fh: IO[str]):
        csv.writer(fh).writerow(CSV_COLUMNS)
        self._writer = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC)

    def write(self, line: OrderLine) -> None:
        self._writer.writerow(line.csv_cells())


def build_delivery(
    inputs: Iterable[tuple[str, Iterable[tuple[int, Mapping[str, Any]]]]],
    out_dir: str,
    *,
    orders_date: dt.date,
    timestamp: Any,
    rules: LineRules | None = None,
    max_zip_bytes: int = MAX_ZIP_BYTES,
    max_problems: int = 50,
    allow_empty: bool = False,
    stats: dict[str, int] | None = None,
    problems: ProblemCollector | None = None,
) -> DeliveryFile:
    """Validate every record and build ``linear_orders_{date}_{timestamp}.zip`` in ``out_dir``.

    :param inputs: ``(source name, records)`` pairs; records are ``(line, mapping)`` as
        made by :func:`iter_csv_records` or :func:`iter_row_records`. Records are consumed
        lazily (one pass); the CSV is written while validating.
    :param max_zip_bytes: "a file size of no more than 500MB", checked on the finished zip.
    :param allow_empty: accept zero order lines (otherwise a problem).
    :param stats: counters filled by the readers (``blank_lines``).
    :param problems: the collector the readers report to (one is made when not given).
    :raises ValidationFailed: with every problem found (up to ``max_problems`` listed);
        no file is left behind then.
    """
    csv_name, zip_name = delivery_names(orders_date, timestamp)
    ts = format_timestamp(timestamp)
    problems = problems if problems is not None else ProblemCollector(max_problems)
    keys = KeyIndex()
    rules = rules or LineRules()
    stats = stats if stats is not None else {}
    csv_path = os.path.join(out_dir, csv_name)
    zip_path = os.path.join(out_dir, zip_name)
    lines = filled = 0
    sources: list[str] = []
    try:
        with open(csv_path, "w", encoding="utf-8", newline="") as fh:
            writer = DeliveryWriter(fh)
            for source, records in inputs:
                sources.append(source)
                for line in parse_records(records, source, problems, rules, keys, stats):
                    if not problems:
                        writer.write(line)
                    lines += 1
                    filled += line.inclusions_filled
        if not problems and lines == 0 and not allow_empty:
            problems.add(Problem("freewheel.empty", "no order lines to deliver", ", ".join(sources) or None))
        problems.raise_if_any("FreeWheel linear orders")
        csv_bytes = os.path.getsize(csv_path)
        csv_sha = _zip_one(csv_path, csv_name, zip_path, ts)
        zip_bytes = os.path.getsize(zip_path)
        if zip_bytes > max_zip_bytes:
            raise ValidationFailed([Problem(
                "freewheel.file.max_size",
                f"the zipped file is {zip_bytes} bytes; FreeWheel accepts no more than {max_zip_bytes} bytes "
                "(\"a file size of no more than 500MB\"): split the orders into several deliveries",
                zip_name)], what="FreeWheel linear orders")
        md5 = _file_digest(zip_path, "md5")
    except BaseException:
        if os.path.exists(zip_path):
            os.unlink(zip_path)
        raise
    finally:
        if os.path.exists(csv_path):
            os.unlink(csv_path)
    return DeliveryFile(zip_path, zip_name, csv_name, orders_date, ts, lines, csv_bytes, zip_bytes, md5,
                        csv_sha, filled, stats.get("blank_lines", 0), stats.get("values_trimmed", 0))


def _zip_one(csv_path: str, csv_name: str, zip_path: str, ts: str) -> str:
    """Zip ``csv_path`` as the only member; deterministic bytes (member time = ``ts``)."""
    when = dt.datetime.strptime(ts, "%Y%m%d%H%M%S")
    info = zipfile.ZipInfo(csv_name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.file_size = os.path.getsize(csv_path)
    sha = hashlib.sha256()
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with open(csv_path, "rb") as src, zf.open(info, "w") as dst:
            while chunk := src.read(1 << 20):
                sha.update(chunk)
                dst.write(chunk)
    return sha.hexdigest()


def _file_digest(path: str, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def read_delivery(zip_path_or_bytes: str | bytes) -> tuple[str, list[str], list[list[str]]]:
    """``(member name, header, rows)`` of a delivery zip (for checks and tests)."""
    src = io.BytesIO(zip_path_or_bytes) if isinstance(zip_path_or_bytes, bytes) else zip_path_or_bytes
    with zipfile.ZipFile(src) as zf:
        names = zf.namelist()
        if len(names) != 1:
            raise ValueError(f"a delivery zip holds exactly one CSV, found {names}")
        with zf.open(names[0]) as fh:
            rows = list(csv.reader(io.TextIOWrapper(fh, encoding="utf-8", newline="")))
    return names[0], rows[0], rows[1:]


# --------------------------------------------------------------------------- API lines
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
    if not _INT_RE.match(code):
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
                if not isinstance(v, str) or not _ISO_DATE_RE.match(v):
                    raise ValueError
                dates[name] = dt.date.fromisoformat(v)
            except ValueError:
                self._p("freewheel.api.date", name, f"{name} must be a date as %Y-%m-%d, got {v!r}", n)
        if len(dates) == 2 and dates["end_date"] < dates["start_date"]:
            self._p("freewheel.api.date.order", "end_date", "end_date is before start_date", n)
        v = obj.get("duration", _MISSING)
        if v is not _MISSING and (not isinstance(v, int) or isinstance(v, bool) or v not in self.durations):
            self._p("freewheel.api.duration", "duration",
                    f"duration must be one of {_fmt_set(self.durations)} seconds, got {v!r}", n)
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


__all__ = [
    "CSV_COLUMNS", "DOCUMENT_COLUMNS", "DeliveryFile", "DeliveryWriter", "KeyIndex", "LineRules", "OrderLine",
    "ApiLineValidator", "api_line_from_order", "batched", "broadcast_week", "build_delivery", "check_columns",
    "delivery_names", "format_timestamp", "iter_csv_records", "iter_row_records", "parse_delivery_name",
    "parse_records", "read_delivery", "validate_api_lines",
]
