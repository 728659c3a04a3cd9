"""Opt-Intelligence emulation (document: opt-intelligence-publisher-api.txt)."""

from __future__ import annotations

from airflow_provider_adtech.sandbox.core import Request, Response, VendorSandbox, route


class OiSandbox(VendorSandbox):
    name = "oi"

    def authorized(self, req: Request) -> bool:
        return req.basic() == (self.credentials.get("username"), self.credentials.get("password"))

    def unauthorized(self) -> Response:
        r = Response.json(401, {"status": "Unauthorized", "message": "Invalid API credentials"})
        r.headers["WWW-Authenticate"] = 'Basic realm="oiapi"'
        return r

    def reset(self) -> None:
        super().reset()
        self.publishers: dict[int, dict] = {}

    @route("GET", r"/v1/publishers/", "oi.publishers.list")
    def list_publishers(self, req: Request) -> Response:
        if not self.authorized(req):
            return self.unauthorized()
        return Response.json(200, list(self.publishers.values()))
