"""The ``YYYY-MM-DD`` calendar date shared by the formats that carry dates in that form."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

#: ``YYYY-MM-DD``: four, two and two digits (the form; the calendar is checked apart)
ISO_DATE_RX = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date(value: Any) -> dt.date | None:
    """The day a ``YYYY-MM-DD`` string names; None when ``value`` is not a string in that form.

    :raises ValueError: the form is right but the day is not on the calendar (``2026-02-30``).
    """
    if not isinstance(value, str) or not ISO_DATE_RX.match(value):
        return None
    return dt.date.fromisoformat(value)
