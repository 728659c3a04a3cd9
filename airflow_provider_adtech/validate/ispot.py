"""``adtech-validate ispot``: TV-conversion CSV files, checked by ``formats.ispot.prepare_conversions``
(the operator's own entry point) without writing any part."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from typing import Any

from airflow_provider_adtech.validate.common import Outcome, UsageError, load_json_option, parse_day, parse_days
from airflow_provider_adtech.utils.args import as_bool

HELP = "iSpot TV-conversion CSV files"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-date", help="the data day (YYYY-MM-DD); default: the day before --now (UTC), "
                   "the day a daily DAG run uploads")
    p.add_argument("--date-range", help='days rows may fall on: "YYYY-MM-DD..YYYY-MM-DD" or "d1,d2"; '
                   "default: --data-date")
    p.add_argument("--column-mapping", metavar="JSON", help='your column -> iSpot column, e.g. '
                   '\'{"TIME_STAMP": "datetime"}\', or @file.json')
    p.add_argument("--ignore-columns", metavar="A,B", help="source columns left out of the upload")
    p.add_argument("--site-id", help="siteid for files without that column")
    p.add_argument("--passthru", default="true", metavar="true|false",
                   help="test phase: rows carry passthru=1 (default true); false after iSpot's approval")
    p.add_argument("--no-normalize", dest="normalize", action="store_false",
                   help="files must already be compliant byte for byte (the operator's normalize=False)")
    p.add_argument("--allow-ipv6", action="store_true", help="accept IPv6 addresses")
    p.add_argument("--allow-reprocessing", action="store_true",
                   help="accept days older than 12 days before --now (iSpot charges for them)")
    p.add_argument("--siteid-pattern", help="regular expression a siteid must match")


def _bool(text: str, option: str) -> bool:
    try:
        return as_bool(text, option)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _days(args: argparse.Namespace, now: dt.datetime) -> tuple[dt.date, list[dt.date]]:
    if args.data_date:
        day = parse_day(args.data_date, "--data-date")
    else:
        day = now.astimezone(dt.timezone.utc).date() - dt.timedelta(days=1)
    days = parse_days(args.date_range, "--date-range") if args.date_range else [day]
    return day, days


def rules_from(args: argparse.Namespace, now: dt.datetime, outcome: Outcome) -> tuple[Any, Any]:
    """The operator's ``ConversionRules`` and ``SplitOptions`` from the options."""
    from airflow_provider_adtech.formats.ispot import ConversionRules, SplitOptions
    from airflow_provider_adtech.formats.ispot.sizes import reprocessing_cutoff

    day, days = _days(args, now)
    old = [d for d in days if d < reprocessing_cutoff(now)]
    if old and args.allow_reprocessing:
        outcome.note(f"{len(old)} day(s) older than 12 days ({old[0]}..{old[-1]}): iSpot charges for "
                     "reprocessing each of them")
    mapping = load_json_option(args.column_mapping, "--column-mapping")
    if mapping is not None and not isinstance(mapping, dict):
        raise UsageError("--column-mapping must be a JSON object (your column -> iSpot column)")
    kwargs: dict[str, Any] = {}
    if args.siteid_pattern:
        kwargs["siteid_pattern"] = args.siteid_pattern
    try:
        rules = ConversionRules(
            dates=tuple(days),
            refused_dates=() if args.allow_reprocessing else tuple(old),
            passthru=_bool(args.passthru, "--passthru"),
            column_mapping=mapping or {},
            ignore_columns=tuple(c.strip() for c in (args.ignore_columns or "").split(",") if c.strip()),
            site_id=args.site_id or None,
            allow_ipv6=args.allow_ipv6,
            normalize=args.normalize,
            max_problems=args.max_problems,
            **kwargs,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not args.date_range:
        outcome.note(f"rows are checked against the data day {day}"
                     + ("" if args.data_date else " (the day before --now; --data-date to change)"))
    return rules, SplitOptions(day=day)


def check(paths: list[str], args: argparse.Namespace, outcome: Outcome, progress: Any) -> None:
    from airflow_provider_adtech.formats.errors import ValidationFailed
    from airflow_provider_adtech.formats.ispot import FileSource, prepare_conversions

    rules, split = rules_from(args, args.now, outcome)

    def opener(path: str) -> Any:
        return lambda: progress.reader(open(path, "rb"))

    sources = [FileSource(p, opener(p), os.path.getsize(p)) for p in paths]
    try:
        prepared = prepare_conversions(sources, rules, split, None, log=outcome.note)
    except ValidationFailed as exc:
        outcome.failed(exc)
        return
    outcome.count_rows(prepared.rows)
    for warning in prepared.warnings:
        outcome.note(warning)
