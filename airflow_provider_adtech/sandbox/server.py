"""The sandbox server: the five vendor emulations behind one werkzeug server, with journal, faults and controls."""

from __future__ import annotations

import ipaddress
import secrets
import threading
import time
from typing import Any

from airflow_provider_adtech.sandbox import web
from airflow_provider_adtech.sandbox.faults import Fault, Faults
from airflow_provider_adtech.sandbox.journal import Journal
from airflow_provider_adtech.sandbox.tokens import TokenStore
from airflow_provider_adtech.sandbox.vendor import VendorSandbox
from airflow_provider_adtech.sandbox.vendors import VENDOR_CLASSES
from airflow_provider_adtech.sandbox.web import Request, Response

SECRET_KEYS = ("password", "client_secret", "secret")


class SandboxServer:
    """All five vendor emulations behind one HTTP server on loopback.

    :param host: address to bind; loopback only by default.
    :param port: 0 picks a free ephemeral port.
    :param credentials: per vendor dict of credentials; random ones by default.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, credentials: dict | None = None,
                 accounts: dict | None = None):
        from airflow_provider_adtech.sandbox.credentials import advertiser_accounts, random_credentials

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
        self._routes = web.Routes((*spec, vendor.name) for vendor in self.vendors.values()
                                  for spec in vendor.routes())
        self._httpd: Any = None
        self._thread: threading.Thread | None = None
        #: ``GET /_sandbox/secrets`` answers a loopback client, or one sending this token in
        #: the ``X-Sandbox-Token`` header (``adtech-sandbox`` prints it when bound elsewhere)
        self.control_token = secrets.token_urlsafe(24)

    # -- lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _bind(self) -> None:
        self._httpd = web.serve(self.host, self.port, self._wsgi)
        self.port = self._httpd.server_address[1]

    def start(self) -> SandboxServer:
        self._bind()
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="adtech-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        if self._httpd is None:
            self._bind()
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
    def _wsgi(self, environ: dict[str, Any], start_response) -> Any:
        wreq = web.WsgiRequest(environ)
        body, length = web.read_body(wreq, self.faults.pace, slow=self.faults.bandwidth is not None)
        try:
            req = Request(wreq.method, web.raw_target(wreq), wreq.headers, body, length, wreq.remote_addr or "")
            if req.method not in web.METHODS:
                resp = Response.text(501, f"Unsupported method ({req.method!r})")
            else:
                resp = self._answer(req)
            if resp is None:
                web.drop_connection(environ)
                resp = Response(0)
            return web.to_wsgi(resp)(environ, start_response)
        finally:
            body.close()

    def _answer(self, req: Request) -> Response | None:
        """The answer to ``req``, journalled; None when a fault drops the connection instead."""
        if req.path.startswith("/_sandbox/"):
            return self._admin(req)
        entry = dict(method=req.method, path=req.path, request_bytes=req.body_size)
        routed = self._routes.match(req.method, req.path)
        if routed is None:
            resp = Response.json(404, {"message": f"no sandbox route for {req.method} {req.path}"})
            self.journal.add(vendor="-", route="unknown", status=404, response_bytes=len(resp.body), **entry)
            return resp
        entry.update(vendor=routed.vendor, route=routed.name)
        req.params = routed.params
        fault = self.faults.pick(routed.name)
        if fault is not None and fault.kind == "drop":
            self.journal.add(status=0, response_bytes=0, fault="drop", **entry)
            return None
        if fault is not None and fault.kind == "status":
            resp = Response.json(fault.status, fault.body or {"message": f"injected {fault.status}"},
                                 fault.retry_after_header())
            self.journal.add(status=fault.status, response_bytes=len(resp.body), fault="status", **entry)
            return resp
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay)
        try:
            resp = routed.handler(req)
        except Exception as exc:  # a sandbox bug must still answer, as the vendors' 500 does
            resp = Response.json(500, {"message": f"sandbox error: {type(exc).__name__}: {exc}"})
        self.journal.add(status=resp.status, response_bytes=len(resp.body),
                         fault=fault.kind if fault is not None else None, meta=req.meta, **entry)
        if fault is not None and fault.kind == "drop_after":
            return None
        return resp

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


def _is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_loopback or bool(getattr(ip, "ipv4_mapped", None) and ip.ipv4_mapped.is_loopback)
