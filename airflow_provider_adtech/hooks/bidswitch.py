"""BidSwitch discrepancy API hook (OAuth2 password grant)."""

from __future__ import annotations

from typing import Any

from airflow_provider_adtech.hooks.base import AdtechHook
from airflow_provider_adtech.hooks.token_cache import Token


class BidSwitchHook(AdtechHook):
    """Talks to ``https://api.bidswitch.com/discrepancy-check/v1.0/``.

    Authentication (document, "Getting an API Auth Token"): ``POST
    https://uauth.iponweb.com/oauth2/token/`` with ``grant_type=password``,
    ``scope=service_id=api.bidswitch.com``, ``username`` and ``password``; tokens last
    3600 s. BidSwitch's newer Keycloak endpoint (300 s token plus refresh token,
    ``client_id=public-client``) is selected with the extras ``token_url`` and
    ``token_client_id``; when a refresh token was issued it is used before logging in
    again.

    Connection: login/password = the myBidSwitch API user; extras ``token_url``,
    ``token_scope`` (empty string to omit), ``token_client_id``.

    :param bidswitch_conn_id: the Airflow connection, type ``bidswitch``.
    """

    conn_name_attr = "bidswitch_conn_id"
    default_conn_name = "bidswitch_default"
    conn_type = "bidswitch"
    hook_name = "BidSwitch"
    vendor = "BidSwitch"
    default_base_url = "https://api.bidswitch.com"
    token_ttl = 3600.0

    def __init__(self, bidswitch_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(conn_id=bidswitch_conn_id, **kwargs)
        self.bidswitch_conn_id = bidswitch_conn_id

    def token_url(self) -> str:
        return self.url(self.extra_str("token_url") or "")

    def _token_form(self, **fields: str) -> dict[str, str]:
        client_id = self.extra_str("token_client_id")
        if client_id:
            fields["client_id"] = client_id
        return fields

    def _fetch_token(self) -> Token:
        conn = self.connection
        if not conn.login or not conn.password:
            raise ValueError(f"connection {self.conn_id!r} needs login and password of the API user")
        form = {"grant_type": "password", "username": conn.login, "password": conn.password}
        scope = self.extras.get("token_scope", self.extra_str("token_scope"))
        if scope:
            form["scope"] = str(scope)
        resp = self.token_request("POST", self.token_url(), endpoint="POST token", data=self._token_form(**form),
                                  headers={"Accept": "application/json"})
        return self._token_from_response(resp, "POST token", default_ttl=self.token_ttl)

    def _refresh_token(self, token: Token) -> Token | None:
        if not token.refresh_token:
            return None
        form = self._token_form(grant_type="refresh_token", refresh_token=token.refresh_token)
        resp = self.token_request("POST", self.token_url(), endpoint="POST token (refresh)", data=form,
                                  headers={"Accept": "application/json"})
        return self._token_from_response(resp, "POST token (refresh)", default_ttl=300.0)
