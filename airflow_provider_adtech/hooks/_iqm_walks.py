"""IQM list walks checked against the total IQM reports, and the check of partly refused changes.

A walk reads every page; a bulk change that IQM refused for some campaigns raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from airflow_provider_adtech.exceptions import VendorApiError
from airflow_provider_adtech.hooks._iqm_answers import (
    MAX_PAGE_SIZE,
    IqmListIncomplete,
    IqmPartialFailure,
    Page,
    _rows_total_key,
    campaign_label,
    refused_text,
)


class IqmWalks:
    """Paging and partial-failure checks of :class:`~airflow_provider_adtech.hooks.iqm.IqmHook`
    (they rely on its ``vendor``, ``log``, :meth:`progress` and :meth:`call`)."""

    def walk(self, fetch: Callable[[int, int, int], Page], page_size: int = MAX_PAGE_SIZE,
             what: str = "rows") -> Iterator[Any]:
        """Yield every row of a paged list. ``fetch(page_no, offset, page_size)`` returns one :class:`Page`.

        For lists whose pages count their own rows. When IQM reports a total (the filtered
        count first, see :data:`FILTERED_COUNT_KEYS`), the walk goes on until that many rows
        arrived or a page is empty, and raises :class:`IqmListIncomplete` when fewer arrived:
        never a silently partial list. Without a total, a page shorter than ``page_size``
        is the last. A page identical to the previous one (paging ignored) is an error
        rather than an endless loop.
        """
        page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
        page_no, seen, previous, last = 1, 0, None, None
        progress = self.progress(what, unit="pages")
        while True:
            page = fetch(page_no, seen, page_size)
            rows = page.rows
            self._check_not_repeated(rows, previous, page_no, what)
            if page.total is not None:
                last = page
            yield from rows
            seen += len(rows)
            progress.update(page_no, rows=seen, total=-(-last.total // page_size) if last is not None else None)
            if not rows or (last is not None and seen >= last.total) or (last is None and len(rows) < page_size):
                break
            previous = rows
            page_no += 1
        progress.finish()
        if last is not None and seen < last.total:
            raise self._incomplete(what, f"{seen} of {last.total} row(s) arrived", last, page_no)

    def _check_not_repeated(self, rows: list[Any], previous: list[Any] | None, page_no: int, what: str) -> None:
        if rows and rows == previous:
            raise VendorApiError(self.vendor, what, None, f"page {page_no} repeated page {page_no - 1}",
                                 "the endpoint ignored the paging parameters")

    def _incomplete(self, what: str, got: str, page: Page, pages: int) -> IqmListIncomplete:
        return IqmListIncomplete(
            self.vendor, what, 200, f"{got} (IQM reported {page.total_key} {page.total}) after {pages} page "
            "request(s)", "the list is incomplete, so nothing is returned; the data may have changed during "
            "the walk: the task may be retried")

    def walk_grouped(self, fetch: Callable[[int, int, int], Page], page_size: int = MAX_PAGE_SIZE,
                     what: str = "rows", group_key: str = "ioId", member_key: str = "campaigns",
                     member_id: tuple[str, ...] = ("id", "campaignId")) -> list[dict]:
        """Every group of a list of groups (an IO with its ``campaigns``), all pages, merged.

        The document does not say whether ``noOfEntries`` counts groups or their members, so
        the walk is right under both readings: a short page does not end it (only an empty
        page, or as many groups as the reported total); a group continued on the next page
        is merged into one (members once each, in order); and the result is compared with
        the reported total, which must match the groups or the members that arrived, else
        :class:`IqmListIncomplete`.
        """
        page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
        groups: dict[Any, dict] = {}
        members: dict[Any, dict[Any, Any]] = {}
        page_no, previous, last = 1, None, None
        progress = self.progress(what, unit="pages")  # no page total: what a page counts is uncertain
        while True:
            page = fetch(page_no, 0, page_size)  # pages by number: an offset's unit is as uncertain
            rows = page.rows
            self._check_not_repeated(rows, previous, page_no, what)
            if page.total is not None:
                last = page
            for row in rows:
                if not isinstance(row, dict):
                    raise VendorApiError(self.vendor, what, 200, f"a row is not an object: {str(row)[:100]}",
                                         "unexpected list answer")
                key = row.get(group_key)
                group = groups.setdefault(key, {k: v for k, v in row.items() if k != member_key})
                seen = members.setdefault(key, {})
                for m in row.get(member_key) or []:
                    mid = next((m.get(k) for k in member_id if isinstance(m, dict) and m.get(k) is not None),
                               None)
                    seen.setdefault(mid if mid is not None else len(seen), m)
                group[member_key] = list(seen.values())
            progress.update(page_no, rows=len(groups))
            if not rows or (last is not None and len(groups) >= last.total):
                break
            previous = rows
            page_no += 1
        progress.finish()
        n_members = sum(len(m) for m in members.values())
        if last is not None and len(groups) < last.total and n_members < last.total:
            raise self._incomplete(what, f"{len(groups)} group(s) with {n_members} {member_key} arrived", last,
                                   page_no)
        return list(groups.values())

    def _page_of(self, payload: Any) -> Page:
        rows, total, key = _rows_total_key(payload)
        return Page(rows, total, payload, key)

    def _post_page(self, path: str, endpoint: str, filters: dict | None, page_no: int, offset: int,
                   page_size: int, paging: str) -> Page:
        body = dict(filters or {})
        body["noOfEntries"] = page_size
        if paging == "offset":
            body["offset"] = offset
        else:
            body["pageNo"] = page_no
        return self._page_of(self.call("POST", path, endpoint, idempotent=True, json=body))

    def check_partial(self, payload: Any, endpoint: str, ids: list[int] | None = None, *,
                      allow_partial: bool = False) -> Any:
        """Raise on ``{"status": false, "reason": [...]}`` (the campaigns IQM refused), naming each
        campaign and its reason; with ``allow_partial`` log them and return the payload."""
        if not isinstance(payload, dict) or payload.get("status") is not False:
            return payload
        failures = [
            {"id": str(r.get("id")), "campaignName": r.get("campaignName"),
             "errorMessage": r.get("errorMessage") or r.get("error") or r.get("reason")}
            for r in (payload.get("reason") or []) if isinstance(r, dict)
        ]
        applied = [m for m in (payload.get("modified_data") or []) if isinstance(m, dict)]
        listed = "; ".join(f"{campaign_label(f['id'], f['campaignName'])}: {f['errorMessage']}" for f in failures)
        if not failures:
            raise IqmPartialFailure(self.vendor, endpoint, 200, "status: false without a reason",
                                    "IQM did not say which campaigns were changed; check them", body=payload)
        what = refused_text(len(failures), len(ids) if ids else None, len(applied))
        if allow_partial:
            self.log.warning("IQM %s: %s (allow_partial): %s", endpoint, what, listed)
            return payload
        raise IqmPartialFailure(
            self.vendor, endpoint, 200, listed,
            f"{what}; pass allow_partial=True to accept partial results", body=payload, failures=failures,
            applied=applied)
