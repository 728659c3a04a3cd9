"""The operator's actions (one IQM endpoint each), their parameters and parse-time checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_adtech.formats.errors import Problem


@dataclass(frozen=True)
class ActionSpec:
    """One operator action.

    :param name: the ``action`` value.
    :param endpoint: the IQM endpoint (documentation only).
    :param required: parameters that must be given.
    :param optional: parameters that may be given.
    :param one_of: at least one of these must be given.
    :param kind: ``read`` (one answer), ``list`` (every page walked) or ``write``.
    """

    name: str
    endpoint: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    kind: str = "read"

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset(self.required) | frozenset(self.optional) | frozenset(self.one_of)


_LIST_OPTS = ("filters", "page_size")

ACTIONS: dict[str, ActionSpec] = {s.name: s for s in [
    # --- campaigns
    ActionSpec("get_campaign", "GET /api/v2/cmp/campaign/{campaignId}", ("campaign_id",),
               ("is_spent_required",)),
    ActionSpec("get_campaigns_data", "GET /api/v2/cmp/campaigns/data", (), ("filters",), kind="list"),
    ActionSpec("list_campaigns", "GET /api/v2/cmp/campaigns/list", (), _LIST_OPTS, kind="list"),
    ActionSpec("get_budget_info", "GET /api/v2/cmp/campaign/budgetInfo", (), ("campaign_id", "filters")),
    ActionSpec("list_campaign_groups", "GET /api/v2/cmp/campaigngroup/campaign/list", (), _LIST_OPTS,
               kind="list"),
    ActionSpec("get_campaign_start", "GET /api/v2/cmp/campaign/start", (), ("campaign_id", "filters")),
    ActionSpec("update_name", "PATCH /api/v3/cmp/campaign/update-name/{campaignId}",
               ("campaign_id", "campaign_name"), kind="write"),
    ActionSpec("update_end_date", "PUT /api/v2/cmp/campaigns/update-end-date", ("campaign_ids", "end_time"),
               kind="write"),
    ActionSpec("update_budget", "PUT /api/v2/cmp/campaigns/update_budget", ("campaign_ids",),
               ("total_budget_update_type",), ("total_budget", "daily_budget", "max_bid"), kind="write"),
    ActionSpec("patch_campaign", "PATCH /api/v2/cmp/campaign/{campaignId}", ("campaign_id", "fields"),
               kind="write"),
    ActionSpec("count_by_status", "POST /api/v3/cmp/campaigns/count", (), ("filters",)),
    ActionSpec("apply_changes", "PUT update-end-date / PUT update_budget / PATCH update-name",
               ("changes_file",), kind="write"),
    # --- insertion orders
    ActionSpec("list_insertion_orders", "POST /api/v3/cmp/io/basic/list", (), _LIST_OPTS, kind="list"),
    ActionSpec("list_io_campaigns", "POST /api/v3/cmp/io/campaign/basic/list", (), _LIST_OPTS, kind="list"),
    ActionSpec("list_io_campaign_reports", "POST /api/v3/cmp/io/campaigns/list", (), _LIST_OPTS, kind="list"),
    ActionSpec("create_insertion_order", "POST /api/v3/cmp/io/add", ("fields",), kind="write"),
    ActionSpec("duplicate_insertion_order", "POST /api/v3/cmp/io/duplicate",
               ("io_id", "start_time", "end_time", "time_zone_id"), ("campaign_ids",), kind="write"),
    ActionSpec("delete_insertion_orders", "POST /api/v3/cmp/io/delete", ("io_ids",), kind="write"),
    ActionSpec("update_insertion_order", "PATCH /api/v3/cmp/io/{ioId}", ("io_id", "fields"), kind="write"),
    ActionSpec("update_io_end_date", "PATCH /api/v3/cmp/io/update-end-date", ("io_ids", "end_time"),
               kind="write"),
    ActionSpec("update_io_budget", "PATCH /api/v3/cmp/io/update-budget",
               ("io_ids", "budget", "budget_update_type"), kind="write"),
]}

#: every parameter an action can take (the operator's keyword arguments)
ALL_PARAMS = ("campaign_id", "campaign_ids", "campaign_name", "end_time", "start_time", "total_budget",
              "daily_budget", "max_bid", "total_budget_update_type", "fields", "filters", "io_id", "io_ids",
              "time_zone_id", "budget", "budget_update_type", "is_spent_required", "changes_file",
              "page_size")


def is_template(value: Any) -> bool:
    """A string Jinja will still render (so it cannot be judged at DAG-parse time)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _given(value: Any) -> bool:
    return value is not None


def check_action_at_parse(action: Any, params: Mapping[str, Any], source: str = "operator", *,
                          rendered: bool = False) -> list[Problem]:
    """Problems visible when the DAG is parsed: unknown action, missing or unused parameters.

    An action that is still a template is judged later (``rendered=True``, in :func:`validate_action`).
    """
    if is_template(action) and not rendered:
        return []
    out: list[Problem] = []
    spec = ACTIONS.get(str(action))
    if spec is None:
        out.append(Problem("iqm.action.unknown",
                           f"unknown action {action!r}; known actions: {', '.join(sorted(ACTIONS))}",
                           source, column="action"))
        return out
    for name in spec.required:
        if not _given(params.get(name)):
            out.append(Problem("iqm.param.missing", f"action {spec.name} needs {name} ({spec.endpoint})",
                               source, column=name))
    if spec.one_of and not any(_given(params.get(n)) for n in spec.one_of):
        out.append(Problem("iqm.param.missing",
                           f"action {spec.name} needs at least one of {', '.join(spec.one_of)}",
                           source, column=spec.one_of[0]))
    for name, value in params.items():
        if _given(value) and name not in spec.accepted:
            out.append(Problem("iqm.param.unused",
                               f"action {spec.name} does not use {name}; it would be ignored", source,
                               column=name))
    return out


def request_summary(action: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """What a write action asks of IQM, under the guide's request keys, for the task's summary
    (``values`` as :func:`~airflow_provider_adtech.formats.iqm.validate_action` normalised them)."""
    from airflow_provider_adtech.formats.iqm.schema import BUDGET_REQUEST_KEYS

    v = values
    if action == "update_name":
        return {"campaignId": v["campaign_id"], "campaignName": v["campaign_name"]}
    if action == "update_end_date":
        return {"campaignIds": v["campaign_ids"], "endDate": v["end_time"]}
    if action == "update_budget":
        return {"campaignIds": v["campaign_ids"], "totalBudgetUpdateType": v["total_budget_update_type"],
                **{key: v[name] for name, key in BUDGET_REQUEST_KEYS.items() if v.get(name) is not None}}
    if action == "patch_campaign":
        return {"campaignId": v["campaign_id"], **v["fields"]}
    if action == "create_insertion_order":
        return dict(v["fields"])
    if action == "duplicate_insertion_order":
        request = {"ioId": v["io_id"], "ioStartTime": v["start_time"], "ioEndTime": v["end_time"],
                   "ioTimeZoneId": v["time_zone_id"]}
        if v.get("campaign_ids"):
            request["ioExistingCampaignIds"] = v["campaign_ids"]
        return request
    if action == "delete_insertion_orders":
        return {"ioIdsList": v["io_ids"]}
    if action == "update_insertion_order":
        return {"ioId": v["io_id"], **v["fields"]}
    if action == "update_io_end_date":
        return {"ioIdsList": v["io_ids"], "ioEndTime": v["end_time"]}
    if action == "update_io_budget":
        return {"ioIdsList": v["io_ids"], "budget": v["budget"], "budgetUpdateType": v["budget_update_type"]}
    raise ValueError(f"action {action!r} is not a write action")
