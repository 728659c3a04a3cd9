"""The sandbox's HTTP layer on werkzeug: requests and answers as vendor handlers see them, routes, the server.

Vendor handlers take a :class:`Request` (its body spooled to disk past 8 MB) and give a
:class:`Response`; werkzeug parses the HTTP, matches the routes (``werkzeug.routing``) and
serves them (``werkzeug.serving``, one thread a connection).
"""

from __future__ import annotations

import base64
import json
import socket
import tempfile
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import IO, Any, Callable, Iterable
from urllib.parse import parse_qs, urlsplit

try:
    from werkzeug.datastructures import FileStorage
    from werkzeug.exceptions import ClientDisconnected, HTTPException
    from werkzeug.formparser import FormDataParser
    from werkzeug.http import parse_options_header
    from werkzeug.routing import Map, Rule
    from werkzeug.serving import WSGIRequestHandler, make_server
    from werkzeug.wrappers import Request as WsgiRequest
    from werkzeug.wrappers import Response as WsgiResponse
except ImportError as _exc:  # werkzeug comes with the sandbox extra (and with Airflow 2)
    from airflow_provider_adtech.sandbox._extra import extra_missing

    raise extra_missing("the sandbox", _exc) from None

SPOOL_IN_MEMORY = 8 * 1024 * 1024
#: the methods the sandbox answers; others get 501, as from any plain HTTP server
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})


# --------------------------------------------------------------------------- requests and answers
class Request:
    """One incoming request as a vendor handler reads it. The body is spooled to disk past 8 MB."""

    def __init__(self, method: str, raw_path: str, headers, body_file, body_size: int, client: str):
        parts = urlsplit(raw_path)
        self.method = method
        self.path = parts.path
        self.query: dict[str, list[str]] = parse_qs(parts.query, keep_blank_values=True)
        self.headers = headers
        self.body_file = body_file
        self.body_size = body_size
        self.client = client
        #: the values of the route's path variables (``<int:campaign_id>`` ...)
        self.params: dict[str, Any] = {}
        #: what the handler adds to the request's journal entry
        self.meta: dict[str, Any] = {}
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

    def content_type(self) -> tuple[str, dict[str, str]]:
        """The media type of the body (lower case) and its parameters (``boundary``, ``charset`` ...)."""
        mimetype, options = parse_options_header(self.header("Content-Type") or "")
        return mimetype.lower(), options

    def upload(self, name: str) -> FileStorage | None:
        """The file part ``name`` (a part with a ``filename``) of a ``multipart/form-data`` body,
        read by werkzeug's form parser, which spools file parts to disk past 500 KB; ``None``
        when the body has no such part. :class:`ValueError` when the body is not
        ``multipart/form-data`` with a boundary, or is malformed or cut short."""
        mimetype, options = self.content_type()
        if mimetype != "multipart/form-data" or not options.get("boundary"):
            raise ValueError("not multipart/form-data with a boundary")
        size = self.body_file.seek(0, 2)
        self.body_file.seek(0)
        parser = FormDataParser(silent=False, max_form_parts=None)
        _, _, files = parser.parse(self.body_file, mimetype, size, options)
        wanted = files.get(name)
        for _, storage in files.items(multi=True):
            if storage is not wanted:
                storage.close()
        return wanted

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
    """A handler's answer: status, body and headers (``Content-Length`` is added when sent)."""

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


class _PlainResponse(WsgiResponse):
    default_mimetype = None  # send the handler's headers, no others


def to_wsgi(resp: Response) -> WsgiResponse:
    """The werkzeug response that sends ``resp`` as it is (status line with the standard reason)."""
    try:
        reason = HTTPStatus(resp.status).phrase
    except ValueError:
        reason = ""
    out = _PlainResponse(resp.body, status=f"{resp.status} {reason}".strip())
    for k, v in resp.headers.items():
        out.headers[k] = v
    out.headers["Content-Length"] = str(len(resp.body))
    return out


def read_body(wreq: WsgiRequest, pace: Callable[[float, int], None], slow: bool) -> tuple[IO[bytes], int]:
    """Spool the request body (to disk past 8 MB), calling ``pace(started, received)`` after every
    chunk (16 KB chunks when ``slow``, 1 MB otherwise); return the file and the body's size."""
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    stream = wreq.stream
    received = 0
    started = time.monotonic()
    step = 1 << 14 if slow else 1 << 20
    while True:
        try:
            chunk = stream.read(step)
        except (ClientDisconnected, OSError):
            break
        if not chunk:
            break
        body.write(chunk)
        received += len(chunk)
        pace(started, received)
    return body, wreq.content_length if wreq.content_length is not None else received


def raw_target(wreq: WsgiRequest) -> str:
    """The request target as the client sent it (werkzeug keeps it undecoded in ``REQUEST_URI``)."""
    raw = wreq.environ.get("REQUEST_URI")
    if raw is None:
        return wreq.full_path if wreq.query_string else wreq.path
    return raw.encode("latin-1").decode("utf-8", "replace")


def drop_connection(environ: dict[str, Any]) -> None:
    """Close the client's connection without an answer."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# --------------------------------------------------------------------------- routes
def route(method: str, path: str, name: str, **rule: Any) -> Callable:
    """Mark a VendorSandbox method as the handler of ``method`` + werkzeug rule ``path``
    (``<int:campaign_id>``, ``<id>`` ...; ``strict_slashes=False``: with or without the last ``/``).
    The handler reads the path's values in ``req.params``."""

    def deco(fn):
        fn._sandbox_route = (method.upper(), path, name, rule)
        return fn

    return deco


@dataclass
class Routed:
    name: str
    handler: Callable[[Request], Response]
    vendor: str
    params: dict[str, Any]


class Routes:
    """Every vendor route in one werkzeug ``Map``; :meth:`match` finds a request's handler."""

    def __init__(self, routes: Iterable[tuple[str, str, str, dict, Callable, str]]):
        self._targets: dict[str, tuple[str, Callable, str]] = {}
        rules = []
        for method, path, name, extra, fn, vendor in routes:
            rules.append(Rule(path, endpoint=name, methods=[method], **extra))
            self._targets[name] = (method, fn, vendor)
        self._adapter = Map(rules, merge_slashes=False).bind("sandbox")

    def match(self, method: str, path: str) -> Routed | None:
        """The handler of ``method`` on ``path`` (undecoded), or None: no redirects, no implicit HEAD."""
        if path.startswith("//"):
            return None
        try:
            name, params = self._adapter.match(path, method)
        except HTTPException:
            return None
        declared, fn, vendor = self._targets[name]
        if declared != method:
            return None
        return Routed(name, fn, vendor, params)


# --------------------------------------------------------------------------- server
class _QuietHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def log(self, type: str, message: str, *args: Any) -> None:  # quiet; the journal records requests
        pass


def serve(host: str, port: int, app: Callable) -> Any:
    """A threaded werkzeug server of ``app`` bound to ``host:port`` (0: a free port), not yet serving."""
    return make_server(host, port, app, threaded=True, request_handler=_QuietHandler)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
