"""IQM campaign routes: reads (one, lists, groups, budget, counts) and changes (name, end date, budget, any property)."""

from __future__ import annotations

import collections
import time
from typing import Any, Iterator

from airflow_provider_adtech.sandbox.iqm.data import CAMPAIGN_FIELDS, STATUS_ORDER
from airflow_provider_adtech.sandbox.iqm.rows import bid_problem, error, ints, public, reason, strs
from airflow_provider_adtech.sandbox.web import Request, Response, route


class IqmCampaigns:
    """Routes of :class:`~airflow_provider_adtech.sandbox.iqm.IqmSandbox` (which holds the store and checks)."""

    # ------------------------------------------------------------------ campaigns: reads
    @route("GET", "/api/v2/cmp/campaign/<int:campaign_id>", "iqm.campaign_get")
    def campaign_get(self, req: Request) -> Response:
        """``GET /api/v2/cmp/campaign/{campaignId}`` (``isSpentRequired``)."""
        if (err := self.check(req, need_host=False)) is not None:
            return err
        with self.lock:
            c = self.campaigns.get(req.params["campaign_id"])
            if c is None:
                return error(404, "Campaign not found")
            out = public(c)
            out["ioName"] = self.ios.get(c["ioId"], {}).get("ioName")
        if (req.arg("isSpentRequired") or "false").lower() != "true":
            out.pop("spent", None)
        return Response.json(200, {"statusCode": 200, "responseObject": out})

    def _filter_campaigns(self, status: Any = None, io_ids: Any = None, ids: Any = None,
                          search: Any = None) -> list[dict[str, Any]]:
        statuses = set(strs(status))
        ios = set(ints(io_ids))
        wanted = set(ints(ids))
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

    @route("GET", "/api/v2/cmp/campaigns/list", "iqm.campaigns_list")
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

    @route("GET", "/api/v2/cmp/campaigns/data", "iqm.campaigns_data")
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
            data = [public(c) for c in rows]
        req.meta["rows"] = len(data)
        return Response.json(200, {"statusCode": 200, "responseObject": {"data": data,
                                                                         "totalRecords": len(data)}})

    @route("GET", "/api/v2/cmp/campaign/budgetInfo", "iqm.budget_info")
    def budget_info(self, req: Request) -> Response:
        """Campaign budget info and graph details (``campaignId``)."""
        if (err := self.check(req)) is not None:
            return err
        try:
            cid = int(req.arg("campaignId") or "")
        except ValueError:
            return error(400, "campaignId is required")
        with self.lock:
            c = self.campaigns.get(cid)
            if c is None:
                return error(404, "Campaign not found")
            info = {"campaignId": cid, "budgetTotal": c["budgetTotal"], "budgetDay": c["budgetDay"],
                    "spent": c["spent"], "remainingBudget": round(c["budgetTotal"] - c["spent"], 2),
                    "graph": [{"date": c["startTime"], "spent": c["spent"]}]}
        return Response.json(200, {"statusCode": 200, "responseObject": info})

    @route("GET", "/api/v2/cmp/campaigngroup/campaign/list", "iqm.campaign_groups")
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

    @route("GET", "/api/v2/cmp/campaign/start", "iqm.campaign_start")
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
                    return error(404, "Campaign not found")
                out = {"campaignId": c["id"], "startTime": c["startTime"]}
            else:
                out = {"startTime": min(c["startTime"] for c in self.campaigns.values())}
        return Response.json(200, {"statusCode": 200, "responseObject": out})

    @route("POST", "/api/v3/cmp/campaigns/count", "iqm.campaigns_count")
    def campaigns_count(self, req: Request) -> Response:
        """Count of campaigns per status (filters ``owIds``, ``ioIds``, ``campaignTypeIds``,
        ``campaignExpiredAfterEpoch``, ``searchField``)."""
        body, err = self.checked_body(req, need_host=False)
        if err:
            return err
        with self.lock:
            rows = self._filter_campaigns(None, body.get("ioIds"), None, body.get("searchField"))
            ows = str(body.get("owIds") or "all")
            if ows != "all":
                rows = [c for c in rows if c["owId"] in set(ints(ows))]
            if body.get("campaignExpiredAfterEpoch"):
                after = int(body["campaignExpiredAfterEpoch"])
                rows = [c for c in rows if c["endTime"] is None or c["endTime"] > after]
            counts = collections.Counter(c["status"] for c in rows)
        data = [{"order": order, "status_key": key, "status_label": label, "status_count": counts.get(key, 0)}
                for order, key, label in STATUS_ORDER]
        data.append({"order": 8, "status_key": "all", "status_label": "ALL", "status_count": len(rows)})
        return Response.json(200, {"success": True, "data": data})

    # ------------------------------------------------------------------ campaigns: changes
    def _live(self, ids: list[int], reasons: list[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
        """The campaigns of ``ids`` that exist, in order; a "campaign not found" reason for the others."""
        for cid in ids:
            c = self.campaigns.get(cid)
            if c is None or c["status"] == "deleted":
                reasons.append(reason(cid, "campaign not found"))
            else:
                yield cid, c

    @route("PATCH", "/api/v3/cmp/campaign/update-name/<int:campaign_id>", "iqm.campaign_update_name")
    def campaign_update_name(self, req: Request) -> Response:
        body, err = self.checked_body(req)
        if err:
            return err
        name = body.get("campaignName")
        if not isinstance(name, str) or not name.strip():
            return error(400, "campaignName is required", "campaignName")
        with self.lock:
            c = self.campaigns.get(req.params["campaign_id"])
            if c is None:
                return error(404, "Campaign not found")
            c["campaignName"] = name
            self._record("campaign_name", campaignId=c["id"], campaignName=name)
        req.meta.update(campaignId=c["id"], campaignName=name)
        return Response.json(200, {"success": True, "data": {"message": "campaignName updated successfully"}})

    @route("PUT", "/api/v2/cmp/campaigns/update-end-date", "iqm.campaigns_update_end_date")
    def campaigns_update_end_date(self, req: Request) -> Response:
        """``endDate`` (Unix seconds) for ``campaignIds``; campaigns that would end before they start are
        refused per campaign (``status: false`` with ``reason``), the others changed."""
        got = self.checked_ids(req, "campaignIds")
        if isinstance(got, Response):
            return got
        body, ids = got
        end = body.get("endDate")
        if not isinstance(end, int) or isinstance(end, bool) or end <= 0:
            return error(400, "endDate must be a Unix timestamp", "endDate")
        if end >= 100_000_000_000:
            return error(400, "endDate must be a Unix timestamp in seconds", "endDate")
        if end <= time.time():
            return error(400, "endDate must be in the future", "endDate")
        reasons, modified = [], []
        with self.lock:
            for cid, c in self._live(ids, reasons):
                if c["startTime"] and end <= c["startTime"]:
                    reasons.append(reason(cid, "end date cannot be before the campaign start date",
                                          c["campaignName"]))
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

    @route("PUT", "/api/v2/cmp/campaigns/update_budget", "iqm.campaigns_update_budget")
    def campaigns_update_budget(self, req: Request) -> Response:
        """Total budget / daily budget / max bid of several campaigns, with ``totalBudgetUpdateType``
        ``change`` | ``addition`` | ``distribution`` (default ``change``). Campaigns whose max bid
        breaks their rules are refused with the document's reasons ("max bid cannot be less than
        minimum bid 3.0", "For given campaign_type max bid cannot be less than 1.00 or greater than
        1000."); the others are changed and listed in ``modified_data``."""
        got = self.checked_ids(req, "campaignIds")
        if isinstance(got, Response):
            return got
        body, ids = got
        kind = body.get("totalBudgetUpdateType", "change")
        if kind not in ("change", "addition", "distribution"):
            return error(400, "totalBudgetUpdateType must be one of change, addition, distribution",
                         "totalBudgetUpdateType")
        values: dict[str, float] = {}
        for key in ("totalBudget", "dailyBudget", "maxBid"):
            if body.get(key) is not None:
                val = body[key]
                if isinstance(val, bool) or not isinstance(val, (int, float)) or val <= 0:
                    return error(400, f"{key} must be a positive number", key)
                values[key] = val
        if not values:
            return error(400, "one of totalBudget, dailyBudget, maxBid is required")
        reasons, modified = [], []
        with self.lock:
            for cid, c in self._live(ids, reasons):
                problem = bid_problem(c, values.get("maxBid"))
                if problem:
                    reasons.append(reason(cid, problem, c["campaignName"]))
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

    @route("PATCH", "/api/v2/cmp/campaign/<int:campaign_id>", "iqm.campaign_patch")
    def campaign_patch(self, req: Request) -> Response:
        """Update any campaign property; a DRAFT campaign becomes PENDING."""
        body, err = self.checked_body(req)
        if err:
            return err
        if not body:
            return error(400, "no property to update")
        unknown = sorted(k for k in body if k not in CAMPAIGN_FIELDS)
        if unknown:
            return Response.json(400, {"success": False, "errorObjects": [
                {"error": "unknown campaign property", "field": k} for k in unknown]})
        with self.lock:
            c = self.campaigns.get(req.params["campaign_id"])
            if c is None:
                return error(404, "Campaign not found")
            c.update(body)
            if c["status"] == "draft":
                c["status"] = "pending"
            self._record("campaign_patch", campaignId=c["id"], fields=dict(body))
        req.meta.update(campaignId=c["id"], fields=sorted(body))
        return Response.json(200, {"statusCode": 200, "responseObject": {
            "message": "Campaign updated successfully", "id": c["id"], "status": c["status"]}})
