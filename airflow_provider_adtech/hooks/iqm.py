"""IQM API hook: login with Basic client credentials, refresh token, workspace headers,
and every endpoint of IQM's Campaign API guide (``iqm-campaign-api.txt``).

The guide's answers come in three envelopes, unwrapped in one place
(:meth:`IqmHook.unwrap`): ``{"success": ..., "data": ...}``, ``{"statusCode": ...,
"responseObject": ...}`` and list shapes (``{"statusCode", "recordsTotal", "data": [...]}``,
``{"totalRecords", "ioBasicDetailsList": [...]}`` ...). Errors
(``{"success": false, "errorObjects": [{"error": ...}]}``) are raised with their text.
List endpoints are also generators (``iter_*``) that walk every page, at most 1000 rows
a page ("noOfEntries"), so callers never handle paging.

Idempotency: reads, name/end-date/field changes and ``change``/``distribution`` budget
updates set absolute values and are retried on 429/5xx/connection errors (honouring
``Retry-After``). Creating, duplicating and deleting insertion orders and additive budget
changes (``addition``/``add``) are sent once: their errors say the call may or may not
have been applied.
"""

from __future__ import annotations

import base64
import collections
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow_provider_adtech.exceptions import (
    VendorApiError,
    VendorAuthError,
    VendorNoAnswer,
    VendorOutcomeUnknown,
    VendorTransportError,
)
from airflow_provider_adtech.hooks.base import AdtechHook, vendor_message_from
from airflow_provider_adtech.hooks.token_cache import Token

#: "at most 1000 rows a page"
MAX_PAGE_SIZE = 1000
#: IQM allows 20 requests a minute, then answers 429
REQUESTS_PER_MINUTE = 20

#: keys under which the guide's list answers carry their rows, in order of preference
ROW_KEYS = ("data", "ioBasicDetailsList", "ioCampaignsList", "recordsList", "campaignGroupList", "list",
            "records")
#: keys that carry a row count (``recordsTotal`` is an object of totals on ``/io/campaigns/list``)
COUNT_KEYS = ("filteredRecords", "recordsFiltered", "totalRecords", "recordsTotal", "totalCount")
#: counts of the rows that match the request's filters: preferred over the others, which the
#: document's samples show counting the whole workspace (``"totalRecords": 272`` beside
#: ``"filteredRecords": 4``)
FILTERED_COUNT_KEYS = ("filteredRecords", "recordsFiltered")

NOT_REPEATED = ("not retried automatically because repeating it is not safe; the request may or may not "
                "have been applied, check before running it again")


class IqmPartialFailure(VendorApiError, AirflowFailException):
    """IQM applied a change to some campaigns and refused it for others. Airflow does not retry
    the task: repeating it would apply additive changes twice to the campaigns that took them.

    ``failures``: ``[{"id", "campaignName", "errorMessage"}]`` as IQM gave them;
    ``applied``: the ``modified_data`` entries of the campaigns that were changed.
    """

    def __init__(self, vendor: str, endpoint: str, status: int | None, vendor_message: str = "",
                 hint: str = "", *, body: object | None = None, failures: list[dict] | None = None,
                 applied: list[dict] | None = None):
        self.failures = list(failures or [])
        self.applied = list(applied or [])
        super().__init__(vendor, endpoint, status, vendor_message, hint, body=body)


class IqmOutcomeUnknown(VendorOutcomeUnknown):
    """A call that is never repeated got no usable answer (connection dropped, no answer within
    the read timeout, or ``5xx``): IQM may or may not have applied it. Airflow does not retry
    the task, which would send the call again; check IQM before running it again."""


class IqmNoAnswer(IqmOutcomeUnknown, VendorNoAnswer):
    """:class:`IqmOutcomeUnknown` without any answer (connection dropped, read timeout)."""


@dataclass
class Page:
    """One page of a list answer: its rows, the largest row count it reports, the unwrapped payload."""

    rows: list[Any]
    total: int | None
    payload: Any
    #: the key the total was read from (for messages)
    total_key: str | None = None


def iqm_message(body: Any) -> str:
    """The error text of an IQM answer: every ``errorObjects`` entry (with its field), else the message."""
    if isinstance(body, dict):
        errs = body.get("errorObjects")
        if isinstance(errs, list) and errs:
            parts = []
            for e in errs[:20]:
                if isinstance(e, dict):
                    text = str(e.get("error") or e.get("message") or e.get("reason") or e)
                    fld = e.get("field")
                    parts.append(f"{fld}: {text}" if fld else text)
                else:
                    parts.append(str(e))
            return "; ".join(parts)
        for key in ("message", "error", "errorMessage", "reason"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
        if isinstance(body.get("responseObject"), dict):
            return iqm_message(body["responseObject"])
    return str(body)[:500] if body is not None else ""


def rows_and_total(payload: Any) -> tuple[list[Any], int | None]:
    """Rows and the row count of an unwrapped list answer, whatever its shape: the filtered
    count when the answer has one, else the largest count it reports."""
    rows, total, _key = _rows_total_key(payload)
    return rows, total


def _rows_total_key(payload: Any) -> tuple[list[Any], int | None, str | None]:
    if isinstance(payload, list):
        return payload, None
    if not isinstance(payload, dict):
        return [], None
    rows = None
    for key in ROW_KEYS:
        if isinstance(payload.get(key), list):
            rows = payload[key]
            break
    if rows is None:
        rows = next((v for v in payload.values() if isinstance(v, list)), [])
    counts = {k: payload[k] for k in COUNT_KEYS
              if isinstance(payload.get(k), int) and not isinstance(payload[k], bool)}
    for key in FILTERED_COUNT_KEYS:
        if key in counts:
            return rows, counts[key], key
    if not counts:
        return rows, None, None
    key = max(counts, key=lambda k: counts[k])
    return rows, counts[key], key


class IqmListIncomplete(VendorApiError):
    """A list walk got fewer rows than the total IQM reported: nothing is returned rather than a
    silently partial list. Reads are safe to repeat, so Airflow may retry the task."""


def campaign_label(campaign_id: Any, name: Any) -> str:
    """``campaign 42 (Spring)``, or ``campaign 42`` when IQM gave no name."""
    return f"campaign {campaign_id} ({name})" if name not in (None, "") else f"campaign {campaign_id}"


def refused_text(refused: int, sent: int | None, changed: int | None = None) -> str:
    """What a partly refused change did: all refused, or how many were refused and changed."""
    if sent is not None:
        if refused >= sent:
            return f"all {sent} campaign(s) were refused; none was changed"
        return f"{refused} of {sent} campaign(s) were refused; the other {sent - refused} were changed"
    if changed:
        return f"{refused} campaign(s) were refused; IQM reports {changed} changed"
    return f"{refused} campaign(s) were refused; IQM reports none changed"


def _id_text(ids: Iterable[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


class IqmHook(AdtechHook):
    """Talks to IQM's REST API.

    Authentication: ``POST /api/v3/ua/login`` with ``Authorization: Basic
    base64(client_id:client_secret)`` and JSON ``{"grantType": "password", "email",
    "password"}``; the answer is wrapped in ``data`` and carries ``access_token``,
    ``refresh_token``, ``expires_in`` and ``owId``. The guide's other form
    (``login_style=form``) posts ``grant_type=password&username&password`` to
    ``/api/v3/ua/oauth/token``. Refresh: ``POST /api/v3/ua/oauth/token`` with
    ``grant_type=refresh_token`` (answer not wrapped); used before a new login.
    Every call carries ``X-IAA-OW-ID`` (extra ``ow_id``, else the login's ``owId``)
    and ``X-IAA-HOST`` (extra ``workspace_host``, else the API host).

    Connection: login = email, password; extras ``client_id``, ``client_secret``,
    ``ow_id``, ``workspace_host``, ``login_style``, ``requests_per_minute`` (client-side
    pacing under IQM's limit of 20 requests a minute; ``0`` turns it off).

    :param iqm_conn_id: the Airflow connection, type ``iqm``.
    """

    conn_name_attr = "iqm_conn_id"
    default_conn_name = "iqm_default"
    conn_type = "iqm"
    hook_name = "IQM"
    vendor = "IQM"
    default_base_url = "https://app.iqm.com"
    token_ttl = 36000.0
    login_path = "/api/v3/ua/login"
    oauth_path = "/api/v3/ua/oauth/token"

    def __init__(self, iqm_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(conn_id=iqm_conn_id, **kwargs)
        self.iqm_conn_id = iqm_conn_id
        self._sent: collections.deque[float] = collections.deque()

    def token_url(self) -> str:
        return self.url(self.login_path)

    def _basic(self) -> str:
        cid = self.extra_str("client_id") or ""
        secret = self.extra_str("client_secret") or ""
        if not cid or not secret:
            raise ValueError(f"connection {self.conn_id!r} needs the extras client_id and client_secret")
        return "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()

    def _fetch_token(self) -> Token:
        email, password = self._credentials("login (email) and password")
        basic = {"Authorization": self._basic()}
        if (self.extra_str("login_style") or "json") == "form":
            return self._form_token({"grant_type": "password", "username": email, "password": password},
                                    endpoint="POST " + self.oauth_path, url=self.url(self.oauth_path),
                                    headers=basic, default_ttl=self.token_ttl, data_key="data")
        endpoint = "POST " + self.login_path
        resp = self.token_request(
            "POST", self.url(self.login_path), endpoint=endpoint, headers={**basic, "Accept": "application/json"},
            json={"grantType": "password", "email": email, "password": password},
        )
        return self._token_from_response(resp, endpoint, default_ttl=self.token_ttl, data_key="data")

    def _refresh_token(self, token: Token) -> Token | None:
        if not token.refresh_token:
            return None
        new = self._form_token({"grant_type": "refresh_token", "refresh_token": token.refresh_token},
                               endpoint="POST " + self.oauth_path + " (refresh)", url=self.url(self.oauth_path),
                               headers={"Authorization": self._basic()}, default_ttl=self.token_ttl,
                               data_key="data")
        if "owId" not in new.extra and "owId" in token.extra:
            new.extra["owId"] = token.extra["owId"]
        if not new.refresh_token:
            new.refresh_token = token.refresh_token
        return new

    def ow_id(self, token: Token | None = None) -> str | None:
        configured = self.extra_str("ow_id")
        if configured:
            return configured
        token = token or self.get_token()
        ow = token.extra.get("owId")
        return None if ow is None else str(ow)

    def workspace_host(self) -> str:
        from urllib.parse import urlsplit

        return self.extra_str("workspace_host") or urlsplit(self.base_url).netloc

    def auth_headers(self, token: Token | None) -> dict[str, str]:
        headers = super().auth_headers(token)
        ow = self.ow_id(token) if token else self.extra_str("ow_id")
        if ow:
            headers["X-IAA-OW-ID"] = ow
        headers["X-IAA-HOST"] = self.workspace_host()
        return headers

    # ------------------------------------------------------------------ transport
    def request(self, method: str, path: str, **kwargs: Any):  # type: ignore[override]
        """:meth:`AdtechHook.request`, paced under IQM's 20 requests a minute (extra
        ``requests_per_minute``); 429 answers are still retried (for idempotent calls)
        after ``Retry-After``."""
        self._pace()
        return super().request(method, path, **kwargs)

    def _pace(self) -> None:
        limit = int(self.extra_float("requests_per_minute", REQUESTS_PER_MINUTE))
        if limit <= 0:
            return
        now = time.monotonic()
        while self._sent and now - self._sent[0] >= 60.0:
            self._sent.popleft()
        if len(self._sent) >= limit:
            wait = 60.0 - (now - self._sent[0])
            if wait > 0.05:
                self.log.info("IQM: %d requests in the last minute (limit %d); waiting %.1f s",
                              len(self._sent), limit, wait)
                self.sleep(wait)
            self._sent.popleft()
        self._sent.append(time.monotonic())

    def error_for(self, resp, endpoint: str, hint: str = "") -> VendorApiError:
        body = None
        try:
            body = resp.json()
        except ValueError:
            pass
        message = iqm_message(body) if body is not None else vendor_message_from(resp)
        if resp.status_code == 429:
            hint = "IQM allows 20 requests a minute" + (f"; {hint}" if hint else "")
        elif resp.status_code == 403 and not hint:
            hint = (f"check that the X-IAA-OW-ID workspace (extra ow_id of {self.conn_id!r}, else the "
                    "login's owId) is one this user may use")
        cls = VendorAuthError if resp.status_code in (401, 403) else VendorApiError
        return cls(self.vendor, endpoint, resp.status_code, message, hint, body=body)

    def unwrap(self, body: Any, endpoint: str, status: int | None = 200, *, idempotent: bool = True) -> Any:
        """The payload of any of the guide's envelopes; an error envelope raises.

        ``{"success": true, "data": X}`` -> X; ``{"statusCode": 200, "responseObject": X}`` -> X;
        list shapes (``{"statusCode": 200, "recordsTotal": .., "data": [..]}``) are returned whole
        for :func:`rows_and_total`; ``{"success": false, "errorObjects": [..]}`` or a
        ``statusCode`` >= 400 raises :class:`VendorApiError` with IQM's text.
        """
        hint = "" if idempotent else NOT_REPEATED
        if isinstance(body, dict):
            if "success" in body:
                if body.get("success") is False or body.get("errorObjects"):
                    raise VendorApiError(self.vendor, endpoint, status, iqm_message(body) or "success: false",
                                         hint, body=body)
                return body.get("data")
            if "statusCode" in body:
                code = body.get("statusCode")
                if isinstance(code, int) and code >= 400:
                    raise VendorApiError(self.vendor, endpoint, code, iqm_message(body), hint, body=body)
                if "responseObject" in body:
                    return body["responseObject"]
                return body
            if body.get("errorObjects"):
                raise VendorApiError(self.vendor, endpoint, status, iqm_message(body), hint, body=body)
        return body

    def call(self, method: str, path: str, endpoint: str, *, idempotent: bool | None = None,
             params: dict[str, Any] | None = None, json: Any = None) -> Any:
        """Send one API call and return its unwrapped payload.

        :param endpoint: the documented ``METHOD /path`` (with ``{placeholders}``), for logs and errors.
        :param idempotent: whether repeating the call is harmless (see the module docstring).
        """
        if idempotent is None:
            idempotent = method.upper() == "GET"
        kwargs: dict[str, Any] = {"headers": {"Accept": "application/json"}}
        if params:
            kwargs["params"] = {k: _query_value(v) for k, v in params.items() if v is not None}
        if json is not None:
            kwargs["json"] = json
        try:
            resp = self.request(method, path, endpoint=endpoint, idempotent=idempotent, **kwargs)
        except VendorApiError as exc:
            if idempotent or (exc.status is not None and exc.status < 500):
                raise
            cls = IqmNoAnswer if isinstance(exc, VendorTransportError) else IqmOutcomeUnknown
            raise cls(exc.vendor, exc.endpoint, exc.status, exc.vendor_message, exc.hint,
                      body=exc.body) from None
        try:
            body = resp.json()
        except ValueError:
            raise VendorApiError(self.vendor, endpoint, resp.status_code, "the answer is not JSON",
                                 "" if idempotent else NOT_REPEATED) from None
        return self.unwrap(body, endpoint, resp.status_code, idempotent=idempotent)

    # ------------------------------------------------------------------ paging
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

    # ------------------------------------------------------------------ campaigns
    def get_campaign(self, campaign_id: int, is_spent_required: bool = False) -> dict:
        """``GET /api/v2/cmp/campaign/{campaignId}``: basic and targeting details (``isSpentRequired``
        adds the spent)."""
        return self.call("GET", f"/api/v2/cmp/campaign/{int(campaign_id)}",
                         "GET /api/v2/cmp/campaign/{campaignId}",
                         params={"isSpentRequired": bool(is_spent_required)})

    def get_campaigns_data(self, filters: dict | None = None) -> list:
        """``GET /api/v2/cmp/campaigns/data``: campaigns by filters and ``conversionId``."""
        payload = self.call("GET", "/api/v2/cmp/campaigns/data", "GET /api/v2/cmp/campaigns/data",
                            params=filters)
        return rows_and_total(payload)[0]

    def list_campaigns_page(self, filters: dict | None = None, page_no: int = 1,
                            page_size: int = MAX_PAGE_SIZE) -> Page:
        """One page of ``GET /api/v2/cmp/campaigns/list`` (``pgno``, ``no_of_entries``; filters such as
        ``sort_by``, ``order``, ``status`` pass through)."""
        params = dict(filters or {})
        params.update(pgno=page_no, no_of_entries=page_size)
        return self._page_of(self.call("GET", "/api/v2/cmp/campaigns/list", "GET /api/v2/cmp/campaigns/list",
                                       params=params))

    def iter_campaigns(self, filters: dict | None = None, page_size: int = MAX_PAGE_SIZE) -> Iterator[dict]:
        """Every campaign of ``GET /api/v2/cmp/campaigns/list``, all pages."""
        return self.walk(lambda n, _o, size: self.list_campaigns_page(filters, n, size), page_size,
                         "GET /api/v2/cmp/campaigns/list")

    def get_budget_info(self, campaign_id: int | None = None, filters: dict | None = None) -> Any:
        """``GET /api/v2/cmp/campaign/budgetInfo``: budget info and graph details."""
        params = dict(filters or {})
        if campaign_id is not None:
            params["campaignId"] = int(campaign_id)
        return self.call("GET", "/api/v2/cmp/campaign/budgetInfo", "GET /api/v2/cmp/campaign/budgetInfo",
                         params=params)

    def list_campaign_groups_page(self, filters: dict | None = None, page_no: int = 1,
                                  page_size: int = MAX_PAGE_SIZE) -> Page:
        """One page of ``GET /api/v2/cmp/campaigngroup/campaign/list`` (``pageNo``, ``noOfEntries``)."""
        params = dict(filters or {})
        params.update(pageNo=page_no, noOfEntries=page_size)
        return self._page_of(self.call("GET", "/api/v2/cmp/campaigngroup/campaign/list",
                                       "GET /api/v2/cmp/campaigngroup/campaign/list", params=params))

    def iter_campaign_groups(self, filters: dict | None = None,
                             page_size: int = MAX_PAGE_SIZE) -> Iterator[dict]:
        """Every campaign group (with its campaigns), all pages."""
        return self.walk(lambda n, _o, size: self.list_campaign_groups_page(filters, n, size), page_size,
                         "GET /api/v2/cmp/campaigngroup/campaign/list")

    def get_campaign_start(self, campaign_id: int | None = None, filters: dict | None = None) -> Any:
        """``GET /api/v2/cmp/campaign/start``: the campaign start date."""
        params = dict(filters or {})
        if campaign_id is not None:
            params["campaignId"] = int(campaign_id)
        return self.call("GET", "/api/v2/cmp/campaign/start", "GET /api/v2/cmp/campaign/start", params=params)

    def update_campaign_name(self, campaign_id: int, campaign_name: str) -> Any:
        """``PATCH /api/v3/cmp/campaign/update-name/{campaignId}`` with ``{"campaignName"}`` (repeatable)."""
        return self.call("PATCH", f"/api/v3/cmp/campaign/update-name/{int(campaign_id)}",
                         "PATCH /api/v3/cmp/campaign/update-name/{campaignId}", idempotent=True,
                         json={"campaignName": campaign_name})

    def update_campaigns_end_date(self, campaign_ids: Iterable[int], end_date: int, *,
                                  allow_partial: bool = False) -> dict:
        """``PUT /api/v2/cmp/campaigns/update-end-date``: ``endDate`` (Unix seconds) for several campaigns.

        Setting an absolute date is repeatable, so it is retried. ``responseObject.status: false``
        raises :class:`IqmPartialFailure` unless ``allow_partial``.
        """
        ids = [int(i) for i in campaign_ids]
        endpoint = "PUT /api/v2/cmp/campaigns/update-end-date"
        payload = self.call("PUT", "/api/v2/cmp/campaigns/update-end-date", endpoint, idempotent=True,
                            json={"endDate": int(end_date), "campaignIds": _ids_value(ids)})
        return self.check_partial(payload, endpoint, ids, allow_partial=allow_partial)

    def update_campaigns_budget(self, campaign_ids: Iterable[int], *, total_budget: float | None = None,
                                daily_budget: float | None = None, max_bid: float | None = None,
                                total_budget_update_type: str = "change",
                                allow_partial: bool = False) -> dict:
        """``PUT /api/v2/cmp/campaigns/update_budget``: total budget, daily budget and max bid.

        ``totalBudgetUpdateType``: ``change`` replaces, ``distribution`` splits the total equally
        (both repeatable, retried), ``addition`` adds to the current total: sent once, never
        retried. Per-campaign refusals (``status: false`` with ``reason[]``) raise
        :class:`IqmPartialFailure` naming each campaign, unless ``allow_partial``.
        """
        ids = [int(i) for i in campaign_ids]
        body: dict[str, Any] = {"campaignIds": _id_text(ids),
                                "totalBudgetUpdateType": total_budget_update_type}
        for key, val in (("totalBudget", total_budget), ("dailyBudget", daily_budget), ("maxBid", max_bid)):
            if val is not None:
                body[key] = val
        if len(body) == 2:
            raise ValueError("update_campaigns_budget needs total_budget, daily_budget or max_bid")
        endpoint = "PUT /api/v2/cmp/campaigns/update_budget"
        payload = self.call("PUT", "/api/v2/cmp/campaigns/update_budget", endpoint,
                            idempotent=total_budget_update_type != "addition", json=body)
        return self.check_partial(payload, endpoint, ids, allow_partial=allow_partial)

    def patch_campaign(self, campaign_id: int, fields: dict[str, Any]) -> Any:
        """``PATCH /api/v2/cmp/campaign/{campaignId}`` with the properties to change (a DRAFT campaign
        becomes PENDING)."""
        return self.call("PATCH", f"/api/v2/cmp/campaign/{int(campaign_id)}",
                         "PATCH /api/v2/cmp/campaign/{campaignId}", idempotent=True, json=dict(fields))

    def count_campaigns_by_status(self, filters: dict | None = None) -> list[dict]:
        """``POST /api/v3/cmp/campaigns/count``: ``[{status_key, status_label, status_count, order}]``."""
        return self.call("POST", "/api/v3/cmp/campaigns/count", "POST /api/v3/cmp/campaigns/count",
                         idempotent=True, json=dict(filters or {}))

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

    # ------------------------------------------------------------------ insertion orders
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

    def logout(self) -> Any:
        """``POST /api/v3/ua/logout``: end the session of the current token."""
        return self.call("POST", "/api/v3/ua/logout", "POST /api/v3/ua/logout", idempotent=True, json={})


def _ids_value(ids: list[int]) -> int | str:
    """``campaignIds`` as the guide's samples send it: one id as an integer, several comma separated."""
    return ids[0] if len(ids) == 1 else _id_text(ids)


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return value


__all__ = ["IqmHook", "IqmNoAnswer", "IqmOutcomeUnknown", "IqmPartialFailure", "Page", "iqm_message",
           "rows_and_total", "MAX_PAGE_SIZE", "IqmListIncomplete"]
