"""The sandbox's HTTP machinery: routing, request journal, fault injection, tokens.

Each vendor lives in its own module (``ispot.py``, ``bidswitch.py`` ...) as a
:class:`VendorSandbox` subclass whose methods are decorated with :func:`route`.
Vendor modules implement the vendors' documents; this module knows nothing about
any vendor.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import secrets
import socket
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

SPOOL_IN_MEMORY = 8 * 1024 * 1024


# --------------------------------------------------------------------------- requests
class Request:
    """One incoming request. The body is spooled to disk past 8 MB."""

    def __init__(self, method: str, raw_path: str, headers, body_file, body_size: int, client: str):
        parts = urlsplit(raw_path)
        self.method = method
        self.path = parts.path
        self.query: dict[str, list[str]] = parse_qs(parts.query, keep_blank_values=True)
        self.headers = headers
        self.body_file = body_file
        self.body_size = body_size
        self.client = client
        self.match: re.Match | None = None
        self._body: bytes | None = None

    def arg(self, name: str, default: str | None = None) -> str | None:
        vals = self.query.get(name)
        return vals[-1] if vals else default

    @property
    def body(self) -> bytes:
        if self._body is None:
            self.body_file.seek(0)
            self._body = self.body_file.read()
        return self._body

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()}

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def bearer(self) -> str | None:
        auth = self.header("Authorization") or ""
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return None

    def basic(self) -> tuple[str, str] | None:
        auth = self.header("Authorization") or ""
        if not auth.lower().startswith("basic "):
            return None
        try:
            user, _, pw = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, pw


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, obj: Any, headers: dict[str, str] | None = None) -> Response:
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return cls(status, json.dumps(obj).encode(), h)

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Response:
        return cls(status, text.encode(), {"Content-Type": content_type})


def route(method: str, pattern: str, name: str) -> Callable:
    """Mark a VendorSandbox method as the handler of ``method`` + path regex ``pattern``."""

    def deco(fn):
        fn._sandbox_route = (method.upper(), re.compile("^" + pattern + "$"), name)
        return fn

    return deco


# --------------------------------------------------------------------------- journal
@dataclass
class JournalEntry:
    seq: int
    time: float
    vendor: str
    route: str
    method: str
    path: str
    status: int
    request_bytes: int
    response_bytes: int
    fault: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class Journal:
    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []
        self._lock = threading.Lock()

    def add(self, **kw: Any) -> JournalEntry:
        with self._lock:
            entry = JournalEntry(seq=len(self._entries) + 1, time=time.time(), **kw)
            self._entries.append(entry)
            return entry

    def entries(self, route: str | None = None, vendor: str | None = None, status: int | None = None):
        with self._lock:
            out = list(self._entries)
        if route is not None:
            out = [e for e in out if _route_matches(route, e.route)]
        if vendor is not None:
            out = [e for e in out if e.vendor == vendor]
        if status is not None:
            out = [e for e in out if e.status == status]
        return out

    def count(self, route: str | None = None, **kw: Any) -> int:
        return len(self.entries(route, **kw))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def as_dicts(self) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.entries()]


def _route_matches(pattern: str, name: str) -> bool:
    if pattern in ("*", name):
        return True
    if pattern.endswith(".*"):
        return name.startswith(pattern[:-1])
    return False


# --------------------------------------------------------------------------- faults
@dataclass
class Fault:
    """Injected misbehaviour for requests whose route matches ``route``.

    ``kind``: ``status`` (answer ``status``, with ``Retry-After`` when ``retry_after``
    is set), ``drop`` (close the connection without an answer, request not handled),
    ``drop_after`` (handle the request, then close the connection without an answer:
    the write happened but the caller never learns it), ``delay`` (sleep ``delay``
    seconds, then handle normally), ``bandwidth`` (every connection's request body is
    read at ``rate`` bytes per second at most, on every route, until the faults are cleared). ``skip`` matching requests pass first,
    then the fault fires ``times`` times (``-1``: forever).
    """

    route: str
    kind: str = "status"
    status: int = 500
    times: int = 1
    skip: int = 0
    retry_after: float | None = None
    delay: float = 0.0
    body: Any = None
    fired: int = 0
    seen: int = 0

    def consider(self) -> bool:
        self.seen += 1
        if self.seen <= self.skip:
            return False
        if self.times >= 0 and self.fired >= self.times:
            return False
        self.fired += 1
        return True


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        #: request bodies are read at most this many bytes per second on each connection (None: no limit);
        #: set with ``add("*", "bandwidth", rate=...)``, removed by :meth:`clear`
        self.bandwidth: float | None = None

    def add(self, route: str, kind: str = "status", **kw: Any) -> Fault:
        if kind not in ("status", "drop", "drop_after", "delay", "bandwidth"):
            raise ValueError(f"unknown fault kind {kind!r}")
        if kind == "bandwidth":
            rate = float(kw.pop("rate"))
            if rate <= 0:
                raise ValueError("bandwidth rate must be positive (bytes per second)")
            self.bandwidth = rate
            return Fault(route=route, kind=kind, times=0, **kw)
        fault = Fault(route=route, kind=kind, **kw)
        with self._lock:
            self._faults.append(fault)
        return fault

    def pick(self, route_name: str) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if _route_matches(f.route, route_name) and f.consider():
                    return f
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.bandwidth = None

    def pace(self, started: float, received: int) -> None:
        """Sleep until ``received`` bytes since ``started`` fit the bandwidth limit."""
        rate = self.bandwidth
        if rate:
            ahead = started + received / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)


# --------------------------------------------------------------------------- tokens
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


# --------------------------------------------------------------------------- vendors
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
            req.meta["account"] = account  # type: ignore[attr-defined]

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
        for attr in dir(type(self)):
            fn = getattr(type(self), attr)
            spec = getattr(fn, "_sandbox_route", None)
            if spec:
                yield spec[0], spec[1], spec[2], getattr(self, attr)


# --------------------------------------------------------------------------- server
class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet; the journal records requests
        pass

    def _handle(self) -> None:
        self.server.sandbox._dispatch(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: SandboxServer


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class SandboxServer:
    """All five vendor emulations behind one HTTP server on loopback.

    :param host: address to bind; loopback only by default.
    :param port: 0 picks a free ephemeral port.
    :param credentials: per vendor dict of credentials; random ones by default.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, credentials: dict | None = None,
                 accounts: dict | None = None):
        from airflow_provider_adtech.sandbox.credentials import advertiser_accounts, random_credentials
        from airflow_provider_adtech.sandbox.vendors import VENDOR_CLASSES

        self.host = host
        self.port = port
        self.credentials = credentials or random_credentials()
        #: ``{vendor: {advertiser: credentials}}``: the advertisers' own accounts, next to the
        #: default account of ``credentials`` (iSpot, BidSwitch and Opt-Intelligence)
        self.accounts: dict[str, dict[str, dict[str, str]]] = (
            advertiser_accounts() if accounts is None else accounts)
        self.journal = Journal()
        self.faults = Faults()
        self.tokens = TokenStore()
        self.vendors: dict[str, VendorSandbox] = {
            cls.name: cls(self, self.credentials.get(cls.name, {})) for cls in VENDOR_CLASSES
        }
        self._routes: list[tuple[str, re.Pattern, str, Callable, str]] = []
        for vendor in self.vendors.values():
            for method, rx, name, fn in vendor.routes():
                self._routes.append((method, rx, name, fn, vendor.name))
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: ``GET /_sandbox/secrets`` answers a loopback client, or one sending this token in
        #: the ``X-Sandbox-Token`` header (``adtech-sandbox`` prints it when bound elsewhere)
        self.control_token = secrets.token_urlsafe(24)

    # -- lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._httpd = _HTTPServer((self.host, self.port), _Handler)
        self._httpd.sandbox = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="adtech-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        if self._httpd is None:
            self._httpd = _HTTPServer((self.host, self.port), _Handler)
            self._httpd.sandbox = self
            self.port = self._httpd.server_address[1]
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def reset(self) -> None:
        """Clear the journal, faults, issued tokens and every vendor's state."""
        self.journal.clear()
        self.faults.clear()
        self.tokens = TokenStore()
        for v in self.vendors.values():
            with v.lock:
                v.reset()

    # -- convenience for tests and the demo
    def inject(self, route: str, kind: str = "status", **kw: Any) -> Fault:
        return self.faults.add(route, kind, **kw)

    def configure(self, vendor: str, **settings: Any) -> None:
        with self.vendors[vendor].lock:
            self.vendors[vendor].settings.update(settings)

    def state(self) -> dict[str, Any]:
        return {name: v.state() for name, v in self.vendors.items()}

    def secrets(self) -> list[str]:
        """Every credential configured and every token issued: what must never leak."""
        out = [v for creds in self.credentials.values() for k, v in creds.items() if k in SECRET_KEYS]
        out += [v for per_adv in self.accounts.values() for creds in per_adv.values()
                for k, v in creds.items() if k in SECRET_KEYS]
        return out + self.tokens.all_values()

    def token_requests(self) -> dict[str, int]:
        """Token requests per vendor and account, ``{"ispot:adv1": n, ...}``, from the journal
        (every request to a token endpoint, answered or refused; ``?`` when no account matched)."""
        counts: dict[str, int] = {}
        for e in self.journal.entries():
            if "token_account" in e.meta:
                key = f"{e.vendor}:{e.meta['token_account'] or '?'}"
                counts[key] = counts.get(key, 0) + 1
        return counts

    def connection_env(self, **overrides: Any) -> dict[str, str]:
        """``AIRFLOW_CONN_...`` variables: every vendor's ``<vendor>_default`` and, per advertiser
        account, ``ispot_adv1``, ``bidswitch_adv1``, ``oi_adv1`` ..."""
        from airflow_provider_adtech.sandbox.credentials import connection_env

        return connection_env(self.url, self.credentials, self.accounts, **overrides)

    # -- dispatch
    def _dispatch(self, h: _Handler) -> None:
        method = h.command
        raw_path = h.path
        path = urlsplit(raw_path).path
        length = int(h.headers.get("Content-Length") or 0)
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        remaining = length
        started = time.monotonic()
        step = 1 << 20 if self.faults.bandwidth is None else 1 << 14
        while remaining > 0:
            chunk = h.rfile.read(min(remaining, step))
            if not chunk:
                break
            body.write(chunk)
            remaining -= len(chunk)
            self.faults.pace(started, length - remaining)
        req = Request(method, raw_path, h.headers, body, length, h.client_address[0])
        try:
            if path.startswith("/_sandbox/"):
                resp = self._admin(req)
                self._send(h, resp)
                return
            match = None
            for m, rx, name, fn, vendor in self._routes:
                if m != method:
                    continue
                mo = rx.match(path)
                if mo:
                    match = (name, fn, vendor, mo)
                    break
            if match is None:
                resp = Response.json(404, {"message": f"no sandbox route for {method} {path}"})
                self.journal.add(vendor="-", route="unknown", method=method, path=path, status=404,
                                 request_bytes=length, response_bytes=len(resp.body))
                self._send(h, resp)
                return
            name, fn, vendor, mo = match
            req.match = mo
            fault = self.faults.pick(name)
            if fault is not None and fault.kind == "drop":
                self.journal.add(vendor=vendor, route=name, method=method, path=path, status=0,
                                 request_bytes=length, response_bytes=0, fault="drop")
                self._drop(h)
                return
            if fault is not None and fault.kind == "status":
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(int(fault.retry_after) if float(fault.retry_after).is_integer()
                                                 else fault.retry_after)
                resp = Response.json(fault.status, fault.body or {"message": f"injected {fault.status}"}, headers)
                self.journal.add(vendor=vendor, route=name, method=method, path=path, status=fault.status,
                                 request_bytes=length, response_bytes=len(resp.body), fault="status")
                self._send(h, resp)
                return
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.delay)
            meta: dict[str, Any] = {}
            req.meta = meta  # type: ignore[attr-defined]
            try:
                resp = fn(req)
            except Exception as exc:  # a sandbox bug must still answer, as the vendors' 500 does
                resp = Response.json(500, {"message": f"sandbox error: {type(exc).__name__}: {exc}"})
            self.journal.add(vendor=vendor, route=name, method=method, path=path, status=resp.status,
                             request_bytes=length, response_bytes=len(resp.body),
                             fault=fault.kind if fault is not None else None, meta=meta)
            if fault is not None and fault.kind == "drop_after":
                self._drop(h)
                return
            self._send(h, resp)
        finally:
            body.close()

    @staticmethod
    def _drop(h: _Handler) -> None:
        h.close_connection = True
        try:
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    @staticmethod
    def _send(h: _Handler, resp: Response) -> None:
        try:
            h.send_response(resp.status)
            for k, v in resp.headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(resp.body)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(resp.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _admin(self, req: Request) -> Response:
        """Control routes for out-of-process users (demo, deployment test)."""
        what = req.path[len("/_sandbox/"):].strip("/")
        if req.method == "GET" and what == "journal":
            return Response.json(200, self.journal.as_dicts())
        if req.method == "GET" and what == "state":
            return Response.json(200, self.state())
        if req.method == "GET" and what == "secrets":
            if not _is_loopback(req.client) and req.header("X-Sandbox-Token") != self.control_token:
                return Response.json(403, {"message": "the sandbox's secrets are for loopback clients, or "
                                           "send the X-Sandbox-Token header that adtech-sandbox printed"})
            return Response.json(200, self.secrets())
        if req.method == "POST" and what == "reset":
            self.reset()
            return Response.json(200, {"ok": True})
        if req.method == "POST" and what == "faults":
            spec = req.json()
            self.inject(**spec)
            return Response.json(200, {"ok": True})
        if req.method == "POST" and what.startswith("configure/"):
            self.configure(what.split("/", 1)[1], **req.json())
            return Response.json(200, {"ok": True})
        if req.method == "POST" and what.startswith("expire-tokens/"):
            n = self.tokens.expire(what.split("/", 1)[1])
            return Response.json(200, {"expired": n})
        return Response.json(404, {"message": f"unknown sandbox control {req.method} {what}"})


SECRET_KEYS = ("password", "client_secret", "secret")


def _is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_loopback or bool(getattr(ip, "ipv4_mapped", None) and ip.ipv4_mapped.is_loopback)


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


__all__ = ["Request", "Response", "route", "VendorSandbox", "SandboxServer", "SandboxClient", "Fault"]
