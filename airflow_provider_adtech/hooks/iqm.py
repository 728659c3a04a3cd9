"""IQM API hook (login with Basic client credentials, refresh token, workspace headers)."""

from __future__ import annotations

import base64
from typing import Any

from airflow_provider_adtech.hooks.base import AdtechHook
from airflow_provider_adtech.hooks.token_cache import Token


class IqmHook(AdtechHook):
    """Talks to IQM's REST API.

    Authentication: ``POST /api/v3/ua/login`` with ``Authorization: Basic
    base64(client_id:client_secret)`` and JSON ``{"grantType": "password", "email",
    "password"}``; the answer is wrapped in ``data`` and carries ``access_token``,
    ``refresh_token``, ``expires_in`` and ``owId``. The guide's other form
    (``login_style=form``) posts ``grant_type=password&username&password`` to
    ``/api/v3/ua/oauth/token``. Refresh: ``POST /api/v3/ua/oauth/token`` with
    ``grant_type=refresh_token`` (answer not wrapped); used before a new login.
    Every call carries ``X-IAA-OW-ID`` (extra ``ow_id``, else the login's ``owId``)
    and ``X-IAA-HOST`` (extra ``workspace_host``, else the API host).

    Connection: login = email, password; extras ``client_id``, ``client_secret``,
    ``ow_id``, ``workspace_host``, ``login_style``.

    :param iqm_conn_id: the Airflow connection, type ``iqm``.
    """

    conn_name_attr = "iqm_conn_id"
    default_conn_name = "iqm_default"
    conn_type = "iqm"
    hook_name = "IQM"
    vendor = "IQM"
    default_base_url = "https://app.iqm.com"
    token_ttl = 36000.0
    login_path = "/api/v3/ua/login"
    oauth_path = "/api/v3/ua/oauth/token"

    def __init__(self, iqm_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(conn_id=iqm_conn_id, **kwargs)
        self.iqm_conn_id = iqm_conn_id

    def token_url(self) -> str:
        return self.url(self.login_path)

    def _basic(self) -> str:
        cid = self.extra_str("client_id") or ""
        secret = self.extra_str("client_secret") or ""
        if not cid or not secret:
            raise ValueError(f"connection {self.conn_id!r} needs the extras client_id and client_secret")
        return "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()

    def _fetch_token(self) -> Token:
        conn = self.connection
        if not conn.login or not conn.password:
            raise ValueError(f"connection {self.conn_id!r} needs login (email) and password")
        headers = {"Authorization": self._basic(), "Accept": "application/json"}
        if (self.extra_str("login_style") or "json") == "form":
            endpoint = "POST " + self.oauth_path
            resp = self.token_request(
                "POST", self.url(self.oauth_path), endpoint=endpoint, headers=headers,
                data={"grant_type": "password", "username": conn.login, "password": conn.password},
            )
        else:
            endpoint = "POST " + self.login_path
            resp = self.token_request(
                "POST", self.url(self.login_path), endpoint=endpoint, headers=headers,
                json={"grantType": "password", "email": conn.login, "password": conn.password},
            )
        return self._token_from_response(resp, endpoint, default_ttl=self.token_ttl, data_key="data")

    def _refresh_token(self, token: Token) -> Token | None:
        if not token.refresh_token:
            return None
        endpoint = "POST " + self.oauth_path + " (refresh)"
        resp = self.token_request(
            "POST", self.url(self.oauth_path), endpoint=endpoint,
            headers={"Authorization": self._basic(), "Accept": "application/json"},
            data={"grant_type": "refresh_token", "refresh_token": token.refresh_token},
        )
        new = self._token_from_response(resp, endpoint, default_ttl=self.token_ttl, data_key="data")
        if "owId" not in new.extra and "owId" in token.extra:
            new.extra["owId"] = token.extra["owId"]
        if not new.refresh_token:
            new.refresh_token = token.refresh_token
        return new

    def ow_id(self, token: Token | None = None) -> str | None:
        configured = self.extra_str("ow_id")
        if configured:
            return configured
        token = token or self.get_token()
        ow = token.extra.get("owId")
        return None if ow is None else str(ow)

    def workspace_host(self) -> str:
        from urllib.parse import urlsplit

        return self.extra_str("workspace_host") or urlsplit(self.base_url).netloc

    def auth_headers(self, token: Token | None) -> dict[str, str]:
        headers = super().auth_headers(token)
        ow = self.ow_id(token) if token else self.extra_str("ow_id")
        if ow:
            headers["X-IAA-OW-ID"] = ow
        headers["X-IAA-HOST"] = self.workspace_host()
        return headers
