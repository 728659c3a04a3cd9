"""Opt-Intelligence publisher API hook (HTTP Basic): publishers, placements, reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from airflow_provider_adtech.exceptions import VendorApiError
from airflow_provider_adtech.formats import oi as oi_format
from airflow_provider_adtech.hooks.base import AdtechHook, _safe_json, vendor_message_from


class OiNotFoundError(VendorApiError):
    """The id does not exist: Opt-Intelligence answers ``400 {"status": "Retrieve Failed"}``
    (not 404) for a missing id, and ``403`` when deleting one."""


class OiHook(AdtechHook):
    """Talks to ``https://oiapi.com/v1/`` with HTTP Basic authentication ("Resource
    Overview": publishers GET/POST/PUT/DELETE, placements GET/POST/PUT, reports GET).
    Paths keep their trailing ``/``.

    Publisher and placement payloads are checked against the document's field rules
    (:mod:`airflow_provider_adtech.formats.oi`) before any request; a payload that breaks
    them raises :class:`~airflow_provider_adtech.formats.errors.ValidationFailed` (a
    ``ValueError`` listing every problem) and nothing is sent.

    Retries: GET and PUT (which sets fields to given values) are repeated on connection
    errors, 429 and 5xx; POST (a create) and DELETE (a repeat answers 403) are not.

    Connection: login/password = the API user; host overrides ``https://oiapi.com/v1/``.

    :param oi_conn_id: the Airflow connection, type ``optintelligence``.
    """

    conn_name_attr = "oi_conn_id"
    default_conn_name = "oi_default"
    conn_type = "optintelligence"
    hook_name = "Opt-Intelligence"
    vendor = "Opt-Intelligence"
    default_base_url = "https://oiapi.com/v1/"
    uses_token = False

    def __init__(self, oi_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(conn_id=oi_conn_id, **kwargs)
        self.oi_conn_id = oi_conn_id
        #: report requests made by the last :meth:`report_pages` walk
        self.last_walk_requests = 0

    def auth_for_request(self) -> Any:
        conn = self.connection
        if not conn.login or not conn.password:
            raise ValueError(f"connection {self.conn_id!r} needs login and password")
        return (conn.login, conn.password)

    def _check_credentials(self) -> None:
        self.request("GET", "publishers/")

    # ------------------------------------------------------------------ errors
    def error_for(self, resp: requests.Response, endpoint: str, hint: str = "") -> VendorApiError:
        """Explain the document's error shapes: ``400 Retrieve Failed`` (missing id) and a
        ``403`` on DELETE (missing or already deleted publisher)."""
        body = _safe_json(resp)
        status_text = body.get("status") if isinstance(body, dict) else None
        message = vendor_message_from(resp)
        if resp.status_code == 400 and status_text == "Retrieve Failed":
            return OiNotFoundError(self.vendor, endpoint, 400, message,
                                   hint or "no record with this id (Opt-Intelligence answers 400 "
                                   "'Retrieve Failed' for a missing id)", body=body)
        if resp.status_code == 403 and endpoint.startswith("DELETE"):
            return OiNotFoundError(self.vendor, endpoint, 403, message,
                                   hint or "Opt-Intelligence refuses to delete an id that does not exist or "
                                   "was already deleted (deletes are soft)", body=body)
        if resp.status_code == 400 and status_text == "Save Failed":
            hint = hint or "the vendor refused the record; check it against the field rules"
        return super().error_for(resp, endpoint, hint)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _id(value: Any, what: str) -> int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            raise ValueError(f"{what} id must be a whole number, got {value!r}")
        return int(value)

    def _json(self, resp: requests.Response, endpoint: str) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise VendorApiError(self.vendor, endpoint, resp.status_code, (resp.text or "")[:200],
                                 "the answer is not JSON") from None

    def _get(self, path: str, endpoint: str, params: dict[str, Any] | None = None) -> Any:
        resp = self.request("GET", path, endpoint=endpoint, params=params, headers={"Accept": "application/json"})
        return self._json(resp, endpoint)

    def _save(self, method: str, path: str, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.request(method, path, endpoint=endpoint, json=body, idempotent=method == "PUT",
                            headers={"Accept": "application/json"})
        answer = self._json(resp, endpoint)
        self.log.info("%s %s: %s", self.vendor, endpoint,
                      answer.get("message") if isinstance(answer, dict) else answer)
        return answer

    def _validated(self, record: dict[str, Any], kind: str, mode: str, current: dict | None = None) -> dict:
        warnings: list[str] = []
        oi_format.validate_record(record, kind, mode=mode, current=current, warnings=warnings,
                                  source=f"{kind} {record.get('name') or record.get('id') or ''}".strip()
                                  if isinstance(record, dict) else kind)
        for w in warnings:
            self.log.warning("%s: %s", self.vendor, w)
        return {k: v for k, v in record.items() if k != "id"}

    # ------------------------------------------------------------------ publishers
    def list_publishers(self) -> list[dict[str, Any]]:
        """All publishers (the vendor answers a bare JSON array)."""
        return self._get("publishers/", "GET /publishers/")

    def get_publisher(self, publisher_id: int | str) -> dict[str, Any]:
        """One publisher; :class:`OiNotFoundError` when the id does not exist."""
        pid = self._id(publisher_id, "publisher")
        return self._get(f"publishers/{pid}/", "GET /publishers/{id}/")

    def create_publisher(self, record: dict[str, Any]) -> dict[str, Any]:
        """Create a publisher (``name`` and ``status_id`` required). Not retried.

        :return: the vendor's answer, e.g. ``{"status": "Save Successful", "id": 59, ...}``.
        """
        body = self._validated(record, "publisher", "create")
        return self._save("POST", "publishers/", "POST /publishers/", body)

    def update_publisher(self, publisher_id: int | str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change fields of a publisher (e.g. ``{"status_id": 2}`` makes it inactive)."""
        pid = self._id(publisher_id, "publisher")
        body = self._validated(changes, "publisher", "update")
        return self._save("PUT", f"publishers/{pid}/", "PUT /publishers/{id}/", body)

    def delete_publisher(self, publisher_id: int | str) -> dict[str, Any]:
        """Soft-delete a publisher (its name cannot be used again). Not retried: a repeat
        answers 403, raised as :class:`OiNotFoundError`."""
        pid = self._id(publisher_id, "publisher")
        resp = self.request("DELETE", f"publishers/{pid}/", endpoint="DELETE /publishers/{id}/",
                            idempotent=False, headers={"Accept": "application/json"})
        answer = _safe_json(resp)
        self.log.info("%s: publisher %s deleted", self.vendor, pid)
        return answer if isinstance(answer, dict) else {"status": resp.status_code}

    # ------------------------------------------------------------------ placements
    def list_placements(self) -> list[dict[str, Any]]:
        """All placements (a bare JSON array)."""
        return self._get("placements/", "GET /placements/")

    def get_placement(self, placement_id: int | str) -> dict[str, Any]:
        """One placement (the vendor answers ``id`` as a string); :class:`OiNotFoundError`
        when the id does not exist."""
        pid = self._id(placement_id, "placement")
        return self._get(f"placements/{pid}/", "GET /placements/{id}/")

    def create_placement(self, record: dict[str, Any]) -> dict[str, Any]:
        """Create a placement, after checking the document's field rules. Not retried.

        :return: ``{"status": "Save Successful", "message": ..., "id": ...}``.
        """
        body = self._validated(record, "placement", "create")
        return self._save("POST", "placements/", "POST /placements/", body)

    def update_placement(self, placement_id: int | str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change fields of a placement. When the change sets ``max_impressions`` (or
        ``max_impressions_offer``) without its ``time_period``, the current placement is
        read first to see whether the vendor already holds one."""
        pid = self._id(placement_id, "placement")
        current = None
        if any(changes.get(used) is not None and needed not in changes
               for used, needed, _ in oi_format.PLACEMENT_REQUIRES):
            current = self.get_placement(pid)
        body = self._validated(changes, "placement", "update", current=current)
        return self._save("PUT", f"placements/{pid}/", "PUT /placements/{id}/", body)

    # ------------------------------------------------------------------ reports
    def report_query(self, start: Any = None, end: Any = None, **filters: Any) -> oi_format.ReportQuery:
        """Validate report parameters (see :func:`~airflow_provider_adtech.formats.oi.build_report_query`)
        and log the document's caveats (subid data only from 2017-09-29)."""
        warnings: list[str] = []
        query = oi_format.build_report_query(start, end, warnings=warnings, **filters)
        for w in warnings:
            self.log.warning("%s: %s", self.vendor, w)
        return query

    def _report_page(self, query: oi_format.ReportQuery, row_start: int, row_limit: int) -> dict[str, Any]:
        endpoint = f"GET /reports/{query.report}/"
        params = {**query.params(), "row_start": row_start, "row_limit": row_limit}
        body = self._get(f"reports/{query.report}/", endpoint, params=params)
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise VendorApiError(self.vendor, endpoint, 200, str(body)[:200], "unexpected report answer")
        if str(body.get("status", "ok")).lower() != "ok":
            raise VendorApiError(self.vendor, endpoint, 200, vendor_message_from_body(body),
                                 "the report answer's status is not ok")
        return body["data"]

    def report_pages(
        self,
        query: oi_format.ReportQuery,
        *,
        page_size: int = oi_format.MAX_ROWS_PER_CALL,
        max_rows: int | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of a custom-mode report, walking ``row_start``/``row_limit``.

        A page shorter than asked for is the last one, so no request is made past the
        end of a report (4500 rows at 2000 a page: exactly three requests). Only a report
        whose size is a multiple of the page size costs one more request, answered empty:
        the vendor does not tell the total.

        :param query: from :meth:`report_query`; must be in custom mode (``start`` set).
        :param page_size: ``row_limit`` per call, at most 2000 (the vendor's default is 100).
        :param max_rows: stop after this many rows (``None``: the whole report).
        """
        if query.mode != "custom":
            raise ValueError("report_pages needs a custom-mode query (start set); use summary_report()")
        page_size = oi_format.check_page_size(page_size)
        row_start = 1
        remaining = max_rows
        self.last_walk_requests = 0
        progress = self.progress(f"report {query.report}", unit="pages")  # the vendor gives no total
        while remaining is None or remaining > 0:
            limit = page_size if remaining is None else min(page_size, remaining)
            self.last_walk_requests += 1
            rows = self._report_page(query, row_start, limit).get("custom") or []
            if len(rows) > limit:
                raise VendorApiError(self.vendor, f"GET /reports/{query.report}/", 200,
                                     f"{len(rows)} rows for row_limit={limit}", "the vendor ignored row_limit")
            progress.update(self.last_walk_requests, rows=row_start - 1 + len(rows))
            if rows:
                yield rows
            if len(rows) < limit:
                progress.finish()
                return
            row_start += len(rows)
            if remaining is not None:
                remaining -= len(rows)
        progress.finish()

    def iter_report_rows(
        self, query: oi_format.ReportQuery, *, page_size: int = oi_format.MAX_ROWS_PER_CALL,
        max_rows: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every row of a custom-mode report, one at a time (see :meth:`report_pages`)."""
        for page in self.report_pages(query, page_size=page_size, max_rows=max_rows):
            yield from page

    def custom_report(self, start: Any, end: Any = None, *, page_size: int = oi_format.MAX_ROWS_PER_CALL,
                      max_rows: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        """All rows of a custom-mode report as a list (for small reports; stream big ones
        with :meth:`iter_report_rows`).

        :param start: first day, inclusive; :param end: last day, inclusive.
        :param filters: ``id_type``, ``ids``, ``fields``, ``groupby``, ``report``.
        """
        query = self.report_query(start, end, **filters)
        return list(self.iter_report_rows(query, page_size=page_size, max_rows=max_rows))

    def summary_report(self, *, page_size: int = oi_format.MAX_ROWS_PER_CALL,
                       **filters: Any) -> dict[str, list[dict[str, Any]]]:
        """Summary mode: ``{"today": [...], "yesterday": [...], "mtd": [...]}``.

        Grouped summaries can be long too; pages are requested until every period's list
        is shorter than the page size.

        :param filters: ``id_type``, ``ids``, ``fields``, ``groupby``, ``report``.
        """
        query = self.report_query(None, None, **filters)
        page_size = oi_format.check_page_size(page_size)
        out: dict[str, list[dict[str, Any]]] = {}
        row_start = 1
        while True:
            data = self._report_page(query, row_start, page_size)
            longest = 0
            for period, rows in data.items():
                rows = rows or []
                out.setdefault(period, []).extend(rows)
                longest = max(longest, len(rows))
            if longest < page_size:
                return out
            row_start += page_size

    def report_figures(self, query: oi_format.ReportQuery, *, page_size: int = oi_format.MAX_ROWS_PER_CALL,
                       writer: Any = None, max_rows: int | None = None) -> oi_format.ReportFigures:
        """Walk a custom-mode report and total it (rows, impressions, revenue, a fingerprint
        of every row) without keeping the rows; each row also goes to ``writer.write`` if given.

        :param max_rows: read only the first rows (``row_limit`` no larger than needed):
            enough to tell whether a report has that many rows, in one request up to 2000.
        """
        figures = oi_format.ReportFigures()
        for page in self.report_pages(query, page_size=page_size, max_rows=max_rows):
            for row in page:
                figures.add(row)
                if writer is not None:
                    writer.write(row)
        figures.pages = self.last_walk_requests
        return figures


def vendor_message_from_body(body: dict[str, Any]) -> str:
    for key in ("message", "status"):
        if isinstance(body.get(key), str):
            return body[key]
    return str(body)[:200]
