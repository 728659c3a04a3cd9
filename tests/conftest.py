"""Shared test set-up: an isolated AIRFLOW_HOME and the sandbox fixtures."""

from __future__ import annotations

import os
import tempfile

# Isolated Airflow home before anything imports airflow.
_HOME = tempfile.mkdtemp(prefix="adtech-airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

pytest_plugins = ["airflow_provider_adtech.sandbox.pytest_plugin"]
