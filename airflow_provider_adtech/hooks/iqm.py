"""IQM API hook: Basic-credential login, refresh token, workspace headers and every endpoint.

The endpoints are those of IQM's Campaign API guide (``iqm-campaign-api.txt``); the list
walks and the insertion-order endpoints live in ``_iqm_walks`` and ``_iqm_orders``, the
answer shapes and errors in ``_iqm_answers``.

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
from collections.abc import Iterable, Iterator
from typing import Any

from airflow_provider_adtech.exceptions import VendorApiError, VendorAuthError, VendorTransportError
from airflow_provider_adtech.hooks._iqm_answers import (  # noqa: F401 (names of this module's callers)
    COUNT_KEYS,
    FILTERED_COUNT_KEYS,
    MAX_PAGE_SIZE,
    NOT_REPEATED,
    ROW_KEYS,
    IqmListIncomplete,
    IqmNoAnswer,
    IqmOutcomeUnknown,
    IqmPartialFailure,
    Page,
    _id_text,
    campaign_label,
    iqm_message,
    refused_text,
    rows_and_total,
)
from airflow_provider_adtech.hooks._iqm_orders import IqmInsertionOrders
from airflow_provider_adtech.hooks._iqm_walks import IqmWalks
from airflow_provider_adtech.hooks.base import AdtechHook, vendor_message_from
from airflow_provider_adtech.hooks.token_cache import Token

#: IQM allows 20 requests a minute, then answers 429
REQUESTS_PER_MINUTE = 20


class IqmHook(IqmInsertionOrders, IqmWalks, AdtechHook):
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
