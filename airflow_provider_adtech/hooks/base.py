"""The base class of the vendor hooks: connection, base URL, extras and the token lifecycle.

:class:`AdtechHook` reads the connection (the host over the vendor's production URL,
timeouts, TLS verification, the common extras), runs the token lifecycle (acquire, cache
across processes, expiry margin, refresh, forget a refused token) and masks every secret.
Its requests (session, retries, one re-authentication on ``401``, vendor errors mapped to
:class:`VendorApiError`) come from :class:`~airflow_provider_adtech.hooks._http.HttpRequests`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from functools import cached_property
from typing import Any, Callable, ClassVar
from urllib.parse import urljoin, urlsplit

import requests

from airflow.providers.common.compat.sdk import BaseHook

try:
    from airflow.providers.common.compat.sdk import mask_secret
except ImportError:  # common-compat < 1.22 has no mask_secret: the same places, in its order
    try:
        from airflow.sdk.log import mask_secret  # Airflow 3.1+
    except ImportError:
        try:
            from airflow.sdk.execution_time.secrets_masker import mask_secret  # Airflow 3.0
        except ImportError:
            from airflow.utils.log.secrets_masker import mask_secret  # Airflow 2
from airflow_provider_adtech.connection_fields import (
    CONNECTION_TYPES,
    install_form_methods,
    sensitive_extras,
    usable_extras,
)
from airflow_provider_adtech.exceptions import VendorApiError, VendorAuthError
from airflow_provider_adtech.hooks._http import (  # noqa: F401 (names of this module's callers)
    IDEMPOTENT_METHODS,
    RETRYABLE_STATUS,
    HttpRequests,
    _safe_json,
    parse_retry_after,
    vendor_message_from,
)
from airflow_provider_adtech.hooks.token_cache import Token, TokenCache, make_token_cache

log = logging.getLogger(__name__)


class AdtechHook(HttpRequests, BaseHook):
    """Base class of the vendor hooks.

    Subclasses set ``vendor``, ``conn_type``, ``default_base_url`` and, for token
    authentication, implement :meth:`_fetch_token` (and :meth:`_refresh_token` when
    the vendor issues refresh tokens).

    Connection: ``host`` (optionally with scheme, port and path) overrides the
    vendor's production URL; plain ``http://`` is used only when the host says so
    (or ``schema`` is ``http``). Extras common to every vendor: ``connect_timeout``,
    ``read_timeout``, ``verify`` (``true``/``false``/CA bundle path),
    ``max_retries``, ``retry_max_elapsed``, ``token_cache`` (``file``/``variable``/
    ``memory``), ``token_cache_dir``, ``token_expiry_margin``.
    """

    vendor: ClassVar[str] = "vendor"
    conn_type: ClassVar[str]
    default_base_url: ClassVar[str]
    uses_token: ClassVar[bool] = True
    default_read_timeout: ClassVar[float] = 120.0

    #: the clock of the progress lines of long walks (tests drive it)
    progress_clock: ClassVar[Callable[[], float]] = staticmethod(time.monotonic)

    def __init__(self, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id or self.default_conn_name
        self._memo_token: Token | None = None
        #: the sleep used between retries; tests replace it to observe the delays requested
        self.sleep: Callable[[float], None] = time.sleep

    # ------------------------------------------------------------------ UI
    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A vendor hook class (one that sets ``conn_type``) gets its connection form methods,
        ``get_ui_field_behaviour`` and ``get_connection_form_widgets``, in its own ``__dict__``,
        where Airflow 2.11, 3.0 and 3.1 look for them (see ``connection_fields``)."""
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("conn_type") in CONNECTION_TYPES:
            install_form_methods(cls)

    # ------------------------------------------------------------------ connection
    @cached_property
    def connection(self):
        conn = self.get_connection(self.conn_id)
        if conn.password:
            mask_secret(conn.password)
        return conn

    @cached_property
    def extras(self) -> dict[str, Any]:
        # a stored "***" is dropped with a warning; extras saved under an older name are found
        extra = usable_extras(self.conn_type, self.connection.extra_dejson, self.conn_id, self.log)
        for name in sensitive_extras(self.conn_type):
            if extra.get(name):
                mask_secret(str(extra[name]))
        return extra

    def extra_str(self, name: str, default: str | None = None) -> str | None:
        val = self.extras.get(name)
        if val is None or val == "":
            val = CONNECTION_TYPES[self.conn_type]["fields"].get(name, {}).get("default", default)
        return None if val is None else str(val)

    def extra_float(self, name: str, default: float) -> float:
        val = self.extras.get(name)
        if val is None or val == "":
            return float(default)
        try:
            return float(val)
        except (TypeError, ValueError):
            raise ValueError(f"connection {self.conn_id!r}: extra {name!r} must be a number, got {val!r}")

    def extra_bool(self, name: str, default: bool) -> bool:
        val = self.extras.get(name)
        if val is None or val == "":
            return default
        if isinstance(val, bool):
            return val
        return str(val).strip().lower() in ("1", "true", "yes", "on")

    @cached_property
    def base_url(self) -> str:
        """Vendor base URL; the connection's host (and scheme/port/path) overrides the default."""
        default = urlsplit(self.default_base_url)
        conn = self.connection
        host = (conn.host or "").strip()
        if not host:
            return self.default_base_url.rstrip("/")
        if "://" in host:
            parts = urlsplit(host)
            scheme, netloc, path = parts.scheme, parts.netloc, parts.path
        else:
            scheme = (conn.schema or "").lower() if (conn.schema or "").lower() in ("http", "https") else "https"
            netloc, _, path = host.partition("/")
            path = "/" + path if path else ""
        if conn.port and ":" not in netloc:
            netloc = f"{netloc}:{conn.port}"
        if not path or path == "/":
            path = default.path
        return f"{scheme}://{netloc}{path}".rstrip("/")

    def progress(self, what: str, **kwargs: Any) -> Any:
        """A :class:`~airflow_provider_adtech.formats.progress.Progress` writing to this hook's
        log: a line about every 10 s of long work (``page k of n`` for list walks)."""
        from airflow_provider_adtech.formats.progress import Progress

        return Progress(f"{self.vendor} {what}", log=self.log.info, clock=self.progress_clock, **kwargs)

    def url(self, path: str) -> str:
        """Absolute URL for ``path`` below the base URL; an absolute ``path`` is kept as is."""
        if "://" in path:
            return path
        return self.base_url + "/" + path.lstrip("/")

    @cached_property
    def timeout(self) -> tuple[float, float]:
        return (
            self.extra_float("connect_timeout", 10.0),
            self.extra_float("read_timeout", self.default_read_timeout),
        )

    @cached_property
    def verify(self) -> bool | str:
        raw = self.extras.get("verify")
        if raw is None or raw == "" or raw is True:
            return True
        if raw is False or str(raw).lower() in ("false", "0", "no", "off"):
            return False
        if str(raw).lower() in ("true", "1", "yes", "on"):
            return True
        return str(raw)  # path of a CA bundle

    # ------------------------------------------------------------------ tokens
    @cached_property
    def token_cache(self) -> TokenCache:
        return make_token_cache(self.extra_str("token_cache", "file"), self.extra_str("token_cache_dir"))

    def token_url(self) -> str:
        """URL of the vendor's token endpoint (used in the cache key and by ``_fetch_token``)."""
        return self.url(self.extra_str("token_path") or "")

    def token_cache_key(self) -> str:
        ident = "|".join([self.vendor, self.token_url(), self.connection.login or ""])
        return f"{self.conn_type}-{hashlib.sha256(ident.encode()).hexdigest()[:24]}"

    def _expiry_margin(self, token: Token) -> float:
        lifetime = max(1.0, token.expires_at - token.obtained_at)
        return min(self.extra_float("token_expiry_margin", 300.0), lifetime * 0.1)

    @staticmethod
    def _mask_token(token: Token) -> Token:
        mask_secret(token.access_token)
        if token.refresh_token:
            mask_secret(token.refresh_token)
        return token

    def get_token(self, force: bool = False) -> Token:
        """A valid token: from memory, then the shared cache, else refreshed, else fetched anew.

        :param force: fetch a new token even if a valid one is cached.
        """
        if not self.uses_token:
            raise TypeError(f"{self.vendor} does not use tokens")
        tok = self._memo_token
        if not force and tok is not None and tok.valid(self._expiry_margin(tok)):
            return tok
        key = self.token_cache_key()
        cache = self.token_cache
        if not force:  # a valid shared token needs no lock (for token_cache=variable: no lease)
            cached = cache.get(key)
            if cached is not None and cached.valid(self._expiry_margin(cached)):
                self._memo_token = self._mask_token(cached)
                return cached
        with cache.lock(key):
            cached = cache.get(key)
            if cached is not None:
                self._mask_token(cached)
            if not force and cached is not None and cached.valid(self._expiry_margin(cached)):
                self._memo_token = cached
                return cached
            new: Token | None = None
            if not force and cached is not None and cached.refresh_token:
                try:
                    new = self._refresh_token(cached)
                except VendorApiError as err:
                    self.log.info("%s: token refresh refused (%s); logging in again", self.vendor, err.status)
                    new = None
            if new is None:
                new = self._fetch_token()
                self.log.info("%s: obtained a new access token (valid %.0f s)", self.vendor,
                              new.expires_at - new.obtained_at)
            else:
                self.log.info("%s: access token refreshed with the refresh token", self.vendor)
            self._mask_token(new)
            cache.set(key, new)
            self._memo_token = new
            return new

    def invalidate_token(self, token: Token) -> None:
        """Forget an access token the vendor refused; its refresh token is kept for a refresh."""
        key = self.token_cache_key()
        with self.token_cache.lock(key):
            cached = self.token_cache.get(key)
            if cached is not None and cached.access_token == token.access_token:
                cached.expires_at = 0
                self.token_cache.set(key, cached)
        self._memo_token = None

    def _fetch_token(self) -> Token:
        raise NotImplementedError

    def _refresh_token(self, token: Token) -> Token | None:
        return None

    def _token_from_response(
        self, resp: requests.Response, endpoint: str, *, default_ttl: float, data_key: str | None = None
    ) -> Token:
        """Parse an OAuth2-style token answer (``access_token``, ``expires_in``, ``refresh_token``)."""
        if resp.status_code in (400, 401, 403):
            raise VendorAuthError(
                self.vendor, endpoint, resp.status_code, vendor_message_from(resp),
                "the credentials in connection %r were refused" % self.conn_id,
            )
        if resp.status_code >= 300:
            raise VendorApiError(self.vendor, endpoint, resp.status_code, vendor_message_from(resp))
        try:
            body = resp.json()
        except ValueError:
            raise VendorAuthError(self.vendor, endpoint, resp.status_code, "token answer is not JSON")
        data = body.get(data_key) if data_key and isinstance(body.get(data_key), dict) else body
        access = data.get("access_token") if isinstance(data, dict) else None
        if not access:
            raise VendorAuthError(self.vendor, endpoint, resp.status_code, "no access_token in the answer")
        mask_secret(access)
        refresh = data.get("refresh_token")
        if refresh:
            mask_secret(refresh)
        raw_ttl = data.get("expires_in")
        try:
            ttl = default_ttl if raw_ttl is None or raw_ttl == "" else float(raw_ttl)
        except (TypeError, ValueError):
            ttl = default_ttl
        extra = {k: v for k, v in data.items() if k not in ("access_token", "refresh_token")}
        now = time.time()
        return Token(access_token=access, expires_at=now + ttl, refresh_token=refresh, extra=extra,
                     obtained_at=now)

    def _credentials(self, what: str = "login and password") -> tuple[str, str]:
        """The connection's login and password; a clear error names what is missing."""
        conn = self.connection
        if not conn.login or not conn.password:
            raise ValueError(f"connection {self.conn_id!r} needs {what}")
        return conn.login, conn.password

    def _form_token(
        self,
        form: dict[str, str],
        *,
        endpoint: str,
        default_ttl: float,
        url: str | None = None,
        headers: dict[str, str] | None = None,
        data_key: str | None = None,
    ) -> Token:
        """POST a form-encoded OAuth2-style grant to the token endpoint and parse the answer."""
        resp = self.token_request("POST", url or self.token_url(), endpoint=endpoint, data=form,
                                  headers={"Accept": "application/json", **(headers or {})})
        return self._token_from_response(resp, endpoint, default_ttl=default_ttl, data_key=data_key)

    def auth_headers(self, token: Token | None) -> dict[str, str]:
        """Headers that authenticate one request (Bearer by default)."""
        return {"Authorization": f"Bearer {token.access_token}"} if token else {}

    def auth_for_request(self) -> Any:
        """``requests`` auth object for hooks that do not use tokens (e.g. HTTP Basic)."""
        return None

    # ------------------------------------------------------------------ UI test button
    def test_connection(self) -> tuple[bool, str]:
        """Authenticate against the vendor for real (a new token is fetched and cached)."""
        try:
            self._check_credentials()
        except Exception as exc:  # the UI shows the message
            return False, f"{self.vendor}: {exc}"
        return True, f"{self.vendor}: authenticated at {self.base_url}"

    def _check_credentials(self) -> None:
        self.get_token(force=True)


__all__ = ["AdtechHook", "parse_retry_after", "vendor_message_from", "urljoin"]
