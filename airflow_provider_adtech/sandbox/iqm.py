"""IQM emulation (document: iqm-campaign-api.txt)."""

from __future__ import annotations

from airflow_provider_adtech.sandbox.core import Request, Response, VendorSandbox, route


def _error(status: int, text: str) -> Response:
    return Response.json(status, {"success": False, "errorObjects": [{"error": text}]})


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

    def check(self, req: Request, need_host: bool = True) -> Response | None:
        """Common checks of every API call: Bearer token, X-IAA-OW-ID, X-IAA-HOST."""
        if self.bearer_ok(req) is None:
            return _error(401, "Unauthorized")
        if req.header("X-IAA-OW-ID") != str(self.credentials.get("ow_id")):
            return _error(403, "X-IAA-OW-ID header missing or not this user's workspace")
        if need_host and not req.header("X-IAA-HOST"):
            return _error(400, "X-IAA-HOST header is required")
        return None
