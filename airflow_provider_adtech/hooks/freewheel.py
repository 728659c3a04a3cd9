"""FreeWheel Open API hook (password-grant token, 7 days)."""

from __future__ import annotations

from typing import Any

from airflow_provider_adtech.hooks.base import AdtechHook
from airflow_provider_adtech.hooks.token_cache import Token


class FreeWheelHook(AdtechHook):
    """Talks to FreeWheel's Open API (production ``https://api.freewheel.tv``, staging
    ``https://api.stg.freewheel.tv``: choose with the connection's host).

    Authentication (FreeWheel "Getting Started with Authentication"): ``POST /auth/token``,
    form ``grant_type=password``, ``username``, ``password``, header ``accept:
    application/json``; the answer ``{access_token, token_type, created_at, expires_in}``
    lasts 7 days and has no refresh token.

    Connection: login/password = the FreeWheel user; extras ``token_path``
    (``/auth/token``), ``linear_orders_path`` (``/services/v4/linear_orders``),
    ``aws_conn_id``, ``s3_bucket``, ``s3_prefix`` for the S3 delivery.

    :param freewheel_conn_id: the Airflow connection, type ``freewheel``.
    """

    conn_name_attr = "freewheel_conn_id"
    default_conn_name = "freewheel_default"
    conn_type = "freewheel"
    hook_name = "FreeWheel"
    vendor = "FreeWheel"
    default_base_url = "https://api.freewheel.tv"
    token_ttl = 604800.0

    def __init__(self, freewheel_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(conn_id=freewheel_conn_id, **kwargs)
        self.freewheel_conn_id = freewheel_conn_id

    def _fetch_token(self) -> Token:
        conn = self.connection
        if not conn.login or not conn.password:
            raise ValueError(f"connection {self.conn_id!r} needs login and password")
        endpoint = "POST " + (self.extra_str("token_path") or "")
        resp = self.token_request(
            "POST", self.token_url(), endpoint=endpoint,
            data={"grant_type": "password", "username": conn.login, "password": conn.password},
            headers={"accept": "application/json"},
        )
        return self._token_from_response(resp, endpoint, default_ttl=self.token_ttl)

    def _check_credentials(self) -> None:
        self.get_token(force=True)
        self.request("GET", (self.extra_str("token_path") or "/auth/token").rstrip("/") + "/info")
