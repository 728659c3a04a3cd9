"""IQM emulation (document: iqm-campaign-api.txt).

Login (both documented forms) and refresh; a stateful store of campaigns and insertion
orders seeded from the document's samples; every campaign and insertion-order endpoint
of the guide with its envelope (``{success, data}``, ``{statusCode, responseObject}``,
list shapes), paging (``pageNo``/``noOfEntries`` or ``offset``; ``pgno``/``no_of_entries``
on ``/api/v2/cmp/campaigns/list``; at most 1000 rows), the budget rules behind the
document's partial-failure reasons, and the 20-requests-a-minute limit (switched on
with ``server.configure("iqm", rate_limit=20)``). ``state()["changes"]`` lists every
change applied, in order.
"""

from __future__ import annotations

import collections
import math
import time
from typing import Any

from airflow_provider_adtech.sandbox.core import Request, Response, VendorSandbox, route


def _error(status: int, text: str, field: str | None = None) -> Response:
    obj: dict[str, Any] = {"error": text}
    if field:
        obj["field"] = field
    return Response.json(status, {"success": False, "errorObjects": [obj]})


class IqmSandbox(VendorSandbox):
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

    @route("POST", r"/api/v3/ua/login", "iqm.login")
    def login(self, req: Request) -> Response:
        """JSON login: Basic client credentials + ``{"grantType": "password", "email", "password"}``."""
        if not self._client_ok(req):
            return _error(401, "Invalid client credentials")
        try:
            body = req.json()
        except ValueError:
            return _error(400, "Request body must be JSON")
        if body.get("grantType") != "password":
            return _error(400, "grantType must be password")
        if body.get("email") != self.credentials.get("email") or body.get("password") != self.credentials.get(
                "password"):
            return _error(401, "Invalid email or password")
        return Response.json(200, {"success": True, "data": self._grant(body["email"])})

    @route("POST", r"/api/v3/ua/oauth/token", "iqm.oauth_token")
    def oauth_token(self, req: Request) -> Response:
        """Form login (``grant_type=password``) and refresh (``grant_type=refresh_token``); not wrapped."""
        if not self._client_ok(req):
            return _error(401, "Invalid client credentials")
        form = req.form()
        grant = form.get("grant_type")
        req.meta["grant_type"] = grant
        if grant == "password":
            if form.get("username") != self.credentials.get("email") or form.get(
                    "password") != self.credentials.get("password"):
                return _error(401, "Invalid email or password")
            return Response.json(200, self._grant(form["username"]))
        if grant == "refresh_token":
            rt = self.server.tokens.check(self.name, form.get("refresh_token"), kind="refresh")
            if rt is None:
                return _error(401, "Invalid refresh token")
            grant_body = self._grant(rt.subject)
            grant_body.pop("owId")
            return Response.json(200, grant_body)
        return _error(400, "unsupported grant_type")

    @route("POST", r"/api/v3/ua/logout", "iqm.logout")
    def logout(self, req: Request) -> Response:
        if self.bearer_ok(req) is None:
            return _error(401, "Unauthorized")
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
                "campaigns": {str(k): _public(c) for k, c in self.campaigns.items()},
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
            return _error(401, "Unauthorized")
        if req.header("X-IAA-OW-ID") != str(self.credentials.get("ow_id")):
            return _error(403, "X-IAA-OW-ID header missing or not this user's workspace")
        if need_host and not req.header("X-IAA-HOST"):
            return _error(400, "X-IAA-HOST header is required")
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
            return None, _error(400, "Request body must be JSON")
        if not isinstance(body, dict):
            return None, _error(400, "Request body must be a JSON object")
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
            return _error(400, f"{page_key}, {size_key} and offset must be integers")
        if size < 1 or size > MAX_ROWS:
            return _error(400, f"{size_key} must be between 1 and {MAX_ROWS}")
        if page < 1 or start < 0:
            return _error(400, f"{page_key} must be at least 1 and offset not negative")
        return start, size

    # ------------------------------------------------------------------ campaigns: reads
    @route("GET", r"/api/v2/cmp/campaign/(\d+)", "iqm.campaign_get")
    def campaign_get(self, req: Request) -> Response:
        """``GET /api/v2/cmp/campaign/{campaignId}`` (``isSpentRequired``)."""
        if (err := self.check(req, need_host=False)) is not None:
            return err
        with self.lock:
            c = self.campaigns.get(int(req.match.group(1)))
            if c is None:
                return _error(404, "Campaign not found")
            out = _public(c)
            out["ioName"] = self.ios.get(c["ioId"], {}).get("ioName")
        if (req.arg("isSpentRequired") or "false").lower() != "true":
            out.pop("spent", None)
        return Response.json(200, {"statusCode": 200, "responseObject": out})

    def _filter_campaigns(self, status: Any = None, io_ids: Any = None, ids: Any = None,
                          search: Any = None) -> list[dict[str, Any]]:
        statuses = set(_strs(status))
        ios = set(_ints(io_ids))
        wanted = set(_ints(ids))
        text = str(search or "").strip().lower()
        out = []
        for c in sorted(self.campaigns.values(), key=lambda c: c["id"]):
            if statuses and c["status"] not in statuses:
                continue
            if ios and c["ioId"] not in ios:
                continue
            if wanted and c["id"] not in wanted:
                continue
            if text and text not in c["campaignName"].lower() and text != str(c["id"]):
                continue
            out.append(c)
        return out

    @route("GET", r"/api/v2/cmp/campaigns/list", "iqm.campaigns_list")
    def campaigns_list(self, req: Request) -> Response:
        """Paginated campaign list: ``pgno``, ``no_of_entries``, ``sort_by``, ``order``; filters ``status``,
        ``ioIds``, ``searchField``."""
        if (err := self.check(req)) is not None:
            return err
        q = {k: req.arg(k) for k in ("pgno", "no_of_entries", "sort_by", "order", "status", "ioIds",
                                     "searchField", "offset")}
        paging = self._paging(q, "pgno", "no_of_entries", 10)
        if isinstance(paging, Response):
            return paging
        start, size = paging
        with self.lock:
            total = len(self.campaigns)
            rows = self._filter_campaigns(q["status"], q["ioIds"], None, q["searchField"])
            key = {"name": "campaignName", "start_date": "startTime", "end_date": "endTime"}.get(
                q["sort_by"] or "id", "id")
            rows.sort(key=lambda c: (c.get(key) is None, c.get(key)), reverse=(q["order"] or "asc") == "desc")
            page = [self._list_row(c) for c in rows[start:start + size]]
        req.meta.update(rows=len(page), start=start)
        return Response.json(200, {"statusCode": 200, "recordsTotal": total, "pageNumber": start // size + 1,
                                   "pageSize": size, "draw": 0, "recordsFiltered": len(rows), "data": page})

    def _list_row(self, c: dict[str, Any]) -> dict[str, Any]:
        return {"id": str(c["id"]), "name": c["campaignName"], "status": c["status"], "owId": c["owId"],
                "uowId": c["uowId"], "userEmail": c["userEmail"], "advertiser_email": None,
                "advertiser_id": 0,
                "campaign_type": c["_kind"].upper(),
                "creative_type": "Video" if c["_kind"] == "cpv" else "Image",
                "dsp_id": 0, "start_date": c["startTime"], "end_date": c["endTime"],
                "creative_type_id": c["creativeType"], "total_budget": c["budgetTotal"], "ioId": c["ioId"]}

    @route("GET", r"/api/v2/cmp/campaigns/data", "iqm.campaigns_data")
    def campaigns_data(self, req: Request) -> Response:
        """Campaigns by filters (``status``, ``ioIds``, ``campaignIds``) and ``conversionId``."""
        if (err := self.check(req)) is not None:
            return err
        with self.lock:
            rows = self._filter_campaigns(req.arg("status"), req.arg("ioIds"), req.arg("campaignIds"),
                                          req.arg("searchField"))
            conv = req.arg("conversionId")
            if conv:
                rows = [c for c in rows if conv in str(c.get("conversionIds", "")).split(",")]
            data = [_public(c) for c in rows]
        req.meta["rows"] = len(data)
        return Response.json(200, {"statusCode": 200, "responseObject": {"data": data,
                                                                         "totalRecords": len(data)}})

    @route("GET", r"/api/v2/cmp/campaign/budgetInfo", "iqm.budget_info")
    def budget_info(self, req: Request) -> Response:
        """Campaign budget info and graph details (``campaignId``)."""
        if (err := self.check(req)) is not None:
            return err
        try:
            cid = int(req.arg("campaignId") or "")
        except ValueError:
            return _error(400, "campaignId is required")
        with self.lock:
            c = self.campaigns.get(cid)
            if c is None:
                return _error(404, "Campaign not found")
            info = {"campaignId": cid, "budgetTotal": c["budgetTotal"], "budgetDay": c["budgetDay"],
                    "spent": c["spent"], "remainingBudget": round(c["budgetTotal"] - c["spent"], 2),
                    "graph": [{"date": c["startTime"], "spent": c["spent"]}]}
        return Response.json(200, {"statusCode": 200, "responseObject": info})

    @route("GET", r"/api/v2/cmp/campaigngroup/campaign/list", "iqm.campaign_groups")
    def campaign_groups(self, req: Request) -> Response:
        """Campaign groups with their campaigns' basic details (``pageNo``, ``noOfEntries``)."""
        if (err := self.check(req)) is not None:
            return err
        paging = self._paging({k: req.arg(k) for k in ("pageNo", "noOfEntries", "offset")})
        if isinstance(paging, Response):
            return paging
        start, size = paging
        with self.lock:
            groups = [{"campaignGroupId": g["campaignGroupId"], "campaignGroupName": g["campaignGroupName"],
                       "campaigns": [{"id": cid, "name": self.campaigns[cid]["campaignName"],
                                      "status": self.campaigns[cid]["status"]}
                                     for cid in g["campaignIds"] if cid in self.campaigns]}
                      for g in self.groups]
        page = groups[start:start + size]
        req.meta["rows"] = len(page)
        return Response.json(200, {"statusCode": 200, "responseObject": {"totalRecords": len(groups),
                                                                         "data": page}})

    @route("GET", r"/api/v2/cmp/campaign/start", "iqm.campaign_start")
    def campaign_start(self, req: Request) -> Response:
        """Campaign start date (``campaignId``; without it, the earliest start)."""
        if (err := self.check(req)) is not None:
            return err
        with self.lock:
            if req.arg("campaignId"):
                try:
                    c = self.campaigns.get(int(req.arg("campaignId")))
                except ValueError:
                    c = None
                if c is None:
                    return _error(404, "Campaign not found")
                out = {"campaignId": c["id"], "startTime": c["startTime"]}
            else:
                out = {"startTime": min(c["startTime"] for c in self.campaigns.values())}
        return Response.json(200, {"statusCode": 200, "responseObject": out})

    @route("POST", r"/api/v3/cmp/campaigns/count", "iqm.campaigns_count")
    def campaigns_count(self, req: Request) -> Response:
        """Count of campaigns per status (filters ``owIds``, ``ioIds``, ``campaignTypeIds``,
        ``campaignExpiredAfterEpoch``, ``searchField``)."""
        if (err := self.check(req, need_host=False)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        with self.lock:
            rows = self._filter_campaigns(None, body.get("ioIds"), None, body.get("searchField"))
            ows = str(body.get("owIds") or "all")
            if ows != "all":
                rows = [c for c in rows if c["owId"] in set(_ints(ows))]
            if body.get("campaignExpiredAfterEpoch"):
                after = int(body["campaignExpiredAfterEpoch"])
                rows = [c for c in rows if c["endTime"] is None or c["endTime"] > after]
            counts = collections.Counter(c["status"] for c in rows)
        data = [{"order": order, "status_key": key, "status_label": label, "status_count": counts.get(key, 0)}
                for order, key, label in STATUS_ORDER]
        data.append({"order": 8, "status_key": "all", "status_label": "ALL", "status_count": len(rows)})
        return Response.json(200, {"success": True, "data": data})

    # ------------------------------------------------------------------ campaigns: changes
    @route("PATCH", r"/api/v3/cmp/campaign/update-name/(\d+)", "iqm.campaign_update_name")
    def campaign_update_name(self, req: Request) -> Response:
        if (err := self.check(req)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        name = body.get("campaignName")
        if not isinstance(name, str) or not name.strip():
            return _error(400, "campaignName is required", "campaignName")
        with self.lock:
            c = self.campaigns.get(int(req.match.group(1)))
            if c is None:
                return _error(404, "Campaign not found")
            c["campaignName"] = name
            self._record("campaign_name", campaignId=c["id"], campaignName=name)
        req.meta.update(campaignId=c["id"], campaignName=name)
        return Response.json(200, {"success": True, "data": {"message": "campaignName updated successfully"}})

    @route("PUT", r"/api/v2/cmp/campaigns/update-end-date", "iqm.campaigns_update_end_date")
    def campaigns_update_end_date(self, req: Request) -> Response:
        """``endDate`` (Unix seconds) for ``campaignIds``; campaigns that would end before they start are
        refused per campaign (``status: false`` with ``reason``), the others changed."""
        if (err := self.check(req)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        ids = _ints(body.get("campaignIds"))
        if not ids:
            return _error(400, "campaignIds is required", "campaignIds")
        end = body.get("endDate")
        if not isinstance(end, int) or isinstance(end, bool) or end <= 0:
            return _error(400, "endDate must be a Unix timestamp", "endDate")
        if end >= 100_000_000_000:
            return _error(400, "endDate must be a Unix timestamp in seconds", "endDate")
        if end <= time.time():
            return _error(400, "endDate must be in the future", "endDate")
        reasons, modified = [], []
        with self.lock:
            for cid in ids:
                c = self.campaigns.get(cid)
                if c is None or c["status"] == "deleted":
                    reasons.append({"errorMessage": "campaign not found", "id": str(cid),
                                    "campaignName": None})
                elif c["startTime"] and end <= c["startTime"]:
                    reasons.append({"errorMessage": "end date cannot be before the campaign start date",
                                    "id": str(cid), "campaignName": c["campaignName"]})
                else:
                    c["endTime"] = end
                    modified.append(cid)
            if modified:
                self._record("campaign_end_date", campaignIds=modified, endDate=end)
        req.meta.update(campaignIds=ids, endDate=end, applied=modified,
                        refused=[int(r["id"]) for r in reasons])
        out: dict[str, Any] = {"status": not reasons}
        if reasons:
            out["reason"] = reasons
        return Response.json(200, {"statusCode": 200, "responseObject": out})

    @route("PUT", r"/api/v2/cmp/campaigns/update_budget", "iqm.campaigns_update_budget")
    def campaigns_update_budget(self, req: Request) -> Response:
        """Total budget / daily budget / max bid of several campaigns, with ``totalBudgetUpdateType``
        ``change`` | ``addition`` | ``distribution`` (default ``change``). Campaigns whose max bid
        breaks their rules are refused with the document's reasons ("max bid cannot be less than
        minimum bid 3.0", "For given campaign_type max bid cannot be less than 1.00 or greater than
        1000."); the others are changed and listed in ``modified_data``."""
        if (err := self.check(req)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        ids = _ints(body.get("campaignIds"))
        if not ids:
            return _error(400, "campaignIds is required", "campaignIds")
        kind = body.get("totalBudgetUpdateType", "change")
        if kind not in ("change", "addition", "distribution"):
            return _error(400, "totalBudgetUpdateType must be one of change, addition, distribution",
                          "totalBudgetUpdateType")
        values: dict[str, float] = {}
        for key in ("totalBudget", "dailyBudget", "maxBid"):
            if body.get(key) is not None:
                val = body[key]
                if isinstance(val, bool) or not isinstance(val, (int, float)) or val <= 0:
                    return _error(400, f"{key} must be a positive number", key)
                values[key] = val
        if not values:
            return _error(400, "one of totalBudget, dailyBudget, maxBid is required")
        reasons, modified = [], []
        with self.lock:
            for cid in ids:
                c = self.campaigns.get(cid)
                if c is None or c["status"] == "deleted":
                    reasons.append({"errorMessage": "campaign not found", "id": str(cid),
                                    "campaignName": None})
                    continue
                problem = _bid_problem(c, values.get("maxBid"))
                if problem:
                    reasons.append({"errorMessage": problem, "id": str(cid),
                                    "campaignName": c["campaignName"]})
                    continue
                if "totalBudget" in values:
                    if kind == "change":
                        c["budgetTotal"] = values["totalBudget"]
                    elif kind == "addition":
                        c["budgetTotal"] = round(c["budgetTotal"] + values["totalBudget"], 2)
                    else:
                        c["budgetTotal"] = round(values["totalBudget"] / len(ids), 2)
                if "dailyBudget" in values:
                    c["budgetDay"] = values["dailyBudget"]
                if "maxBid" in values:
                    c["maxBid"] = values["maxBid"]
                modified.append({"campaingId": cid, "maxBid": c["maxBid"], "totalBudget": c["budgetTotal"],
                                 "dailyBudget": c["budgetDay"], "endDate": c["endTime"]})
            if modified:
                self._record("campaign_budget", type=kind, campaignIds=[m["campaingId"] for m in modified],
                             **values)
        req.meta.update(campaignIds=ids, type=kind, applied=[m["campaingId"] for m in modified],
                        refused=[int(r["id"]) for r in reasons], **values)
        return Response.json(200, {"statusCode": 200, "responseObject": {
            "reason": reasons, "modified_data": modified, "status": not reasons}})

    @route("PATCH", r"/api/v2/cmp/campaign/(\d+)", "iqm.campaign_patch")
    def campaign_patch(self, req: Request) -> Response:
        """Update any campaign property; a DRAFT campaign becomes PENDING."""
        if (err := self.check(req)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        if not body:
            return _error(400, "no property to update")
        unknown = sorted(k for k in body if k not in CAMPAIGN_FIELDS)
        if unknown:
            return Response.json(400, {"success": False, "errorObjects": [
                {"error": "unknown campaign property", "field": k} for k in unknown]})
        with self.lock:
            c = self.campaigns.get(int(req.match.group(1)))
            if c is None:
                return _error(404, "Campaign not found")
            c.update(body)
            if c["status"] == "draft":
                c["status"] = "pending"
            self._record("campaign_patch", campaignId=c["id"], fields=dict(body))
        req.meta.update(campaignId=c["id"], fields=sorted(body))
        return Response.json(200, {"statusCode": 200, "responseObject": {
            "message": "Campaign updated successfully", "id": c["id"], "status": c["status"]}})

    # ------------------------------------------------------------------ insertion orders: lists
    @route("POST", r"/api/v3/cmp/io/basic/list", "iqm.io_basic_list")
    def io_basic_list(self, req: Request) -> Response:
        """IO basic details: filters ``ioIdList``, ``ids`` (first), ``ioBudgetTypeIdsList``,
        ``ioStatusIdsList``, ``searchField``, ``sortBy``; ``pageNo``/``noOfEntries`` or ``offset``."""
        if (err := self.check(req, need_host=False)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        paging = self._paging(body)
        if isinstance(paging, Response):
            return paging
        start, size = paging
        with self.lock:
            rows = list(self.ios.values())
        if body.get("ioIdList"):
            rows = [r for r in rows if r["ioId"] in set(_ints(body["ioIdList"]))]
        if body.get("ioBudgetTypeIdsList"):
            rows = [r for r in rows if r["ioBudgetTypeId"] in set(_ints(body["ioBudgetTypeIdsList"]))]
        if body.get("ioStatusIdsList"):
            rows = [r for r in rows if r["ioStatusId"] in set(_ints(body["ioStatusIdsList"]))]
        rows = _search(rows, body.get("searchField"), "ioId", "ioName")
        rows = _sort(rows, body.get("sortBy") or "-ioId")
        rows = _first(rows, "ioId", _ints(body.get("ids")))
        # fault: a server whose pages stop short of the total it reports
        served = rows[: int(self.settings["list_serves_at_most"])] if "list_serves_at_most" in self.settings \
            else rows
        page = [{k: r[k] for k in IO_BASIC_KEYS} for r in served[start:start + size]]
        req.meta.update(rows=len(page), start=start)
        return Response.json(200, {"success": True, "data": {
            "totalRecords": len(rows), "ioBasicDetailsList": page, "filteredRecords": len(rows)}})

    @route("POST", r"/api/v3/cmp/io/campaign/basic/list", "iqm.io_campaign_basic_list")
    def io_campaign_basic_list(self, req: Request) -> Response:
        """Campaigns grouped by IO: filters ``ids`` (campaigns), ``ioIds``, ``status``, ``creativeTypeIds``,
        ``campaignTypeIds``, ``ioBudgetTypeIds``, ``owIds``, ``searchField``; ``ioIdsList`` first.

        The document does not say what ``noOfEntries`` counts: a page holds that many IOs
        (default), or with the setting ``io_campaign_page_counts="campaigns"`` that many
        campaigns, an IO's campaigns continuing on the next page."""
        if (err := self.check(req, need_host=False)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        paging = self._paging(body)
        if isinstance(paging, Response):
            return paging
        start, size = paging
        with self.lock:
            camps = self._filter_campaigns(body.get("status"), body.get("ioIds"), body.get("ids"))
            if body.get("creativeTypeIds"):
                camps = [c for c in camps if c["creativeType"] in set(_ints(body["creativeTypeIds"]))]
            if body.get("campaignTypeIds"):
                camps = [c for c in camps if c["campaignTypeId"] in set(_ints(body["campaignTypeIds"]))]
            by_io: dict[int, list] = collections.defaultdict(list)
            for c in camps:
                by_io[c["ioId"]].append(c)
            groups = []
            for io_id, cs in by_io.items():
                io = self.ios.get(io_id)
                if io is None:
                    continue
                budget_types = set(_ints(body.get("ioBudgetTypeIds")))
                if budget_types and io["ioBudgetTypeId"] not in budget_types:
                    continue
                groups.append({
                    "ioId": io_id, "ioName": io["ioName"], "ioBudgetTypeId": io["ioBudgetTypeId"],
                    "ioStatusId": io["ioStatusId"], "created": io["created"],
                    "lastModified": io["lastModified"],
                    "owId": io["owId"], "uowId": io["uowId"], "campaignCount": len(cs),
                    "campaigns": [_basic_campaign(c) for c in cs]})
            total_ios = len(self.ios)
            total_campaigns = len(self.campaigns)
        groups = _search(groups, body.get("searchField"), "ioId", "ioName")
        groups = _sort(groups, body.get("sortBy") or "-ioId")
        groups = _first(groups, "ioId", _ints(body.get("ioIdsList")))
        if self.settings.get("io_campaign_page_counts") == "campaigns":
            # the other reading of "noOfEntries: the maximum number of returned results per page":
            # a page holds that many campaigns, an IO's campaigns continue on the next page
            flat = [(g, c) for g in groups for c in g["campaigns"]]
            page = []
            for g, c in flat[start:start + size]:
                if not page or page[-1]["ioId"] != g["ioId"]:
                    page.append(dict(g, campaigns=[]))
                page[-1]["campaigns"].append(c)
            req.meta.update(rows=len(page), campaigns=sum(len(g["campaigns"]) for g in page), start=start)
            return Response.json(200, {"success": True, "data": {
                "totalRecords": total_campaigns, "ioCampaignsList": page, "filteredRecords": len(flat)}})
        page = groups[start:start + size]
        req.meta.update(rows=len(page), campaigns=sum(len(g["campaigns"]) for g in page), start=start)
        return Response.json(200, {"success": True, "data": {
            "totalRecords": total_ios, "ioCampaignsList": page, "filteredRecords": len(groups)}})

    @route("POST", r"/api/v3/cmp/io/campaigns/list", "iqm.io_campaigns_list")
    def io_campaigns_list(self, req: Request) -> Response:
        """Campaigns with report figures: filters ``campaignStatusList``, ``budgetTypeIdList``,
        ``timeZoneId``, ``owIds``, ``creativeTypeIds``, ``searchField``; ``ioIdsList`` and
        ``campaignIds`` first; ``recordsTotal`` is an object of totals."""
        if (err := self.check(req, need_host=False)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        paging = self._paging(body)
        if isinstance(paging, Response):
            return paging
        start, size = paging
        with self.lock:
            camps = self._filter_campaigns(body.get("campaignStatusList"), None, None,
                                           body.get("searchField"))
            if body.get("budgetTypeIdList"):
                camps = [c for c in camps if c["budgetTypeId"] in set(_ints(body["budgetTypeIdList"]))]
            tz = body.get("timeZoneId", body.get("timezoneId"))
            if tz:
                camps = [c for c in camps if c["timezone"] == int(tz)]
            if body.get("creativeTypeIds"):
                camps = [c for c in camps if c["creativeType"] in set(_ints(body["creativeTypeIds"]))]
            rows = [self._report_row(c) for c in camps]
        rows = _sort(rows, body.get("sortBy") or "-campaignId")
        rows = _first(rows, "ioId", _ints(body.get("ioIdsList")))
        rows = _first(rows, "campaignId", _ints(body.get("campaignIds")))
        page = rows[start:start + size]
        totals = {"totalCount": len(rows), "budgetTotal": round(sum(r["budgetTotal"] for r in rows), 2),
                  "budgetDay": round(sum(r["budgetDay"] for r in rows), 2), "spent": 0, "impressions": 0,
                  "clicks": 0}
        req.meta.update(rows=len(page), start=start)
        return Response.json(200, {"success": True, "data": {
            "totalRecords": len(rows), "filteredRecords": len(rows), "recordsTotal": totals,
            "recordsList": page,
            "totalCount": len(rows)}})

    def _report_row(self, c: dict[str, Any]) -> dict[str, Any]:
        io = self.ios.get(c["ioId"], {})
        return {"campaignId": c["id"], "campaignName": c["campaignName"], "status": c["status"],
                "campaignType": c["_kind"], "maxBid": c["maxBid"], "startTime": c["startTime"],
                "endTime": c["endTime"], "budgetDay": c["budgetDay"], "budgetTotal": c["budgetTotal"],
                "owId": c["owId"], "ioId": c["ioId"], "ioName": io.get("ioName"),
                "ioStartTime": io.get("ioStartTime"), "ioEndTime": io.get("ioEndTime"),
                "ioTotalBudget": io.get("ioTotalBudget"), "ioStatusId": io.get("ioStatusId"),
                "creativeType": "Video" if c["_kind"] == "cpv" else "Image", "impressions": 0, "clicks": 0,
                "spent": c["spent"], "budgetTypeId": c["budgetTypeId"], "CTR": 0, "VCR": 0, "CVR": 0}

    # ------------------------------------------------------------------ insertion orders: changes
    @route("POST", r"/api/v3/cmp/io/add", "iqm.io_add")
    def io_add(self, req: Request) -> Response:
        """Create an IO; the document's required values are checked (``ioTotalBudget`` for a
        budget-based IO, ``ioStatusId`` for an impression-based one)."""
        if (err := self.check(req)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        missing = [k for k in IO_REQUIRED if body.get(k) is None]
        if body.get("ioBudgetTypeId") == 1 and body.get("ioTotalBudget") is None:
            missing.append("ioTotalBudget")
        if body.get("ioBudgetTypeId") not in (None, 1) and body.get("ioStatusId") is None:
            missing.append("ioStatusId")
        if missing:
            return Response.json(400, {"success": False, "errorObjects": [
                {"error": f"{k} is required", "field": k} for k in missing]})
        if not (isinstance(body["ioStartTime"], int) and isinstance(body["ioEndTime"], int)) or \
                body["ioEndTime"] <= body["ioStartTime"]:
            return _error(400, "ioEndTime must be after ioStartTime (Unix epoch milliseconds)", "ioEndTime")
        with self.lock:
            io_id = self.next_io_id
            self.next_io_id += 1
            fields = {k: body[k] for k in body if k in IO_CREATE_KEYS}
            io = self._new_io(ioId=io_id, **fields)
            if io["isBudgetAutoSum"]:
                io["ioTotalBudget"] = 0
            self.ios[io_id] = io
            self._record("io_add", ioId=io_id, ioName=io["ioName"])
        req.meta.update(ioId=io_id, ioName=io["ioName"])
        out = {k: io[k] for k in ("ioId", "ioName", "ioStartTime", "ioEndTime", "ioTotalBudget",
                                  "ioTimeZoneId",
                                  "ioBudgetTypeId", "ioBudgetDistributionMethodId")}
        out.update(isAutoSumIoTotalBudget=io["isBudgetAutoSum"], ioTotalImpressions=None)
        return Response.json(200, {"success": True, "data": out})

    @route("POST", r"/api/v3/cmp/io/duplicate", "iqm.io_duplicate")
    def io_duplicate(self, req: Request) -> Response:
        """Duplicate one IO with the listed campaigns (all of them when none is listed)."""
        if (err := self.check(req)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        for key in ("ioId", "ioStartTime", "ioEndTime", "ioTimeZoneId"):
            if not isinstance(body.get(key), int):
                return _error(400, f"{key} is required (integer)", key)
        with self.lock:
            src = self.ios.get(body["ioId"])
            if src is None:
                return _error(404, "Insertion Order not found", "ioId")
            own = [c["id"] for c in self.campaigns.values()
                   if c["ioId"] == src["ioId"] and c["status"] != "deleted"]
            wanted = _ints(body.get("ioExistingCampaignIds")) or own
            stray = [cid for cid in wanted if cid not in own]
            if stray:
                return _error(400, f"campaigns {stray} are not in Insertion Order {src['ioId']}",
                              "ioExistingCampaignIds")
            new_io = self.next_io_id
            self.next_io_id += 1
            self.ios[new_io] = dict(src, ioId=new_io, ioName=f"{src['ioName']} copy",
                                    ioStartTime=body["ioStartTime"],
                                    ioEndTime=body["ioEndTime"], ioTimeZoneId=body["ioTimeZoneId"])
            new_ids = []
            for cid in wanted:
                nid = self.next_campaign_id
                self.next_campaign_id += 1
                copy = dict(self.campaigns[cid], id=nid, ioId=new_io, status="draft",
                            campaignName=f"{self.campaigns[cid]['campaignName']} copy")
                self.campaigns[nid] = copy
                new_ids.append(nid)
            self._record("io_duplicate", ioId=src["ioId"], duplicatedIOId=new_io,
                         duplicatedCampaignIds=new_ids)
        req.meta.update(ioId=src["ioId"], duplicatedIOId=new_io, duplicatedCampaignIds=new_ids)
        return Response.json(200, {"success": True, "data": {"duplicatedCampaignIds": new_ids,
                                                             "duplicatedIOId": new_io}})

    @route("POST", r"/api/v3/cmp/io/delete", "iqm.io_delete")
    def io_delete(self, req: Request) -> Response:
        """Delete IOs and all campaigns attached to them."""
        if (err := self.check(req)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        ids = _ints(body.get("ioIdsList"))
        if not ids:
            return _error(400, "ioIdsList is required", "ioIdsList")
        with self.lock:
            unknown = [i for i in ids if i not in self.ios]
            if unknown:
                return _error(400, f"Insertion Orders not found: {unknown}", "ioIdsList")
            for i in ids:
                del self.ios[i]
            for c in self.campaigns.values():
                if c["ioId"] in ids:
                    c["status"] = "deleted"
            self._record("io_delete", ioIds=ids)
        req.meta["ioIds"] = ids
        return Response.json(200, {"success": True,
                                   "data": f"{len(ids)} Insertion Orders deleted successfully"})

    @route("PATCH", r"/api/v3/cmp/io/(\d+)", "iqm.io_update")
    def io_update(self, req: Request) -> Response:
        """Update the details of one IO."""
        if (err := self.check(req, need_host=False)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        unknown = sorted(k for k in body if k not in IO_CREATE_KEYS | {"ioTotalImpression", "ioStatusID"})
        if unknown or not body:
            return _error(400, f"unknown or missing IO properties: {unknown}")
        with self.lock:
            io = self.ios.get(int(req.match.group(1)))
            if io is None:
                return _error(404, "Insertion Order not found")
            for k, v in body.items():
                io["isBudgetAutoSum" if k == "isAutoSumIoTotalBudget" else k] = v
            io["lastModified"] = int(time.time() * 1000)
            self._record("io_update", ioId=io["ioId"], fields=dict(body))
        req.meta.update(ioId=io["ioId"], fields=sorted(body))
        return Response.json(200, {"success": True, "data": f"{io['ioName']} saved successfully."})

    @route("PATCH", r"/api/v3/cmp/io/update-end-date", "iqm.io_update_end_date")
    def io_update_end_date(self, req: Request) -> Response:
        """``ioIdsList`` + ``ioEndTime`` (epoch milliseconds)."""
        if (err := self.check(req, need_host=False)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        ids = _ints(body.get("ioIdsList"))
        end = body.get("ioEndTime")
        if not ids:
            return _error(400, "ioIdsList is required", "ioIdsList")
        if not isinstance(end, int) or end < 100_000_000_000:
            return _error(400, "ioEndTime must be a Unix epoch in milliseconds", "ioEndTime")
        with self.lock:
            unknown = [i for i in ids if i not in self.ios]
            if unknown:
                return _error(400, f"Insertion Orders not found: {unknown}", "ioIdsList")
            for i in ids:
                self.ios[i]["ioEndTime"] = end
            self._record("io_end_date", ioIds=ids, ioEndTime=end)
        req.meta.update(ioIds=ids, ioEndTime=end)
        return Response.json(200, {"success": True, "data": "End date updated successfully"})

    @route("PATCH", r"/api/v3/cmp/io/update-budget", "iqm.io_update_budget")
    def io_update_budget(self, req: Request) -> Response:
        """``ioIdsList`` + ``budget`` + ``budgetUpdateType`` (``add`` adds, ``change`` replaces)."""
        if (err := self.check(req, need_host=False)) is not None:
            return err
        body, err = self._body(req)
        if err:
            return err
        ids = _ints(body.get("ioIdsList"))
        budget = body.get("budget")
        kind = body.get("budgetUpdateType")
        if not ids:
            return _error(400, "ioIdsList is required", "ioIdsList")
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget <= 0:
            return _error(400, "budget must be a positive number", "budget")
        if kind not in ("add", "change"):
            return _error(400, "budgetUpdateType must be add or change", "budgetUpdateType")
        with self.lock:
            unknown = [i for i in ids if i not in self.ios]
            if unknown:
                return _error(400, f"Insertion Orders not found: {unknown}", "ioIdsList")
            for i in ids:
                io = self.ios[i]
                io["ioTotalBudget"] = round(io["ioTotalBudget"] + budget, 3) if kind == "add" else budget
            self._record("io_budget", ioIds=ids, budget=budget, budgetUpdateType=kind)
        req.meta.update(ioIds=ids, budget=budget, budgetUpdateType=kind)
        return Response.json(200, {"success": True, "data": "Budget updated successfully"})


# --------------------------------------------------------------------------- data and helpers
MAX_ROWS = 1000
STATUS_ORDER = [(0, "running", "Running"), (1, "pending", "Pending"), (2, "paused", "Paused"),
                (5, "deleted", "Deleted"), (6, "expired", "Expired"), (3, "draft", "Draft"),
                (7, "rejected", "Rejected")]
IO_BASIC_KEYS = ("ioId", "ioName", "ioStartTime", "ioEndTime", "ioTimeZoneId", "ioTotalBudget",
                 "ioBudgetDistributionMethodId", "ioBudgetTypeId", "ioStatusId", "ioTotalImpressions",
                 "isBudgetAutoSum")
IO_REQUIRED = ("ioName", "ioStartTime", "ioEndTime", "ioTimeZoneId", "isAutoSumIoTotalBudget",
               "ioBudgetTypeId",
               "ioBudgetDistributionMethodId")
IO_CREATE_KEYS = frozenset(IO_REQUIRED) | {"ioTotalBudget", "ioStatusId", "ioTotalImpressions"}
#: max bid range per campaign type ("For given campaign_type max bid cannot be less than 1.00 or greater
#: than 1000.")
BID_RANGE = {"cpv": (1.00, 1000.0), "cpm": (0.10, 1000.0)}


def _bid_problem(c: dict[str, Any], max_bid: float | None) -> str | None:
    if max_bid is None:
        return None
    lo, hi = BID_RANGE.get(c["_kind"], (0.10, 1000.0))
    if max_bid < lo or max_bid > hi:
        return f"For given campaign_type max bid cannot be less than {lo:.2f} or greater than {hi:g}."
    if c.get("_minBid") and max_bid < c["_minBid"]:
        return f"max bid cannot be less than minimum bid {c['_minBid']}"
    return None


def _public(c: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in c.items() if not k.startswith("_")}


def _basic_campaign(c: dict[str, Any]) -> dict[str, Any]:
    out = {"id": c["id"], "campaignId": c["id"], "name": c["campaignName"],
           "creativeTypeId": c["creativeType"],
           "campaignTypeId": c["campaignTypeId"], "status": c["status"], "startTime": c["startTime"],
           "createdAt": c["createDate"], "owId": c["owId"], "timezoneId": c["timezone"],
           "targetedAudienceIds": None}
    if c["endTime"]:
        out["endTime"] = c["endTime"]
    return out


def _ints(value: Any) -> list[int]:
    """Ids from an int, ``"1,2,3"`` or a list; anything else yields nothing."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    elif isinstance(value, list):
        parts = value
    else:
        return []
    out = []
    for p in parts:
        try:
            out.append(int(p))
        except (TypeError, ValueError):
            continue
    return out


def _strs(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    return [str(v) for v in value]


def _search(rows: list[dict], text: Any, id_key: str, name_key: str) -> list[dict]:
    text = str(text or "").strip().lower()
    if not text:
        return rows
    return [r for r in rows if text in str(r.get(name_key) or "").lower() or text == str(r.get(id_key))]


def _sort(rows: list[dict], spec: str) -> list[dict]:
    for part in reversed([p.strip() for p in str(spec).split(",") if p.strip()]):
        desc = part.startswith("-")
        key = part.lstrip("+-")
        rows = sorted(rows, key=lambda r: (r.get(key) is None, r.get(key) if r.get(key) is not None else 0),
                      reverse=desc)
    return rows


def _first(rows: list[dict], key: str, ids: list[int]) -> list[dict]:
    """Rows whose ``key`` is in ``ids`` first ("returned first, before others"), order kept otherwise."""
    if not ids:
        return rows
    wanted = set(ids)
    return [r for r in rows if r.get(key) in wanted] + [r for r in rows if r.get(key) not in wanted]


CAMPAIGN_FIELDS = frozenset("""
campaignName advertiserDomain creativeType campaignType totalBudgetPacing isTvAd budgetDay budgetTotal
maxBid timezone startTime endTime status dspMargin platformMargin userDealMargin spentScale creativeIds
conversionType conversionTypeId bidOptimization bidPacing isBidShading impressionCapping maxDayImpressions
maxDayClicks maxDayConversions totalImpressions totalClicks totalConversions deviceType trafficType exchanges
stateIds countryId isLocationWithOrFilter locationDetails campaignIabCategoryIds creativesPlacementMapping
conversionIds prebidAudienceSegmentIdList campaignTypeId budgetTypeId ioId
""".split())

# The document's samples (times: campaigns in Unix seconds, insertion orders in milliseconds).
SEED_IOS = [
    dict(ioId=15844, ioName="Test2", ioTimeZoneId=29, ioTotalBudget=59900, ioBudgetTypeId=1),
    dict(ioId=1630, ioName="phase 2 test", ioStartTime=1792179297123, ioEndTime=1793179297123,
         ioTimeZoneId=29,
         ioTotalBudget=0, ioBudgetTypeId=2, ioStatusId=1),
    dict(ioId=741, ioName="testdatasync", ioStartTime=1692860161542, ioEndTime=1696226400000, ioTimeZoneId=21,
         ioTotalBudget=100001, ioBudgetTypeId=2, ioStatusId=1),
    dict(ioId=738, ioName="IO Bharat", ioStartTime=1693251767612, ioEndTime=1693353600000, ioTimeZoneId=29,
         ioTotalBudget=1100, ioBudgetTypeId=2, ioStatusId=2),
    dict(ioId=4091, ioName="Future start date", ioBudgetTypeId=1, ioStatusId=1, created=1700726026913),
    dict(ioId=3979, ioName="Test IO for campaign popup", ioBudgetTypeId=1, ioStatusId=1,
         created=1700476689502),
    dict(ioId=225, ioName="Beatrice King", ioBudgetTypeId=1, ioStatusId=2, created=1677925263000),
    dict(ioId=48, ioName="UAW", ioBudgetTypeId=1, ioStatusId=1, created=1665500839000),
    dict(ioId=2991, ioName="Insertion Order For Donation", ioStartTime=1698446340000, ioEndTime=1698739200000,
         ioTimeZoneId=420, ioTotalBudget=26415, ioBudgetTypeId=1, ioStatusId=1),
]
SEED_CAMPAIGNS = [
    dict(id=537599, campaignName="TestCampaign", ioId=15844, status="pending", startTime=1726518001,
         endTime=1727668800, budgetTotal=50000.0, budgetDay=1199.08, maxBid=15.0),
    dict(id=537123, campaignName="Test1", ioId=15844, status="pending", startTime=1727755200,
         endTime=1730347200,
         budgetTotal=9900.0, budgetDay=500.0, maxBid=5.0),
    dict(id=450700, campaignName="future date campaign", ioId=4091, status="running", startTime=1732690800,
         endTime=1767164400, timezone=21),
    dict(id=451031, campaignName="no end date", ioId=3979, status="running", startTime=1701249000,
         timezone=21),
    dict(id=450277, campaignName="prod-campaign-20935 copy", ioId=225, status="running", startTime=1700819565,
         endTime=1709182800),
    dict(id=20731, campaignName="prod-campaign-20731", ioId=48, status="running", startTime=1676700273,
         endTime=1711857600),
    dict(id=4120, campaignName="test cust aud dev", ioId=48, status="running", startTime=1676700273,
         endTime=1711857600, maxBid=5.0, minBid=3.0),
    dict(id=4121, campaignName="Vast copy", ioId=48, status="running", kind="cpv", startTime=1676700273,
         endTime=1711857600, maxBid=8.0),
    dict(id=445615, campaignName="Campaign For Child", ioId=2991, status="pending", kind="cpv",
         startTime=1698445456, endTime=1698739200, budgetDay=5.0, budgetTotal=13.0, maxBid=4.0),
    dict(id=192476, campaignName="sample campaign 192476", ioId=741, status="paused", startTime=1692860161,
         endTime=1696226400),
]
SEED_GROUPS = [
    {"campaignGroupId": 1, "campaignGroupName": "UAW campaigns", "campaignIds": [20731, 4120, 4121]},
    {"campaignGroupId": 2, "campaignGroupName": "Test2 campaigns", "campaignIds": [537599, 537123]},
]
