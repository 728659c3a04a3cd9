"""When data may be posted: the reprocessing window and the daily posting deadline of an upload.

Document, "Upload Requirements":

    1. Files must be posted prior to 7:00 AM PDT/ 6:00 AM PST in order to be included in
       the standard daily processing.
    ... data uploaded after 7:00 AM PDT/ 6:00 AM PST will be included in a recurring batch
       processing that occurs 12 days after the data date.
    4. Any data containing dates older than the past 12 days will have to be reprocessed
       incrementally and will incur a daily cost for each day that needs to be reprocessed.

Days older than 12 days are refused unless reprocessing is allowed (then a warning says
what it costs); posting after the deadline of the last day is a warning and marks the
upload ``delayed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from airflow_provider_adtech.formats.ispot.schema import REPROCESSING_AFTER_DAYS
from airflow_provider_adtech.formats.ispot.sizes import (
    deadline_in_los_angeles,
    posting_deadline,
    reprocessing_cutoff,
)


@dataclass(frozen=True)
class PostingWindow:
    """What the date rules say of an upload of ``dates`` made at a given time."""

    #: days older than the reprocessing window, refused (empty when reprocessing is allowed)
    refused: tuple[dt.date, ...]
    #: the standard-processing deadline of the last day (UTC)
    deadline: dt.datetime
    #: posted after ``deadline``: iSpot processes the data in its batch 12 days later
    delayed: bool
    warnings: list[str] = field(default_factory=list)


def posting_window(dates: Sequence[dt.date], now: dt.datetime, allow_reprocessing: bool) -> PostingWindow:
    """Apply the document's date rules to an upload of ``dates`` (not empty) posted at ``now``."""
    warnings: list[str] = []
    cutoff = reprocessing_cutoff(now)
    old = [d for d in dates if d < cutoff]
    refused: list[dt.date] = []
    if old:
        if allow_reprocessing:
            warnings.append(
                f"{len(old)} day(s) older than {REPROCESSING_AFTER_DAYS} days ({old[0]}..{old[-1]}): "
                'iSpot "will incur a daily cost for each day that needs to be reprocessed" '
                "(allow_reprocessing=True)")
        else:
            refused = old
    last = max(dates)
    deadline = posting_deadline(last)
    delayed = now > deadline
    if delayed:
        warnings.append(
            f"posted after {deadline_in_los_angeles(deadline)} ({deadline:%Y-%m-%d %H:%M} UTC), the "
            f"deadline for standard daily processing of {last}: iSpot includes this data in the "
            "batch processing 12 days after the data date (document, Upload Requirements)")
    return PostingWindow(refused=tuple(refused), deadline=deadline, delayed=delayed, warnings=warnings)
