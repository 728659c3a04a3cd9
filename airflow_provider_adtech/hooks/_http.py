"""HTTP requests of the vendor hooks: session, bounded retries, one re-authentication, errors.

A ``requests.Session`` with the provider's User-Agent; bounded retries with exponential
backoff and jitter that honour ``Retry-After`` (built on ``tenacity``) for requests marked
idempotent; one re-authentication on ``401``; and the mapping of vendor answers and
transport failures to :class:`~airflow_provider_adtech.exceptions.VendorApiError` and its
kin (a call that is never repeated and got no usable answer is "outcome unknown").
"""

from __future__ import annotations

import email.utils
import json
import time
from functools import cached_property
from typing import Any, Callable
from urllib.parse import urlsplit

import requests
import tenacity

from airflow_provider_adtech import __version__
from airflow_provider_adtech.exceptions import (
    VendorApiError,
    VendorAuthError,
    VendorNoAnswer,
    VendorOutcomeUnknown,
    VendorTransportError,
)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _RetryableResponse(Exception):
    """Internal: a response that may succeed when repeated (429, 5xx)."""

    def __init__(self, response: requests.Response, retry_after: float | None):
        self.response = response
        self.retry_after = retry_after
        super().__init__(f"HTTP {response.status_code}")


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def vendor_message_from(response: requests.Response) -> str:
    """Best-effort extraction of a vendor's error text from any of the known envelopes."""
    try:
        body = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text[:500]
    if isinstance(body, dict):
        for key in ("message", "error_description", "detail", "title", "error", "reason"):
            val = body.get(key)
            if isinstance(val, str) and val:
                return val
        errs = body.get("errorObjects") or body.get("errors")
        if isinstance(errs, list) and errs:
            parts = []
            for e in errs[:10]:
                if isinstance(e, dict):
                    parts.append(str(e.get("error") or e.get("message") or e))
                else:
                    parts.append(str(e))
            return "; ".join(parts)
    return json.dumps(body)[:500]


class HttpRequests:
    """The request machinery of :class:`~airflow_provider_adtech.hooks.base.AdtechHook`.

    It relies on the hook for ``vendor``, ``conn_id``, ``uses_token``, ``log``, ``sleep``,
    :meth:`url`, ``timeout``, ``verify``, ``extra_float``, :meth:`get_token`,
    :meth:`invalidate_token`, :meth:`auth_headers` and :meth:`auth_for_request`.
    """

    #: seconds between retries: ``backoff_base * 2**n`` with full jitter, at most ``backoff_max``
    backoff_base: float = 1.0
    backoff_max: float = 60.0

    @cached_property
    def session(self) -> requests.Session:
        s = requests.Session()
        s.verify = self.verify
        s.headers["User-Agent"] = f"airflow-provider-adtech/{__version__}"
        return s

    def close(self) -> None:
        if "session" in self.__dict__:
            self.session.close()
            del self.__dict__["session"]

    # ------------------------------------------------------------------ requests
    def token_request(self, method: str, url: str, endpoint: str, **kwargs: Any) -> requests.Response:
        """Send a request to a token endpoint (retried on connection errors/429/5xx)."""
        return self.request(method, url, endpoint=endpoint, authenticated=False, idempotent=True,
                            raise_for_status=False, **kwargs)

    def _retrying(self, idempotent: bool) -> tenacity.Retrying:
        attempts = int(self.extra_float("max_retries", 5)) + 1 if idempotent else 1
        budget = self.extra_float("retry_max_elapsed", 300.0)
        backoff = tenacity.wait_random_exponential(multiplier=self.backoff_base, max=self.backoff_max)

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            ra = getattr(exc, "retry_after", None)
            if ra is not None:
                return min(float(ra), max(budget, 0.0))
            return backoff(state)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            what = str(exc) if isinstance(exc, _RetryableResponse) else type(exc).__name__
            self.log.warning(
                "%s: attempt %d failed (%s); retrying in %.1f s",
                self.vendor, state.attempt_number, what, state.next_action.sleep if state.next_action else 0,
            )

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(
                (_RetryableResponse, requests.ConnectionError, requests.Timeout,
                 requests.exceptions.ChunkedEncodingError)
            ),
            wait=wait,
            stop=tenacity.stop_after_attempt(attempts) | tenacity.stop_after_delay(budget),
            sleep=lambda s: self.sleep(s),
            before_sleep=before_sleep,
            reraise=True,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str | None = None,
        idempotent: bool | None = None,
        authenticated: bool = True,
        raise_for_status: bool = True,
        body_factory: Callable[[], dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one logical request, with retries where that is safe.

        :param method: HTTP method.
        :param path: path below the base URL, or an absolute URL.
        :param endpoint: name used in logs and errors; default ``METHOD /path``.
        :param idempotent: whether repeating the request is harmless. Default: true for
            GET/HEAD/OPTIONS only. Only idempotent requests are retried.
        :param authenticated: add the vendor's authentication (token or Basic).
        :param raise_for_status: map any status >= 400 to :class:`VendorApiError`.
        :param body_factory: returns fresh request kwargs (``data=`` ...) for every attempt,
            for bodies that are streams and can be sent only once.
        """
        method = method.upper()
        url = self.url(path)
        endpoint = endpoint or f"{method} {urlsplit(url).path}"
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        kwargs.setdefault("timeout", self.timeout)

        def send_once() -> requests.Response:
            extra_kwargs = body_factory() if body_factory else {}
            resp = self._send_authenticated(method, url, endpoint, authenticated, headers, kwargs,
                                            extra_kwargs, body_factory)
            if resp.status_code in RETRYABLE_STATUS:
                raise _RetryableResponse(resp, parse_retry_after(resp.headers.get("Retry-After")))
            return resp

        try:
            resp = self._retrying(idempotent)(send_once)
        except _RetryableResponse as exc:
            resp = exc.response
            if not raise_for_status:
                return resp
            if idempotent:
                raise self.error_for(resp, endpoint, hint="retries exhausted") from None
            if resp.status_code == 429:
                raise self.error_for(resp, endpoint, hint=(
                    "rate limited: the request was refused, not applied; it is not repeated "
                    "automatically because repeating it is not safe")) from None
            err = self.error_for(resp, endpoint)
            raise VendorOutcomeUnknown(self.vendor, endpoint, resp.status_code, err.vendor_message,
                                       UNKNOWN_OUTCOME, body=err.body) from None
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            if idempotent:
                raise VendorTransportError(self.vendor, endpoint, None, _transport_text(exc),
                                           "retries exhausted") from None
            raise VendorNoAnswer(self.vendor, endpoint, None, _transport_text(exc), UNKNOWN_OUTCOME) from None
        self.log.debug("%s %s -> %s", self.vendor, endpoint, resp.status_code)
        if raise_for_status and resp.status_code >= 400:
            raise self.error_for(resp, endpoint)
        return resp

    def _send_authenticated(self, method, url, endpoint, authenticated, headers, kwargs, extra_kwargs,
                            body_factory) -> requests.Response:
        hdrs = dict(headers or {})
        token = None
        auth = None
        if authenticated:
            if self.uses_token:
                token = self.get_token()
                hdrs.update(self.auth_headers(token))
            else:
                auth = self.auth_for_request()
        resp = self.session.request(method, url, headers=hdrs, auth=auth, **kwargs, **extra_kwargs)
        if resp.status_code == 401 and authenticated and self.uses_token:
            # The token was refused: forget it, authenticate once more, repeat once.
            resp.close()
            self.log.info("%s %s answered 401; re-authenticating once", self.vendor, endpoint)
            self.invalidate_token(token)
            token = self.get_token()
            hdrs.update(self.auth_headers(token))
            if body_factory:
                extra_kwargs = body_factory()
            resp = self.session.request(method, url, headers=hdrs, auth=auth, **kwargs, **extra_kwargs)
            if resp.status_code == 401:
                raise VendorAuthError(
                    self.vendor, endpoint, 401, vendor_message_from(resp),
                    "a freshly obtained token was refused too; check the account's permissions",
                )
        elif resp.status_code == 401 and authenticated:
            raise VendorAuthError(self.vendor, endpoint, 401, vendor_message_from(resp),
                                  f"the credentials in connection {self.conn_id!r} were refused")
        return resp

    def error_for(self, resp: requests.Response, endpoint: str, hint: str = "") -> VendorApiError:
        """Map an error answer to an exception; vendor hooks override to add explanations."""
        cls = VendorAuthError if resp.status_code in (401, 403) and self.uses_token else VendorApiError
        return cls(self.vendor, endpoint, resp.status_code, vendor_message_from(resp), hint, body=_safe_json(resp))


UNKNOWN_OUTCOME = (
    "not retried automatically because repeating it is not safe; the request may or may not "
    "have been applied, check before running it again"
)


def _safe_json(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _transport_text(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return "no answer within the read timeout"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection broke while the answer was read"
    return "connection failed or was dropped before an answer"
