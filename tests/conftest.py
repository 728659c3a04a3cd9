"""Shared test set-up: an isolated AIRFLOW_HOME and the sandbox fixtures."""

from __future__ import annotations

import os
import tempfile

import pytest

# Isolated Airflow home before anything imports airflow.
_HOME = tempfile.mkdtemp(prefix="adtech-airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

pytest_plugins = ["airflow_provider_adtech.sandbox.pytest_plugin"]



@pytest.fixture
def written(monkeypatch) -> list[str]:
    """Every progress line written (formats.progress), whatever logging backend the Airflow line has."""
    from airflow_provider_adtech.formats.progress import Progress

    lines: list[str] = []
    emit = Progress._emit

    def recording(self, text: str) -> None:
        lines.append(text)
        emit(self, text)

    monkeypatch.setattr(Progress, "_emit", recording)
    return lines
