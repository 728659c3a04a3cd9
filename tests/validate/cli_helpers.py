"""Helpers of the ``adtech-validate`` tests: run the command in-process, write sample files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

from freewheel.freewheel_helpers import order_row as _order_row

from airflow_provider_adtech.validate.cli import main

#: ``file:line:column: [rule] message`` (line and column when the format gives them)
PROBLEM_LINE = re.compile(r"^(?P<file>[^:\s][^:]*?)(?::(?P<line>\d+))?(?::(?P<column>[^ \[][^:]*?))?: "
                          r"\[(?P<rule>[a-z0-9_]+(?:\.[a-z0-9_]+)+)\] (?P<message>.+)$")
SUMMARY_LINE = re.compile(r"^(ispot|bidswitch|freewheel|iqm): [\d,]+ files?(, [\d,]+ rows?)? checked: "
                          r"(valid|[\d,]+ problems?( \([\d,]+ not listed; --max-problems to list more\))?)$")

UTC = dt.timezone.utc


def yesterday() -> dt.date:
    """The default data day, derived from the clock as the command derives it."""
    return (dt.datetime.now(UTC) - dt.timedelta(days=1)).date()


def run(capsys: Any, *argv: str) -> tuple[int, list[str], str]:
    """``adtech-validate ARGV`` in this process: exit status, stdout lines, stderr."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def run_json(capsys: Any, *argv: str) -> tuple[int, dict[str, Any]]:
    code, lines, _ = run(capsys, "--json", *argv)
    return code, json.loads("\n".join(lines))


def problems_of(lines: list[str]) -> list[re.Match]:
    """The problem lines, each parsed; the last line must be the summary."""
    assert lines, "no output"
    assert SUMMARY_LINE.match(lines[-1]), f"not a summary line: {lines[-1]!r}"
    parsed = [PROBLEM_LINE.match(line) for line in lines[:-1]]
    assert all(parsed), f"not a problem line: {[t for t, m in zip(lines, parsed) if not m]}"
    return parsed  # type: ignore[return-value]


# --------------------------------------------------------------------------- iSpot
ISPOT_HEADER = ["ip", "datetime", "siteid", "app", "type", "customdata", "passthru", "useragent"]
UA = "Mozilla/5.0 (Macintosh; Intel) AppleWebKit/537.36 (KHTML, like Gecko) Chrome 70.0 Safari/537.36"


def ispot_row(day: dt.date, n: int = 0, **overrides: str) -> dict[str, str]:
    row = {"ip": f"66.87.{n // 250 % 250}.{n % 250 + 1}",
           "datetime": f"{day.isoformat()} {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}",
           "siteid": "TC-1234-5", "app": "web" if n % 3 else "app", "type": "purchase",
           "customdata": "customer_new" if n % 2 else "", "passthru": "1", "useragent": UA}
    row.update(overrides)
    return row


def write_csv(path: Path, records: list[dict[str, Any]], header: list[str] | None = None,
              quoting: int = csv.QUOTE_ALL) -> Path:
    header = header or list(records[0])
    buf = io.StringIO()
    buf.write(",".join(header) + "\n")
    writer = csv.writer(buf, quoting=quoting, lineterminator="\n")
    for r in records:
        writer.writerow([r.get(h, "") for h in header])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def write_jsonl(path: Path, records: list[Any], blank_after: tuple[int, ...] = ()) -> Path:
    """JSON Lines, with a blank line after the records whose (1-based) numbers are given."""
    lines = []
    for n, rec in enumerate(records, 1):
        lines.append(json.dumps(rec))
        if n in blank_after:
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def order_row(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid FreeWheel order line (the FreeWheel tests' sample) numbered ``n``."""
    return _order_row(**{"order_line": str(n), **overrides})
