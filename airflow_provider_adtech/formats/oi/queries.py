"""Report queries: the documented parameters, their checks and the validated request.

Summary or custom mode, ids, fields, groupby and paging are checked before any request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_adtech.formats.errors import Problem, ValidationFailed
from airflow_provider_adtech.formats.oi.records import _is_whole
from airflow_provider_adtech.utils import args as _args

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


def as_list(value: Any, name: str = "value") -> list[str]:
    """A list of strings from a list or a comma-separated string (as templates render them)."""
    return _args.as_list(value, name)


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
            start_d = _args.as_day(start, "start", strict=True)
        except ValueError:
            bad("start", "oi.report.date", f"start must be a date YYYY-MM-DD, got {start!r}")
    if end not in (None, ""):
        if start in (None, ""):
            bad("end", "oi.report.end_without_start",
                "end needs start: without start the report is in summary mode (today, yesterday, mtd)")
        try:
            end_d = _args.as_day(end, "end", strict=True)
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
