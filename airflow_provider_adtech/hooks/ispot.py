"""iSpot TV-conversions API hook (OAuth2 client credentials, 24-hour tokens)."""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import requests

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow_provider_adtech.exceptions import VendorApiError
from airflow_provider_adtech.hooks.base import AdtechHook, vendor_message_from
from airflow_provider_adtech.hooks.token_cache import Token

#: The document's table of upload answers: iSpot's message -> what it means for us.
UPLOAD_ERRORS: dict[str, str] = {
    "The content type request is not valid.":
        "the request was not multipart/form-data; iSpot: \"You must provide multipart/form-data to "
        "successfully submit the CSV format file\"",
    "The request must contain a CSV format file to be imported.":
        "the request carried no file in the multipart field upload[file]",
    "The file cannot be processed because it is not in the required CSV file format.":
        "iSpot could not read the file as CSV (or as a .zip of CSV files); only correctly formatted "
        "CSV files are supported",
    "The content is not valid. Please validate the headers and content.":
        "iSpot refused the header row or the rows: \"the first line of the file must contain the "
        "following mandatory headers: LATEST_IPADDRESS, SITE_ID, TIME_STAMP\" (the document's column "
        "table names them ip, siteid, datetime: ask iSpot which names your account expects and set "
        "column_mapping accordingly)",
    "The file is too small. The minimum file size allowed is 8 MB.":
        "the file is below iSpot's 8 MB minimum; upload more rows per file (raise min_file_size to "
        "match what iSpot enforces so this is caught before uploading)",
    "The file is too large. The maximum file size allowed is 200 MB.":
        "the file is above iSpot's 200 MB maximum; lower max_file_size so that parts are split smaller",
    "Internal error. Please contact our API team.":
        "an unknown error at iSpot; contact iSpot's API team if it persists",
    "The server disk is full. Please contact our API team.":
        "iSpot's server is out of disk space; contact iSpot's API team",
}

UPLOADED = "uploaded"
ALREADY_UPLOADED = "already_uploaded"


class IspotUploadRejected(VendorApiError, AirflowFailException):
    """iSpot refused the file itself (``400``): sending it again cannot succeed, so Airflow
    does not retry the task."""


class IspotDuplicateFile(VendorApiError, AirflowFailException):
    """``409 The file already exists.`` while the caller asked duplicates to fail."""


@dataclass
class UploadResult:
    """What iSpot answered to one file.

    :param status: ``uploaded`` (201) or ``already_uploaded`` (409 to our first attempt:
        a file of that name was uploaded before, e.g. by an earlier run).
    :param attempts: requests sent (retries after 429/5xx/dropped connections included).
    """

    name: str
    status: str
    http_status: int
    message: str
    attempts: int
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "http_status": self.http_status,
                "message": self.message, "attempts": self.attempts, "bytes": self.bytes}


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
        #: parallel uploads share this hook: one token for all of them
        self._token_lock = threading.RLock()

    def get_token(self, force: bool = False) -> Token:
        with self._token_lock:
            return super().get_token(force)

    def invalidate_token(self, token: Token) -> None:
        with self._token_lock:
            if self._memo_token is not None and self._memo_token.access_token != token.access_token:
                return  # another upload already replaced the refused token
            super().invalidate_token(token)

    def _fetch_token(self) -> Token:
        client_id, client_secret = self._credentials("login (client_id) and password (client_secret)")
        return self._form_token(
            {"client_id": client_id, "client_secret": client_secret, "grant_type": "client_credentials"},
            endpoint="POST " + (self.extra_str("token_path") or ""), default_ttl=self.token_ttl,
        )

    # ------------------------------------------------------------------ upload
    def upload_conversions(self, path: str, file_name: str | None = None, *,
                           fail_on_duplicate: bool = False) -> UploadResult:
        """Upload one conversion file (``.csv``, or ``.zip`` of CSV files).

        Document, "Upload File(s) via Curl": ``POST /v4/metrics/conversions`` with the file in
        the multipart field ``upload[file]``. The body is streamed from disk by
        ``requests_toolbelt.MultipartEncoder`` (a 200 MB part is never held in memory).

        Answers (document's response table): ``201`` -> ``uploaded``; ``409 The file already
        exists.`` -> ``already_uploaded`` ("Files must have unique file names for a given
        day. If two or more files with the same name are uploaded, only the first file will
        be kept"), or :class:`IspotDuplicateFile` with ``fail_on_duplicate``; ``400`` ->
        :class:`IspotUploadRejected` quoting iSpot's message and what it means; ``401`` ->
        one new token and one repeat; ``429``/``5xx``/dropped connections -> retried with
        backoff. Repeating is safe because the name is unique: if an earlier attempt did
        reach iSpot, the repeat is answered ``409`` and counted as ``uploaded``.

        :param path: local file to send.
        :param file_name: name iSpot sees; default the file's base name.
        :param fail_on_duplicate: raise instead of reporting ``already_uploaded``.
        """
        from requests_toolbelt import MultipartEncoder

        name = file_name or os.path.basename(path)
        size = os.path.getsize(path)
        content_type = "application/zip" if name.lower().endswith(".zip") else "text/csv"
        boundary = "----adtech" + secrets.token_hex(16)
        opened: list[Any] = []
        attempts = 0
        answers: list[int] = []

        def record(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
            answers.append(resp.status_code)

        def body() -> dict[str, Any]:
            nonlocal attempts
            attempts += 1
            for fh in opened:
                fh.close()
            fh = open(path, "rb")
            opened.append(fh)
            fields = {"upload[file]": (name, fh, content_type)}
            return {"data": MultipartEncoder(fields=fields, boundary=boundary)}

        endpoint = "POST " + (self.extra_str("upload_path") or "")
        try:
            resp = self.request(
                "POST", self.extra_str("upload_path") or "", endpoint=endpoint, idempotent=True,
                raise_for_status=False, body_factory=body,
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                         "Accept": "application/json"},
                hooks={"response": [record]},
            )
        finally:
            for fh in opened:
                fh.close()
        message = vendor_message_from(resp)
        if resp.status_code in (200, 201):
            self.log.info("iSpot accepted %s (%d bytes): %s", name, size, message)
            return UploadResult(name, UPLOADED, resp.status_code, message, attempts, size)
        if resp.status_code == 409:
            # earlier attempts that may have reached iSpot: answered 5xx, or not answered at all
            refused = sum(1 for code in answers[:-1] if code in (400, 401, 403, 429))
            if attempts - 1 - refused > 0:
                self.log.info("iSpot answered 409 to attempt %d for %s: an earlier attempt of this upload "
                              "reached iSpot; counted as uploaded", attempts, name)
                return UploadResult(name, UPLOADED, 409, message, attempts, size)
            if fail_on_duplicate:
                hint = (f"a file named {name!r} was already uploaded today; iSpot keeps only the first file "
                        "of a name (fail_on_duplicate=True)")
                raise IspotDuplicateFile(self.vendor, endpoint, 409, message, hint, body=_json(resp))
            self.log.info("iSpot already has %s (409 %r): not uploaded again", name, message)
            return UploadResult(name, ALREADY_UPLOADED, 409, message, attempts, size)
        err = self.error_for(resp, endpoint, "" if resp.status_code < 429 else f"after {attempts} attempt(s)")
        if resp.status_code == 400:
            raise IspotUploadRejected(self.vendor, endpoint, 400, err.vendor_message,
                                      f"{name}: {err.hint}" if err.hint else name, body=err.body)
        raise err

    def error_for(self, resp: requests.Response, endpoint: str, hint: str = "") -> VendorApiError:
        """Explain iSpot's documented answers (see :data:`UPLOAD_ERRORS`)."""
        message = vendor_message_from(resp)
        known = UPLOAD_ERRORS.get(message.strip())
        if known is None:
            for text, meaning in UPLOAD_ERRORS.items():
                if text.rstrip(".").lower() in message.lower():
                    known = meaning
                    break
        full_hint = "; ".join(h for h in (known, hint) if h)
        return super().error_for(resp, endpoint, full_hint)

    def auth_headers(self, token: Token | None) -> dict[str, str]:
        headers = super().auth_headers(token)
        version = self.extra_str("ispot_version")
        if version:
            headers["iSpot-Version"] = version
        return headers


def _json(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None
