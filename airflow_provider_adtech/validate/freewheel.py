"""``adtech-validate freewheel``: linear order lines (CSV, JSON Lines) checked by
``formats.freewheel.parse_records``, the line rules both FreeWheel operators apply."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
from typing import Any

from airflow_provider_adtech.validate.common import JsonLines, Outcome, UsageError, open_text

HELP = "FreeWheel linear order lines (CSV, JSON Lines)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--regional-syscodes", metavar="FILE",
                   help="regional syscode -> local syscodes: a JSON object, or a CSV of rows "
                   '"regional,local" (one local a row, or several in one quoted cell), header optional')
    p.add_argument("--allowed-durations", metavar="15,30,60", help="permitted spot lengths in seconds")


def read_regional_syscodes(path: str) -> dict[str, list[str]]:
    """The table of ``--regional-syscodes``: JSON ``{"7001": [1234, 1235]}`` or CSV rows
    ``7001,1234`` / ``7001,"1234,1235"`` (a first row that is not a number is a header)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except OSError as exc:
        raise UsageError(f"--regional-syscodes: cannot read {path!r}: {exc.strerror}") from None
    if text.lstrip().startswith("{"):
        try:
            table = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"--regional-syscodes {path}: not valid JSON: {exc}") from None
        return {str(k): v for k, v in table.items()}
    out: dict[str, list[str]] = {}
    for n, row in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [c.strip() for c in row if c.strip()]
        if not cells:
            continue
        if n == 1 and not cells[0].isdigit():
            continue
        if len(cells) < 2:
            raise UsageError(f"--regional-syscodes {path} line {n}: expected a regional and its local syscode(s)")
        out.setdefault(cells[0], []).extend(x for c in cells[1:] for x in c.split(","))
    return out


def check(paths: list[str], args: argparse.Namespace, outcome: Outcome, progress: Any) -> None:
    from airflow_provider_adtech.formats import freewheel as fwf
    from airflow_provider_adtech.formats.errors import Problem, ProblemCollector, ValidationFailed

    regional = read_regional_syscodes(args.regional_syscodes) if args.regional_syscodes else None
    durations = None
    if args.allowed_durations:
        try:
            durations = [int(x) for x in args.allowed_durations.split(",") if x.strip()]
        except ValueError:
            raise UsageError(f"--allowed-durations: whole seconds expected, got {args.allowed_durations!r}") \
                from None
    try:
        rules = fwf.LineRules.make(durations, regional)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    problems = ProblemCollector(args.max_problems)
    keys = fwf.KeyIndex()
    stats: dict[str, int] = {}
    lines = filled = 0
    for path in paths:
        jsonl = JsonLines(path, "freewheel", outcome, progress) if os.path.splitext(path)[1].lower() in (
            ".jsonl", ".ndjson") else None
        before = len(problems.problems)
        try:
            with contextlib.ExitStack() as stack:
                if jsonl is not None:
                    records = fwf.iter_row_records(jsonl, path, problems)
                else:
                    fh = stack.enter_context(open_text(path, progress))
                    records = fwf.iter_csv_records(fh, path, problems, stats)
                for line in fwf.parse_records(records, path, problems, rules, keys):
                    lines += 1
                    filled += line.inclusions_filled
        except ValidationFailed:
            pass  # a header that cannot be read: its problems are in the collector already
        if jsonl is not None:
            problems.problems[before:] = [jsonl.relocate(p) for p in problems.problems[before:]]
    if lines == 0 and not problems and not outcome.total:
        problems.add(Problem("freewheel.empty", "no order lines to deliver", ", ".join(paths)))
    for p in problems.problems:
        outcome.add(p)
    outcome.total += problems.total - len(problems.problems)
    if not problems:
        outcome.count_rows(lines)
    if filled:
        outcome.note(f"{filled} regional line(s) get their syscode_inclusions from --regional-syscodes")
    if stats.get("blank_lines"):
        outcome.note(f"{stats['blank_lines']} blank line(s) are skipped")
