"""BidSwitch emulation (document: bidswitch-supplier-discrepancy.txt).

Routes:

* ``POST /oauth2/token/``: the document's uauth endpoint (password grant with
  ``scope=service_id=api.bidswitch.com``, 3600 s tokens, no refresh token).
* ``POST /auth/realms/bidswitch/protocol/openid-connect/token``: the Keycloak variant
  of BidSwitch's newer auth page (``client_id=public-client``, 300 s tokens and a
  refresh token).
* ``POST /discrepancy-check/v1.0/{platform_type}/{platform_name}/upload-report/``: the
  upload. It checks the bearer token (``401``), the platform (``404`` "If the
  <ssp-name> is not found in our system"; the endpoint is "only lowercase"), then
  validates the report with its own validator written from the document's
  "Upload Report Format" and answers ``{"status":"success","handled":[...]}`` or
  ``{"status":"error","errors":[[index, text], ...]}``.

"If you upload several reports during one day, only the last one uploaded is going to
be processed": every accepted upload is kept, and per platform and upload day (UTC,
or the ``today`` setting) only the last one counts. ``state()`` shows the uploads,
which one of each day is processed, and the resulting figures per seat and report day.

Settings (``server.configure("bidswitch", ...)``): ``token_ttl``, ``keycloak_ttl``,
``platforms`` (``{"ssp": [...], "dsp": [...]}`` or ``"*"``), ``today``
(``YYYY-MM-DD``), ``upload_forbidden`` (answer ``401`` as for a user without the
permission to upload), ``error_http_status`` (HTTP status of an ``error`` answer,
default 400).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

from airflow_provider_adtech.sandbox.vendor import VendorSandbox
from airflow_provider_adtech.sandbox.web import Request, Response, route

SCOPE = "service_id=api.bidswitch.com"
#: platform names the sandbox knows: the document's examples and the sandbox's own
DEFAULT_PLATFORMS = {"ssp": ["abc", "adrtbdummy", "sandbox-ssp"], "dsp": ["sandbox-dsp", "1001"]}
CURRENCIES = ("USD", "EUR", "JPY")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HOUR = re.compile(r"^\d{2}$")


def _timezones() -> frozenset[str]:
    import pytz

    return frozenset(pytz.all_timezones)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


def validate_reports(body: Any) -> list[list[Any]]:
    """The document's rules, as ``[index of report, error text]`` pairs (index ``None``: the body).

    Written from "Upload Report Format" independently of the client's validator.
    """
    errors: list[list[Any]] = []
    if not isinstance(body, dict):
        return [[None, "the body must be a JSON object"]]
    reports = body.get("reports")
    if "reports" not in body:
        return [[None, "reports: this field is required"]]
    if not isinstance(reports, list):
        return [[None, "reports: must be an array of report objects"]]
    zones = _timezones()
    slots: dict[tuple[Any, str], dict[str, Any]] = {}
    for i, rep in enumerate(reports):
        def err(text: str) -> None:
            errors.append([i, text])

        if not isinstance(rep, dict):
            err("report must be an object")
            continue
        seat = rep.get("seat")
        if "seat" in rep and not isinstance(seat, str):
            err("seat: must be a string")
        tz = rep.get("timezone")
        if tz is None:
            err("timezone: this field is required")
        elif not isinstance(tz, str) or tz not in zones:
            err(f"timezone: {tz!r} is not a valid choice (pytz.all_timezones)")
        cur = rep.get("currency")
        if cur is None:
            err("currency: this field is required")
        elif cur not in CURRENCIES:
            err(f"currency: {cur!r} is not a valid choice {list(CURRENCIES)}")
        data = rep.get("data")
        if data is None:
            err("data: this field is required")
            continue
        if not isinstance(data, dict):
            err("data: must be an object of dates")
            continue
        for day, rows in data.items():
            where = f"data.{day}"
            if not _DATE.match(day):
                err(f"{where}: date must be YYYY-MM-DD")
            else:
                try:
                    dt.date.fromisoformat(day)
                except ValueError:
                    err(f"{where}: not a valid date")
            if not isinstance(rows, list) or not rows:
                err(f"{where}: must be a non-empty array (a zero report is {{\"imps\":0,\"cost\":0}})")
                continue
            slot = slots.setdefault((seat if isinstance(seat, str) else None, day), {"hours": set(), "full": 0})
            for j, row in enumerate(rows):
                at = f"{where}[{j}]"
                if not isinstance(row, dict):
                    err(f"{at}: must be an object")
                    continue
                if "hour" in row:
                    hour = row["hour"]
                    if not isinstance(hour, str) or not _HOUR.match(hour) or int(hour) > 23:
                        err(f"{at}.hour: must be a 2-digit string in range 00-23, got {hour!r}")
                    elif hour in slot["hours"]:
                        err(f"{at}.hour: duplicate hour {hour} for this day and seat")
                    else:
                        slot["hours"].add(hour)
                else:
                    slot["full"] += 1
                for name in ("imps", "cost"):
                    if name not in row:
                        err(f"{at}.{name}: this field is required")
                for name in ("imps", "bids", "timeouts"):
                    if name in row and (not _is_int(row[name]) or row[name] < 0):
                        err(f"{at}.{name}: must be a non-negative integer, got {row[name]!r}")
                if "cost" in row and (not _is_number(row["cost"]) or row["cost"] < 0):
                    err(f"{at}.cost: must be a non-negative number, got {row['cost']!r}")
            if slot["full"] and slot["hours"]:
                err(f"{where}: hourly rows and a full-day row for the same day and seat")
                slot["full"] = -10**9  # report the mix once
            elif slot["full"] > 1:
                err(f"{where}: more than one full-day row for the same day and seat")
                slot["full"] = -10**9
    return errors


def _row_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": len(rows), "hourly": any("hour" in r for r in rows),
                           "imps": sum(r["imps"] for r in rows), "cost": round(sum(r["cost"] for r in rows), 6)}
    for name in ("bids", "timeouts"):
        vals = [r[name] for r in rows if name in r]
        out[name] = sum(vals) if vals else None
    return out


class BidSwitchSandbox(VendorSandbox):
    name = "bidswitch"
    #: document: "expires_in": 3600
    token_ttl = 3600.0
    #: the Keycloak variant's access token lifetime
    keycloak_ttl = 300.0

    def reset(self) -> None:
        super().reset()
        #: every upload that reached the validator (accepted or rejected), in order
        self.uploads: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ tokens
    def _user_ok(self, form: dict[str, str]) -> str | None:
        """The account of the form's username and password (None: no such account)."""
        return self.account_for(username=form.get("username"), password=form.get("password"))

    @route("POST", "/oauth2/token/", "bidswitch.token", strict_slashes=False)
    def token(self, req: Request) -> Response:
        """The document's uauth endpoint: password grant with ``scope=service_id=api.bidswitch.com``."""
        form = req.form()
        req.meta["grant_type"] = form.get("grant_type")
        if form.get("grant_type") != "password":
            return Response.json(400, {"error": "unsupported_grant_type"})
        if form.get("scope") != SCOPE:
            return Response.json(400, {"error": "invalid_scope"})
        account = req.meta["token_account"] = self._user_ok(form)
        if account is None:
            return Response.json(401, {"error": "invalid_grant", "error_description": "Invalid credentials"})
        tok = self.issue_token(subject=form["username"], account=account)
        return Response.json(200, {"token_type": "Bearer", "scope": SCOPE, "access_token": tok.value,
                                   "expires_in": int(self.settings.get("token_ttl", self.token_ttl))})

    @route("POST", "/auth/realms/bidswitch/protocol/openid-connect/token", "bidswitch.keycloak_token")
    def keycloak_token(self, req: Request) -> Response:
        """Keycloak variant: ``client_id=public-client``, password or refresh_token grant."""
        form = req.form()
        grant = form.get("grant_type")
        req.meta["grant_type"] = grant
        if form.get("client_id") != "public-client":
            return Response.json(401, {"error": "invalid_client"})
        if grant == "password":
            account = req.meta["token_account"] = self._user_ok(form)
            if account is None:
                return Response.json(401, {"error": "invalid_grant",
                                           "error_description": "Invalid user credentials"})
            subject = form["username"]
        elif grant == "refresh_token":
            rt = self.server.tokens.check(self.name, form.get("refresh_token"), kind="refresh")
            if rt is None:
                return Response.json(400, {"error": "invalid_grant", "error_description": "Token is not active"})
            subject, account = rt.subject, self.account_of(rt)
            req.meta["token_account"] = account
        else:
            return Response.json(400, {"error": "unsupported_grant_type"})
        ttl = float(self.settings.get("keycloak_ttl", self.keycloak_ttl))
        tok = self.issue_token(ttl=ttl, subject=subject, account=account)
        refresh = self.issue_token(ttl=1800.0, kind="refresh", subject=subject, account=account)
        return Response.json(200, {"access_token": tok.value, "expires_in": int(ttl), "refresh_expires_in": 1800,
                                   "refresh_token": refresh.value, "token_type": "Bearer"})

    # ------------------------------------------------------------------ upload
    def _platform_known(self, ptype: str, pname: str) -> bool:
        platforms = self.settings.get("platforms", DEFAULT_PLATFORMS)
        if platforms == "*":
            return ptype in ("ssp", "dsp") and pname == pname.lower()
        return pname in (platforms.get(ptype) or [])

    def _today(self) -> str:
        return str(self.settings.get("today") or dt.datetime.now(dt.timezone.utc).date().isoformat())

    @route("POST", "/discrepancy-check/v1.0/<ptype>/<pname>/upload-report/", "bidswitch.upload")
    def upload(self, req: Request) -> Response:
        """Upload a discrepancy report (document: "Uploading a Discrepancy Report")."""
        ptype, pname = req.params["ptype"], req.params["pname"]
        meta = req.meta
        meta.update({"platform_type": ptype, "platform_name": pname,
                     "content_type": req.header("Content-Type"), "accept": req.header("Accept")})
        bearer = self.bearer_ok(req)
        if bearer is None:
            return Response.json(401, {"detail": "Authentication credentials were not provided or are invalid."})
        account = self.account_of(bearer)
        self.note_account(req, account)
        if self.settings.get("upload_forbidden"):
            return Response.json(401, {"detail": "You do not have permission to upload reports; "
                                                 "an API Account is needed."})
        if ptype not in ("ssp", "dsp") or not self._platform_known(ptype, pname):
            return Response.json(404, {"detail": "Not found."})
        err_status = int(self.settings.get("error_http_status", 400))
        ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            meta["accepted"] = False
            return Response.json(err_status, {"status": "error",
                                              "errors": [[None, "Content-Type must be application/json"]]})
        try:
            body = json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            meta["accepted"] = False
            return Response.json(err_status, {"status": "error", "errors": [[None, f"invalid JSON: {exc}"]]})
        errors = validate_reports(body)
        record: dict[str, Any] = {"seq": len(self.uploads) + 1, "account": account,
                                  "platform_type": ptype, "platform_name": pname,
                                  "upload_day": self._today(), "accepted": not errors}
        if errors:
            record["errors"] = errors
            meta.update({"accepted": False, "errors": errors})
            with self.lock:
                self.uploads.append(record)
            return Response.json(err_status, {"status": "error", "errors": errors})
        handled: list[list[str]] = []
        reports: list[dict[str, Any]] = []
        for rep in body["reports"]:
            seat = rep.get("seat")
            handled.append([f"{seat} {day}" if seat is not None else day for day in rep["data"]])
            reports.append({"seat": seat, "timezone": rep["timezone"], "currency": rep["currency"],
                            "days": {day: _row_totals(rows) for day, rows in rep["data"].items()}})
        record.update({"handled": handled, "reports": reports, "body": body})
        with self.lock:
            self.uploads.append(record)
        meta.update({"accepted": True, "upload_seq": record["seq"], "handled": handled,
                     "reports": len(reports), "rows": sum(d["rows"] for r in reports for d in r["days"].values()),
                     "days": sorted({d for r in reports for d in r["days"]})})
        return Response.json(200, {"status": "success", "handled": handled})

    # ------------------------------------------------------------------ state
    def processed_uploads(self) -> list[dict[str, Any]]:
        """The uploads BidSwitch processes: the last accepted one per account, platform and upload day."""
        last: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        with self.lock:
            for up in self.uploads:
                if up["accepted"]:
                    last[(up["account"], up["platform_type"], up["platform_name"], up["upload_day"])] = up
        return sorted(last.values(), key=lambda u: u["seq"])

    def figures(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Per ``type/name`` platform and ``"seat date"`` (or ``date``): the processed totals.

        Later upload days replace earlier figures for the same seat and report day. An
        advertiser account's platforms are keyed ``account:type/name``.
        """
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for up in sorted(self.processed_uploads(), key=lambda u: (u["upload_day"], u["seq"])):
            prefix = "" if up["account"] == "default" else f"{up['account']}:"
            plat = out.setdefault(f"{prefix}{up['platform_type']}/{up['platform_name']}", {})
            for rep in up["reports"]:
                for day, tot in rep["days"].items():
                    key = f"{rep['seat']} {day}" if rep["seat"] is not None else day
                    plat[key] = {**tot, "timezone": rep["timezone"], "currency": rep["currency"],
                                 "upload_seq": up["seq"], "upload_day": up["upload_day"]}
        return out

    def state(self) -> dict[str, Any]:
        processed = {u["seq"] for u in self.processed_uploads()}
        with self.lock:
            uploads = [{k: v for k, v in up.items() if k != "body"} | {"processed": up["seq"] in processed}
                       for up in self.uploads]
        return {"uploads": uploads, "figures": self.figures()}
