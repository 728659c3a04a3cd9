"""FreeWheel Open API hook (password-grant token, 7 days)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow_provider_adtech.exceptions import VendorApiError
from airflow_provider_adtech.hooks.base import AdtechHook, vendor_message_from
from airflow_provider_adtech.hooks.token_cache import Token

#: what the document says each answer of ``POST /services/v4/linear_orders`` means
LINEAR_ORDERS_HINTS = {
    400: "FreeWheel could not parse the request body",
    406: "FreeWheel expects a JSON body (Content-Type: application/json)",
    500: "FreeWheel's server failed; the document says to contact FreeWheel support if it persists "
         "(the request was retried, an upsert on external_id is safe to repeat)",
}


class LinearOrdersPartialFailure(VendorApiError, AirflowFailException):
    """FreeWheel answered ``207``: some order lines were not ingested (the others were).

    Not retried by Airflow: the refused lines would be refused again; fix them, or pass
    ``allow_partial=True`` to accept a partial result.
    """

    def __init__(self, result: LinearOrdersResult, endpoint: str = "POST /services/v4/linear_orders"):
        self.result = result
        ids = ", ".join(result.failed_records[:20])
        more = len(result.failed_records) - 20
        if more > 0:
            ids += f" and {more} more"
        super().__init__(
            "FreeWheel", endpoint, 207, "; ".join(result.messages[:3]),
            f"{len(result.failed_records)} of {result.sent} order line(s) were not ingested "
            f"(external_id: {ids}); set allow_partial=True to accept a partial result",
        )

    def __reduce__(self):
        return (type(self), (self.result, self.endpoint))


@dataclass
class LinearOrdersResult:
    """What FreeWheel answered to one or more ``POST .../linear_orders`` requests.

    ``200 {}``: every line was ingested; ``207``: partial success, the lines whose
    ``external_id`` is in ``failed_records`` were not.
    """

    sent: int = 0
    requests: int = 0
    failed_records: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    partial_batches: int = 0

    @property
    def ingested(self) -> int:
        return self.sent - len(self.failed_records)

    def add(self, other: LinearOrdersResult) -> None:
        self.sent += other.sent
        self.requests += other.requests
        self.failed_records.extend(other.failed_records)
        self.messages.extend(m for m in other.messages if m not in self.messages)
        self.partial_batches += other.partial_batches

    def summary(self, max_ids: int = 100) -> dict[str, Any]:
        return {
            "lines": self.sent, "ingested": self.ingested, "failed": len(self.failed_records),
            "failed_records": self.failed_records[:max_ids], "requests": self.requests,
            "partial_batches": self.partial_batches, "messages": self.messages[:10],
        }


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
        username, password = self._credentials()
        return self._form_token({"grant_type": "password", "username": username, "password": password},
                                endpoint="POST " + (self.extra_str("token_path") or ""), default_ttl=self.token_ttl)

    # ------------------------------------------------------------------ linear orders
    @property
    def linear_orders_path(self) -> str:
        """``/services/v4/linear_orders`` (the document) unless the extra ``linear_orders_path`` says
        otherwise (FreeWheel's reference page shows ``/services/v4/linear-orders``)."""
        return self.extra_str("linear_orders_path") or "/services/v4/linear_orders"

    def post_linear_orders(self, lines: Sequence[dict[str, Any]]) -> LinearOrdersResult:
        """Send order lines in one ``POST`` ("You can post multiple lines through the same POST call").

        The call is an upsert keyed on ``external_id``, so it is retried on connection
        errors, 429 and 5xx. ``200`` and ``207`` are answers (see :class:`LinearOrdersResult`);
        ``400``, ``406``, ``500`` and the rest raise :class:`VendorApiError` with an explanation.

        :param lines: JSON order lines (the "Basic Attributes" table), already validated.
        """
        path = self.linear_orders_path
        endpoint = f"POST {path}"
        resp = self.request("POST", path, endpoint=endpoint, idempotent=True, json=list(lines),
                            headers={"Accept": "application/json"})
        result = LinearOrdersResult(sent=len(lines), requests=1)
        if resp.status_code == 207:
            body = _json_or_none(resp)
            failed = body.get("failed_records") if isinstance(body, dict) else None
            if not isinstance(failed, list):
                raise VendorApiError(
                    self.vendor, endpoint, 207, vendor_message_from(resp),
                    "a 207 answer without a failed_records list; which lines failed is unknown")
            result.failed_records = [str(x) for x in failed]
            result.partial_batches = 1
            msg = body.get("message")
            if msg:
                result.messages.append(str(msg))
            self.log.warning("FreeWheel ingested %d of %d line(s); failed external_ids: %s",
                             result.ingested, result.sent, ", ".join(result.failed_records[:20]))
        elif resp.status_code != 200:
            raise self.error_for(resp, endpoint, hint=f"unexpected answer {resp.status_code}")
        return result

    def upsert_linear_orders(self, lines: Iterable[dict[str, Any]],
                             batch_size: int = 500) -> LinearOrdersResult:
        """Send any number of order lines, ``batch_size`` per request; return the combined answer.

        Every batch is sent even when an earlier one was partially refused (each is an
        independent upsert); the caller decides what a partial result means.
        """
        from airflow_provider_adtech.formats.freewheel import batched

        total = LinearOrdersResult()
        for batch in batched(lines, batch_size):
            total.add(self.post_linear_orders(batch))
        self.log.info("FreeWheel linear orders: %d line(s) in %d request(s), %d ingested, %d failed",
                      total.sent, total.requests, total.ingested, len(total.failed_records))
        return total

    def error_for(self, resp: requests.Response, endpoint: str, hint: str = "") -> VendorApiError:
        """Add the document's meaning of 400/406/500 to errors of the linear orders endpoint."""
        if endpoint.endswith(self.linear_orders_path) and resp.status_code in LINEAR_ORDERS_HINTS:
            doc = LINEAR_ORDERS_HINTS[resp.status_code]
            hint = f"{doc}; {hint}" if hint else doc
        return super().error_for(resp, endpoint, hint)

    def _check_credentials(self) -> None:
        self.get_token(force=True)
        self.request("GET", (self.extra_str("token_path") or "/auth/token").rstrip("/") + "/info")


def _json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None
