"""BidSwitch discrepancy API hook (OAuth2 password grant)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow_provider_adtech.exceptions import VendorApiError, VendorAuthError
from airflow_provider_adtech.hooks.base import RETRYABLE_STATUS, AdtechHook, vendor_message_from
from airflow_provider_adtech.hooks.token_cache import Token

#: document: "https://api.bidswitch.com/discrepancy-check/v1.0/ssp/<ssp-name>/upload-report/"
UPLOAD_PATH = "/discrepancy-check/v1.0/{platform_type}/{platform_name}/upload-report/"
#: ``ssp`` for suppliers (the document); the buyer side of the same API uses ``dsp``
PLATFORM_TYPES = ("ssp", "dsp")


class BidSwitchReportRejected(VendorApiError, AirflowFailException):
    """BidSwitch answered ``{"status": "error", "errors": [[index, text], ...]}``.

    The report's content was refused; repeating the same upload cannot succeed, so
    Airflow does not retry it.

    :param errors: one dict per error: ``index``, ``report`` (seat, timezone/currency,
        days of that report), ``text`` (BidSwitch's words).
    """

    def __init__(self, vendor: str, endpoint: str, status: int | None, vendor_message: str = "",
                 hint: str = "", *, body: object | None = None, errors: list[dict[str, Any]] | None = None):
        self.errors = list(errors or [])
        super().__init__(vendor, endpoint, status, vendor_message, hint, body=body)

    def __reduce__(self):
        return (_rebuild_rejected, (self.vendor, self.endpoint, self.status, self.vendor_message, self.hint,
                                    self.errors))


def _rebuild_rejected(vendor, endpoint, status, vendor_message, hint, errors):
    return BidSwitchReportRejected(vendor, endpoint, status, vendor_message, hint, errors=errors)


class BidSwitchHook(AdtechHook):
    """Talks to ``https://api.bidswitch.com/discrepancy-check/v1.0/``.

    Authentication (document, "Getting an API Auth Token"): ``POST
    https://uauth.iponweb.com/oauth2/token/`` with ``grant_type=password``,
    ``scope=service_id=api.bidswitch.com``, ``username`` and ``password``; tokens last
    3600 s. BidSwitch's newer Keycloak endpoint (300 s token plus refresh token,
    ``client_id=public-client``) is selected with the extras ``auth_url`` and
    ``auth_client_id``; when a refresh token was issued it is used before logging in
    again. The token endpoint is on its own host: the connection's host does not move it.

    Upload (document, "Uploading a Discrepancy Report"): :meth:`upload_report`.

    Connection: login/password = the myBidSwitch API user; extras ``auth_url``,
    ``auth_scope`` (empty string to omit), ``auth_client_id`` (also read under their
    former names ``token_url``, ``token_scope``, ``token_client_id``).

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

    # ------------------------------------------------------------------ auth
    def token_url(self) -> str:
        return self.url(self.extra_str("auth_url") or "")

    def _token_form(self, **fields: str) -> dict[str, str]:
        client_id = self.extra_str("auth_client_id")
        if client_id:
            fields["client_id"] = client_id
        return fields

    def _fetch_token(self) -> Token:
        username, password = self._credentials("login and password of the API user")
        form = {"grant_type": "password", "username": username, "password": password}
        scope = self.extras.get("auth_scope", self.extra_str("auth_scope"))
        if scope:
            form["scope"] = str(scope)
        return self._form_token(self._token_form(**form), endpoint="POST token", default_ttl=self.token_ttl)

    def _refresh_token(self, token: Token) -> Token | None:
        if not token.refresh_token:
            return None
        form = self._token_form(grant_type="refresh_token", refresh_token=token.refresh_token)
        return self._form_token(form, endpoint="POST token (refresh)", default_ttl=300.0)

    # ------------------------------------------------------------------ upload
    @staticmethod
    def upload_path(platform_name: str, platform_type: str = "ssp") -> str:
        """The upload path, lower-cased (document: "Specify the endpoint using only lowercase").

        :param platform_name: the supplier's (or buyer's) name at BidSwitch.
        :param platform_type: ``ssp`` (suppliers, the document) or ``dsp`` (buyers).
        """
        ptype = str(platform_type or "").strip().lower()
        if ptype not in PLATFORM_TYPES:
            raise ValueError(f"platform_type must be one of {', '.join(PLATFORM_TYPES)}, got {platform_type!r}")
        name = str(platform_name or "").strip().lower()
        if not name:
            raise ValueError("platform_name is empty: give the platform name BidSwitch knows you by")
        return UPLOAD_PATH.format(platform_type=ptype, platform_name=quote(name, safe=""))

    def upload_report(self, report: dict[str, Any], platform_name: str, platform_type: str = "ssp", *,
                      validate: bool = True) -> dict[str, Any]:
        """Upload a discrepancy report; return BidSwitch's ``handled`` list.

        ``POST {host}/discrepancy-check/v1.0/{platform_type}/{platform_name}/upload-report/``
        with a JSON body and the headers ``Authorization: Bearer``, ``Accept:
        application/json`` and ``Content-Type: application/json``.

        Repeats are harmless ("If you upload several reports during one day, only the
        last one uploaded is going to be processed"), so connection errors, ``429`` and
        ``5xx`` are retried with backoff. A ``401`` re-authenticates once.

        :param report: the body ``{"reports": [...]}``.
        :param platform_name: the supplier's (or buyer's) name at BidSwitch; lower-cased.
        :param platform_type: ``ssp`` (default) or ``dsp``.
        :param validate: check the report against the document's rules first (raises
            :class:`~airflow_provider_adtech.formats.errors.ValidationFailed`, nothing sent).
        :return: ``{"status": "success", "handled": [[...], ...], "path": ...}``.
        :raises BidSwitchReportRejected: BidSwitch answered ``status: error``; the message
            names each refused report by seat and days.
        :raises VendorAuthError: ``401`` again after re-authenticating.
        :raises VendorApiError: ``404`` (platform name unknown) and other failures.
        """
        path = self.upload_path(platform_name, platform_type)
        if str(platform_name).strip() != str(platform_name).strip().lower():
            self.log.info("BidSwitch: platform name %r lower-cased to %r (the document asks for a lower-case "
                          "endpoint)", platform_name, str(platform_name).strip().lower())
        if validate:
            from airflow_provider_adtech.formats.bidswitch import validate_upload

            validate_upload(report)
        endpoint = f"POST {path}"
        body = json.dumps(report, separators=(",", ":"), allow_nan=False).encode("utf-8")
        try:
            resp = self.request(
                "POST", path, endpoint=endpoint, idempotent=True, raise_for_status=False, data=body,
                headers={"Accept": "application/json", "Content-Type": "application/json"},
            )
        except VendorAuthError as exc:
            if exc.status != 401:
                raise
            raise VendorAuthError(
                self.vendor, endpoint, 401, exc.vendor_message,
                "refused again after logging in anew. Document: 401 means the user has no access to this "
                "supplier/buyer or no permission to upload; uploads need an API Account (myBidSwitch: "
                f"Users > Add User > User Role: API Account). Connection {self.conn_id!r}",
            ) from None
        return self._upload_answer(resp, endpoint, report, platform_name, platform_type)

    def _upload_answer(self, resp, endpoint: str, report: dict[str, Any], platform_name: str,
                       platform_type: str) -> dict[str, Any]:
        try:
            answer = resp.json()
        except ValueError:
            answer = None
        status = answer.get("status") if isinstance(answer, dict) else None
        if resp.status_code < 300 and status == "success":
            handled = answer.get("handled") or []
            self.log.info("BidSwitch handled %s", handled)
            return {"status": "success", "handled": handled, "path": endpoint.split(" ", 1)[1]}
        if status == "error":
            errors = []
            for item in answer.get("errors") or []:
                index, text = (item[0], item[1]) if isinstance(item, (list, tuple)) and len(item) >= 2 else (None, item)
                errors.append({"index": index, "report": _describe(report, index), "text": str(text)})
            by_report: dict[str, list[str]] = {}
            for e in errors[:50]:
                by_report.setdefault(e["report"], []).append(e["text"])
            lines = " | ".join(f"{rep}: {'; '.join(texts)}" for rep, texts in by_report.items()) or "no error text"
            more = f" (and {len(errors) - 50} more)" if len(errors) > 50 else ""
            raise BidSwitchReportRejected(
                self.vendor, endpoint, resp.status_code, lines + more,
                "BidSwitch refused the report's content; nothing of this upload is processed",
                body=answer, errors=errors,
            )
        if resp.status_code == 404:
            name = str(platform_name).strip().lower()
            raise VendorApiError(
                self.vendor, endpoint, 404, vendor_message_from(resp),
                f"platform name not found: BidSwitch does not know the {str(platform_type).lower()} name "
                f"{name!r} (document: 404 'If the <ssp-name> is not found in our system'); check platform_name "
                "and platform_type",
            )
        if resp.status_code in RETRYABLE_STATUS:
            raise self.error_for(resp, endpoint, hint="retries exhausted; uploading again later is safe because "
                                 "BidSwitch processes only the last report uploaded on a day")
        raise self.error_for(resp, endpoint, hint=f"unexpected answer (status field {status!r})")


def _describe(report: dict[str, Any], index: Any) -> str:
    from airflow_provider_adtech.formats.bidswitch import describe_report

    return describe_report(report, index)
