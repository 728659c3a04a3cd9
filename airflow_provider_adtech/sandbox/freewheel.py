"""FreeWheel emulation (document: freewheel-autoscheduler-linear-orders.txt).

* ``POST /auth/token``: password grant, 7-day tokens, at most 3 requests a second per
  client address (``token_rate_limit``).
* ``GET /auth/token/info``.
* ``POST /services/v4/linear_orders``: JSON array of order lines (or one line),
  an upsert keyed on ``external_id``. ``200 {}`` when every line was ingested, ``207
  {"message", "failed_records": [external_id, ...]}`` when some were not, ``406`` when
  the body is not JSON, ``400`` when it cannot be parsed, ``401`` without a valid token,
  ``429`` past 20 requests a second (``rate_limit``). FreeWheel's reference page spells
  the path ``/services/v4/linear-orders``; both are served.

The line checks below are written from the "Basic Attributes" table on their own
(they do not reuse the provider's validators), so the client is tested against the
document, not against itself. The S3 side of FreeWheel is moto (``sandbox/s3.py``).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from airflow_provider_adtech.sandbox.vendor import VendorSandbox
from airflow_provider_adtech.sandbox.web import Request, Response, route

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _seconds(wait: float) -> str:
    return str(max(1, round(wait)))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _date_ok(v: Any) -> bool:
    if not isinstance(v, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return False
    try:
        dt.datetime.strptime(v, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def line_errors(line: Any) -> list[str]:
    """Why FreeWheel refuses one order line (empty when it is acceptable)."""
    if not isinstance(line, dict):
        return ["an order line must be an object"]
    errs: list[str] = []

    def path(p: str) -> Any:
        cur: Any = line
        for part in p.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return KeyError
            cur = cur[part]
        return cur

    for name in ("external_id", "parent_external_id"):
        if not isinstance(line.get(name), str) or not line[name]:
            errs.append(f"{name} is required (string)")
    if not _is_int(line.get("advertiser_external_id")):
        errs.append("advertiser_external_id is required (int)")
    for name in ("start_date", "end_date"):
        if not _date_ok(line.get(name)):
            errs.append(f"{name} must be %Y-%m-%d")
    if line.get("duration") not in (15, 30, 60) or isinstance(line.get("duration"), bool):
        errs.append("duration must be 15, 30 or 60")
    if path("budget.type") != "UNIT":
        errs.append("budget.type: only UNIT is allowed")
    if not _is_int(path("budget.total_unit")):
        errs.append("budget.total_unit is required (int)")
    price = line.get("price")
    if isinstance(price, bool) or not isinstance(price, (int, float)):
        errs.append("price is required (float)")
    if not _is_int(line.get("priority_code")):
        errs.append("priority_code is required (int)")
    channels = path("targeting.content.channel.include")
    if not isinstance(channels, list) or not channels or not all(
            isinstance(c, dict) and isinstance(c.get("network_code"), str) and c["network_code"]
            for c in channels):
        errs.append("targeting.content.channel.include[].network_code is required")
    zones = path("targeting.geo.zone.include")
    if not isinstance(zones, list) or not all(isinstance(z, dict) and isinstance(z.get("syscode"), str)
                                              for z in zones):
        errs.append("targeting.geo.zone.include is required (it may be empty)")
    days = path("targeting.dayparts.days_of_week")
    if not isinstance(days, list) or not all(_is_int(d) and 1 <= d <= 7 for d in days):
        errs.append("targeting.dayparts.days_of_week is required: days 1-7 (it may be empty)")
    parts = path("targeting.dayparts.parts")
    if not isinstance(parts, list) or not parts or not all(
            isinstance(p, dict) and all(isinstance(p.get(k), str) and _HHMM.match(p[k])
                                        for k in ("from", "to"))
            for p in parts):
        errs.append("targeting.dayparts.parts is required: from/to as HH:MM")
    return errs


class FreeWheelSandbox(VendorSandbox):
    name = "freewheel"
    #: FreeWheel tokens live 7 days
    token_ttl = 604800.0
    #: "The token endpoint allows 3 requests/s per IP; the API overall 20 requests/s"
    token_rate_limit = 3
    rate_limit = 20

    def reset(self) -> None:
        super().reset()
        #: external_id -> the last line received for it
        self.orders: dict[str, dict[str, Any]] = {}
        self.lines_received = 0
        self.order_requests = 0
        self.created = 0
        self.updated = 0
        self.failed: list[str] = []

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "linear_orders": len(self.orders),
                "order_requests": self.order_requests,
                "lines_received": self.lines_received,
                "created": self.created,
                "updated": self.updated,
                "failed_records": len(self.failed),
            }

    @route("POST", "/auth/token", "freewheel.token")
    def token(self, req: Request) -> Response:
        limit = self.settings.get("token_rate_limit", self.token_rate_limit)
        wait = self.rate_limited(f"token:{req.client}", limit, 1.0)
        if wait is not None:
            return Response.json(429, {"error": "too_many_requests"}, {"Retry-After": _seconds(wait)})
        form = req.form()
        if form.get("grant_type") != "password":
            return Response.json(400, {"error": "unsupported_grant_type"})
        if (form.get("username") != self.credentials.get("username")
                or form.get("password") != self.credentials.get("password")):
            return Response.json(401, {"error": "invalid_grant",
                                       "error_description": "The provided authorization grant is invalid"})
        tok = self.issue_token(subject=form["username"])
        return Response.json(200, {"access_token": tok.value, "token_type": "Bearer",
                                   "created_at": int(time.time()),
                                   "expires_in": int(self.settings.get("token_ttl", self.token_ttl))})

    @route("GET", "/auth/token/info", "freewheel.token_info")
    def token_info(self, req: Request) -> Response:
        tok = self.bearer_ok(req)
        if tok is None:
            return Response.json(401, {"error": "invalid_token"})
        return Response.json(200, {"resource_owner_id": tok.subject,
                                   "expires_in": int(tok.expires_at - time.time())})

    @route("POST", '/services/v4/<any("linear_orders", "linear-orders"):spelling>', "freewheel.linear_orders")
    def linear_orders(self, req: Request) -> Response:
        if self.bearer_ok(req) is None:
            return Response.json(401, {"error": "invalid_token"})
        wait = self.rate_limited("api", self.settings.get("rate_limit", self.rate_limit), 1.0)
        if wait is not None:
            return Response.json(429, {"message": "Too Many Requests"}, {"Retry-After": _seconds(wait)})
        ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return Response.json(406, {"message": "Not Acceptable: the request body must be JSON"})
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            return Response.json(400, {"message": "Bad Request: the request body could not be parsed"})
        lines = [body] if isinstance(body, dict) else body
        if not isinstance(lines, list):
            return Response.json(400, {"message": "Bad Request: expected order lines"})
        failed: list[Any] = []
        created = updated = 0
        with self.lock:
            self.order_requests += 1
            self.lines_received += len(lines)
            for line in lines:
                if line_errors(line):
                    failed.append(line.get("external_id") if isinstance(line, dict) else None)
                    continue
                if line["external_id"] in self.orders:
                    updated += 1
                else:
                    created += 1
                self.orders[line["external_id"]] = line
            self.created += created
            self.updated += updated
            self.failed.extend(str(f) for f in failed)
        req.meta.update(lines=len(lines), ingested=len(lines) - len(failed), failed=len(failed),
                        created=created, updated=updated,
                        external_ids=[ln.get("external_id") for ln in lines[:1000] if isinstance(ln, dict)])
        if failed:
            message = f"{len(lines) - len(failed)} of {len(lines)} line(s) ingested"
            return Response.json(207, {"message": message, "failed_records": failed})
        return Response.json(200, {})
