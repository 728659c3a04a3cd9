"""FreeWheel delivery file names (``linear_orders_{YYYYMMDD}_{YYYYMMDDHHMMSS}``) and the broadcast week."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

_FILE_RE = re.compile(r"^linear_orders_(\d{8})_(\d{14})\.(csv|zip)$")


def format_timestamp(value: Any) -> str:
    """``YYYYMMDDHHMMSS`` (UTC) from a datetime, an ISO string or such a 14-digit string."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value.strftime("%Y%m%d%H%M%S")
    text = str(value).strip()
    if re.fullmatch(r"\d{14}", text):
        dt.datetime.strptime(text, "%Y%m%d%H%M%S")  # a real time of day
        return text
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"timestamp must be a datetime, ISO text or YYYYMMDDHHMMSS, got {value!r}") from None
    return format_timestamp(parsed)


def delivery_names(orders_date: dt.date, timestamp: Any) -> tuple[str, str]:
    """``(csv_name, zip_name)``: ``linear_orders_{YYYYMMDD}_{YYYYMMDDHHMMSS}.csv`` / ``.zip``."""
    stem = f"linear_orders_{orders_date:%Y%m%d}_{format_timestamp(timestamp)}"
    return stem + ".csv", stem + ".zip"


def parse_delivery_name(name: str) -> tuple[dt.date, str, str] | None:
    """``(orders_date, timestamp, extension)`` of a delivery file name, or ``None``."""
    m = _FILE_RE.match(os.path.basename(name))
    if not m:
        return None
    try:
        day = dt.datetime.strptime(m.group(1), "%Y%m%d").date()
        dt.datetime.strptime(m.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return day, m.group(2), m.group(3)


def broadcast_week(day: dt.date) -> str:
    """The broadcast week of ``day`` in the document's ``broadcast_week`` form (``20201``).

    Broadcast calendar: weeks run Monday to Sunday; week 1 of a broadcast year is the
    week that contains January 1st. The week number is not zero-padded.
    """

    def year_start(year: int) -> dt.date:
        jan1 = dt.date(year, 1, 1)
        return jan1 - dt.timedelta(days=jan1.weekday())

    year = day.year
    if day >= year_start(year + 1):
        year += 1
    return f"{year}{(day - year_start(year)).days // 7 + 1}"
