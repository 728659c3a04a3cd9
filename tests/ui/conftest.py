"""Fixtures of the browser test: the sandbox, Airflow's web UI and a headless Chromium.

Run alone with ``pytest -m browser`` (``make test-browser`` runs it on both Airflow
lines). Screenshots go to ``tests/ui/output/airflow-<version>/`` (or
``$ADTECH_UI_OUTPUT``).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from importlib.metadata import version
from pathlib import Path

import pytest

from ui_harness import BROWSER_ARGS, AirflowUI, BrowserMissing, chromium_version, find_browser

_timings: dict[str, float] = {}
_output_dirs: list[Path] = []


@pytest.fixture(scope="session")
def ui_output() -> Path:
    default = Path(__file__).parent / "output" / f"airflow-{version('apache-airflow')}"
    out = Path(os.environ.get("ADTECH_UI_OUTPUT") or default)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    _output_dirs.append(out)
    return out


@pytest.fixture(scope="session")
def chromium(ui_output) -> object:
    try:
        path = find_browser()
    except BrowserMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail('the browser test needs Playwright: pip install -e ".[test]"', pytrace=False)
    t0 = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=BROWSER_ARGS)
        (ui_output / "browser.txt").write_text(f"{path}: {chromium_version(path)}\n")
        yield browser
        browser.close()
    _timings["browser (whole session)"] = time.monotonic() - t0




@pytest.fixture(scope="session")
def airflow_ui(chromium, tmp_path_factory, ui_output):
    """The sandbox (in this process) and Airflow's UI (its own process group) on loopback."""
    from airflow_provider_adtech.sandbox.core import SandboxServer

    t0 = time.monotonic()
    sandbox = SandboxServer().start()
    home = tmp_path_factory.mktemp("airflow-ui")
    ui = AirflowUI(home, env={"ADTECH_TOKEN_CACHE_DIR": str(home / "token-cache")})
    try:
        ui.start()
        _timings.update({f"ui {k}": v for k, v in ui.timings.items()})
        yield ui, sandbox
    finally:
        ui.stop()
        sandbox.stop()
        if ui.log_path.exists():
            shutil.copy(ui.log_path, ui_output / "ui.log")
        _timings["ui up to stopped"] = time.monotonic() - t0
        (ui_output / "timings.json").write_text(json.dumps(_timings, indent=2) + "\n")


@pytest.fixture(scope="session")
def browser_context(chromium, airflow_ui):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture(scope="session")
def timings() -> dict[str, float]:
    return _timings


def pytest_terminal_summary(terminalreporter):
    """Where the screenshots are, and how long each part took (shown in CI's log)."""
    for out in _output_dirs:
        shots = sorted(p.name for p in out.glob("*.png"))
        terminalreporter.write_sep("-", f"browser test: {len(shots)} screenshots in {out}")
        if _timings:
            terminalreporter.write_line(", ".join(f"{k} {v:.1f} s" for k, v in _timings.items()))
        notes = out / "notes.txt"
        if notes.exists():
            terminalreporter.write_line(notes.read_text().strip())
