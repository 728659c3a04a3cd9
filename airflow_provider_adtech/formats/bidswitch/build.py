"""Building a BidSwitch upload body from rows: report days, grouping, zero reports and the notes.

Also checks a ready body against the report days (:func:`apply_report_dates`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_adtech.formats.bidswitch.checks import report_problems
from airflow_provider_adtech.formats.bidswitch.rows import ReportRow
from airflow_provider_adtech.formats.bidswitch.schema import (
    GRANULARITIES,
    ZERO_RULE,
    check_currency,
    check_timezone,
)
from airflow_provider_adtech.formats.errors import Problem, ProblemCollector
from airflow_provider_adtech.utils.args import as_days


@dataclass
class BuildResult:
    """What the builder made: the upload body and everything it did that was not a copy.

    :param payload: ``{"reports": [...]}``, valid.
    :param notes: sentences for the log and the summary (zero-filled days, hours summed
        into full days, input columns ignored, seats without a row on a report day).
    :param rows: input rows used.
    """

    payload: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    rows: int = 0


def parse_report_dates(value: Any) -> list[str] | None:
    """Report days from a date, a list of dates, ``"d1,d2"`` or a range ``"start..end"`` (inclusive)."""
    days = as_days(value, "report_dates", strict=True)
    return None if days is None else [d.isoformat() for d in days]


def _zero_row() -> dict[str, Any]:
    return {"imps": 0, "cost": 0}


def build_upload(
    rows: Iterable[ReportRow],
    *,
    report_dates: Iterable[str] | None = None,
    timezone: str = "UTC",
    currency: str = "USD",
    seat: str | None = None,
    granularity: str = "auto",
    zero_fill: bool = False,
    source: str = "rows",
    collector: ProblemCollector | None = None,
    notes: list[str] | None = None,
    input_days: Iterable[str] | None = None,
) -> BuildResult:
    """Group rows into one report per (seat, timezone, currency), one data array per day.

    :param rows: typed rows (:func:`rows_from_records`, :func:`rows_from_csv`).
    :param report_dates: the days to upload (``YYYY-MM-DD``); default every day found in
        the rows. A row on another day is an error (it would be dropped otherwise).
    :param timezone: for rows without a ``timezone`` value (pytz name).
    :param currency: for rows without a ``currency`` value (USD, EUR or JPY).
    :param seat: for rows without a ``seat`` value (None: report without seat).
    :param granularity: ``auto`` keeps rows as given (hourly or full-day), ``hourly``
        requires an hour on every row, ``daily`` sums hourly rows into one full-day row.
    :param zero_fill: report days without rows as zero reports ``{"imps": 0, "cost": 0}``
        (document: "Zero reports indicate that no trading occurred"). Without it, a
        report day with no row at all is an error.
    :param source: name of the input in messages.
    :param input_days: every day named by an input row, refused rows included
        (:attr:`Conversions.days`): a report day among them whose rows were all refused
        is reported as such, not as a day without rows.
    """
    own = collector is None
    col = collector if collector is not None else ProblemCollector()
    notes = notes if notes is not None else []
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}, got {granularity!r}")
    for what, err in (("timezone", check_timezone(timezone)), ("currency", check_currency(currency))):
        if err:
            rule = "bidswitch.timezone.unknown" if what == "timezone" else "bidswitch.currency.allowed_values"
            col.add(Problem(rule, err, f"argument {what}", None, what))
    rows = list(rows)
    dates = sorted(set(report_dates)) if report_dates is not None else sorted({r.date for r in rows})
    wanted = set(dates)

    seated = next((r for r in rows if r.seat is not None), None)
    if seat is None and seated is not None:
        for r in rows:
            if r.seat_blank:
                col.add(r.problem("bidswitch.seat.empty", f"the row has no seat while others name one (e.g. "
                                  f"{seated.seat!r} at {seated.origin}): it would become a report without seat "
                                  "beside the per-Buyer reports, which BidSwitch reads as the supplier total; "
                                  "fill in the seat or pass seat=...", "seat"))
    groups: dict[tuple[str | None, str, str], dict[str, list[ReportRow]]] = {}
    for r in rows:
        if r.date not in wanted:
            col.add(r.problem("bidswitch.date.outside", f"row is for {r.date}, not one of the report dates "
                              f"({', '.join(dates)}); widen the report dates or remove the row", "date"))
            continue
        key = (r.seat if r.seat is not None else seat, r.timezone or timezone, r.currency or currency)
        groups.setdefault(key, {}).setdefault(r.date, []).append(r)

    # per (seat, day): an hour once; hourly rows and a full-day row never together
    hours_seen: dict[tuple[str | None, str], dict[str, str]] = {}
    full_day: dict[tuple[str | None, str], str] = {}
    for (g_seat, _tz, _cur), days in groups.items():
        for day, day_rows in days.items():
            k = (g_seat, day)
            seat_txt = f"seat {g_seat!r}" if g_seat is not None else "no seat"
            for r in day_rows:
                if r.hour is None:
                    if granularity == "hourly":
                        col.add(r.problem("bidswitch.hour.required", "granularity 'hourly' needs an hour on "
                                          f"every row; {day} ({seat_txt}) has a full-day row", "hour"))
                    elif k in full_day:
                        col.add(r.problem("bidswitch.day.duplicate", f"second full-day row for {day} "
                                          f"({seat_txt}); first at {full_day[k]}", "hour"))
                    elif hours_seen.get(k):
                        first = next(iter(hours_seen[k].values()))
                        col.add(r.problem("bidswitch.day.mixed", f"{day} ({seat_txt}) has hourly rows (e.g. "
                                          f"{first}) and this full-day row (no hour): the hours would be "
                                          "counted twice", "hour"))
                    full_day.setdefault(k, r.origin)
                    continue
                seen = hours_seen.setdefault(k, {})
                if r.hour in seen:
                    col.add(r.problem("bidswitch.hour.duplicate", f"hour {r.hour} of {day} ({seat_txt}) appears "
                                      f"twice; first at {seen[r.hour]}", "hour"))
                    continue
                if k in full_day:
                    col.add(r.problem("bidswitch.day.mixed", f"{day} ({seat_txt}) has a full-day row "
                                      f"({full_day[k]}) and this hourly row: the hours would be counted twice",
                                      "hour"))
                seen[r.hour] = r.origin

    if not dates:
        col.add(Problem("bidswitch.rows.empty", "no rows and no report dates: nothing to report (give report "
                        "dates with zero_fill=True to report days without trading)", source, None, None))
    days_with_rows = {d for days in groups.values() for d in days}
    refused_days = set(input_days or ()) - days_with_rows
    for day in dates:
        if day in days_with_rows:
            continue
        if day in refused_days:
            col.add(Problem("bidswitch.date.no_valid_rows", f"every row for report day {day} was refused (see "
                            "the problems listed with it); fix those rows: the day is not reported without them",
                            source, None, "date"))
        elif not zero_fill:
            col.add(Problem("bidswitch.date.no_rows", f"no row for report day {day}; if nothing was traded, "
                            f"pass zero_fill=True to send a zero report ({ZERO_RULE})", source, None, "date"))
    if own:
        col.raise_if_any(source)
    elif col:
        return BuildResult({"reports": []}, notes, len(rows))

    if not groups and zero_fill:
        groups[(seat, timezone, currency)] = {}
    reports: list[dict[str, Any]] = []
    summed = 0
    filled: list[str] = []
    missing: list[str] = []
    for (g_seat, g_tz, g_cur), days in groups.items():
        data: dict[str, list[dict[str, Any]]] = {}
        for day in dates:
            day_rows = days.get(day)
            label = f"{g_seat} {day}" if g_seat is not None else day
            if not day_rows:
                if zero_fill:
                    data[day] = [_zero_row()]
                    filled.append(label)
                else:
                    missing.append(label)
                continue
            if granularity == "daily" and any(r.hour is not None for r in day_rows):
                data[day] = [_sum_rows(day_rows, label, col)]
                summed += len(day_rows)
            else:
                data[day] = [r.values() for r in sorted(day_rows, key=lambda r: r.hour or "")]
        if not data:
            continue
        rep: dict[str, Any] = {}
        if g_seat is not None:
            rep["seat"] = g_seat
        rep.update({"timezone": g_tz, "currency": g_cur, "data": data})
        reports.append(rep)
    if filled:
        notes.append(f"zero report ({{\"imps\": 0, \"cost\": 0}}) for day(s) without rows: {', '.join(filled)}")
    if missing:
        notes.append("no row and not reported (zero_fill is off) for: " + ", ".join(missing))
    if summed:
        notes.append(f"summed {summed} hourly row(s) into full-day rows (granularity 'daily')")
    payload = {"reports": reports}
    col.extend(report_problems(payload, source))
    if own:
        col.raise_if_any(source)
    return BuildResult(payload, notes, len(rows))


def _sum_rows(rows: list[ReportRow], label: str, col: ProblemCollector) -> dict[str, Any]:
    out: dict[str, Any] = {"imps": sum(r.imps for r in rows), "cost": round(sum(r.cost for r in rows), 6)}
    for name in ("bids", "timeouts"):
        present = [getattr(r, name) for r in rows if getattr(r, name) is not None]
        if len(present) == len(rows):
            out[name] = sum(present)
        elif present:
            col.add(rows[0].problem(f"bidswitch.{name}.partial", f"{label}: {name} is given on {len(present)} of "
                                    f"{len(rows)} hourly rows; a daily total would be wrong", name))
    return out


def apply_report_dates(payload: dict[str, Any], dates: Iterable[str], zero_fill: bool,
                       source: str | None = None) -> list[str]:
    """Check a ready report against the expected report days; zero-fill missing ones.

    Adds ``{"imps": 0, "cost": 0}`` days to ``payload`` in place when ``zero_fill``;
    returns notes. Raises :class:`ValidationFailed` for days outside ``dates`` or missing
    days without ``zero_fill``.
    """
    wanted = sorted(set(dates))
    col = ProblemCollector()
    notes: list[str] = []
    filled: list[str] = []
    for i, rep in enumerate(payload.get("reports") or []):
        data = rep.get("data") or {}
        for day in data:
            if day not in wanted:
                col.add(Problem("bidswitch.date.outside", f"day {day} is not one of the report dates "
                                f"({', '.join(wanted)})", source, None, f"reports[{i}].data.{day}"))
        for day in wanted:
            if day not in data:
                if zero_fill:
                    data[day] = [_zero_row()]
                    filled.append(f"reports[{i}].data.{day}")
                else:
                    col.add(Problem("bidswitch.date.no_rows", f"report has no day {day}; pass zero_fill=True to "
                                    f"send a zero report ({ZERO_RULE})", source, None, f"reports[{i}].data"))
        rep["data"] = {d: data[d] for d in sorted(data)}
    col.raise_if_any(f"BidSwitch report {source}" if source else "BidSwitch report")
    if filled:
        notes.append("zero report added for: " + ", ".join(filled))
    return notes
