"""BidSwitch emulation (document: bidswitch-supplier-discrepancy.txt)."""

from __future__ import annotations

from airflow_provider_adtech.sandbox.core import Request, Response, VendorSandbox, route

SCOPE = "service_id=api.bidswitch.com"


class BidSwitchSandbox(VendorSandbox):
    name = "bidswitch"
    #: document: "expires_in": 3600
    token_ttl = 3600.0
    #: the Keycloak variant's access token lifetime
    keycloak_ttl = 300.0

    def _user_ok(self, form: dict[str, str]) -> bool:
        return (form.get("username") == self.credentials.get("username")
                and form.get("password") == self.credentials.get("password"))

    @route("POST", r"/oauth2/token/?", "bidswitch.token")
    def token(self, req: Request) -> Response:
        """The document's uauth endpoint: password grant with ``scope=service_id=api.bidswitch.com``."""
        form = req.form()
        if form.get("grant_type") != "password":
            return Response.json(400, {"error": "unsupported_grant_type"})
        if form.get("scope") != SCOPE:
            return Response.json(400, {"error": "invalid_scope"})
        if not self._user_ok(form):
            return Response.json(401, {"error": "invalid_grant", "error_description": "Invalid credentials"})
        tok = self.issue_token(subject=form["username"])
        return Response.json(200, {"token_type": "Bearer", "scope": SCOPE, "access_token": tok.value,
                                   "expires_in": int(self.settings.get("token_ttl", self.token_ttl))})

    @route("POST", r"/auth/realms/bidswitch/protocol/openid-connect/token", "bidswitch.keycloak_token")
    def keycloak_token(self, req: Request) -> Response:
        """Keycloak variant: ``client_id=public-client``, password or refresh_token grant."""
        form = req.form()
        if form.get("client_id") != "public-client":
            return Response.json(401, {"error": "invalid_client"})
        grant = form.get("grant_type")
        if grant == "password":
            if not self._user_ok(form):
                return Response.json(401, {"error": "invalid_grant",
                                           "error_description": "Invalid user credentials"})
            subject = form["username"]
        elif grant == "refresh_token":
            rt = self.server.tokens.check(self.name, form.get("refresh_token"), kind="refresh")
            if rt is None:
                return Response.json(400, {"error": "invalid_grant", "error_description": "Token is not active"})
            subject = rt.subject
        else:
            return Response.json(400, {"error": "unsupported_grant_type"})
        ttl = float(self.settings.get("keycloak_ttl", self.keycloak_ttl))
        tok = self.issue_token(ttl=ttl, subject=subject)
        refresh = self.issue_token(ttl=1800.0, kind="refresh", subject=subject)
        return Response.json(200, {"access_token": tok.value, "expires_in": int(ttl), "refresh_expires_in": 1800,
                                   "refresh_token": refresh.value, "token_type": "Bearer"})
