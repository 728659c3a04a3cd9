"""The ``adtech-validate`` command: parse options, run one vendor's checks, print the outcome.

Exit status: 0 every file is valid, 1 problems were found, 2 usage error (a wrong option, a
missing or unreadable file); nothing is sent anywhere. Output, one line a problem, as
compilers print them::

    export.csv:14:datetime: [ispot.datetime.outside_range] ...
    ispot: 1 file, 20,000 rows checked: 1 problem

``--json`` prints one JSON document instead (see :func:`as_json`, ``docs/validate.md``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from airflow_provider_adtech.formats.errors import Problem
from airflow_provider_adtech.validate.common import Outcome, UsageError, check_files, parse_now

PROG = "adtech-validate"
#: vendor command -> (module, display name)
VENDORS = {
    "ispot": ("airflow_provider_adtech.validate.ispot", "iSpot"),
    "bidswitch": ("airflow_provider_adtech.validate.bidswitch", "BidSwitch"),
    "freewheel": ("airflow_provider_adtech.validate.freewheel", "FreeWheel"),
    "iqm": ("airflow_provider_adtech.validate.iqm", "IQM"),
}
JSON_SCHEMA_VERSION = 1
DEFAULTS = {"json": False, "max_problems": 50, "now": None, "progress": True}
#: the clock of the progress lines
CLOCK = time.monotonic


def _common(parser: argparse.ArgumentParser) -> None:
    """Options accepted before and after the vendor (defaults filled in by :func:`parse`)."""
    s = argparse.SUPPRESS
    parser.add_argument("--json", action="store_true", default=s, help="print one JSON document")
    parser.add_argument("--max-problems", type=int, metavar="N", default=s,
                        help="problems listed in full, the rest counted (default 50)")
    parser.add_argument("--now", metavar="WHEN", default=s,
                        help="the time date rules are relative to (ISO date or date-time, UTC); "
                        "default: the clock")
    parser.add_argument("--no-progress", dest="progress", action="store_false", default=s,
                        help="no progress lines on stderr for long files")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Check vendor files against the vendors' rules, with the checks the "
        "airflow-provider-adtech operators run, without Airflow. Exit status: 0 valid, 1 problems, 2 usage.")
    _common(parser)
    sub = parser.add_subparsers(dest="vendor", metavar="VENDOR", required=True)
    for name, (module, _) in VENDORS.items():
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        _common(p)
        mod.add_arguments(p)
        p.add_argument("files", nargs="+", metavar="FILE")
    return parser


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    for key, value in DEFAULTS.items():
        if not hasattr(args, key):
            setattr(args, key, value)
    return args


def location(p: Problem) -> str:
    """``file:line:column`` with the parts the format gives (a JSON path stands as the column)."""
    loc = p.source or "input"
    if p.line is not None:
        loc += f":{p.line}"
    if p.column:
        loc += f":{p.column}"
    return loc


def problem_line(p: Problem) -> str:
    return f"{location(p)}: [{p.rule}] " + " ".join(str(p.message).split("\n"))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def summary_line(vendor: str, files: list[str], outcome: Outcome) -> str:
    text = f"{vendor}: {_plural(len(files), 'file')}"
    if outcome.rows is not None:
        text += f", {_plural(outcome.rows, 'row')}"
    text += " checked: "
    if outcome.valid:
        return text + "valid"
    text += _plural(outcome.total, "problem")
    hidden = outcome.total - len(outcome.problems)
    if hidden:
        text += f" ({hidden:,} not listed; --max-problems to list more)"
    return text


def as_json(vendor: str, files: list[str], outcome: Outcome) -> dict[str, Any]:
    """The ``--json`` document (schema version 1; keys documented in ``docs/validate.md``)."""
    return {
        "schema": JSON_SCHEMA_VERSION,
        "vendor": vendor,
        "files": files,
        "valid": outcome.valid,
        "exit_status": 0 if outcome.valid else 1,
        "rows": outcome.rows,
        "problem_count": outcome.total,
        "problems": [{"file": p.source, "line": p.line, "column": p.column, "rule": p.rule,
                      "message": p.message} for p in outcome.problems],
        "truncated": outcome.total > len(outcome.problems),
        "notes": outcome.notes,
    }


def run(args: argparse.Namespace, stdout: Any, stderr: Any) -> int:
    from airflow_provider_adtech.formats.progress import Progress

    if args.max_problems < 1:
        raise UsageError("--max-problems must be at least 1")
    args.now = parse_now(args.now)
    files = list(args.files)
    check_files(files)
    module, name = VENDORS[args.vendor]
    outcome = Outcome(limit=args.max_problems)
    label = os.path.basename(files[0]) if len(files) == 1 else f"{len(files)} files"
    progress = Progress(f"{name} {label}",
                        total=sum(os.path.getsize(f) for f in files), clock=CLOCK,
                        log=(lambda line: print(line, file=stderr, flush=True)) if args.progress else None)
    try:
        importlib.import_module(module).check(files, args, outcome, progress)
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start:exc.start + 1].hex()
        outcome.add(Problem(f"{args.vendor}.encoding.utf8", f"byte 0x{bad} is not valid UTF-8 (save the file as "
                            "UTF-8)", ", ".join(files)))
    progress.finish()
    if args.json:
        json.dump(as_json(args.vendor, files, outcome), stdout, indent=2)
        stdout.write("\n")
    else:
        for note in outcome.notes:
            print(f"note: {note}", file=stderr)
        for p in outcome.problems:
            print(problem_line(p), file=stdout)
        print(summary_line(args.vendor, files, outcome), file=stdout)
    return 0 if outcome.valid else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``adtech-validate``; returns the exit status."""
    try:
        args = parse(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        return run(args, sys.stdout, sys.stderr)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{PROG}: error: cannot read {exc.filename or 'input'}: {exc.strerror or exc}", file=sys.stderr)
        return 2
