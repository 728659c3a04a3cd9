"""Fixtures of the fault-injection suite, and its closing figures."""

from __future__ import annotations

from collections import defaultdict

import pytest

from fault_kit import TALLY, FaultKit


@pytest.fixture
def kit(sandbox, monkeypatch, capfd):
    """A :class:`fault_kit.FaultKit` on the test's reset sandbox (it reads what the task logs)."""
    k = FaultKit(sandbox, monkeypatch, capfd)
    yield k
    k.close()


def pytest_terminal_summary(terminalreporter) -> None:
    if not TALLY:
        return
    per_vendor: dict[str, list] = defaultdict(list)
    for t in TALLY:
        per_vendor[t.vendor].append(t)
    tr = terminalreporter
    tr.section("fault injection")
    tr.write_line(f"{'vendor':<18}{'scenarios':>10}{'duplicates accepted':>22}{'non-idempotent repeats':>25}")
    for vendor in sorted(per_vendor):
        rows = per_vendor[vendor]
        tr.write_line(f"{vendor:<18}{len(rows):>10}{sum(r.duplicates for r in rows):>22}"
                      f"{sum(r.repeats for r in rows):>25}")
    tr.write_line(f"{'total':<18}{len(TALLY):>10}{sum(r.duplicates for r in TALLY):>22}"
                  f"{sum(r.repeats for r in TALLY):>25}")
