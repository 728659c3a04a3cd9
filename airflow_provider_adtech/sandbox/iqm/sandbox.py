"""The IQM emulation: login and refresh, the campaign and insertion-order store, and the checks of every call."""

from __future__ import annotations

import math
import time
from typing import Any

from airflow_provider_adtech.sandbox.iqm.campaigns import IqmCampaigns
from airflow_provider_adtech.sandbox.iqm.data import MAX_ROWS, SEED_CAMPAIGNS, SEED_GROUPS, SEED_IOS
from airflow_provider_adtech.sandbox.iqm.orders import IqmOrders
from airflow_provider_adtech.sandbox.iqm.rows import error, ints, public
from airflow_provider_adtech.sandbox.vendor import VendorSandbox
from airflow_provider_adtech.sandbox.web import Request, Response, route


class IqmSandbox(IqmCampaigns, IqmOrders, VendorSandbox):
    name = "iqm"
    #: samples show expires_in of about 10 hours
    token_ttl = 36000.0

    def _client_ok(self, req: Request) -> bool:
        basic = req.basic()
        return basic == (self.credentials.get("client_id"), self.credentials.get("client_secret"))

    def _grant(self, subject: str) -> dict:
        ttl = float(self.settings.get("token_ttl", self.token_ttl))
        tok = self.issue_token(ttl=ttl, subject=subject)
        refresh = self.issue_token(ttl=30 * 86400.0, kind="refresh", subject=subject)
        return {"access_token": tok.value, "refresh_token": refresh.value, "scope": "read write",
                "token_type": "bearer", "expires_in": int(ttl), "owId": int(self.credentials.get("ow_id", 1))}

    @route("POST", "/api/v3/ua/login", "iqm.login")
    def login(self, req: Request) -> Response:
        """JSON login: Basic client credentials + ``{"grantType": "password", "email", "password"}``."""
        if not self._client_ok(req):
            return error(401, "Invalid client credentials")
        try:
            body = req.json()
        except ValueError:
            return error(400, "Request body must be JSON")
        if body.get("grantType") != "password":
            return error(400, "grantType must be password")
        if body.get("email") != self.credentials.get("email") or body.get("password") != self.credentials.get(
                "password"):
            return error(401, "Invalid email or password")
        return Response.json(200, {"success": True, "data": self._grant(body["email"])})

    @route("POST", "/api/v3/ua/oauth/token", "iqm.oauth_token")
    def oauth_token(self, req: Request) -> Response:
        """Form login (``grant_type=password``) and refresh (``grant_type=refresh_token``); not wrapped."""
        if not self._client_ok(req):
            return error(401, "Invalid client credentials")
        form = req.form()
        grant = form.get("grant_type")
        req.meta["grant_type"] = grant
        if grant == "password":
            if form.get("username") != self.credentials.get("email") or form.get(
                    "password") != self.credentials.get("password"):
                return error(401, "Invalid email or password")
            return Response.json(200, self._grant(form["username"]))
        if grant == "refresh_token":
            rt = self.server.tokens.check(self.name, form.get("refresh_token"), kind="refresh")
            if rt is None:
                return error(401, "Invalid refresh token")
            grant_body = self._grant(rt.subject)
            grant_body.pop("owId")
            return Response.json(200, grant_body)
        return error(400, "unsupported grant_type")

    @route("POST", "/api/v3/ua/logout", "iqm.logout")
    def logout(self, req: Request) -> Response:
        if self.bearer_ok(req) is None:
            return error(401, "Unauthorized")
        return Response.json(200, {"success": True, "data": "Logged out successfully"})

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        super().reset()
        self.campaigns: dict[int, dict[str, Any]] = {}
        self.ios: dict[int, dict[str, Any]] = {}
        self.groups: list[dict[str, Any]] = []
        #: every change the vendor applied, in order (what tests and the demo count)
        self.changes: list[dict[str, Any]] = []
        self.next_campaign_id = 600001
        self.next_io_id = 20001
        self._seed()

    def _seed(self) -> None:
        """The document's samples: its insertion orders, campaigns and the two campaigns of the
        budget-update sample whose max bids IQM refuses."""
        for io in SEED_IOS:
            self.ios[io["ioId"]] = self._new_io(**io)
        for c in SEED_CAMPAIGNS:
            self.campaigns[c["id"]] = self._new_campaign(**c)
        self.groups = [dict(g, campaignIds=list(g["campaignIds"])) for g in SEED_GROUPS]

    def _new_io(self, ioId: int, ioName: str, ioStartTime: int | None = None, ioEndTime: int | None = None,
                ioTimeZoneId: int = 29, ioTotalBudget: float = 0, ioBudgetTypeId: int = 1,
                ioStatusId: int = 1, ioBudgetDistributionMethodId: int = 1,
                isAutoSumIoTotalBudget: bool = True,
                ioTotalImpressions: int | None = 0, created: int | None = None,
                **extra: Any) -> dict[str, Any]:
        now_ms = int(time.time() * 1000)
        return {"ioId": ioId, "ioName": ioName, "ioStartTime": ioStartTime or now_ms,
                "ioEndTime": ioEndTime or now_ms + 30 * 86400_000, "ioTimeZoneId": ioTimeZoneId,
                "ioTotalBudget": ioTotalBudget, "ioBudgetDistributionMethodId": ioBudgetDistributionMethodId,
                "ioBudgetTypeId": ioBudgetTypeId, "ioStatusId": ioStatusId,
                "ioTotalImpressions": ioTotalImpressions,
                "isBudgetAutoSum": isAutoSumIoTotalBudget, "owId": self.ow_id, "uowId": 188494,
                "created": created or now_ms, "lastModified": created or now_ms, **extra}

    def _new_campaign(self, id: int, campaignName: str, ioId: int, status: str = "running", kind: str = "cpm",
                      startTime: int | None = None, endTime: int | None = None, budgetTotal: float = 1000.0,
                      budgetDay: float = 50.0, maxBid: float = 5.0, minBid: float | None = None,
                      timezone: int = 29, creativeType: int | None = None, **extra: Any) -> dict[str, Any]:
        now = int(time.time())
        return {
            "owId": self.ow_id, "parentOrganizationName": "Signup testing 1", "id": id, "uowId": 188494,
            "campaignName": campaignName, "advertiserDomain": "https://iqm.com",
            "creativeType": creativeType or (14 if kind == "cpv" else 11), "campaignType": 1,
            "totalBudgetPacing": True, "isTvAd": False, "budgetDay": budgetDay, "budgetTotal": budgetTotal,
            "maxBid": maxBid, "timezone": timezone, "startTime": startTime or now - 86400,
            "endTime": endTime, "status": status, "dspMargin": 0, "platformMargin": 0, "userDealMargin": 0,
            "spentScale": False, "creativeIds": "676384", "conversionType": "None", "bidOptimization": True,
            "bidPacing": True, "impressionCapping": 0, "deviceType": "13,15,11,12", "trafficType": "11,12",
            "exchanges": "", "countryId": "30100001", "locationDetails": {}, "organizationName": "User's Org",
            "userEmail": "User@iqm.com", "userName": "User", "createDate": now - 7 * 86400, "ioId": ioId,
            "campaignTypeId": 1, "budgetTypeId": 1, "spent": 0.0, "_kind": kind, "_minBid": minBid, **extra,
        }

    def add_campaigns(self, count: int, io_id: int, status: str = "running", name: str = "sandbox campaign",
                      **fields: Any) -> list[int]:
        """Add ``count`` campaigns to insertion order ``io_id`` (created when missing); return their ids."""
        with self.lock:
            if io_id not in self.ios:
                self.ios[io_id] = self._new_io(ioId=io_id, ioName=f"IO {io_id}")
            ids = []
            for n in range(count):
                cid = self.next_campaign_id
                self.next_campaign_id += 1
                self.campaigns[cid] = self._new_campaign(cid, f"{name} {n + 1}", io_id, status, **fields)
                ids.append(cid)
            return ids

    @property
    def ow_id(self) -> int:
        return int(self.credentials.get("ow_id", 1))

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "campaigns": {str(k): public(c) for k, c in self.campaigns.items()},
                "insertion_orders": {str(k): dict(v) for k, v in self.ios.items()},
                "changes": [dict(c) for c in self.changes],
            }

    def _record(self, kind: str, **what: Any) -> None:
        self.changes.append({"kind": kind, **what})

    # ------------------------------------------------------------------ common checks
    def check(self, req: Request, need_host: bool = True) -> Response | None:
        """Checks of every API call: Bearer token, ``X-IAA-OW-ID``, ``X-IAA-HOST`` where the document
        marks it required, and the rate limit (setting ``rate_limit`` requests per ``rate_window``
        seconds; the document's limit is 20 a minute; off unless configured)."""
        if self.bearer_ok(req) is None:
            return error(401, "Unauthorized")
        if req.header("X-IAA-OW-ID") != str(self.credentials.get("ow_id")):
            return error(403, "X-IAA-OW-ID header missing or not this user's workspace")
        if need_host and not req.header("X-IAA-HOST"):
            return error(400, "X-IAA-HOST header is required")
        limit = self.settings.get("rate_limit")
        if limit:
            wait = self.rate_limited("api", int(limit), float(self.settings.get("rate_window", 60.0)))
            if wait is not None:
                req.meta["rate_limited"] = True
                return Response.json(429, {"success": False, "errorObjects": [
                    {"error": f"Too many requests: limit is {limit} requests per "
                              f"{self.settings.get('rate_window', 60)} seconds"}]},
                    {"Retry-After": str(max(1, math.ceil(wait)))})
        return None

    def _body(self, req: Request) -> tuple[dict[str, Any] | None, Response | None]:
        try:
            body = req.json() if req.body else {}
        except ValueError:
            return None, error(400, "Request body must be JSON")
        if not isinstance(body, dict):
            return None, error(400, "Request body must be a JSON object")
        return body, None

    def _paging(self, values: dict[str, Any], page_key: str = "pageNo", size_key: str = "noOfEntries",
                default_size: int = 20) -> tuple[int, int] | Response:
        """``(start, size)`` from ``pageNo``/``noOfEntries`` or ``offset`` (which wins); at most 1000 rows."""
        try:
            size = int(values.get(size_key) or default_size)
            page = int(values.get(page_key) or 1)
            offset = values.get("offset")
            start = int(offset) if offset not in (None, "") else (page - 1) * size
        except (TypeError, ValueError):
            return error(400, f"{page_key}, {size_key} and offset must be integers")
        if size < 1 or size > MAX_ROWS:
            return error(400, f"{size_key} must be between 1 and {MAX_ROWS}")
        if page < 1 or start < 0:
            return error(400, f"{page_key} must be at least 1 and offset not negative")
        return start, size

    def checked_body(self, req: Request, need_host: bool = True) -> tuple[dict[str, Any] | None, Response | None]:
        """The JSON object body of a call that passed :meth:`check`, or the refusal."""
        if (err := self.check(req, need_host)) is not None:
            return None, err
        return self._body(req)

    def checked_ids(self, req: Request, key: str, need_host: bool = True) -> tuple[dict[str, Any], list[int]] | Response:
        """The JSON body of a call that passed :meth:`check` and the ids of its ``key``, or the refusal."""
        body, err = self.checked_body(req, need_host)
        if err:
            return err
        ids = ints(body.get(key))
        if not ids:
            return error(400, f"{key} is required", key)
        return body, ids

    def paged_list(self, req: Request) -> tuple[dict[str, Any], int, int] | Response:
        """The JSON body and ``(start, size)`` of a list call (``X-IAA-HOST`` not needed), or the refusal."""
        body, err = self.checked_body(req, need_host=False)
        if err:
            return err
        paging = self._paging(body)
        if isinstance(paging, Response):
            return paging
        return (body, *paging)

    def missing_ios(self, ids: list[int]) -> Response | None:
        """The refusal naming the insertion orders of ``ids`` that do not exist, or None."""
        unknown = [i for i in ids if i not in self.ios]
        return error(400, f"Insertion Orders not found: {unknown}", "ioIdsList") if unknown else None
