"""The sandbox's public machinery in one place: server, client, the HTTP layer and the vendor base.

Each vendor lives in its own module (``ispot.py``, ``bidswitch.py`` ...) as a
:class:`VendorSandbox` subclass whose methods are decorated with :func:`route`.
Vendor modules implement the vendors' documents and import from the modules that hold
these names (``web``, ``vendor``); this module knows nothing about any vendor.
"""

from __future__ import annotations

from airflow_provider_adtech.sandbox.client import SandboxClient
from airflow_provider_adtech.sandbox.faults import Fault, Faults
from airflow_provider_adtech.sandbox.journal import Journal, JournalEntry
from airflow_provider_adtech.sandbox.server import SECRET_KEYS, SandboxServer, _is_loopback
from airflow_provider_adtech.sandbox.tokens import IssuedToken, TokenStore
from airflow_provider_adtech.sandbox.vendor import VendorSandbox
from airflow_provider_adtech.sandbox.web import SPOOL_IN_MEMORY, Request, Response, free_port, route

__all__ = ["Request", "Response", "route", "VendorSandbox", "SandboxServer", "SandboxClient", "Fault",
           "Faults", "Journal", "JournalEntry", "IssuedToken", "TokenStore", "SECRET_KEYS", "SPOOL_IN_MEMORY",
           "free_port", "_is_loopback"]
