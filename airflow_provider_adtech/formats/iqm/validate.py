"""Every parameter of one action checked against the guide's rules, normalised for the hook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_adtech.formats.errors import ProblemCollector
from airflow_provider_adtech.formats.iqm.actions import ACTIONS, ActionSpec, check_action_at_parse
from airflow_provider_adtech.formats.iqm.schema import (
    CAMPAIGN_FIELDS, CAMPAIGN_STATUSES, IO_BUDGET_TYPE_BUDGET, IO_BUDGET_UPDATE_TYPES, IO_CREATE_REQUIRED,
    IO_FIELDS, MAX_PAGE_SIZE, PAGING_KEYS, TOTAL_BUDGET_UPDATE_TYPES)
from airflow_provider_adtech.formats.iqm.values import _Checker
from airflow_provider_adtech.utils.args import as_bool


@dataclass
class ValidatedAction:
    """Normalised values of one action, ready for the hook."""

    action: str
    spec: ActionSpec
    values: dict[str, Any] = field(default_factory=dict)
    #: values sent in another form than given (see :meth:`_Checker.note`)
    notes: list[str] = field(default_factory=list)


def _check_filters(c: _Checker, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    filters = c.mapping(value, "filters")
    if filters is None:
        return {}
    for key in sorted(set(filters) & PAGING_KEYS):
        c.add("iqm.filters.paging", f"{key} is managed by the operator, which walks every page; use "
              "page_size instead", f"filters.{key}")
    return filters


def _check_io_fields(c: _Checker, fields: dict[str, Any], *, creating: bool, column: str = "fields") -> None:
    for key in sorted(fields):
        if key not in IO_FIELDS:
            c.add("iqm.fields.unknown", f"{key!r} is not an insertion-order property of the document",
                  f"{column}.{key}")
    if creating:
        missing = [k for k in IO_CREATE_REQUIRED if fields.get(k) is None]
        budget_type = c._int(fields.get("ioBudgetTypeId"))
        if budget_type == IO_BUDGET_TYPE_BUDGET and fields.get("ioTotalBudget") is None:
            missing.append("ioTotalBudget")
        impression_based = budget_type is not None and budget_type != IO_BUDGET_TYPE_BUDGET
        if impression_based and fields.get("ioStatusId") is None:
            missing.append("ioStatusId")
        for key in missing:
            c.add("iqm.io.required", f"{key} is a required value to create an insertion order",
                  f"{column}.{key}")
    times = {}
    for key in ("ioStartTime", "ioEndTime"):
        if fields.get(key) is not None:
            n = c.epoch(fields[key], f"{column}.{key}", unit="ms", end=key == "ioEndTime", what=key)
            if n is not None:
                fields[key] = times[key] = n
    if len(times) == 2 and times["ioEndTime"] <= times["ioStartTime"]:
        c.add("iqm.io.end_before_start", "ioEndTime must be after ioStartTime", f"{column}.ioEndTime")
    if fields.get("ioTotalBudget") is not None:
        n = c.amount(fields["ioTotalBudget"], f"{column}.ioTotalBudget", "ioTotalBudget")
        if n is not None:
            fields["ioTotalBudget"] = n
    for key in ("ioTimeZoneId", "ioBudgetTypeId", "ioBudgetDistributionMethodId", "ioStatusId"):
        if fields.get(key) is not None:
            n = c.one_id(fields[key], f"{column}.{key}", key)
            if n is not None:
                fields[key] = n
    auto_sum = fields.get("isAutoSumIoTotalBudget")
    if auto_sum is not None and not isinstance(auto_sum, bool):
        c.add("iqm.fields.type", "isAutoSumIoTotalBudget must be true or false",
              f"{column}.isAutoSumIoTotalBudget")


def _check_campaign_fields(c: _Checker, fields: dict[str, Any]) -> None:
    if not fields:
        c.add("iqm.param.required", "no field to update", "fields")
    for key in sorted(fields):
        if key not in CAMPAIGN_FIELDS:
            c.add("iqm.fields.unknown", f"{key!r} is not a campaign property of the document",
                  f"fields.{key}")
    for key in ("budgetDay", "budgetTotal", "maxBid"):
        if fields.get(key) is not None:
            n = c.amount(fields[key], f"fields.{key}", key)
            if n is not None:
                fields[key] = n
    for key, end in (("startTime", False), ("endTime", True)):
        if fields.get(key) is not None:
            n = c.epoch(fields[key], f"fields.{key}", unit="s", end=end, what=key)
            if n is not None:
                fields[key] = n
    if fields.get("status") is not None and fields["status"] not in CAMPAIGN_STATUSES:
        c.add("iqm.campaign.status",
              f"status {fields['status']!r} is not one of {', '.join(CAMPAIGN_STATUSES)}",
              "fields.status")


def validate_action(action: str, params: Mapping[str, Any], *, source: str = "operator",
                    now: dt.datetime | None = None) -> ValidatedAction:
    """Check every parameter of ``action`` against the document's rules; raise
    :class:`ValidationFailed` listing all problems, else return the normalised values.

    :param params: the operator's (rendered) parameters, by name.
    :param now: reference time for "not in the past" checks (default: now, UTC).
    """
    problems = ProblemCollector()
    for p in check_action_at_parse(action, params, source, rendered=True):
        problems.add(p)
    problems.raise_if_any(f"IQM action {action!r}")
    spec = ACTIONS[action]
    c = _Checker(problems, source, now=now)
    v: dict[str, Any] = {}
    get = params.get

    if spec.kind == "list" or "filters" in spec.accepted:
        v["filters"] = _check_filters(c, get("filters"))
    if "page_size" in spec.accepted:
        size = get("page_size")
        if size is None:
            v["page_size"] = MAX_PAGE_SIZE
        else:
            n = c._int(size)
            if n is None or not 1 <= n <= MAX_PAGE_SIZE:
                c.add("iqm.page_size.range", f"page_size {size!r} must be between 1 and {MAX_PAGE_SIZE} "
                      "(at most 1000 rows a page)", "page_size")
            else:
                v["page_size"] = n
    if get("campaign_id") is not None and "campaign_id" in spec.accepted:
        v["campaign_id"] = c.one_id(get("campaign_id"), "campaign_id", "campaign id")
    if get("campaign_ids") is not None and "campaign_ids" in spec.accepted:
        v["campaign_ids"] = c.ids(get("campaign_ids"), "campaign_ids", "campaign id")
    if get("io_id") is not None and "io_id" in spec.accepted:
        v["io_id"] = c.one_id(get("io_id"), "io_id", "insertion order id")
    if get("io_ids") is not None and "io_ids" in spec.accepted:
        v["io_ids"] = c.ids(get("io_ids"), "io_ids", "insertion order id")
    if "is_spent_required" in spec.accepted:
        v["is_spent_required"] = as_bool(get("is_spent_required"), "is_spent_required", strict=False)

    if action == "update_name":
        name = c.name(get("campaign_name"), "campaign_name")
        if name is not None:
            v["campaign_name"] = name
    elif action == "update_end_date":
        v["end_time"] = c.epoch(get("end_time"), "end_time", unit="s", end=True, what="end date", future=True)
    elif action == "update_budget":
        for name, what in (("total_budget", "total budget"), ("daily_budget", "daily budget"),
                           ("max_bid", "max bid")):
            if get(name) is not None:
                v[name] = c.amount(get(name), name, what)
        kind = get("total_budget_update_type")
        if kind is None:
            v["total_budget_update_type"] = "change"
        else:
            v["total_budget_update_type"] = c.choice(
                kind, "total_budget_update_type", TOTAL_BUDGET_UPDATE_TYPES, "totalBudgetUpdateType",
                "iqm.budget.update_type")
            if v["total_budget_update_type"] in ("addition", "distribution") and get("total_budget") is None:
                c.add("iqm.budget.update_type_needs_total",
                      f"totalBudgetUpdateType {kind!r} is used in the case of a total budget update; "
                      "total_budget is missing", "total_budget")
    elif action == "patch_campaign":
        fields = c.mapping(get("fields"), "fields")
        if fields is not None:
            _check_campaign_fields(c, fields)
            v["fields"] = fields
    elif action == "apply_changes":
        v["changes_file"] = str(get("changes_file"))
    elif action == "create_insertion_order":
        fields = c.mapping(get("fields"), "fields")
        if fields is not None:
            _check_io_fields(c, fields, creating=True)
            v["fields"] = fields
    elif action == "update_insertion_order":
        fields = c.mapping(get("fields"), "fields")
        if fields is not None:
            if not fields:
                c.add("iqm.param.required", "no field to update", "fields")
            _check_io_fields(c, fields, creating=False)
            v["fields"] = fields
    elif action == "duplicate_insertion_order":
        start = c.epoch(get("start_time"), "start_time", unit="ms", end=False, what="ioStartTime")
        end = c.epoch(get("end_time"), "end_time", unit="ms", end=True, what="ioEndTime", future=True)
        if start is not None and end is not None and end <= start:
            c.add("iqm.io.end_before_start", "end_time (ioEndTime) must be after start_time (ioStartTime)",
                  "end_time")
        v["start_time"], v["end_time"] = start, end
        v["time_zone_id"] = c.one_id(get("time_zone_id"), "time_zone_id", "time zone id")
    elif action == "update_io_end_date":
        v["end_time"] = c.epoch(get("end_time"), "end_time", unit="ms", end=True, what="ioEndTime",
                                future=True)
    elif action == "update_io_budget":
        v["budget"] = c.amount(get("budget"), "budget", "budget")
        v["budget_update_type"] = c.choice(get("budget_update_type"), "budget_update_type",
                                           IO_BUDGET_UPDATE_TYPES, "budgetUpdateType",
                                           "iqm.io.budget_update_type")
    problems.raise_if_any(f"IQM action {action!r}")
    return ValidatedAction(action, spec, v, c.notes)
