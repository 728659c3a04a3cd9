"""Opt-Intelligence emulation (document: opt-intelligence-publisher-api.txt).

What the document says, and this emulation does:

* HTTP Basic on every call; paths under ``/v1/`` (``publishers/``, ``placements/``,
  ``reports/publishers/``); an id path is accepted with or without the trailing ``/``
  (the document shows both ``publishers/59`` and ``placements/98987676/``).
* publishers: GET (list: a bare JSON array; one: an object), POST, PUT, DELETE.
  ``name`` and ``status_id`` (1 = active, 2 = inactive) are required on POST. Deletes
  are soft: a deleted publisher disappears from GET but its name cannot be used again.
* placements: GET, POST, PUT (no DELETE). Required on POST: ``publisher_id``, ``name``,
  ``status_id`` (9 = add to Approval Queue, 2 = off; 1 = live is system only),
  ``layout_id``, ``offer_format_id``, ``max_offers``, ``parameter_share``;
  ``time_period`` when ``max_impressions`` is in use, ``time_period_offer`` when
  ``max_impressions_offer`` is. A GET answers ``id`` as a string, as in the document.
* saves answer ``{"status": "Save Successful", "message": ..., "id": ...}``.
* a missing id answers ``400 {"status": "Retrieve Failed", "message": ...}``; deleting a
  missing (or already deleted) publisher answers ``403``.
* reports: summary mode (no ``start``: ``today``, ``yesterday``, ``mtd``) and custom
  mode (``start``, optional inclusive ``end``: ``custom``), filters ``id-type`` + ``ids``,
  ``fields`` (rpm, revenue, impressions), ``groupby`` (placement, publisher, subid,
  subid2; subid data only from 2017-09-29), paging with ``row_start`` (1-based,
  default 1) and ``row_limit`` (default 100, at most 2000 rows per call).

Not in the document, so shaped by analogy and kept plain: a refused save answers
``400 {"status": "Save Failed", "message": ...}``; bad report parameters answer
``400 {"status": "error", "message": ...}``; a report with no data yet has an empty
list; the subid columns are named ``SUBID`` and ``SUBID2``.

Report data is synthetic and deterministic. Settings (``server.configure("oi", ...)``):

* ``report_rows`` (default 25): placements with traffic, i.e. rows of a report grouped
  by placement (4500 gives pages of 2000, 2000 and 500);
* ``report_publishers`` (default 3): publishers those placements belong to;
* ``report_ready_after`` (default 0): custom-mode polls (first-page requests) of a date
  range that answer no rows before the data "arrives";
* ``report_settle_after`` (default 0): polls after arrival whose figures are still
  growing before they stay final;
* ``today`` (ISO date, default: today in UTC) for summary mode.
"""

from __future__ import annotations

import datetime as dt
import time
import zlib
from typing import Any

from airflow_provider_adtech.sandbox.core import Request, Response, VendorSandbox, route

_ID = r"/(?P<id>[^/]+)/?"
SUBID_FROM = dt.date(2017, 9, 29)
STATS = {"impressions": "IMPRESSIONS", "rpm": "RPM", "revenue": "REVENUE"}
GROUPS = ("placement", "publisher", "subid", "subid2")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


class OiSandbox(VendorSandbox):
    name = "oi"

    def authorized(self, req: Request) -> bool:
        """HTTP Basic with the credentials of one of the accounts; the journal entry's ``account``
        names it."""
        user, password = req.basic() or (None, None)
        account = self.account_for(username=user, password=password)
        if hasattr(req, "meta"):
            self.note_account(req, account)
        return account is not None

    def unauthorized(self) -> Response:
        r = Response.json(401, {"status": "Unauthorized", "message": "Invalid API credentials"})
        r.headers["WWW-Authenticate"] = 'Basic realm="oiapi"'
        return r

    def reset(self) -> None:
        super().reset()
        self.publishers: dict[int, dict] = {}
        self.deleted_publishers: dict[int, dict] = {}
        self.placements: dict[int, dict] = {}
        self.next_publisher_id = 59
        self.next_placement_id = 98987676
        #: custom-mode polls per ``start..end`` (``account:start..end`` for an advertiser account)
        self.report_polls: dict[str, int] = {}
        self.report_requests: list[dict[str, Any]] = []

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "publishers": list(self.publishers.values()),
                "deleted_publishers": list(self.deleted_publishers.values()),
                "placements": list(self.placements.values()),
                "report_polls": dict(self.report_polls),
                "report_requests": list(self.report_requests),
            }

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def retrieve_failed(what: str, ident: Any) -> Response:
        return Response.json(400, {"status": "Retrieve Failed", "message": f"{what} {ident} could not be found"})

    @staticmethod
    def save_failed(message: str) -> Response:
        return Response.json(400, {"status": "Save Failed", "message": message})

    @staticmethod
    def _path_id(req: Request) -> int | None:
        raw = req.match.group("id") if req.match else ""
        return int(raw) if raw.isdigit() else None

    @staticmethod
    def _body(req: Request) -> tuple[dict | None, Response | None]:
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            return None, Response.json(400, {"status": "Save Failed", "message": "the body must be JSON"})
        if not isinstance(body, dict):
            return None, Response.json(400, {"status": "Save Failed", "message": "the body must be a JSON object"})
        return body, None

    # ------------------------------------------------------------------ publishers
    def _check_publisher(self, body: dict, creating: bool, own_id: int | None = None) -> str | None:
        allowed = {"name", "status_id", "category_id", "key"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            return f"fields cannot be set: {', '.join(unknown)}"
        if creating:
            missing = [f for f in ("name", "status_id") if body.get(f) is None]
            if missing:
                return f"required: {', '.join(missing)}"
        if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
            return "name must be a non-empty string"
        if "status_id" in body and body["status_id"] not in (1, 2):
            return "status_id must be 1 (active) or 2 (inactive)"
        if "category_id" in body and body["category_id"] is not None and not _whole(body["category_id"]):
            return "category_id must be a number"
        if "key" in body and body["key"] is not None and not isinstance(body["key"], str):
            return "key must be a string"
        if "name" in body:
            for pid, pub in list(self.publishers.items()) + list(self.deleted_publishers.items()):
                if pid != own_id and pub["name"] == body["name"]:
                    gone = " (by a deleted publisher: names of deleted publishers cannot be reused)" \
                        if pid in self.deleted_publishers else ""
                    return f"name {body['name']!r} is already in use{gone}"
        return None

    @route("GET", r"/v1/publishers/", "oi.publishers.list")
    def list_publishers(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()
        with self.lock:
            return Response.json(200, list(self.publishers.values()))

    @route("GET", r"/v1/publishers" + _ID, "oi.publishers.get")
    def get_publisher(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()
        pid = self._path_id(req)
        with self.lock:
            pub = self.publishers.get(pid) if pid is not None else None
            if pub is None:
                return self.retrieve_failed("Publisher", req.match.group("id"))
            return Response.json(200, pub)

    @route("POST", r"/v1/publishers/?", "oi.publishers.create")
    def create_publisher(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()
        body, err = self._body(req)
        if err:
            return err
        with self.lock:
            problem = self._check_publisher(body, creating=True)
            if problem:
                req.meta["refused"] = problem
                return self.save_failed(problem)
            pid = self.next_publisher_id
            self.next_publisher_id += 1
            now = _now()
            self.publishers[pid] = {
                "id": pid, "name": body["name"], "create_date": now, "modify_date": now,
                "status_id": body["status_id"], "category_id": body.get("category_id"), "key": body.get("key") or "",
            }
            req.meta.update(id=pid, name=body["name"])
        return Response.json(200, {"status": "Save Successful", "message": "Publisher successfully saved", "id": pid})

    @route("PUT", r"/v1/publishers" + _ID, "oi.publishers.update")
    def update_publisher(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()
        pid = self._path_id(req)
        body, err = self._body(req)
        if err:
            return err
        with self.lock:
            pub = self.publishers.get(pid) if pid is not None else None
            if pub is None:
                return self.retrieve_failed("Publisher", req.match.group("id"))
            problem = self._check_publisher(body, creating=False, own_id=pid)
            if problem:
                req.meta["refused"] = problem
                return self.save_failed(problem)
            pub.update(body)
            pub["modify_date"] = _now()
            req.meta.update(id=pid, changed=sorted(body))
        return Response.json(200, {"status": "Save Successful", "message": "Publisher successfully saved", "id": pid})

    @route("DELETE", r"/v1/publishers" + _ID, "oi.publishers.delete")
    def delete_publisher(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()
        pid = self._path_id(req)
        with self.lock:
            pub = self.publishers.pop(pid, None) if pid is not None else None
            if pub is None:
                return Response.json(403, {"status": "Delete Failed",
                                           "message": f"Publisher {req.match.group('id')} cannot be deleted"})
            pub["modify_date"] = _now()
            self.deleted_publishers[pid] = pub
            req.meta.update(id=pid)
        return Response.json(200, {"status": "Delete Successful", "message": "Publisher successfully deleted",
                                   "id": pid})

    # ------------------------------------------------------------------ placements
    _PLACEMENT_FIELDS = {
        "publisher_id": "id", "name": "str", "status_id": "status", "category_id": "id", "layout_id": "id",
        "offer_format_id": "id", "max_offers": "id", "max_impressions": "id", "max_impressions_time": "id",
        "time_period": "id", "max_impressions_offer": "id", "max_impressions_time_offer": "id",
        "time_period_offer": "id", "parameter_share": "bool", "comment": "str",
    }
    _PLACEMENT_REQUIRED = ("publisher_id", "name", "status_id", "layout_id", "offer_format_id", "max_offers",
                           "parameter_share")

    def _check_placement(self, body: dict, current: dict | None) -> str | None:
        unknown = sorted(set(body) - set(self._PLACEMENT_FIELDS))
        if unknown:
            return f"fields cannot be set: {', '.join(unknown)}"
        merged = {**(current or {}), **body}
        missing = [f for f in self._PLACEMENT_REQUIRED if merged.get(f) is None]
        if missing:
            return f"required: {', '.join(missing)}"
        for name, value in body.items():
            kind = self._PLACEMENT_FIELDS[name]
            if value is None:
                continue
            if kind == "id" and not _whole(value):
                return f"{name} must be a number"
            if kind == "str" and not isinstance(value, str):
                return f"{name} must be a string"
            if kind == "bool" and not isinstance(value, bool):
                return f"{name} must be true or false"
            if kind == "status" and value not in (9, 2):
                return "status_id must be 9 (add to Approval Queue) or 2 (off); 1 (live) is system only"
        if merged.get("max_impressions") is not None and merged.get("time_period") is None:
            return "time_period is required when max_impressions is in use"
        if merged.get("max_impressions_offer") is not None and merged.get("time_period_offer") is None:
            return "time_period_offer is required when max_impressions_offer is in use"
        if "publisher_id" in body and body["publisher_id"] not in self.publishers:
            return f"publisher {body['publisher_id']} does not exist"
        return None

    @staticmethod
    def _placement_out(pl: dict) -> dict:
        out = {k: v for k, v in pl.items() if v is not None}
        out["id"] = str(pl["id"])  # the document's GET example answers "id": "98987676"
        return out

    @route("GET", r"/v1/placements/", "oi.placements.list")
    def list_placements(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()
        with self.lock:
            return Response.json(200, [self._placement_out(p) for p in self.placements.values()])

    @route("GET", r"/v1/placements" + _ID, "oi.placements.get")
    def get_placement(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()
        pid = self._path_id(req)
        with self.lock:
            pl = self.placements.get(pid) if pid is not None else None
            if pl is None:
                return self.retrieve_failed("Placement", req.match.group("id"))
            return Response.json(200, self._placement_out(pl))

    @route("POST", r"/v1/placements/?", "oi.placements.create")
    def create_placement(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()
        body, err = self._body(req)
        if err:
            return err
        with self.lock:
            problem = self._check_placement(body, None)
            if problem:
                req.meta["refused"] = problem
                return self.save_failed(problem)
            pid = self.next_placement_id
            self.next_placement_id += 1
            now = _now()
            self.placements[pid] = {"id": pid, **body, "create_date": now, "modify_date": now}
            req.meta.update(id=pid, name=body["name"], publisher_id=body["publisher_id"])
        return Response.json(200, {"status": "Save Successful", "message": "Placement successfully saved", "id": pid})

    @route("PUT", r"/v1/placements" + _ID, "oi.placements.update")
    def update_placement(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()
        pid = self._path_id(req)
        body, err = self._body(req)
        if err:
            return err
        with self.lock:
            pl = self.placements.get(pid) if pid is not None else None
            if pl is None:
                return self.retrieve_failed("Placement", req.match.group("id"))
            problem = self._check_placement(body, pl)
            if problem:
                req.meta["refused"] = problem
                return self.save_failed(problem)
            pl.update(body)
            pl["modify_date"] = _now()
            req.meta.update(id=pid, changed=sorted(body))
        return Response.json(200, {"status": "Save Successful", "message": "Placement successfully saved", "id": pid})

    # ------------------------------------------------------------------ reports
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

    @route("GET", r"/v1/reports/publishers/?", "oi.reports.publishers")
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
