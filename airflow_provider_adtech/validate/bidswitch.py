"""``adtech-validate bidswitch``: discrepancy reports (JSON) or the rows they are built from
(CSV, JSON Lines), checked by ``formats.bidswitch`` as the operator calls it."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from typing import Any

from airflow_provider_adtech.formats.errors import Problem
from airflow_provider_adtech.validate.common import (
    JsonLines,
    Outcome,
    UsageError,
    load_json_option,
    open_text,
    parse_days,
)

HELP = "BidSwitch discrepancy reports (JSON) or rows (CSV, JSON Lines)"
KINDS = {".json": "report", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", choices=("report", "csv", "jsonl"),
                   help="what the files are; default from the extension: .json report, .csv rows, "
                   ".jsonl/.ndjson rows")
    p.add_argument("--report-dates", help='report day(s): "YYYY-MM-DD", "d1,d2" or "start..end"; default for '
                   "rows: the day before --now (UTC), as a daily DAG run; a report: its own days")
    p.add_argument("--timezone", default="UTC", help="timezone of rows without one (default UTC)")
    p.add_argument("--currency", default="USD", help="currency of rows without one (default USD)")
    p.add_argument("--seat", help="seat of rows without one")
    p.add_argument("--granularity", default="auto", choices=("auto", "hourly", "daily"))
    p.add_argument("--zero-fill", action="store_true", help="report days without rows as zero reports")
    p.add_argument("--columns", metavar="JSON", help='{field: input column} or a list of field names '
                   "(headerless CSV), or @file.json")


def _kind(path: str, args: argparse.Namespace) -> str:
    if args.input:
        return args.input
    kind = KINDS.get(os.path.splitext(path)[1].lower())
    if kind is None:
        raise UsageError(f"{path}: cannot tell report from rows by the extension; pass --input")
    return kind


def check(paths: list[str], args: argparse.Namespace, outcome: Outcome, progress: Any) -> None:
    from airflow_provider_adtech.formats import bidswitch as fmt
    from airflow_provider_adtech.formats.errors import ProblemCollector, ValidationFailed

    kinds = {p: _kind(p, args) for p in paths}
    reports = [p for p in paths if kinds[p] == "report"]
    row_files = [p for p in paths if kinds[p] != "report"]
    explicit = parse_days(args.report_dates, "--report-dates") if args.report_dates else None
    dates = [d.isoformat() for d in explicit] if explicit else None
    for path in reports:
        with open(path, "rb") as fh:
            text = progress.reader(fh).read().decode("utf-8-sig", "replace")
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            outcome.add(Problem("bidswitch.json.syntax", f"not valid JSON: {exc.msg}", path, exc.lineno,
                                str(exc.colno)))
            continue
        try:
            fmt.validate_upload(payload, path, limit=args.max_problems)
            if dates:
                for note in fmt.apply_report_dates(payload, dates, args.zero_fill, path):
                    outcome.note(note)
        except ValidationFailed as exc:
            outcome.failed(exc)
    if not row_files:
        return
    if dates is None:
        dates = [(args.now.astimezone(dt.timezone.utc).date() - dt.timedelta(days=1)).isoformat()]
        outcome.note(f"rows are checked against the report day {dates[0]} (the day before --now; "
                     "--report-dates to change)")
    columns = load_json_option(args.columns, "--columns")
    col = ProblemCollector(args.max_problems)
    notes: list[str] = []
    rows: list[Any] = []
    readers: list[JsonLines] = []
    try:
        for path in row_files:
            if kinds[path] == "csv":
                with open_text(path, progress, encoding="utf-8") as fh:
                    rows += fmt.rows_from_csv(fh, source=path, columns=columns, collector=col, notes=notes)
            else:
                records = JsonLines(path, "bidswitch", outcome, progress)
                readers.append(records)
                rows += fmt.rows_from_records(records, columns=columns, source=path, collector=col, notes=notes)
        fmt.build_upload(rows, report_dates=dates, timezone=args.timezone, currency=args.currency,
                         seat=args.seat or None, granularity=args.granularity, zero_fill=args.zero_fill,
                         source=", ".join(row_files), collector=col, notes=notes)
    except ValueError as exc:
        if isinstance(exc, ValidationFailed):
            raise
        raise UsageError(str(exc)) from None
    for p in col.problems:
        for records in readers:
            p = records.relocate(p, indexed_source=True)
        outcome.add(p)
    outcome.total += col.total - len(col.problems)
    outcome.count_rows(len(rows))
    for note in notes:
        outcome.note(note)
