"""IQM: read and change campaigns and insertion orders with one operator."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator
from airflow_provider_adtech.exceptions import AdtechValidationError
from airflow_provider_adtech.formats.errors import ValidationFailed
from airflow_provider_adtech.formats.iqm import ACTIONS, ALL_PARAMS, check_action_at_parse
from airflow_provider_adtech.formats.iqm.actions import request_summary
from airflow_provider_adtech.formats.iqm.schema import LIST_ID_KEYS

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context
    from airflow_provider_adtech.hooks.iqm import IqmHook

class IqmCampaignOperator(BaseOperator):
    """Run one IQM Campaign API action and return its (unwrapped) answer.

    Actions (``action``), with the parameters each needs; the rules of IQM's Campaign
    API guide are checked before any request, all problems at once:

    * campaigns: ``get_campaign`` (campaign_id, is_spent_required), ``get_campaigns_data``
      (filters), ``list_campaigns`` (filters, page_size), ``get_budget_info`` (campaign_id,
      filters), ``list_campaign_groups`` (filters, page_size), ``get_campaign_start``
      (campaign_id, filters), ``update_name`` (campaign_id, campaign_name), ``update_end_date``
      (campaign_ids, end_time), ``update_budget`` (campaign_ids and total_budget / daily_budget /
      max_bid, total_budget_update_type ``change`` | ``addition`` | ``distribution``),
      ``patch_campaign`` (campaign_id, fields), ``count_by_status`` (filters), ``apply_changes``
      (changes_file: per-campaign name, end date and budget changes, grouped into as few calls
      as possible);
    * insertion orders: ``list_insertion_orders``, ``list_io_campaigns`` (campaigns grouped by
      IO), ``list_io_campaign_reports`` (filters, page_size), ``create_insertion_order``
      (fields), ``duplicate_insertion_order`` (io_id, start_time, end_time, time_zone_id,
      campaign_ids), ``delete_insertion_orders`` (io_ids), ``update_insertion_order`` (io_id,
      fields), ``update_io_end_date`` (io_ids, end_time), ``update_io_budget`` (io_ids, budget,
      budget_update_type ``add`` | ``change``).

    An unknown action, a missing parameter or a parameter the action does not use fails when
    the DAG is parsed (unless it is a template, then before any request).

    Return value: reads give IQM's unwrapped answer; writes give ``{"request": <values sent>,
    "response": <unwrapped answer>}`` (plus ``failed`` when ``allow_partial`` accepted per-campaign
    refusals); list actions walk every page and give ``{"count", "ids", "rows"}``, with ``rows``
    only when there are at most ``max_xcom_rows`` of them; ``output_path`` receives every row as
    JSON Lines.

    Creating, duplicating and deleting insertion orders and additive budget changes are sent once
    and never retried.

    :param action: what to do (see above). (templated)
    :param campaign_id: one campaign id. (templated)
    :param campaign_ids: campaign ids: a list, ``"1,2,3"`` or a JSON list (e.g. an XCom). (templated)
    :param campaign_name: the new name for ``update_name``. (templated)
    :param end_time: the new end date: Unix epoch (seconds for campaigns, milliseconds for
        insertion orders, as IQM's ``endDate``/``ioEndTime``), ISO date-time, or ``YYYY-MM-DD``
        (the end of that day, UTC); the epoch sent is in the return value. (templated)
    :param start_time: start of a duplicated insertion order, as ``end_time`` (a plain date
        means the start of that day). (templated)
    :param total_budget: total budget for ``update_budget``. (templated)
    :param daily_budget: daily budget for ``update_budget``. (templated)
    :param max_bid: max bid for ``update_budget``. (templated)
    :param total_budget_update_type: ``change`` (default), ``addition`` or ``distribution``. (templated)
    :param fields: properties for ``patch_campaign``, ``create_insertion_order`` and
        ``update_insertion_order``, named as in IQM's API. (templated)
    :param filters: filters of a list or count action, named as in IQM's API (no paging keys). (templated)
    :param io_id: one insertion order id. (templated)
    :param io_ids: insertion order ids, as ``campaign_ids``. (templated)
    :param time_zone_id: IQM time zone id (``ioTimeZoneId``) of a duplicated IO. (templated)
    :param budget: budget for ``update_io_budget``. (templated)
    :param budget_update_type: ``add`` or ``change`` for ``update_io_budget``. (templated)
    :param is_spent_required: ask ``get_campaign`` for the spent. (templated)
    :param changes_file: local path or ``s3://`` URI of a JSON array or JSON Lines file of
        ``{"campaignId", "campaignName"?, "endDate"?, "totalBudget"?, "dailyBudget"?, "maxBid"?,
        "totalBudgetUpdateType"?}`` records, for ``apply_changes``. (templated)
    :param page_size: rows per page of a list action (1 to 1000; default 1000). (templated)
    :param output_path: local path or ``s3://`` URI receiving every row of a list action as
        JSON Lines. (templated)
    :param allow_partial: accept per-campaign refusals (returned and logged) instead of failing.
    :param max_xcom_rows: list actions return their rows only up to this many.
    :param max_xcom_ids: list actions return at most this many ids (``ids_truncated`` says so).
    :param iqm_conn_id: the IQM connection.
    :param aws_conn_id: connection of the object store a file URI names: an AWS
        connection for ``s3://``, else that of the scheme's provider (``gs://``, ``abfs://``...).
    """

    template_fields: Sequence[str] = ("action", *ALL_PARAMS, "output_path")
    template_fields_renderers = {"fields": "json", "filters": "json"}
    ui_color = "#e8f4ff"

    def __init__(
        self,
        *,
        action: str,
        campaign_id: int | str | None = None,
        campaign_ids: Any = None,
        campaign_name: str | None = None,
        end_time: Any = None,
        start_time: Any = None,
        total_budget: Any = None,
        daily_budget: Any = None,
        max_bid: Any = None,
        total_budget_update_type: str | None = None,
        fields: dict[str, Any] | str | None = None,
        filters: dict[str, Any] | str | None = None,
        io_id: int | str | None = None,
        io_ids: Any = None,
        time_zone_id: int | str | None = None,
        budget: Any = None,
        budget_update_type: str | None = None,
        is_spent_required: bool | str | None = None,
        changes_file: str | None = None,
        page_size: int | str | None = None,
        output_path: str | None = None,
        allow_partial: bool = False,
        max_xcom_rows: int = 50,
        max_xcom_ids: int = 10000,
        iqm_conn_id: str = "iqm_default",
        aws_conn_id: str | None = "aws_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.action = action
        self.campaign_id = campaign_id
        self.campaign_ids = campaign_ids
        self.campaign_name = campaign_name
        self.end_time = end_time
        self.start_time = start_time
        self.total_budget = total_budget
        self.daily_budget = daily_budget
        self.max_bid = max_bid
        self.total_budget_update_type = total_budget_update_type
        self.fields = fields
        self.filters = filters
        self.io_id = io_id
        self.io_ids = io_ids
        self.time_zone_id = time_zone_id
        self.budget = budget
        self.budget_update_type = budget_update_type
        self.is_spent_required = is_spent_required
        self.changes_file = changes_file
        self.page_size = page_size
        self.output_path = output_path
        self.allow_partial = allow_partial
        self.max_xcom_rows = max_xcom_rows
        self.max_xcom_ids = max_xcom_ids
        self.iqm_conn_id = iqm_conn_id
        self.aws_conn_id = aws_conn_id
        problems = check_action_at_parse(action, self._params(), f"task {self.task_id}")
        spec = ACTIONS.get(str(action))
        if output_path is not None and spec is not None and spec.kind != "list":
            from airflow_provider_adtech.formats.errors import Problem

            problems.append(Problem("iqm.param.unused",
                                    f"action {action} returns no list; output_path would be "
                                    "ignored", f"task {self.task_id}", column="output_path"))
        if problems:
            err = ValidationFailed(problems, what=f"IQM action {action!r}")
            raise AdtechValidationError(str(err), err.problems)

    def _params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ALL_PARAMS}

    def get_hook(self) -> IqmHook:
        from airflow_provider_adtech.hooks.iqm import IqmHook

        return IqmHook(iqm_conn_id=self.iqm_conn_id)

    # ------------------------------------------------------------------ execute
    def execute(self, context: Context) -> Any:
        from airflow_provider_adtech.formats.iqm import validate_action
        from airflow_provider_adtech.operators._iqm_changes import apply_changes

        source = f"task {self.task_id}"
        try:
            va = validate_action(self.action, self._params(), source=source)
            if self.output_path and va.spec.kind != "list":
                from airflow_provider_adtech.formats.errors import Problem

                unused = Problem("iqm.param.unused", f"action {va.action} returns no list; output_path "
                                 "would be ignored", source, column="output_path")
                raise ValidationFailed([unused], what=f"IQM action {va.action!r}")
            self._notes = list(va.notes)
            changes = self._read_changes() if self.action == "apply_changes" else None
        except ValidationFailed as exc:
            raise AdtechValidationError(str(exc), exc.problems) from None
        for note in self._notes:
            self.log.warning("IQM %s: %s", self.action, note)
        hook = self.get_hook()
        try:
            if va.spec.kind == "list":
                return self._list(hook, va.action, va.values)
            if self.action == "apply_changes":
                return apply_changes(hook, changes, self.changes_file, allow_partial=self.allow_partial,
                                     notes=self._notes, log=self.log)
            return self._single(hook, va.action, va.values)
        finally:
            hook.close()

    def _read_changes(self) -> list:
        from airflow_provider_adtech.formats.iqm import read_changes
        from airflow_provider_adtech.utils.storage import display_name, expand_sources, open_text

        from airflow_provider_adtech.formats.errors import Problem

        try:
            paths = expand_sources(self.changes_file, self.aws_conn_id)
        except FileNotFoundError as exc:
            raise ValidationFailed([Problem("iqm.changes.missing", str(exc), str(self.changes_file),
                                            column="changes_file")], what="IQM changes file") from None
        if len(paths) != 1:
            raise ValidationFailed([Problem("iqm.changes.one_file",
                                            f"{len(paths)} files match; give exactly one",
                                            str(self.changes_file), column="changes_file")],
                                   what="IQM changes file")
        path = paths[0]
        with open_text(path, self.aws_conn_id) as fh:
            text = fh.read()
        return read_changes(text, display_name(path), notes=self._notes)

    def _single(self, hook: IqmHook, action: str, v: dict[str, Any]) -> Any:
        if action == "get_campaign":
            return hook.get_campaign(v["campaign_id"], v["is_spent_required"])
        if action == "get_budget_info":
            return hook.get_budget_info(v.get("campaign_id"), v["filters"])
        if action == "get_campaign_start":
            return hook.get_campaign_start(v.get("campaign_id"), v["filters"])
        if action == "count_by_status":
            return hook.count_campaigns_by_status(v["filters"])
        return self._write(request_summary(action, v), self._send(hook, action, v))

    def _send(self, hook: IqmHook, action: str, v: dict[str, Any]) -> Any:
        if action == "update_name":
            return hook.update_campaign_name(v["campaign_id"], v["campaign_name"])
        if action == "update_end_date":
            return hook.update_campaigns_end_date(v["campaign_ids"], v["end_time"],
                                                  allow_partial=self.allow_partial)
        if action == "update_budget":
            amounts = {k: v[k] for k in ("total_budget", "daily_budget", "max_bid") if v.get(k) is not None}
            return hook.update_campaigns_budget(
                v["campaign_ids"], total_budget_update_type=v["total_budget_update_type"],
                allow_partial=self.allow_partial, **amounts)
        if action == "patch_campaign":
            return hook.patch_campaign(v["campaign_id"], v["fields"])
        if action == "create_insertion_order":
            return hook.create_insertion_order(v["fields"])
        if action == "duplicate_insertion_order":
            return hook.duplicate_insertion_order(
                v["io_id"], start_time=v["start_time"], end_time=v["end_time"],
                time_zone_id=v["time_zone_id"], campaign_ids=v.get("campaign_ids"))
        if action == "delete_insertion_orders":
            return hook.delete_insertion_orders(v["io_ids"])
        if action == "update_insertion_order":
            return hook.update_insertion_order(v["io_id"], v["fields"])
        if action == "update_io_end_date":
            return hook.update_insertion_orders_end_date(v["io_ids"], v["end_time"])
        if action == "update_io_budget":
            return hook.update_insertion_orders_budget(v["io_ids"], v["budget"], v["budget_update_type"])
        raise AssertionError(f"action {action} has no handler")  # the action table and this method disagree

    def _write(self, request: dict[str, Any], response: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"request": request, "response": response}
        if getattr(self, "_notes", None):
            out["notes"] = list(self._notes)
        if isinstance(response, dict) and response.get("status") is False:
            out["failed"] = [{"id": str(r.get("id")), "campaignName": r.get("campaignName"),
                              "errorMessage": r.get("errorMessage")} for r in response.get("reason") or []]
        self.log.info("IQM %s: sent %s", self.action, json.dumps(request, default=str)[:2000])
        return out

    # ------------------------------------------------------------------ lists
    def _rows(self, hook: IqmHook, action: str, v: dict[str, Any]):
        filters, size = v.get("filters") or {}, v.get("page_size", 1000)
        if action == "list_campaigns":
            return hook.iter_campaigns(filters, size)
        if action == "get_campaigns_data":
            return iter(hook.get_campaigns_data(filters))
        if action == "list_campaign_groups":
            return hook.iter_campaign_groups(filters, size)
        if action == "list_insertion_orders":
            return hook.iter_insertion_orders(filters, size)
        if action == "list_io_campaigns":
            return hook.iter_io_campaigns(filters, size)
        if action == "list_io_campaign_reports":
            return hook.iter_io_campaign_reports(filters, size)
        raise AssertionError(f"list action {action} has no handler")

    def _list(self, hook: IqmHook, action: str, v: dict[str, Any]) -> dict[str, Any]:
        import tempfile

        from airflow_provider_adtech.utils.args import as_id

        id_key = LIST_ID_KEYS[action]
        count, ids, nested, kept = 0, [], [], []
        tmp = None
        if self.output_path:
            tmp = tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".jsonl", delete=False)
        try:
            for row in self._rows(hook, action, v):
                count += 1
                if isinstance(row, dict):
                    ids.append(as_id(row.get(id_key)))
                    if action == "list_io_campaigns":
                        nested.extend(as_id(c.get("id", c.get("campaignId")))
                                      for c in row.get("campaigns") or []
                                      if isinstance(c, dict))
                if len(kept) <= self.max_xcom_rows:
                    kept.append(row)
                if tmp is not None:
                    tmp.write(json.dumps(row, default=str) + "\n")
            summary: dict[str, Any] = {"action": action, "count": count, "ids": ids[: self.max_xcom_ids]}
            if len(ids) > self.max_xcom_ids:
                summary["ids_truncated"] = True
            if action == "list_io_campaigns":
                summary["campaign_ids"] = nested[: self.max_xcom_ids]
                if len(nested) > self.max_xcom_ids:
                    summary["campaign_ids_truncated"] = True
            if count <= self.max_xcom_rows:
                summary["rows"] = kept
            if tmp is not None:
                from airflow_provider_adtech.utils.storage import put_file

                tmp.close()
                put_file(tmp.name, self.output_path, self.aws_conn_id)
                summary["output"] = self.output_path
        finally:
            if tmp is not None:
                tmp.close()
                os.unlink(tmp.name)
        self.log.info("IQM %s: %d row(s)%s%s", action, count,
                      "" if count <= self.max_xcom_rows
                      else f" (more than {self.max_xcom_rows}: rows not in XCom)",
                      f", written to {self.output_path}" if self.output_path else "")
        return summary

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        from airflow_provider_adtech.utils.lineage import operator_lineage

        inputs = [self.changes_file] if self.changes_file else []
        outputs = [self.output_path] if self.output_path else []
        return operator_lineage(inputs, outputs)


__all__ = ["IqmCampaignOperator"]
