"""Size and timing rules of an upload (document: "CSV File Format", "Upload Requirements",
and the 400 answers "The file is too small. The minimum file size allowed is 8 MB." /
"The file is too large. The maximum file size allowed is 200 MB.")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from airflow_provider_adtech.formats.errors import Problem
from airflow_provider_adtech.formats.ispot.parts import PartFile
from airflow_provider_adtech.formats.ispot.schema import REPROCESSING_AFTER_DAYS

#: "Files must be posted prior to 7:00 AM PDT/ 6:00 AM PST in order to be included in the
#: standard daily processing": both are 14:00 UTC.
POSTING_DEADLINE_UTC = dt.time(14, 0)


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def check_part_sizes(parts: Sequence[PartFile], min_bytes: int, max_bytes: int) -> list[Problem]:
    """Problems for parts outside ``[min_bytes, max_bytes]`` (the vendor refuses them with 400)."""
    out = []
    for p in parts:
        if min_bytes and p.bytes < min_bytes:
            out.append(Problem(
                "ispot.size.min",
                f"{p.name} has {p.bytes} bytes ({_mb(p.bytes)}), below the minimum of {min_bytes} bytes: "
                'iSpot answers 400 "The file is too small. The minimum file size allowed is 8 MB." '
                "Upload more rows in one file (e.g. the whole day rather than an hour, or several sources "
                "together), do not compress small files, or lower min_file_size only if iSpot agreed to a "
                "smaller minimum", p.name, None, None))
        if max_bytes and p.bytes > max_bytes:
            out.append(Problem(
                "ispot.size.max",
                f"{p.name} has {p.bytes} bytes, above the maximum of {max_bytes} bytes (iSpot: \"The file is "
                'too large. The maximum file size allowed is 200 MB.")', p.name, None, None))
    return out


def posting_deadline(day: dt.date) -> dt.datetime:
    """When data of ``day`` must be posted for standard processing: the next day at
    07:00 PDT / 06:00 PST (14:00 UTC)."""
    nxt = day + dt.timedelta(days=1)
    return dt.datetime.combine(nxt, POSTING_DEADLINE_UTC, tzinfo=dt.timezone.utc)


def deadline_in_los_angeles(deadline: dt.datetime) -> str:
    import pytz

    local = deadline.astimezone(pytz.timezone("America/Los_Angeles"))
    return local.strftime("%Y-%m-%d %H:%M %Z")


def reprocessing_cutoff(now: dt.datetime) -> dt.date:
    """Days before this are "older than the past 12 days" (reprocessing is charged)."""
    return now.astimezone(dt.timezone.utc).date() - dt.timedelta(days=REPROCESSING_AFTER_DAYS)
