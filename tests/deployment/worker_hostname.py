"""``[core] hostname_callable`` of the Celery deployment test's workers: each worker process
(and every task it runs) reports the name in ``ADTECH_WORKER_HOSTNAME``, as two machines
would report theirs."""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("ADTECH_WORKER_HOSTNAME") or socket.getfqdn()
