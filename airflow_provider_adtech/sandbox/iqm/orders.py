"""IQM insertion-order routes: the three lists and the changes (add, duplicate, delete, update, end date, budget)."""

from __future__ import annotations

import collections
import time
from typing import Any

from airflow_provider_adtech.sandbox.iqm.data import IO_BASIC_KEYS, IO_CREATE_KEYS, IO_REQUIRED
from airflow_provider_adtech.sandbox.iqm.rows import basic_campaign, error, first, ints, search, sort_by
from airflow_provider_adtech.sandbox.web import Request, Response, route


class IqmOrders:
    """Routes of :class:`~airflow_provider_adtech.sandbox.iqm.IqmSandbox` (which holds the store and checks)."""

    # ------------------------------------------------------------------ insertion orders: lists
    @route("POST", "/api/v3/cmp/io/basic/list", "iqm.io_basic_list")
    def io_basic_list(self, req: Request) -> Response:
        """IO basic details: filters ``ioIdList``, ``ids`` (first), ``ioBudgetTypeIdsList``,
        ``ioStatusIdsList``, ``searchField``, ``sortBy``; ``pageNo``/``noOfEntries`` or ``offset``."""
        got = self.paged_list(req)
        if isinstance(got, Response):
            return got
        body, start, size = got
        with self.lock:
            rows = list(self.ios.values())
        if body.get("ioIdList"):
            rows = [r for r in rows if r["ioId"] in set(ints(body["ioIdList"]))]
        if body.get("ioBudgetTypeIdsList"):
            rows = [r for r in rows if r["ioBudgetTypeId"] in set(ints(body["ioBudgetTypeIdsList"]))]
        if body.get("ioStatusIdsList"):
            rows = [r for r in rows if r["ioStatusId"] in set(ints(body["ioStatusIdsList"]))]
        rows = search(rows, body.get("searchField"), "ioId", "ioName")
        rows = sort_by(rows, body.get("sortBy") or "-ioId")
        rows = first(rows, "ioId", ints(body.get("ids")))
        # fault: a server whose pages stop short of the total it reports
        served = rows[: int(self.settings["list_serves_at_most"])] if "list_serves_at_most" in self.settings \
            else rows
        page = [{k: r[k] for k in IO_BASIC_KEYS} for r in served[start:start + size]]
        req.meta.update(rows=len(page), start=start)
        return Response.json(200, {"success": True, "data": {
            "totalRecords": len(rows), "ioBasicDetailsList": page, "filteredRecords": len(rows)}})

    @route("POST", "/api/v3/cmp/io/campaign/basic/list", "iqm.io_campaign_basic_list")
    def io_campaign_basic_list(self, req: Request) -> Response:
        """Campaigns grouped by IO: filters ``ids`` (campaigns), ``ioIds``, ``status``, ``creativeTypeIds``,
        ``campaignTypeIds``, ``ioBudgetTypeIds``, ``owIds``, ``searchField``; ``ioIdsList`` first.

        The document does not say what ``noOfEntries`` counts: a page holds that many IOs
        (default), or with the setting ``io_campaign_page_counts="campaigns"`` that many
        campaigns, an IO's campaigns continuing on the next page."""
        got = self.paged_list(req)
        if isinstance(got, Response):
            return got
        body, start, size = got
        with self.lock:
            camps = self._filter_campaigns(body.get("status"), body.get("ioIds"), body.get("ids"))
            if body.get("creativeTypeIds"):
                camps = [c for c in camps if c["creativeType"] in set(ints(body["creativeTypeIds"]))]
            if body.get("campaignTypeIds"):
                camps = [c for c in camps if c["campaignTypeId"] in set(ints(body["campaignTypeIds"]))]
            by_io: dict[int, list] = collections.defaultdict(list)
            for c in camps:
                by_io[c["ioId"]].append(c)
            groups = []
            for io_id, cs in by_io.items():
                io = self.ios.get(io_id)
                if io is None:
                    continue
                budget_types = set(ints(body.get("ioBudgetTypeIds")))
                if budget_types and io["ioBudgetTypeId"] not in budget_types:
                    continue
                groups.append({
                    "ioId": io_id, "ioName": io["ioName"], "ioBudgetTypeId": io["ioBudgetTypeId"],
                    "ioStatusId": io["ioStatusId"], "created": io["created"],
                    "lastModified": io["lastModified"],
                    "owId": io["owId"], "uowId": io["uowId"], "campaignCount": len(cs),
                    "campaigns": [basic_campaign(c) for c in cs]})
            total_ios = len(self.ios)
            total_campaigns = len(self.campaigns)
        groups = search(groups, body.get("searchField"), "ioId", "ioName")
        groups = sort_by(groups, body.get("sortBy") or "-ioId")
        groups = first(groups, "ioId", ints(body.get("ioIdsList")))
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

    @route("POST", "/api/v3/cmp/io/campaigns/list", "iqm.io_campaigns_list")
    def io_campaigns_list(self, req: Request) -> Response:
        """Campaigns with report figures: filters ``campaignStatusList``, ``budgetTypeIdList``,
        ``timeZoneId``, ``owIds``, ``creativeTypeIds``, ``searchField``; ``ioIdsList`` and
        ``campaignIds`` first; ``recordsTotal`` is an object of totals."""
        got = self.paged_list(req)
        if isinstance(got, Response):
            return got
        body, start, size = got
        with self.lock:
            camps = self._filter_campaigns(body.get("campaignStatusList"), None, None,
                                           body.get("searchField"))
            if body.get("budgetTypeIdList"):
                camps = [c for c in camps if c["budgetTypeId"] in set(ints(body["budgetTypeIdList"]))]
            tz = body.get("timeZoneId", body.get("timezoneId"))
            if tz:
                camps = [c for c in camps if c["timezone"] == int(tz)]
            if body.get("creativeTypeIds"):
                camps = [c for c in camps if c["creativeType"] in set(ints(body["creativeTypeIds"]))]
            rows = [self._report_row(c) for c in camps]
        rows = sort_by(rows, body.get("sortBy") or "-campaignId")
        rows = first(rows, "ioId", ints(body.get("ioIdsList")))
        rows = first(rows, "campaignId", ints(body.get("campaignIds")))
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
    @route("POST", "/api/v3/cmp/io/add", "iqm.io_add")
    def io_add(self, req: Request) -> Response:
        """Create an IO; the document's required values are checked (``ioTotalBudget`` for a
        budget-based IO, ``ioStatusId`` for an impression-based one)."""
        body, err = self.checked_body(req)
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
            return error(400, "ioEndTime must be after ioStartTime (Unix epoch milliseconds)", "ioEndTime")
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

    @route("POST", "/api/v3/cmp/io/duplicate", "iqm.io_duplicate")
    def io_duplicate(self, req: Request) -> Response:
        """Duplicate one IO with the listed campaigns (all of them when none is listed)."""
        body, err = self.checked_body(req)
        if err:
            return err
        for key in ("ioId", "ioStartTime", "ioEndTime", "ioTimeZoneId"):
            if not isinstance(body.get(key), int):
                return error(400, f"{key} is required (integer)", key)
        with self.lock:
            src = self.ios.get(body["ioId"])
            if src is None:
                return error(404, "Insertion Order not found", "ioId")
            own = [c["id"] for c in self.campaigns.values()
                   if c["ioId"] == src["ioId"] and c["status"] != "deleted"]
            wanted = ints(body.get("ioExistingCampaignIds")) or own
            stray = [cid for cid in wanted if cid not in own]
            if stray:
                return error(400, f"campaigns {stray} are not in Insertion Order {src['ioId']}",
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

    @route("POST", "/api/v3/cmp/io/delete", "iqm.io_delete")
    def io_delete(self, req: Request) -> Response:
        """Delete IOs and all campaigns attached to them."""
        got = self.checked_ids(req, "ioIdsList")
        if isinstance(got, Response):
            return got
        body, ids = got
        with self.lock:
            if (err := self.missing_ios(ids)) is not None:
                return err
            for i in ids:
                del self.ios[i]
            for c in self.campaigns.values():
                if c["ioId"] in ids:
                    c["status"] = "deleted"
            self._record("io_delete", ioIds=ids)
        req.meta["ioIds"] = ids
        return Response.json(200, {"success": True,
                                   "data": f"{len(ids)} Insertion Orders deleted successfully"})

    @route("PATCH", "/api/v3/cmp/io/<int:io_id>", "iqm.io_update")
    def io_update(self, req: Request) -> Response:
        """Update the details of one IO."""
        body, err = self.checked_body(req, need_host=False)
        if err:
            return err
        unknown = sorted(k for k in body if k not in IO_CREATE_KEYS | {"ioTotalImpression", "ioStatusID"})
        if unknown or not body:
            return error(400, f"unknown or missing IO properties: {unknown}")
        with self.lock:
            io = self.ios.get(req.params["io_id"])
            if io is None:
                return error(404, "Insertion Order not found")
            for k, v in body.items():
                io["isBudgetAutoSum" if k == "isAutoSumIoTotalBudget" else k] = v
            io["lastModified"] = int(time.time() * 1000)
            self._record("io_update", ioId=io["ioId"], fields=dict(body))
        req.meta.update(ioId=io["ioId"], fields=sorted(body))
        return Response.json(200, {"success": True, "data": f"{io['ioName']} saved successfully."})

    @route("PATCH", "/api/v3/cmp/io/update-end-date", "iqm.io_update_end_date")
    def io_update_end_date(self, req: Request) -> Response:
        """``ioIdsList`` + ``ioEndTime`` (epoch milliseconds)."""
        got = self.checked_ids(req, "ioIdsList", need_host=False)
        if isinstance(got, Response):
            return got
        body, ids = got
        end = body.get("ioEndTime")
        if not isinstance(end, int) or end < 100_000_000_000:
            return error(400, "ioEndTime must be a Unix epoch in milliseconds", "ioEndTime")
        with self.lock:
            if (err := self.missing_ios(ids)) is not None:
                return err
            for i in ids:
                self.ios[i]["ioEndTime"] = end
            self._record("io_end_date", ioIds=ids, ioEndTime=end)
        req.meta.update(ioIds=ids, ioEndTime=end)
        return Response.json(200, {"success": True, "data": "End date updated successfully"})

    @route("PATCH", "/api/v3/cmp/io/update-budget", "iqm.io_update_budget")
    def io_update_budget(self, req: Request) -> Response:
        """``ioIdsList`` + ``budget`` + ``budgetUpdateType`` (``add`` adds, ``change`` replaces)."""
        got = self.checked_ids(req, "ioIdsList", need_host=False)
        if isinstance(got, Response):
            return got
        body, ids = got
        budget = body.get("budget")
        kind = body.get("budgetUpdateType")
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget <= 0:
            return error(400, "budget must be a positive number", "budget")
        if kind not in ("add", "change"):
            return error(400, "budgetUpdateType must be add or change", "budgetUpdateType")
        with self.lock:
            if (err := self.missing_ios(ids)) is not None:
                return err
            for i in ids:
                io = self.ios[i]
                io["ioTotalBudget"] = round(io["ioTotalBudget"] + budget, 3) if kind == "add" else budget
            self._record("io_budget", ioIds=ids, budget=budget, budgetUpdateType=kind)
        req.meta.update(ioIds=ids, budget=budget, budgetUpdateType=kind)
        return Response.json(200, {"success": True, "data": "Budget updated successfully"})
