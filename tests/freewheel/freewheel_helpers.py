"""Sample FreeWheel order lines and task contexts for the tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

UTC = dt.timezone.utc
RUN_DAY = dt.datetime(2026, 11, 20, tzinfo=UTC)


def order_row(**overrides: Any) -> dict[str, Any]:
    """One valid order line in the delivery schema (as text, the way a CSV holds it)."""
    row = {
        "contractid": "1001", "tb_system_id": "7", "order_start_date": "20261123", "order_end_date": "20261129",
        "advertiser_name": "Acme Outdoor, Inc.", "advertiser_code": "5501", "order_line": "1",
        "spot_length": "30", "prioritycode": "3", "broadcast_week": "202648", "bookingdesc": "16:00-20:00",
        "orbits": "N", "syscode": "1234,5678", "gross_dollars": "1500.00,200.50", "buget_units": "10,2",
        "duration": "30,30", "networkname": "ESPN,CNN", "networkcode": "ESPN,CNN", "marketname": "New York,Boston",
    }
    row.update(overrides)
    return row


def order_rows(n: int, **overrides: Any) -> list[dict[str, Any]]:
    return [order_row(order_line=str(i), **overrides) for i in range(1, n + 1)]


def run_context(day: dt.datetime = RUN_DAY, **extra: Any) -> dict[str, Any]:
    """A task context for 2026-11-20 (UTC), as the scheduler gives a daily run."""
    ctx = {"data_interval_start": day, "data_interval_end": day + dt.timedelta(days=1), "logical_date": day,
           "run_id": f"scheduled__{day.isoformat()}"}
    ctx.update(extra)
    return ctx
