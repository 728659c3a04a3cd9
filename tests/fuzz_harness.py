"""Entry points the fuzz tests drive: each takes what a user can hand an operator (bytes of
a file, rows) and runs it through the same reading and validation as the operator. The
only acceptable outcomes are success and :class:`ValidationFailed` (which the operators
turn into ``AdtechValidationError``) or ``AdtechValidationError`` itself."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from typing import Any

from airflow_provider_adtech.formats import bidswitch as bsf
from airflow_provider_adtech.formats import freewheel as fwf
from airflow_provider_adtech.formats.errors import ProblemCollector

DAY = dt.date(2026, 11, 20)
STAMP = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.timezone.utc)


def freewheel_file(data: bytes) -> Any:
    """A delivery-schema CSV file, read as FreeWheelS3OrderOperator reads it (UTF-8, BOM allowed)."""
    problems = ProblemCollector()
    stats: dict[str, int] = {}
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    with tempfile.TemporaryDirectory() as tmp:
        return fwf.build_delivery([("orders.csv", fwf.iter_csv_records(stream, "orders.csv", problems, stats))],
                                  tmp, orders_date=DAY, timestamp=STAMP, problems=problems, stats=stats,
                                  allow_empty=True)


def freewheel_rows(rows: Any) -> Any:
    """Rows (dicts) for FreeWheelS3OrderOperator(rows=...)."""
    problems = ProblemCollector()
    with tempfile.TemporaryDirectory() as tmp:
        return fwf.build_delivery([("rows", fwf.iter_row_records(rows, "rows", problems))], tmp,
                                  orders_date=DAY, timestamp=STAMP, problems=problems, allow_empty=True)


def freewheel_api_rows(rows: Any) -> int:
    """Rows for FreeWheelLinearOrderOperator(rows=...): delivery lines mapped to API lines."""
    problems = ProblemCollector()
    validator = fwf.ApiLineValidator(problems)
    n = 0
    for line in fwf.parse_records(fwf.iter_row_records(rows, "rows", problems), "rows", problems):
        api, mapping_problems = fwf.api_line_from_order(line)
        n += 1
        if api is not None and not mapping_problems:
            validator.check(api, line.source_line)
    problems.raise_if_any("FreeWheel order lines")
    return n


def freewheel_order_lines(lines: Any) -> int:
    """JSON order lines for FreeWheelLinearOrderOperator(order_lines=...)."""
    return fwf.validate_api_lines(lines)


def bidswitch_operator(tmp_path: Any, **kwargs: Any) -> dict:
    """BidSwitchDiscrepancyOperator with dry_run=True: reading, building and validation, no request."""
    from airflow_provider_adtech.operators.bidswitch import BidSwitchDiscrepancyOperator

    start = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    context = {"data_interval_start": start, "data_interval_end": start + dt.timedelta(days=1),
               "logical_date": start, "ds": "2026-11-20"}
    op = BidSwitchDiscrepancyOperator(task_id="fuzz", platform_name="sandbox-ssp", dry_run=True, **kwargs)
    return op.execute(context)


def bidswitch_file(data: bytes) -> list:
    """A BidSwitch CSV file, read as the operator reads it (UTF-8)."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")
    rows = bsf.rows_from_csv(stream, source="day.csv")
    return bsf.build_upload(rows, report_dates=["2026-11-20"]).payload


def bidswitch_rows(rows: Any) -> dict:
    return bsf.build_upload(bsf.rows_from_records(rows), report_dates=["2026-11-20"]).payload
