"""A local emulator of the five vendor APIs, implemented from the vendors' documents.

Start it with ``python -m airflow_provider_adtech.sandbox`` (or ``adtech-sandbox``),
or in tests with the pytest plugin ``airflow_provider_adtech.sandbox.pytest_plugin``.
"""

from airflow_provider_adtech.sandbox.client import SandboxClient
from airflow_provider_adtech.sandbox.server import SandboxServer

__all__ = ["SandboxServer", "SandboxClient"]
