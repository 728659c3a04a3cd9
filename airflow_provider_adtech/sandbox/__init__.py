"""A local emulator of the five vendor APIs, implemented from the vendors' documents.

Start it with ``python -m airflow_provider_adtech.sandbox`` (or ``adtech-sandbox``),
or in tests with the pytest plugin ``airflow_provider_adtech.sandbox.pytest_plugin``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SandboxServer", "SandboxClient"]


def __getattr__(name: str) -> Any:
    # imported on first use: the server needs the sandbox extra (werkzeug), and
    # ``adtech-sandbox`` must be able to say so in one line when it is missing
    if name == "SandboxServer":
        from airflow_provider_adtech.sandbox.server import SandboxServer

        return SandboxServer
    if name == "SandboxClient":
        from airflow_provider_adtech.sandbox.client import SandboxClient

        return SandboxClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
