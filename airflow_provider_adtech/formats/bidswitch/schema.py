"""BidSwitch report schema: fields, allowed values, rule texts and the value checks of model and builder.

Source: BidSwitch "Supplier Discrepancy API", section "Upload Report Format".
"""

from __future__ import annotations

import re

from airflow_provider_adtech.formats.dates import iso_date

#: document: "one of the following: [ 'USD', 'EUR', 'JPY']"
CURRENCIES = ("USD", "EUR", "JPY")
#: the fields of a row of the report, in the order they are written
ROW_FIELDS = ("hour", "imps", "cost", "bids", "timeouts")
#: the fields a builder row may carry (a SQL record, an XCom dict, a CSV line)
RECORD_FIELDS = ("date", "hour", "seat", "imps", "cost", "bids", "timeouts", "timezone", "currency")
GRANULARITIES = ("auto", "hourly", "daily")

_HOUR_RX = re.compile(r"^\d{2}$")

HOUR_RULE = 'document: "hour" is represented as a string and must contain 2 digits, from range 00-23'
#: a relation between two fields of one row, read from their descriptions
COST_RULE = ('document: cost is "The final cost for delivered impressions": a row with imps 0 delivered '
             'nothing, so its cost must be 0 (zero reports "must contain {"imps":0,"cost":0}")')
TIMEOUTS_TEXT = ('the document defines timeouts as "The number of bid requests ending in a timeout" and bids '
                 'as "The total number of bid requests ... This includes all bid types such as requests ending '
                 'in an error or timeout"')
ZERO_RULE = 'document: zero reports indicate that no trading occurred and must contain {"imps":0,"cost":0}'

#: "Coercion policy" (docs/bidswitch.md): text is never read as a number in typed input
TEXT_NUMBER_RULE = ("numbers must be given as numbers: text is not converted in rows or report= "
                    "(a CSV file is text and its cells are read as numbers)")


def _timezones() -> frozenset[str]:
    import pytz

    return frozenset(pytz.all_timezones)


def check_timezone(value: str) -> str | None:
    """Error text when ``value`` is not in ``pytz.all_timezones``, else None."""
    if value not in _timezones():
        return f"timezone {value!r} is not in pytz.all_timezones (document: the valid options are those in that list)"
    return None


def check_currency(value: str) -> str | None:
    if value not in CURRENCIES:
        return f"currency {value!r} is not one of {', '.join(CURRENCIES)} (document)"
    return None


def check_date(value: str) -> tuple[str, str] | None:
    """``(rule, text)`` when ``value`` is not a ``YYYY-MM-DD`` calendar date, else None."""
    try:
        day = iso_date(value)
    except ValueError:
        return "bidswitch.date.invalid", f"date {value!r} is not a calendar date"
    if day is None:
        return "bidswitch.date.format", f"date {value!r} is not in the form YYYY-MM-DD"
    return None


def check_hour(value: str) -> tuple[str, str] | None:
    """``(rule, text)`` when ``value`` is not a two-digit hour ``00``-``23``, else None."""
    if not _HOUR_RX.match(value):
        return "bidswitch.hour.format", f"hour {value!r} must be a string of 2 digits ({HOUR_RULE})"
    if int(value) > 23:
        return "bidswitch.hour.range", f"hour {value!r} is outside 00-23 ({HOUR_RULE})"
    return None
