"""iSpot TV-conversions API hook (OAuth2 client credentials, 24-hour tokens)."""

from __future__ import annotations

from typing import Any

from airflow_provider_adtech.hooks.base import AdtechHook
from airflow_provider_adtech.hooks.token_cache import Token


class IspotHook(AdtechHook):
    """Talks to iSpot's ``/v4`` API.

    Authentication (document, "Retrieving a Bearer Token"): ``POST /v4/oauth2/token`` with
    ``client_id``, ``client_secret`` and ``grant_type=client_credentials``; the token is
    "valid for a period of 24 hours" and iSpot recommends "only request a new one when
    absolutely necessary", so the token is cached across task runs (see ``token_cache``).

    Connection: login = client_id, password = client_secret; extras ``token_path``
    (default ``/v4/oauth2/token``), ``upload_path`` (``/v4/metrics/conversions``),
    ``ispot_version`` (optional ``iSpot-Version`` header).

    :param ispot_conn_id: the Airflow connection, type ``ispot``.
    """

    conn_name_attr = "ispot_conn_id"
    default_conn_name = "ispot_default"
    conn_type = "ispot"
    hook_name = "iSpot"
    vendor = "iSpot"
    default_base_url = "https://api.ispot.tv"
    token_ttl = 86400.0

    def __init__(self, ispot_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(conn_id=ispot_conn_id, **kwargs)
        self.ispot_conn_id = ispot_conn_id

    def _fetch_token(self) -> Token:
        conn = self.connection
        if not conn.login or not conn.password:
            raise ValueError(f"connection {self.conn_id!r} needs login (client_id) and password (client_secret)")
        resp = self.token_request(
            "POST",
            self.token_url(),
            endpoint="POST " + (self.extra_str("token_path") or ""),
            data={"client_id": conn.login, "client_secret": conn.password, "grant_type": "client_credentials"},
            headers={"Accept": "application/json"},
        )
        return self._token_from_response(resp, "POST " + (self.extra_str("token_path") or ""),
                                         default_ttl=self.token_ttl)

    def auth_headers(self, token: Token | None) -> dict[str, str]:
        headers = super().auth_headers(token)
        version = self.extra_str("ispot_version")
        if version:
            headers["iSpot-Version"] = version
        return headers
