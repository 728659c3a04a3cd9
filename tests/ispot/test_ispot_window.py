"""The iSpot date rules of an upload (formats.ispot.window): reprocessing window and posting deadline."""

from __future__ import annotations

import datetime as dt

from airflow_provider_adtech.formats.ispot.window import posting_window

UTC = dt.timezone.utc
DAY = dt.date(2026, 11, 20)


def test_yesterday_posted_before_7am_los_angeles_is_standard_processing():
    window = posting_window([DAY], dt.datetime(2026, 11, 21, 13, 59, tzinfo=UTC), allow_reprocessing=False)
    assert window.refused == () and window.warnings == [] and window.delayed is False
    assert window.deadline == dt.datetime(2026, 11, 21, 14, 0, tzinfo=UTC)


def test_posting_after_the_deadline_is_delayed_with_a_warning():
    window = posting_window([DAY], dt.datetime(2026, 11, 21, 14, 1, tzinfo=UTC), allow_reprocessing=False)
    assert window.delayed is True and window.refused == ()
    assert "06:00 PST" in window.warnings[0] and "12 days after the data date" in window.warnings[0]


def test_days_older_than_12_days_are_refused_unless_reprocessing_is_allowed():
    now = dt.datetime(2026, 12, 5, 1, tzinfo=UTC)
    days = [dt.date(2026, 11, 21), dt.date(2026, 11, 22), dt.date(2026, 11, 23)]
    assert posting_window(days, now, allow_reprocessing=False).refused == (dt.date(2026, 11, 21),
                                                                           dt.date(2026, 11, 22))
    allowed = posting_window(days, now, allow_reprocessing=True)
    assert allowed.refused == ()
    assert allowed.warnings[0].startswith("2 day(s) older than 12 days (2026-11-21..2026-11-22)")
