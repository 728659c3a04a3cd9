"""Shared helpers of the iSpot tests: valid rows, CSV writers and a run of the format pipeline."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import zipfile
from pathlib import Path
from typing import Any

from airflow_provider_adtech.formats.ispot import (
    ConversionRules,
    SplitOptions,
    local_file,
    prepare_conversions,
)

DAY = dt.date(2026, 11, 20)
UA = ("Mozilla/5.0 (Macintosh; Intel) AppleWebKit/537.36 (KHTML, like Gecko) Chrome 70.0.3359.117 "
      "Safari/537.36")
#: the document's example header order
DOC_HEADER = ["ip", "datetime", "siteid", "app", "type", "customdata", "passthru", "useragent"]


def row(n: int = 0, **overrides: str) -> dict[str, str]:
    """A valid row of the data day (varied by ``n``)."""
    base = {
        "ip": f"66.87.{n // 250 % 250}.{n % 250 + 1}",
        "datetime": f"2026-11-20 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}",
        "siteid": "TC-1234-5",
        "app": "web" if n % 3 else "app",
        "type": "purchase",
        "customdata": "customer_new,channel_paid-search" if n % 2 else "",
        "passthru": "1",
        "useragent": UA,
    }
    base.update(overrides)
    return base


def rows(n: int, start: int = 0) -> list[dict[str, str]]:
    return [row(i) for i in range(start, start + n)]


def csv_text(records: list[dict[str, Any]], header: list[str] | None = None, quoting: int = csv.QUOTE_ALL,
             lineterminator: str = "\n") -> str:
    """CSV text: the header unquoted (as the document shows it), values quoted per ``quoting``."""
    header = header or list(records[0].keys())
    buf = io.StringIO()
    buf.write(",".join(header) + lineterminator)
    w = csv.writer(buf, quoting=quoting, lineterminator=lineterminator)
    for r in records:
        w.writerow([r.get(h, "") for h in header])
    return buf.getvalue()


def write(path: Path, text: str | bytes) -> str:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def rules(**kw: Any) -> ConversionRules:
    kw.setdefault("dates", (DAY,))
    return ConversionRules(**kw)


def prepare(tmp_path: Path, *paths_or_sources: Any, split: dict | None = None, **rule_kw: Any):
    """Run the pipeline into ``tmp_path / "parts"``; return the PreparedUpload."""
    out = tmp_path / "parts"
    out.mkdir(exist_ok=True)
    sources = [local_file(p) if isinstance(p, (str, os.PathLike)) else p for p in paths_or_sources]
    opts = SplitOptions(day=DAY, **(split or {}))
    return prepare_conversions(sources, rules(**rule_kw), opts, str(out))


def part_bytes(part) -> bytes:
    """The CSV bytes of a part (the member of a zip part)."""
    if part.name.endswith(".zip"):
        with zipfile.ZipFile(part.path) as zf:
            (member,) = zf.namelist()
            assert member == part.name[:-4] + ".csv"
            return zf.read(member)
    return Path(part.path).read_bytes()


def part_rows(part) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a part, read back with the csv module."""
    reader = csv.reader(io.StringIO(part_bytes(part).decode("utf-8"), newline=""))
    header = next(reader)
    return header, list(reader)


def all_rows(prepared) -> list[list[str]]:
    out: list[list[str]] = []
    for p in prepared.parts:
        header, body = part_rows(p)
        assert header == prepared.columns
        out += body
    return out
