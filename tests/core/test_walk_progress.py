"""Long list walks log ``page k`` (``of n`` when the vendor reports a total) about every 10 s,
on a clock the test drives; short walks stay quiet. IQM and Opt-Intelligence, against the sandbox."""

from __future__ import annotations

import itertools

import pytest

from airflow_provider_adtech.hooks.iqm import IqmHook
from airflow_provider_adtech.hooks.oi import OiHook

pytestmark = pytest.mark.integration




def driven(hook, seconds_per_tick: float):
    ticks = itertools.count()
    hook.progress_clock = lambda: next(ticks) * seconds_per_tick
    hook.sleep = lambda s: None
    return hook


def test_a_long_iqm_walk_logs_page_k_of_n(sandbox, written):
    iqm = sandbox.vendors["iqm"]
    iqm.add_campaigns(60, io_id=15844)
    hook = driven(IqmHook(), 6.0)
    campaigns = list(hook.iter_campaigns(None, page_size=10))
    assert len(campaigns) >= 60
    pages = -(-len(campaigns) // 10)
    lines = [line for line in written if line.startswith("IQM ")]
    assert len(lines) >= 2, written
    assert all("page" in line for line in lines)
    assert f"page {pages} of {pages}" in lines[-1] and f"{len(campaigns):,} rows" in lines[-1], lines


def test_a_long_opt_intelligence_report_logs_pages_without_a_total(sandbox, written):
    sandbox.configure("oi", report_rows=4500)
    hook = driven(OiHook(), 6.0)
    query = hook.report_query("2026-11-20", "2026-11-20", groupby="placement")
    rows = list(hook.iter_report_rows(query, page_size=500))
    assert len(rows) == 4500
    lines = [line for line in written if line.startswith("Opt-Intelligence ")]
    assert len(lines) >= 2, written
    assert " of " not in lines[0]  # the vendor reports no total: page k alone
    assert "page 10" in lines[-1] and "4,500 rows" in lines[-1], lines


def test_a_quick_walk_writes_nothing(sandbox, written):
    sandbox.configure("oi", report_rows=4500)
    hook = driven(OiHook(), 0.01)
    list(hook.iter_report_rows(hook.report_query("2026-11-20", "2026-11-20", groupby="placement"),
                               page_size=500))
    assert written == []
