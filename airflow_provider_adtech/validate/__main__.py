"""``python -m airflow_provider_adtech.validate``: the ``adtech-validate`` command."""

from __future__ import annotations

import sys

from airflow_provider_adtech.validate.cli import main

if __name__ == "__main__":
    sys.exit(main())
