"""Errors raised by the hooks and operators.

Messages name the vendor, the endpoint, the HTTP status and the vendor's own error
text. They never contain credentials or tokens.
"""

from __future__ import annotations

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException


class AdtechError(AirflowException):
    """Base class of this provider's errors."""


class VendorApiError(AdtechError):
    """The vendor answered with an error.

    :param vendor: vendor display name, e.g. ``iSpot``.
    :param endpoint: ``METHOD /path`` that was called (no query string, no host).
    :param status: HTTP status, or ``None`` when no answer arrived.
    :param vendor_message: the vendor's error text, quoted as received.
    :param hint: what the error means and what to do, where we know it.
    """

    def __init__(
        self,
        vendor: str,
        endpoint: str,
        status: int | None,
        vendor_message: str = "",
        hint: str = "",
        *,
        body: object | None = None,
    ):
        self.vendor = vendor
        self.endpoint = endpoint
        self.status = status
        self.vendor_message = vendor_message
        self.hint = hint
        self.body = body
        status_txt = f"HTTP {status}" if status is not None else "no response"
        msg = f"{vendor} {endpoint} failed: {status_txt}"
        if vendor_message:
            msg += f": {vendor_message!r}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)

    def __reduce__(self):
        return (
            type(self)._rebuild,
            (self.vendor, self.endpoint, self.status, self.vendor_message, self.hint),
        )

    @classmethod
    def _rebuild(cls, *args):
        return cls(*args)


class VendorAuthError(VendorApiError):
    """Authentication failed (bad credentials, or a fresh token was refused too)."""


class VendorTransportError(VendorApiError):
    """No usable answer: connection refused or dropped, or the read timed out."""


class VendorOutcomeUnknown(VendorApiError, AirflowFailException):
    """A request that is not safe to repeat (e.g. a create) got a ``5xx`` or no answer: the
    vendor may or may not have applied it. Airflow does not retry the task, which would send
    it again; check the vendor's side before running the task again."""


class VendorNoAnswer(VendorOutcomeUnknown, VendorTransportError):
    """:class:`VendorOutcomeUnknown` without any answer (connection dropped, read timeout)."""


class AdtechValidationError(AdtechError, AirflowFailException):
    """Input broke vendor rules; nothing was sent. Not retried by Airflow (fix the input)."""

    def __init__(self, message: str, problems: list | None = None):
        self.problems = problems or []
        super().__init__(message)
