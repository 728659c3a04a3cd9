"""FreeWheel emulation (document: freewheel-autoscheduler-linear-orders.txt)."""

from __future__ import annotations

import time

from airflow_provider_adtech.sandbox.core import Request, Response, VendorSandbox, route


class FreeWheelSandbox(VendorSandbox):
    name = "freewheel"
    #: FreeWheel tokens live 7 days
    token_ttl = 604800.0

    @route("POST", r"/auth/token", "freewheel.token")
    def token(self, req: Request) -> Response:
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

    @route("GET", r"/auth/token/info", "freewheel.token_info")
    def token_info(self, req: Request) -> Response:
        tok = self.bearer_ok(req)
        if tok is None:
            return Response.json(401, {"error": "invalid_token"})
        return Response.json(200, {"resource_owner_id": tok.subject, "expires_in": int(tok.expires_at - time.time())})
