"""moto's S3/STS server for the sandbox (FreeWheel's S3 folder). Needs ``moto[server]``."""

from __future__ import annotations

import json
import socket


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start_moto(host: str = "127.0.0.1", port: int = 0):
    """Start ``ThreadedMotoServer``; return it and the ``AIRFLOW_CONN_AWS_DEFAULT`` env."""
    from moto.server import ThreadedMotoServer

    port = port or _free_port(host)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    url = f"http://{host}:{port}"
    conn = {
        "conn_type": "aws",
        "login": "testing",
        "password": "testing",
        "extra": {"endpoint_url": url, "region_name": "us-east-1"},
    }
    return server, {"AIRFLOW_CONN_AWS_DEFAULT": json.dumps(conn), "ADTECH_SANDBOX_S3_URL": url}
