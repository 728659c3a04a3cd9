"""Run the sandbox: ``python -m airflow_provider_adtech.sandbox`` (or ``adtech-sandbox``).

Prints the ``AIRFLOW_CONN_...`` lines that point the five connections at it, then
serves until interrupted. ``--check`` instead runs every hook's
``test_connection()`` against a fresh sandbox and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import tempfile


def _print_env(env: dict[str, str], fh) -> None:
    for k, v in env.items():
        fh.write(f"export {k}={shlex.quote(v)}\n")
    fh.flush()


def _loopback_only(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_connections(env: dict[str, str]) -> int:
    """Run ``test_connection()`` of the five hooks with ``env`` applied; return failures."""
    os.environ.update(env)
    from airflow_provider_adtech.hooks.bidswitch import BidSwitchHook
    from airflow_provider_adtech.hooks.freewheel import FreeWheelHook
    from airflow_provider_adtech.hooks.iqm import IqmHook
    from airflow_provider_adtech.hooks.ispot import IspotHook
    from airflow_provider_adtech.hooks.oi import OiHook

    failures = 0
    for hook_cls in (IspotHook, BidSwitchHook, FreeWheelHook, IqmHook, OiHook):
        ok, message = hook_cls().test_connection()
        failures += not ok
        print(f"{'OK  ' if ok else 'FAIL'} {hook_cls.__name__:14} {message}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="adtech-sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback by default)")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--env-file", help="also write the export lines to this file")
    parser.add_argument("--credentials-file", help="JSON file of per-vendor credentials to accept")
    parser.add_argument("--s3", action="store_true",
                        help="also start moto's S3/STS server (needs the sandbox extra)")
    parser.add_argument("--check", action="store_true", help="test the five connections against it and exit")
    args = parser.parse_args(argv)

    from airflow_provider_adtech.sandbox._extra import SandboxExtraMissing

    try:  # werkzeug (and moto for --s3) come with the sandbox extra
        from airflow_provider_adtech.sandbox.server import SandboxServer

        if args.s3:
            from airflow_provider_adtech.sandbox.s3 import require_moto

            require_moto()
    except SandboxExtraMissing as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")

    creds = None
    if args.credentials_file:
        with open(args.credentials_file) as fh:
            creds = json.load(fh)
    server = SandboxServer(args.host, args.port, credentials=creds).start()
    env = server.connection_env()
    moto = None
    if args.s3:
        from airflow_provider_adtech.sandbox.s3 import start_moto

        moto, s3_env = start_moto(args.host)
        env.update(s3_env)
    try:
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                env["ADTECH_TOKEN_CACHE_DIR"] = tmp
                print(f"sandbox listening on {server.url}")
                return 1 if check_connections(env) else 0
        print(f"# adtech sandbox listening on {server.url} (Ctrl-C to stop)", file=sys.stderr)
        if not _loopback_only(args.host):
            print(f"# GET /_sandbox/secrets from other hosts needs the header X-Sandbox-Token: "
                  f"{server.control_token}", file=sys.stderr)
        _print_env(env, sys.stdout)
        if args.env_file:
            with open(args.env_file, "w") as fh:
                os.fchmod(fh.fileno(), 0o600)
                _print_env(env, fh)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        server.stop()
        if moto is not None:
            moto.stop()


if __name__ == "__main__":
    sys.exit(main())
