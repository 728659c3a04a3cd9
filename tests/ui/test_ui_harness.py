"""The browser test's own machinery: a clear error without a browser, servers always stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

import ui_harness
from ui_harness import AirflowUI, BrowserMissing, find_browser


def test_a_missing_browser_says_how_to_install_it(monkeypatch):
    monkeypatch.delenv("ADTECH_CHROMIUM", raising=False)
    monkeypatch.setattr(ui_harness, "BROWSER_CANDIDATES", ("/nonexistent/chromium-headless-shell",))
    with pytest.raises(BrowserMissing, match="make browser"):
        find_browser()
    monkeypatch.setenv("ADTECH_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(BrowserMissing, match="/nonexistent/chromium"):
        find_browser()


def test_stop_ends_the_whole_process_group(tmp_path):
    ui = AirflowUI(tmp_path)
    # a leader that forks a child into its own group, as gunicorn and uvicorn do
    ui.proc = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                                "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
                                "time.sleep(120)"], start_new_session=True)
    pgid = ui.proc.pid
    time.sleep(0.5)
    t0 = time.monotonic()
    ui.stop(grace=5)
    assert time.monotonic() - t0 < 10
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)
    assert ui.proc is None


def test_the_ui_gets_free_loopback_ports_and_a_clean_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.setenv("AIRFLOW_CONN_SOMETHING", "http://x")
    a, b = AirflowUI(tmp_path / "a"), AirflowUI(tmp_path / "b")
    assert a.port != b.port and a.base.startswith("http://127.0.0.1:")
    assert "AIRFLOW__CORE__EXECUTOR" not in a.env and "AIRFLOW_CONN_SOMETHING" not in a.env
    assert a.env["AIRFLOW__CORE__TEST_CONNECTION"] == "Enabled"
    assert a.env["AIRFLOW_HOME"] == str(tmp_path / "a")
