"""iSpot emulation (document: ispot-tv-conversions-upload.txt)."""

from __future__ import annotations

from airflow_provider_adtech.sandbox.core import Request, Response, VendorSandbox, route


class IspotSandbox(VendorSandbox):
    name = "ispot"
    #: "your token is valid for a period of 24 hours"
    token_ttl = 86400.0

    @route("POST", r"/v4/oauth2/token", "ispot.token")
    def token(self, req: Request) -> Response:
        """Client-credentials grant: form ``client_id``, ``client_secret``, ``grant_type``."""
        form = req.form()
        if form.get("grant_type") != "client_credentials":
            return Response.json(400, {"error": "unsupported_grant_type",
                                       "message": "grant_type must be client_credentials"})
        if (form.get("client_id") != self.credentials.get("client_id")
                or form.get("client_secret") != self.credentials.get("client_secret")):
            return Response.json(401, {"error": "invalid_client", "message": "Unauthorized"})
        tok = self.issue_token(subject=form["client_id"])
        ttl = int(round(tok.expires_at - __import__("time").time()))
        return Response.json(200, {"token_type": "Bearer", "expires_in": ttl, "access_token": tok.value})
