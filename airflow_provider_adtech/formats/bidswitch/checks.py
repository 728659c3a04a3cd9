"""Validation of a BidSwitch upload body: every problem with its JSON path and rule id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from airflow_provider_adtech.formats.bidswitch.model import DiscrepancyUpload
from airflow_provider_adtech.formats.bidswitch.relations import relation_problems
from airflow_provider_adtech.formats.bidswitch.schema import (
    ROW_FIELDS,
    TEXT_NUMBER_RULE,
    ZERO_RULE,
    check_currency,
)
from airflow_provider_adtech.formats.errors import Problem, ProblemCollector


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
