"""Opt-Intelligence publisher API hook (HTTP Basic)."""

from __future__ import annotations

from typing import Any

from airflow_provider_adtech.hooks.base import AdtechHook


class OiHook(AdtechHook):
    """Talks to ``https://oiapi.com/v1/`` with HTTP Basic authentication (paths keep their
    trailing ``/``).

    Connection: login/password = the API user.

    :param oi_conn_id: the Airflow connection, type ``optintelligence``.
    """

    conn_name_attr = "oi_conn_id"
    default_conn_name = "oi_default"
    conn_type = "optintelligence"
    hook_name = "Opt-Intelligence"
    vendor = "Opt-Intelligence"
    default_base_url = "https://oiapi.com/v1/"
    uses_token = False

    def __init__(self, oi_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(conn_id=oi_conn_id, **kwargs)
        self.oi_conn_id = oi_conn_id

    def auth_for_request(self) -> Any:
        conn = self.connection
        if not conn.login or not conn.password:
            raise ValueError(f"connection {self.conn_id!r} needs login and password")
        return (conn.login, conn.password)

    def _check_credentials(self) -> None:
        self.request("GET", "publishers/")
