"""The tokens the sandbox's vendors issue: one store for all of them, checked per vendor and kind."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class IssuedToken:
    vendor: str
    value: str
    expires_at: float
    kind: str = "access"
    subject: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    revoked: bool = False


class TokenStore:
    def __init__(self) -> None:
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()

    def issue(self, vendor: str, ttl: float, kind: str = "access", subject: str = "", **data: Any) -> IssuedToken:
        tok = IssuedToken(vendor, f"sbx{vendor[:3]}_{secrets.token_urlsafe(32)}", time.time() + ttl, kind,
                          subject, data)
        with self._lock:
            self._tokens[tok.value] = tok
        return tok

    def check(self, vendor: str, value: str | None, kind: str = "access") -> IssuedToken | None:
        if not value:
            return None
        with self._lock:
            tok = self._tokens.get(value)
        if tok is None or tok.vendor != vendor or tok.kind != kind or tok.revoked or tok.expires_at < time.time():
            return None
        return tok

    def expire(self, vendor: str | None = None, kind: str = "access") -> int:
        n = 0
        with self._lock:
            for tok in self._tokens.values():
                if (vendor is None or tok.vendor == vendor) and tok.kind == kind and not tok.revoked:
                    tok.revoked = True
                    n += 1
        return n

    def all_values(self) -> list[str]:
        with self._lock:
            return list(self._tokens)
