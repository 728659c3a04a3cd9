"""Publisher and placement payloads: the documented field rules and the checks of one record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_adtech.formats.errors import Problem, ValidationFailed

PUBLISHER_STATUS = {1: "active", 2: "inactive"}
#: "9 = add to Approval Queue, 2 = off, 1 (system only) = live"
PLACEMENT_STATUS_SETTABLE = {9: "add to Approval Queue", 2: "off"}
PLACEMENT_STATUS_SYSTEM = {1: "live"}
SYSTEM_FIELDS = ("id", "create_date", "modify_date")


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
