"""The client of a sandbox running in another process: reads and steers it through its ``/_sandbox/`` routes."""

from __future__ import annotations

import json
from typing import Any


class SandboxClient:
    """Reads and steers a sandbox running in another process (``/_sandbox/`` routes)."""

    def __init__(self, url: str, token: str | None = None):
        self.url = url.rstrip("/")
        self.token = token

    def _call(self, method: str, what: str, payload: Any = None) -> Any:
        import urllib.request

        data = None if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["X-Sandbox-Token"] = self.token
        req = urllib.request.Request(f"{self.url}/_sandbox/{what}", data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read().decode())

    def journal(self) -> list[dict[str, Any]]:
        return self._call("GET", "journal")

    def state(self) -> dict[str, Any]:
        return self._call("GET", "state")

    def secrets(self) -> list[str]:
        return self._call("GET", "secrets")

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def inject(self, route: str, kind: str = "status", **kw: Any) -> None:
        self._call("POST", "faults", {"route": route, "kind": kind, **kw})

    def configure(self, vendor: str, **settings: Any) -> None:
        self._call("POST", f"configure/{vendor}", settings)
