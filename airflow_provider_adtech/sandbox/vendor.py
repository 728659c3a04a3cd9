"""The base of one vendor's emulation: credentials and accounts, settings, tokens, rate limits, routes."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from airflow_provider_adtech.sandbox.tokens import IssuedToken
from airflow_provider_adtech.sandbox.web import Request

if TYPE_CHECKING:
    from airflow_provider_adtech.sandbox.server import SandboxServer


class VendorSandbox:
    """Base of one vendor's emulation. Subclasses set ``name`` and define routes."""

    name = "vendor"
    #: documented token lifetime (seconds); tests may shorten it with ``token_ttl``
    token_ttl: float = 3600.0

    def __init__(self, server: SandboxServer, credentials: dict[str, str]):
        self.server = server
        self.credentials = credentials
        #: account name -> credentials: ``default`` (``credentials``) and one per advertiser
        self.accounts: dict[str, dict[str, str]] = {"default": credentials,
                                                     **getattr(server, "accounts", {}).get(self.name, {})}
        self.lock = threading.RLock()
        self.settings: dict[str, Any] = {}
        self.reset()

    def reset(self) -> None:
        """Forget all state (stores, uploads); called by ``SandboxServer.reset``."""
        self.settings = {}
        self._rate: dict[str, list[float]] = {}

    def state(self) -> dict[str, Any]:
        """What the vendor received, as JSON-able data (for tests and the demo summary)."""
        return {}

    def issue_token(self, ttl: float | None = None, kind: str = "access", subject: str = "", **data):
        ttl = self.settings.get("token_ttl", self.token_ttl) if ttl is None else ttl
        return self.server.tokens.issue(self.name, ttl, kind, subject, **data)

    def bearer_ok(self, req: Request) -> IssuedToken | None:
        return self.server.tokens.check(self.name, req.bearer())

    def account_for(self, **fields: str | None) -> str | None:
        """The name of the account whose credentials hold every ``fields`` value, or None."""
        for name, creds in self.accounts.items():
            if all(v is not None and creds.get(k) == v for k, v in fields.items()):
                return name
        return None

    @staticmethod
    def account_of(token: IssuedToken | None) -> str:
        """The account a token was issued to (``default`` for tokens without one)."""
        return (token.data.get("account") if token is not None else None) or "default"

    @staticmethod
    def note_account(req: Request, account: str | None) -> None:
        """Name an advertiser's account in the request's journal entry (``meta["account"]``);
        the default account's entries stay as they were."""
        if account not in (None, "default"):
            req.meta["account"] = account

    def rate_limited(self, bucket: str, limit: int | None, window: float) -> float | None:
        """Seconds to wait when more than ``limit`` requests came in ``window``; None if allowed."""
        if not limit:
            return None
        now = time.time()
        with self.lock:
            hits = [t for t in self._rate.get(bucket, []) if now - t < window]
            if len(hits) >= limit:
                self._rate[bucket] = hits
                return max(0.0, window - (now - hits[0]))
            hits.append(now)
            self._rate[bucket] = hits
        return None

    def routes(self):
        """``(method, path, name, rule options, bound handler)`` of every route the class declares."""
        for attr in dir(type(self)):
            spec = getattr(getattr(type(self), attr), "_sandbox_route", None)
            if spec:
                yield (*spec, getattr(self, attr))
