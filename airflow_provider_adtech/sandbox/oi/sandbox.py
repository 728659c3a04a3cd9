"""The Opt-Intelligence emulation: HTTP Basic accounts and state, with the record and report routes."""

from __future__ import annotations

from typing import Any

from airflow_provider_adtech.sandbox.oi.records import OiRecords
from airflow_provider_adtech.sandbox.oi.reports import OiReports
from airflow_provider_adtech.sandbox.vendor import VendorSandbox
from airflow_provider_adtech.sandbox.web import Request, Response


class OiSandbox(OiRecords, OiReports, VendorSandbox):
    name = "oi"

    def authorized(self, req: Request) -> bool:
        """HTTP Basic with the credentials of one of the accounts; the journal entry's ``account``
        names it."""
        user, password = req.basic() or (None, None)
        account = self.account_for(username=user, password=password)
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
