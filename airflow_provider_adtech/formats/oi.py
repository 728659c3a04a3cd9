"""Opt-Intelligence publisher API: field rules, report queries and report rows.

Pure Python (no Airflow, no ``requests``). The rules quote the vendor document
("Publisher", ``opt-intelligence-publisher-api.txt``):

* publishers: ``name`` and ``status_id`` ("1 = active, 2 = inactive") are required
  on POST; ``category_id`` and ``key`` are optional; ``id``, ``create_date`` and
  ``modify_date`` are "system generated".
* placements: ``publisher_id``, ``name``, ``status_id`` ("9 = add to Approval
  Queue, 2 = off, 1 (system only) = live"), ``layout_id``, ``offer_format_id``,
  ``max_offers`` and ``parameter_share`` (boolean) are required on POST;
  ``time_period`` is "Required when max_impressions is in use" and
  ``time_period_offer`` "Required when max_impressions_offer is in use".
* reports: summary mode (``today``, ``yesterday``, ``mtd``) or custom mode
  (``start``, optional ``end``, "Both start and end dates are inclusive");
  ``id-type`` (placement or publisher) needs ``ids``; ``fields`` accepts "rpm,
  revenue, and impressions"; ``groupby`` accepts "placement, publisher, subid,
  and subid2" and subid grouping "will only return data starting from September
  29th, 2017"; "The max range for a Custom mode return is 2000 rows", paged with
  ``row_start`` (default 1) and ``row_limit`` (default 100), "whole numbers".
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector, ValidationFailed

# ---------------------------------------------------------------------------- constants
PUBLISHER_STATUS = {1: "active", 2: "inactive"}
#: "9 = add to Approval Queue, 2 = off, 1 (system only) = live"
PLACEMENT_STATUS_SETTABLE = {9: "add to Approval Queue", 2: "off"}
PLACEMENT_STATUS_SYSTEM = {1: "live"}
SYSTEM_FIELDS = ("id", "create_date", "modify_date")

REPORT_FIELDS = ("rpm", "revenue", "impressions")
REPORT_GROUPBY = ("placement", "publisher", "subid", "subid2")
ID_TYPES = ("publisher", "placement")
SUMMARY_PERIODS = ("today", "yesterday", "mtd")
#: "The max range for a Custom mode return is 2000 rows."
MAX_ROWS_PER_CALL = 2000
#: "The default row limit is 100 and the default starting row is 1."
DEFAULT_ROW_LIMIT = 100
#: "Grouping by Sub-Affiliate ID (subid and subid2) will only return data starting from
#: September 29th, 2017 and later."
SUBID_DATA_FROM = dt.date(2017, 9, 29)

#: identifier columns of a report row, in display order, then the stats
IDENTIFIER_COLUMNS = ("PUB_ID", "PUB", "PLACEMENT_ID", "PLACEMENT", "SUBID", "SUBID2")
STAT_COLUMNS = ("IMPRESSIONS", "REVENUE", "RPM")
#: the document's stat table spells it ``IMRPESSIONS``; responses use ``IMPRESSIONS``
IMPRESSIONS_TYPO = "IMRPESSIONS"

OUTPUT_EXTENSIONS = (".csv", ".jsonl", ".ndjson")


# ---------------------------------------------------------------------------- field rules
@dataclass(frozen=True)
class FieldRule:
    """One documented field: its type, whether POST needs it, allowed values."""

    name: str
    kind: str  # "id" (whole number >= 0), "count" (whole number >= 0), "days" (>= 1), "str", "bool"
    required: bool = False
    allowed: dict[int, str] | None = None
    system_only: dict[int, str] | None = None
    non_empty: bool = False


PUBLISHER_RULES: dict[str, FieldRule] = {
    r.name: r
    for r in (
        FieldRule("name", "str", required=True, non_empty=True),
        FieldRule("status_id", "id", required=True, allowed=PUBLISHER_STATUS),
        FieldRule("category_id", "id"),
        FieldRule("key", "str"),
    )
}

PLACEMENT_RULES: dict[str, FieldRule] = {
    r.name: r
    for r in (
        FieldRule("publisher_id", "id", required=True),
        FieldRule("name", "str", required=True, non_empty=True),
        FieldRule("status_id", "id", required=True, allowed=PLACEMENT_STATUS_SETTABLE,
                  system_only=PLACEMENT_STATUS_SYSTEM),
        FieldRule("category_id", "id"),
        FieldRule("layout_id", "id", required=True),
        FieldRule("offer_format_id", "id", required=True),
        FieldRule("max_offers", "count", required=True),
        FieldRule("max_impressions", "count"),
        FieldRule("max_impressions_time", "count"),
        FieldRule("time_period", "days"),
        FieldRule("max_impressions_offer", "count"),
        FieldRule("max_impressions_time_offer", "count"),
        FieldRule("time_period_offer", "days"),
        FieldRule("parameter_share", "bool", required=True),
        FieldRule("comment", "str"),
    )
}

#: (field in use, field it requires, the document's words)
PLACEMENT_REQUIRES = (
    ("max_impressions", "time_period", "time_period is 'Required when max_impressions is in use'"),
    ("max_impressions_offer", "time_period_offer",
     "time_period_offer is 'Required when max_impressions_offer is in use'"),
)
#: (part, whole, the document's words): a figure defined as a part of another is not larger
PLACEMENT_LIMITS = (
    ("max_impressions_time", "max_impressions",
     "max_impressions_time is 'The maximum number of times to display Offers to a User in a given time "
     "period', max_impressions the same 'in their lifetime'"),
    ("max_impressions_time_offer", "max_impressions_offer",
     "max_impressions_time_offer is 'The maximum number of times to display unique Offers to a User in a "
     "given time period', max_impressions_offer the same 'in their lifetime'"),
)
#: (field, companion, text): not a documented requirement, reported as a warning
PLACEMENT_ADVICE = (
    ("max_impressions_time", "time_period", "time_period is the 'Number of days for max_impressions_time'"),
    ("max_impressions_time_offer", "time_period_offer",
     "time_period_offer is the 'Number of days for max_impressions_time_offer'"),
)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def _check_value(rule: FieldRule, value: Any, where: dict[str, Any], kind_name: str,
                 out: list[Problem]) -> None:
    prefix = f"oi.{kind_name}"
    if rule.kind == "str":
        if not isinstance(value, str):
            out.append(Problem(f"{prefix}.{rule.name}.type", f"{rule.name} must be a string, got {value!r}",
                               **where))
        elif rule.non_empty and not value.strip():
            out.append(Problem(f"{prefix}.{rule.name}.empty", f"{rule.name} must not be empty", **where))
        return
    if rule.kind == "bool":
        if not isinstance(value, bool):
            out.append(Problem(f"{prefix}.{rule.name}.type",
                               f"{rule.name} must be a boolean (true/false), got {value!r}", **where))
        return
    if not _is_whole(value) or value < 0:
        out.append(Problem(f"{prefix}.{rule.name}.type",
                           f"{rule.name} must be a whole number >= 0, got {value!r}", **where))
        return
    value = int(value)
    if rule.kind == "days" and value < 1:
        out.append(Problem(f"{prefix}.{rule.name}.range",
                           f"{rule.name} is a number of days and must be at least 1, got {value}", **where))
    if rule.system_only and value in rule.system_only:
        out.append(Problem(
            f"{prefix}.{rule.name}.system_only",
            f"{rule.name} {value} ({rule.system_only[value]}) is set by the system only; allowed: "
            + ", ".join(f"{k} = {v}" for k, v in (rule.allowed or {}).items()),
            **where,
        ))
    elif rule.allowed and value not in rule.allowed:
        out.append(Problem(
            f"{prefix}.{rule.name}.value",
            f"{rule.name} must be one of " + ", ".join(f"{k} = {v}" for k, v in rule.allowed.items())
            + f"; got {value}",
            **where,
        ))


def check_record(
    record: Any,
    kind: str,
    *,
    mode: str = "create",
    source: str | None = None,
    line: int | None = None,
    current: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
) -> list[Problem]:
    """Problems of one publisher or placement payload.

    :param record: the JSON object to be sent.
    :param kind: ``publisher`` or ``placement``.
    :param mode: ``create`` (POST: required fields must be there) or ``update`` (PUT:
        only the fields given are checked; ``id`` may name the record to update).
    :param source: file name or record set, for the error location.
    :param line: line (or record number) for the error location.
    :param current: for updates, the record as the vendor holds it, so conditional
        requirements (``time_period`` with ``max_impressions``) see the merged result.
    :param warnings: receives advice that is not a documented rule.
    """
    if kind not in ("publisher", "placement"):
        raise ValueError(f"kind must be 'publisher' or 'placement', not {kind!r}")
    if mode not in ("create", "update"):
        raise ValueError(f"mode must be 'create' or 'update', not {mode!r}")
    rules = PUBLISHER_RULES if kind == "publisher" else PLACEMENT_RULES
    out: list[Problem] = []
    base = {"source": source, "line": line}
    if not isinstance(record, dict):
        out.append(Problem(f"oi.{kind}.object", f"a {kind} must be a JSON object, got {type(record).__name__}",
                           **base))
        return out
    for name, value in record.items():
        where = {**base, "column": name}
        if name in SYSTEM_FIELDS:
            if name == "id" and mode == "update":
                if not _is_whole(value) and not (isinstance(value, str) and value.isdigit()):
                    out.append(Problem(f"oi.{kind}.id.type", f"id must be a whole number, got {value!r}", **where))
                continue
            out.append(Problem(f"oi.{kind}.{name}.system",
                               f"{name} is system generated and cannot be sent", **where))
            continue
        rule = rules.get(name)
        if rule is None:
            out.append(Problem(f"oi.{kind}.unknown_field",
                               f"unknown {kind} field {name!r}; documented fields: " + ", ".join(rules), **where))
            continue
        if value is None:
            if rule.required:
                out.append(Problem(f"oi.{kind}.{name}.required", f"{name} is required and must not be null",
                                   **where))
            continue
        _check_value(rule, value, where, kind, out)
    if mode == "create":
        for name, rule in rules.items():
            if rule.required and name not in record:
                out.append(Problem(f"oi.{kind}.{name}.required", f"{name} is required when creating a {kind}",
                                   **base, column=name))
    if kind == "placement":
        merged = {**(current or {}), **record}
        for used, needed, text in PLACEMENT_REQUIRES:
            if merged.get(used) is not None and merged.get(needed) is None:
                out.append(Problem(f"oi.placement.{needed}.required", f"{text}; {used} is set", **base,
                                   column=needed))
        for part, whole, text in PLACEMENT_LIMITS:
            a, b = merged.get(part), merged.get(whole)
            if _is_number(a) and _is_number(b) and a > b:
                out.append(Problem(f"oi.placement.{part}.exceeds_lifetime",
                                   f"{part} {a} is more than {whole} {b}: a period is part of the lifetime ({text})",
                                   **base, column=part))
        for used, companion, text in PLACEMENT_ADVICE:
            if merged.get(used) is not None and merged.get(companion) is None and warnings is not None:
                where = Problem("", "", **base, column=used).location()
                warnings.append(f"{where}: {used} is set without {companion} ({text})")
    return out


def validate_record(record: Any, kind: str, *, mode: str = "create", current: dict | None = None,
                    source: str | None = None, warnings: list[str] | None = None) -> None:
    """Raise :class:`ValidationFailed` listing every problem of one payload."""
    problems = check_record(record, kind, mode=mode, source=source, current=current, warnings=warnings)
    if problems:
        raise ValidationFailed(problems, what=f"{kind} {mode}")


# ---------------------------------------------------------------------------- payload files
def _csv_value(rule: FieldRule | None, name: str, text: str) -> Any:
    """A CSV cell as the JSON value the field expects (left as text when it does not parse)."""
    if text == "":
        return None
    if name in ("id",) or (rule is not None and rule.kind in ("id", "count", "days")):
        try:
            return int(text)
        except ValueError:
            return text
    if rule is not None and rule.kind == "bool":
        low = text.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        return text
    return text


def read_records(stream: IO[str], source: str, kind: str) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """Records of a payload file with the line each starts on, and syntax problems.

    Formats, by the file name's extension: ``.json`` (one object or an array of
    objects), ``.jsonl``/``.ndjson`` (one object a line), ``.csv`` (a header of field
    names; empty cells are left out, numbers and ``true``/``false`` are converted).
    """
    ext = os.path.splitext(source.split("?")[0])[1].lower()
    records: list[tuple[int, Any]] = []
    problems: list[Problem] = []
    if ext in (".jsonl", ".ndjson"):
        for lineno, text in enumerate(stream, 1):
            if not text.strip():
                continue
            try:
                records.append((lineno, json.loads(text)))
            except json.JSONDecodeError as exc:
                problems.append(Problem("oi.payload.json", f"not valid JSON: {exc.msg} (column {exc.colno})",
                                        source, lineno))
        return records, problems
    if ext == ".csv":
        rules = PUBLISHER_RULES if kind == "publisher" else PLACEMENT_RULES
        reader = csv.reader(stream)
        header = next(reader, None)
        if not header:
            return [], [Problem("oi.payload.empty", "the file is empty (a header of field names is needed)",
                                source, 1)]
        header = [h.strip() for h in header]
        for row in reader:
            lineno = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(Problem("oi.payload.csv_width",
                                        f"{len(row)} cells but the header has {len(header)}", source, lineno))
                continue
            rec = {}
            for name, cell in zip(header, row):
                value = _csv_value(rules.get(name), name, cell.strip())
                if value is not None:
                    rec[name] = value
            records.append((lineno, rec))
        return records, problems
    if ext == ".json":
        text = stream.read()
        return _json_records(text, source)
    return [], [Problem("oi.payload.format", f"unknown payload file type {ext or '(none)'!r}; "
                        "use .json, .jsonl, .ndjson or .csv", source)]


def _json_records(text: str, source: str) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """Objects of a JSON document (an object or an array), each with its starting line."""
    decoder = json.JSONDecoder()

    def lineno(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    def skip_ws(pos: int) -> int:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        return pos

    pos = skip_ws(0)
    if pos >= len(text):
        return [], [Problem("oi.payload.empty", "the file is empty", source, 1)]
    if text[pos] != "[":
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            return [], [Problem("oi.payload.json", f"not valid JSON: {exc.msg} (column {exc.colno})",
                                source, exc.lineno)]
        if skip_ws(end) != len(text):
            return [], [Problem("oi.payload.json", "extra data after the JSON value", source, lineno(end))]
        return [(lineno(pos), obj)], []
    records: list[tuple[int, Any]] = []
    pos = skip_ws(pos + 1)
    if pos < len(text) and text[pos] == "]":
        return [], []
    while True:
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            return records, [Problem("oi.payload.json", f"not valid JSON: {exc.msg} (column {exc.colno})",
                                     source, exc.lineno)]
        records.append((lineno(pos), obj))
        pos = skip_ws(end)
        if pos < len(text) and text[pos] == ",":
            pos = skip_ws(pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            if skip_ws(pos + 1) != len(text):
                return records, [Problem("oi.payload.json", "extra data after the JSON array", source,
                                         lineno(pos + 1))]
            return records, []
        return records, [Problem("oi.payload.json", "expected ',' or ']' in the JSON array", source,
                                 lineno(pos))]


def validate_payload_file(stream: IO[str], source: str, kind: str, *, mode: str = "create",
                          limit: int = 50, warnings: list[str] | None = None) -> list[tuple[int, dict]]:
    """Read and check every record of a payload file; raise :class:`ValidationFailed` with
    all problems (syntax and field rules) at once, else return ``(line, record)`` pairs."""
    records, problems = read_records(stream, source, kind)
    collector = ProblemCollector(limit)
    collector.extend(problems)
    for lineno, rec in records:
        collector.extend(check_record(rec, kind, mode=mode, source=source, line=lineno, warnings=warnings))
        if mode == "update" and isinstance(rec, dict) and "id" not in rec:
            collector.add(Problem(f"oi.{kind}.id.required", f"an update needs the id of the {kind}", source,
                                  lineno, "id"))
    if not records and not problems:
        collector.add(Problem("oi.payload.empty", f"no {kind} records in the file", source))
    collector.raise_if_any(f"{kind} payload {source}")
    return records  # type: ignore[return-value]


# ---------------------------------------------------------------------------- report queries
def as_list(value: Any) -> list[str]:
    """A list of strings from a list or a comma-separated string (as templates render them)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (int, float)):
        return [str(value)]
    return [str(v).strip() for v in value if str(v).strip()]


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) > 10 and text[10] in "T ":
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))  # the rest must parse too
        text = text[:10]
    if len(text) != 10:
        raise ValueError(text)
    return dt.date.fromisoformat(text)


@dataclass
class ReportQuery:
    """A validated report request. JSON-able through :meth:`as_dict`.

    ``start`` is ``None`` in summary mode; then the answer holds ``today``,
    ``yesterday`` and ``mtd``.
    """

    start: str | None = None
    end: str | None = None
    id_type: str | None = None
    ids: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    groupby: list[str] = field(default_factory=list)
    report: str = "publishers"

    @property
    def mode(self) -> str:
        return "custom" if self.start else "summary"

    def params(self) -> dict[str, str]:
        """Query-string parameters, without paging."""
        out: dict[str, str] = {}
        if self.start:
            out["start"] = self.start
        if self.end:
            out["end"] = self.end
        if self.id_type:
            out["id-type"] = self.id_type
            out["ids"] = ",".join(self.ids)
        if self.fields:
            out["fields"] = ",".join(self.fields)
        if self.groupby:
            out["groupby"] = ",".join(self.groupby)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "id_type": self.id_type, "ids": list(self.ids),
                "fields": list(self.fields), "groupby": list(self.groupby), "report": self.report}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportQuery:
        return cls(**{k: data.get(k) for k in ("start", "end", "id_type") if data.get(k) is not None},
                   ids=list(data.get("ids") or []), fields=list(data.get("fields") or []),
                   groupby=list(data.get("groupby") or []), report=data.get("report") or "publishers")

    def describe(self) -> str:
        parts = [f"{self.start}..{self.end or self.start}" if self.start else "summary (today, yesterday, mtd)"]
        if self.id_type:
            parts.append(f"{self.id_type} ids {','.join(self.ids)}")
        if self.groupby:
            parts.append("grouped by " + ",".join(self.groupby))
        if self.fields:
            parts.append("fields " + ",".join(self.fields))
        return "; ".join(parts)


def build_report_query(
    start: Any = None,
    end: Any = None,
    *,
    id_type: str | None = None,
    ids: Any = None,
    fields: Any = None,
    groupby: Any = None,
    report: str = "publishers",
    source: str = "report query",
    warnings: list[str] | None = None,
) -> ReportQuery:
    """Check report parameters before any request; raise :class:`ValidationFailed` listing
    every problem (the column of a problem is the parameter's name).

    :param start: first day (``YYYY-MM-DD``, a date or a datetime); ``None`` = summary mode.
    :param end: last day, inclusive; default: the vendor's default (no ``end``).
    :param id_type: ``publisher`` or ``placement``; needs ``ids``.
    :param ids: ids to filter by (list or comma-separated string of whole numbers).
    :param fields: stats to return: ``rpm``, ``revenue``, ``impressions``.
    :param groupby: ``placement``, ``publisher``, ``subid``, ``subid2``.
    :param report: the report resource below ``reports/`` (the document's is ``publishers``).
    :param warnings: receives the subid-before-2017-09-29 caveat.
    """
    problems: list[Problem] = []

    def bad(param: str, rule: str, message: str) -> None:
        problems.append(Problem(rule, message, source, None, param))

    start_d = end_d = None
    if start not in (None, ""):
        try:
            start_d = _as_date(start)
        except ValueError:
            bad("start", "oi.report.date", f"start must be a date YYYY-MM-DD, got {start!r}")
    if end not in (None, ""):
        if start in (None, ""):
            bad("end", "oi.report.end_without_start",
                "end needs start: without start the report is in summary mode (today, yesterday, mtd)")
        try:
            end_d = _as_date(end)
        except ValueError:
            bad("end", "oi.report.date", f"end must be a date YYYY-MM-DD, got {end!r}")
    if start_d and end_d and end_d < start_d:
        bad("end", "oi.report.range", f"end {end_d} is before start {start_d} (both are inclusive)")

    id_list = as_list(ids)
    id_type_s = str(id_type).strip().lower() if id_type not in (None, "") else None
    if id_type_s is not None and id_type_s not in ID_TYPES:
        bad("id_type", "oi.report.id_type", f"id-type must be one of {', '.join(ID_TYPES)}, got {id_type!r}")
    if id_type_s is not None and not id_list:
        bad("ids", "oi.report.ids_required", "id-type needs ids: 'An additional field, ids, must also be present'")
    if id_list and id_type_s is None:
        bad("id_type", "oi.report.id_type_required", "ids need id-type (publisher or placement)")
    for i in id_list:
        if not i.isdigit():
            bad("ids", "oi.report.ids", f"ids must be whole numbers, got {i!r}")

    field_list = [f.lower() for f in as_list(fields)]
    for f in field_list:
        if f not in REPORT_FIELDS:
            bad("fields", "oi.report.fields", f"unknown field {f!r}; acceptable values: {', '.join(REPORT_FIELDS)}")
    group_list = [g.lower() for g in as_list(groupby)]
    for g in group_list:
        if g not in REPORT_GROUPBY:
            bad("groupby", "oi.report.groupby",
                f"unknown groupby {g!r}; acceptable values: {', '.join(REPORT_GROUPBY)}")
    if not str(report or "").strip() or not str(report).replace("_", "").replace("-", "").isalnum():
        bad("report", "oi.report.resource", f"report must be a resource name such as 'publishers', got {report!r}")
    if problems:
        raise ValidationFailed(problems, what=source)

    subid = [g for g in group_list if g in ("subid", "subid2")]
    if subid and warnings is not None and start_d is not None and start_d < SUBID_DATA_FROM:
        warnings.append(
            f"grouping by {','.join(subid)} 'will only return data starting from September 29th, 2017 and "
            f"later' (start is {start_d}): figures for days before {SUBID_DATA_FROM} are not in this report"
        )
    return ReportQuery(
        start=start_d.isoformat() if start_d else None,
        end=end_d.isoformat() if end_d else None,
        id_type=id_type_s,
        ids=id_list,
        fields=list(dict.fromkeys(field_list)),
        groupby=list(dict.fromkeys(group_list)),
        report=str(report).strip(),
    )


def check_page_size(page_size: Any, source: str = "report query") -> int:
    """``row_limit`` per call: a whole number from 1 to 2000."""
    if not _is_whole(page_size) and not (isinstance(page_size, str) and page_size.strip().isdigit()):
        raise ValidationFailed([Problem("oi.report.row_limit", f"page size must be a whole number, got "
                                        f"{page_size!r}", source, None, "page_size")], what=source)
    n = int(page_size)
    if not 1 <= n <= MAX_ROWS_PER_CALL:
        raise ValidationFailed([Problem("oi.report.row_limit", f"page size must be between 1 and "
                                        f"{MAX_ROWS_PER_CALL} ('The max range for a Custom mode return is "
                                        f"2000 rows'), got {n}", source, None, "page_size")], what=source)
    return n


# ---------------------------------------------------------------------------- report rows
def _number(value: Any) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def row_impressions(row: dict[str, Any]) -> float:
    """Impressions of a row (``IMPRESSIONS``; the document's ``IMRPESSIONS`` spelling is read too)."""
    if "IMPRESSIONS" in row:
        return _number(row["IMPRESSIONS"])
    return _number(row.get(IMPRESSIONS_TYPO))


@dataclass
class ReportFigures:
    """Totals of a report walk, without keeping the rows."""

    rows: int = 0
    impressions: float = 0.0
    revenue: float = 0.0
    pages: int = 0
    has_impressions: bool = False
    has_revenue: bool = False
    _digest: Any = field(default_factory=hashlib.sha256, repr=False)

    def add(self, row: dict[str, Any]) -> None:
        self.rows += 1
        if "IMPRESSIONS" in row or IMPRESSIONS_TYPO in row:
            self.has_impressions = True
            self.impressions += row_impressions(row)
        if "REVENUE" in row:
            self.has_revenue = True
            self.revenue += _number(row["REVENUE"])
        self._digest.update(json.dumps(row, sort_keys=True, default=str).encode())
        self._digest.update(b"\n")

    @property
    def fingerprint(self) -> str:
        return self._digest.hexdigest()

    @property
    def rpm(self) -> float | None:
        if not (self.has_impressions and self.has_revenue) or not self.impressions:
            return None
        return round(self.revenue / self.impressions * 1000, 4)

    def as_dict(self) -> dict[str, Any]:
        """Small JSON-able summary: rows, totals (``None`` where the report had no such stat)."""
        return {
            "rows": self.rows,
            "requests": self.pages,
            "impressions": int(self.impressions) if self.has_impressions and float(self.impressions).is_integer()
            else (self.impressions if self.has_impressions else None),
            "revenue": round(self.revenue, 4) if self.has_revenue else None,
            "rpm": self.rpm,
            "fingerprint": self.fingerprint,
        }


READY_CRITERIA = ("rows", "impressions", "settled")


def check_ready_criterion(ready_when: Any, min_rows: Any, min_impressions: Any, fields: list[str],
                          source: str = "sensor arguments") -> tuple[str, int, float]:
    """Check the "has data" criterion; raise :class:`ValidationFailed` listing every problem."""
    problems: list[Problem] = []
    crit = str(ready_when or "").strip().lower()
    if crit not in READY_CRITERIA:
        problems.append(Problem("oi.sensor.ready_when", f"ready_when must be one of {', '.join(READY_CRITERIA)}, "
                                f"got {ready_when!r}", source, None, "ready_when"))
    rows_n = impressions_n = 0
    try:
        rows_n = int(min_rows)
        if rows_n < 0 or (isinstance(min_rows, float) and not min_rows.is_integer()) or isinstance(min_rows, bool):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Problem("oi.sensor.min_rows", f"min_rows must be a whole number >= 0, got {min_rows!r}",
                                source, None, "min_rows"))
    try:
        impressions_n = float(min_impressions)
        if impressions_n < 0 or math.isnan(impressions_n) or isinstance(min_impressions, bool):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Problem("oi.sensor.min_impressions",
                                f"min_impressions must be a number >= 0, got {min_impressions!r}",
                                source, None, "min_impressions"))
    if crit == "impressions" and fields and "impressions" not in fields:
        problems.append(Problem("oi.sensor.impressions_field",
                                "ready_when='impressions' needs 'impressions' among fields "
                                f"(fields are {', '.join(fields)})", source, None, "fields"))
    if problems:
        raise ValidationFailed(problems, what=source)
    return crit, rows_n, impressions_n


def report_ready(criterion: str, figures: dict[str, Any], previous_fingerprint: str | None, *,
                 min_rows: int = 1, min_impressions: float = 0) -> tuple[bool, str]:
    """Whether a report "has data", and why (or why not).

    * ``rows``: at least ``min_rows`` rows;
    * ``impressions``: at least ``min_rows`` rows and ``min_impressions`` impressions in total;
    * ``settled``: at least ``min_rows`` rows and the same figures as at the previous poke.
    """
    rows = figures.get("rows") or 0
    needed = min_rows if criterion == "rows" else max(min_rows, 1)
    if rows < needed:
        return False, f"{rows} row(s), waiting for {needed}"
    if criterion == "rows":
        return True, f"{rows} row(s) >= {min_rows}"
    if criterion == "impressions":
        imp = figures.get("impressions") or 0
        if imp < min_impressions:
            return False, f"{imp} impressions, waiting for {min_impressions:g}"
        return True, f"{imp} impressions >= {min_impressions:g}"
    if previous_fingerprint is None:
        return False, f"{rows} row(s); waiting for a second poke to see whether the figures have settled"
    if previous_fingerprint != figures.get("fingerprint"):
        return False, f"{rows} row(s); figures changed since the previous poke"
    return True, f"{rows} row(s), figures unchanged since the previous poke"


# ---------------------------------------------------------------------------- writing rows
def output_format(target: str) -> str:
    """``csv`` or ``jsonl`` from the target's extension."""
    ext = os.path.splitext(target)[1].lower()
    return "csv" if ext == ".csv" else "jsonl"


def check_output_target(target: Any, source: str = "sensor arguments") -> str | None:
    """A local path or ``s3://bucket/key`` ending in .csv, .jsonl or .ndjson; else ValidationFailed."""
    if target in (None, ""):
        return None
    text = str(target).strip()
    problems: list[Problem] = []
    if "://" in text and not text.startswith("s3://"):
        problems.append(Problem("oi.output.scheme", f"output_path must be a local path or an s3:// URI, got "
                                f"{text!r}", source, None, "output_path"))
    elif text.startswith("s3://"):
        rest = text[5:]
        bucket, _, key = rest.partition("/")
        if not bucket or not key or key.endswith("/"):
            problems.append(Problem("oi.output.s3", f"output_path must be s3://bucket/key naming an object, got "
                                    f"{text!r}", source, None, "output_path"))
    elif text.endswith(("/", os.sep)) or os.path.isdir(text):
        problems.append(Problem("oi.output.directory", f"output_path must name a file, not a directory: {text!r}",
                                source, None, "output_path"))
    if not problems and os.path.splitext(text)[1].lower() not in OUTPUT_EXTENSIONS:
        problems.append(Problem("oi.output.extension", f"output_path must end in {', '.join(OUTPUT_EXTENSIONS)} "
                                f"(the file format), got {text!r}", source, None, "output_path"))
    if problems:
        raise ValidationFailed(problems, what=source)
    return text


def ordered_columns(keys: Iterable[str]) -> list[str]:
    """Report columns: identifiers, then stats, in the documented order; others after, sorted."""
    keys = set(keys)
    known = [c for c in IDENTIFIER_COLUMNS + STAT_COLUMNS if c in keys]
    return known + sorted(keys - set(known))


class JsonlRowWriter:
    """Writes report rows as JSON Lines to a text stream and remembers every column seen."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.columns: dict[str, None] = {}
        self.rows = 0

    def write(self, row: dict[str, Any]) -> None:
        for k in row:
            if k not in self.columns:
                self.columns[k] = None
        self.stream.write(json.dumps(row, separators=(",", ":"), default=str))
        self.stream.write("\n")
        self.rows += 1


def jsonl_to_csv(src: IO[str], dst: IO[str], columns: Iterable[str]) -> int:
    """Stream JSON Lines rows into CSV with the given columns (every key of every row:
    nothing is dropped; a row without a column gets an empty cell). Returns rows written."""
    cols = ordered_columns(columns)
    writer = csv.DictWriter(dst, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    n = 0
    for line in src:
        if line.strip():
            writer.writerow(json.loads(line))
            n += 1
    return n


def iter_csv_rows(stream: IO[str]) -> Iterator[dict[str, str]]:
    """Rows of a report CSV written by :func:`jsonl_to_csv`."""
    yield from csv.DictReader(stream)


__all__ = [
    "FieldRule", "PUBLISHER_RULES", "PLACEMENT_RULES", "check_record", "validate_record", "read_records",
    "validate_payload_file", "ReportQuery", "build_report_query", "check_page_size", "ReportFigures",
    "check_ready_criterion", "report_ready", "check_output_target", "output_format", "ordered_columns",
    "JsonlRowWriter", "jsonl_to_csv", "iter_csv_rows", "MAX_ROWS_PER_CALL", "SUBID_DATA_FROM",
]
