"""IQM insertion-order endpoints of :class:`~airflow_provider_adtech.hooks.iqm.IqmHook`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from airflow_provider_adtech.hooks._iqm_answers import MAX_PAGE_SIZE, Page


class IqmInsertionOrders:
    """List, create, duplicate, delete and update insertion orders (they rely on the hook's
    :meth:`call`, :meth:`walk`, :meth:`walk_grouped` and ``_post_page``)."""

    def list_insertion_orders_page(self, filters: dict | None = None, page_no: int = 1,
                                   page_size: int = MAX_PAGE_SIZE, offset: int | None = None) -> Page:
        """One page of ``POST /api/v3/cmp/io/basic/list``; with ``offset`` (which wins) instead of
        ``pageNo``."""
        paging = "offset" if offset is not None else "page"
        return self._post_page("/api/v3/cmp/io/basic/list", "POST /api/v3/cmp/io/basic/list", filters,
                               page_no,
                               offset or 0, page_size, paging)

    def iter_insertion_orders(self, filters: dict | None = None, page_size: int = MAX_PAGE_SIZE,
                              paging: str = "page") -> Iterator[dict]:
        """Every insertion order (basic details), all pages; ``paging`` is ``page`` or ``offset``."""
        return self.walk(lambda n, o, size: self._post_page(
            "/api/v3/cmp/io/basic/list", "POST /api/v3/cmp/io/basic/list", filters, n, o, size, paging),
            page_size, "POST /api/v3/cmp/io/basic/list")

    def iter_io_campaigns(self, filters: dict | None = None, page_size: int = MAX_PAGE_SIZE,
                          paging: str = "page") -> Iterator[dict]:
        """``POST /api/v3/cmp/io/campaign/basic/list``: campaigns grouped by IO (one row per IO with
        ``campaigns``), all pages, walked by :meth:`walk_grouped` (a page may count IOs or
        campaigns: the document does not say). Filters: ``ioIds``, ``status``, ``ids`` ...
        ``paging`` is accepted for symmetry; the walk pages by number."""
        return iter(self.walk_grouped(lambda n, o, size: self._post_page(
            "/api/v3/cmp/io/campaign/basic/list", "POST /api/v3/cmp/io/campaign/basic/list", filters, n, o,
            size, "page"), page_size, "POST /api/v3/cmp/io/campaign/basic/list"))

    def iter_io_campaign_reports(self, filters: dict | None = None, page_size: int = MAX_PAGE_SIZE,
                                 paging: str = "page") -> Iterator[dict]:
        """``POST /api/v3/cmp/io/campaigns/list``: campaigns with report figures, all pages."""
        return self.walk(lambda n, o, size: self._post_page(
            "/api/v3/cmp/io/campaigns/list", "POST /api/v3/cmp/io/campaigns/list", filters, n, o, size,
            paging),
            page_size, "POST /api/v3/cmp/io/campaigns/list")

    def create_insertion_order(self, io: dict[str, Any]) -> dict:
        """``POST /api/v3/cmp/io/add``: sent once, never retried (a repeat would create a second IO)."""
        return self.call("POST", "/api/v3/cmp/io/add", "POST /api/v3/cmp/io/add", idempotent=False,
                         json=dict(io))

    def duplicate_insertion_order(self, io_id: int, *, start_time: int, end_time: int, time_zone_id: int,
                                  campaign_ids: Iterable[int] | None = None) -> dict:
        """``POST /api/v3/cmp/io/duplicate`` (times in epoch milliseconds): sent once, never retried.
        Returns ``{"duplicatedCampaignIds", "duplicatedIOId"}``."""
        body: dict[str, Any] = {"ioId": int(io_id), "ioStartTime": int(start_time),
                                "ioEndTime": int(end_time),
                                "ioTimeZoneId": int(time_zone_id)}
        if campaign_ids is not None:
            body["ioExistingCampaignIds"] = [int(i) for i in campaign_ids]
        return self.call("POST", "/api/v3/cmp/io/duplicate", "POST /api/v3/cmp/io/duplicate",
                         idempotent=False,
                         json=body)

    def delete_insertion_orders(self, io_ids: Iterable[int]) -> Any:
        """``POST /api/v3/cmp/io/delete``: the IOs and all their campaigns; sent once, never retried."""
        return self.call("POST", "/api/v3/cmp/io/delete", "POST /api/v3/cmp/io/delete", idempotent=False,
                         json={"ioIdsList": [int(i) for i in io_ids]})

    def update_insertion_order(self, io_id: int, fields: dict[str, Any]) -> Any:
        """``PATCH /api/v3/cmp/io/{ioId}``: update details (absolute values, repeatable)."""
        return self.call("PATCH", f"/api/v3/cmp/io/{int(io_id)}", "PATCH /api/v3/cmp/io/{ioId}",
                         idempotent=True,
                         json=dict(fields))

    def update_insertion_orders_end_date(self, io_ids: Iterable[int], end_time: int,
                                         extra: dict[str, Any] | None = None) -> Any:
        """``PATCH /api/v3/cmp/io/update-end-date``: ``ioEndTime`` (epoch ms) for several IOs (repeatable)."""
        body = {"ioIdsList": [int(i) for i in io_ids], "ioEndTime": int(end_time), **(extra or {})}
        return self.call("PATCH", "/api/v3/cmp/io/update-end-date", "PATCH /api/v3/cmp/io/update-end-date",
                         idempotent=True, json=body)

    def update_insertion_orders_budget(self, io_ids: Iterable[int], budget: float,
                                       budget_update_type: str) -> Any:
        """``PATCH /api/v3/cmp/io/update-budget``; ``budgetUpdateType`` ``add`` is sent once, never
        retried."""
        body = {"ioIdsList": [int(i) for i in io_ids], "budget": budget,
                "budgetUpdateType": budget_update_type}
        return self.call("PATCH", "/api/v3/cmp/io/update-budget", "PATCH /api/v3/cmp/io/update-budget",
                         idempotent=budget_update_type != "add", json=body)
