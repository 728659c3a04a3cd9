"""Opt-Intelligence reports: synthetic, deterministic figures in summary and custom mode, paged."""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

from airflow_provider_adtech.sandbox.web import Request, Response, route

SUBID_FROM = dt.date(2017, 9, 29)
STATS = {"impressions": "IMPRESSIONS", "rpm": "RPM", "revenue": "REVENUE"}
GROUPS = ("placement", "publisher", "subid", "subid2")


class OiReports:
    """The ``/v1/reports/publishers/`` route of :class:`~airflow_provider_adtech.sandbox.oi.OiSandbox`."""

    def _units(self) -> list[tuple[int, str, int, str, str, str]]:
        """(publisher id, publisher name, placement id, placement name, subid, subid2) per placement."""
        n = int(self.settings.get("report_rows", 25))
        pubs = max(1, int(self.settings.get("report_publishers", 3)))
        key = (n, pubs)
        cached = getattr(self, "_units_cache", None)
        if cached and cached[0] == key:
            return cached[1]
        units = [
            (1000 + i % pubs, f"Sandbox Publisher {i % pubs + 1}", 87650000 + i, f"Sandbox Placement [{i + 1}]",
             f"sub{i % 7}", f"sub2-{i % 3}")
            for i in range(n)
        ]
        self._units_cache = (key, units)
        return units

    @staticmethod
    def _day_figures(unit: int, day: dt.date) -> tuple[int, float]:
        h = zlib.crc32(f"{unit}:{day.isoformat()}".encode())
        impressions = 50 + h % 951
        revenue = round(impressions * (1 + (h >> 10) % 90) / 10000, 2)  # RPM between 0.1 and 9.0
        return impressions, revenue

    def _report_rows(self, days: list[dt.date], groupby: list[str], fields: list[str], id_type: str | None,
                     ids: set[int], scale: float) -> list[dict[str, Any]]:
        if "subid" in groupby or "subid2" in groupby:
            days = [d for d in days if d >= SUBID_FROM]
        groups: dict[tuple, list] = {}
        for pub_id, pub, pl_id, pl, sub, sub2 in self._units():
            if id_type == "publisher" and pub_id not in ids:
                continue
            if id_type == "placement" and pl_id not in ids:
                continue
            imp = rev = 0.0
            for d in days:
                i, r = self._day_figures(pl_id, d)
                imp += i
                rev += r
            if scale < 1:
                imp = float(int(imp * scale))
                rev = round(rev * scale, 2)
            if not days:
                continue
            key: list = []
            ident: dict[str, Any] = {}
            if "publisher" in groupby or "placement" in groupby:
                ident.update(PUB_ID=pub_id, PUB=pub)
                key += [pub_id]
            if "placement" in groupby:
                ident.update(PLACEMENT_ID=pl_id, PLACEMENT=pl)
                key += [pl_id]
            if "subid" in groupby:
                ident["SUBID"] = sub
                key += [sub]
            if "subid2" in groupby:
                ident["SUBID2"] = sub2
                key += [sub2]
            acc = groups.setdefault(tuple(key), [ident, 0.0, 0.0])
            acc[1] += imp
            acc[2] += rev
        rows = []
        for key in sorted(groups):
            ident, imp, rev = groups[key]
            stats = {"IMPRESSIONS": int(imp), "RPM": round(rev / imp * 1000, 2) if imp else 0,
                     "REVENUE": round(rev, 2)}
            wanted = [STATS[f] for f in fields] if fields else list(stats)
            rows.append({**ident, **{k: stats[k] for k in wanted}})
        return rows

    @route("GET", "/v1/reports/publishers/", "oi.reports.publishers", strict_slashes=False)
    def report(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()

        def bad(message: str) -> Response:
            req.meta["refused"] = message
            return Response.json(400, {"status": "error", "message": message})

        def whole(name: str, default: int) -> int | None:
            raw = req.arg(name)
            if raw is None or raw == "":
                return default
            return int(raw) if raw.isdigit() else None

        row_start = whole("row_start", 1)
        row_limit = whole("row_limit", 100)
        if row_start is None or row_start < 1 or row_limit is None:
            return bad("row_start and row_limit must be whole numbers")
        row_limit = min(row_limit, 2000)  # "The max range for a Custom mode return is 2000 rows"
        fields = [f.strip().lower() for f in (req.arg("fields") or "").split(",") if f.strip()]
        if any(f not in STATS for f in fields):
            return bad("fields accepts rpm, revenue and impressions")
        groupby = [g.strip().lower() for g in (req.arg("groupby") or "").split(",") if g.strip()]
        if any(g not in GROUPS for g in groupby):
            return bad("groupby accepts placement, publisher, subid and subid2")
        id_type = req.arg("id-type")
        raw_ids = [i.strip() for i in (req.arg("ids") or "").split(",") if i.strip()]
        if id_type is not None and id_type not in ("publisher", "placement"):
            return bad("id-type must be placement or publisher")
        if id_type and (not raw_ids or not all(i.isdigit() for i in raw_ids)):
            return bad("ids must be present with id-type")
        ids = {int(i) for i in raw_ids}
        start_s, end_s = req.arg("start"), req.arg("end")
        try:
            start = dt.date.fromisoformat(start_s) if start_s else None
            end = dt.date.fromisoformat(end_s) if end_s else None
        except ValueError:
            return bad("start and end must be dates YYYY-MM-DD")
        today = dt.date.fromisoformat(self.settings["today"]) if self.settings.get("today") \
            else dt.datetime.now(dt.timezone.utc).date()

        def page(rows: list[dict]) -> list[dict]:
            return rows[row_start - 1: row_start - 1 + row_limit]

        with self.lock:
            if start is None:
                periods = {
                    "today": [today],
                    "yesterday": [today - dt.timedelta(days=1)],
                    "mtd": [today.replace(day=1) + dt.timedelta(days=i) for i in range(today.day)],
                }
                data = {name: page(self._report_rows(days, groupby, fields, id_type, ids, 1.0))
                        for name, days in periods.items()}
                req.meta.update(mode="summary", row_start=row_start, row_limit=row_limit,
                                rows={k: len(v) for k, v in data.items()})
                self.report_requests.append(dict(req.meta))
                return Response.json(200, {"status": "ok", "data": data})
            last = end or today
            if last < start:
                return bad("end must not be before start")
            key = f"{start.isoformat()}..{end.isoformat() if end else ''}"
            # every account (advertiser) has its own report: polls are counted per account
            account = req.meta.get("account", "default")
            poll_key = key if account == "default" else f"{account}:{key}"
            if row_start == 1:
                self.report_polls[poll_key] = self.report_polls.get(poll_key, 0) + 1
            poll = self.report_polls.get(poll_key, 0)
            ready_after = int(self.settings.get("report_ready_after", 0))
            settle_after = int(self.settings.get("report_settle_after", 0))
            if poll <= ready_after:
                rows: list[dict] = []
            else:
                k = poll - ready_after
                scale = 1.0 if k > settle_after else k / (settle_after + 1)
                days = [start + dt.timedelta(days=i) for i in range((last - start).days + 1)]
                rows = self._report_rows(days, groupby, fields, id_type, ids, scale)
            out = page(rows)
            req.meta.update(mode="custom", range=key, poll=poll, row_start=row_start, row_limit=row_limit,
                            rows=len(out), total_rows=len(rows), groupby=groupby, fields=fields,
                            id_type=id_type, ids=sorted(ids))
            self.report_requests.append(dict(req.meta))
        return Response.json(200, {"status": "ok", "data": {"custom": out}})

