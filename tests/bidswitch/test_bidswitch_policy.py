"""One coercion policy for rows, CSV files and ready reports; empty seats; honest day messages.

Policy (docs/bidswitch.md, "Types and conversions"): text is never read as a number in
typed input (``rows``, ``report=``); a CSV file is text and its cells are read as the
document's types; every other change to a value is listed in the summary's ``notes``
and logged.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import logging

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError
from airflow_provider_adtech.formats import bidswitch as fmt
from airflow_provider_adtech.operators.bidswitch import BidSwitchDiscrepancyOperator

pytestmark = pytest.mark.integration

DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
CONTEXT = {"data_interval_start": DAY, "data_interval_end": DAY + dt.timedelta(days=1), "logical_date": DAY,
           "ds": "2026-11-20"}


def row(**kw):
    out = {"date": "2026-11-20", "seat": "s1", "imps": 100, "cost": 12.5}
    out.update(kw)
    return out


def execute(**kwargs):
    kwargs.setdefault("task_id", "upload")
    kwargs.setdefault("platform_name", "sandbox-ssp")
    op = BidSwitchDiscrepancyOperator(**kwargs)
    op.hook.sleep = lambda s: None
    return op.execute(dict(CONTEXT))


@pytest.mark.parametrize(("field", "value"), [("imps", "100"), ("cost", "12.5"), ("bids", "7"),
                                              ("timeouts", "1")])
def test_numbers_as_text_are_refused_in_rows(sandbox, field, value):
    with pytest.raises(AdtechValidationError) as err:
        execute(rows=[row(**{field: value})])
    text = str(err.value)
    assert f"rows[0], column {field}: [bidswitch.{field}.type]" in text
    assert "text is not converted" in text
    assert sandbox.journal.entries() == []


@pytest.mark.parametrize(("field", "value"), [("imps", "100"), ("cost", "12.5")])
def test_numbers_as_text_are_refused_in_a_ready_report_too(sandbox, field, value):
    data = {"imps": 100, "cost": 12.5, field: value}
    report = {"reports": [{"timezone": "UTC", "currency": "USD", "data": {"2026-11-20": [data]}}]}
    with pytest.raises(AdtechValidationError) as err:
        execute(report=report)
    assert f"reports[0].data.2026-11-20[0].{field}: [bidswitch.{field}.type]" in str(err.value)
    assert "text is not converted" in str(err.value)
    assert sandbox.journal.entries() == []


def test_csv_cells_are_read_as_numbers_and_spaces_removed_are_listed(sandbox, tmp_path, caplog, capsys):
    path = tmp_path / "day.csv"
    path.write_text("date,seat,imps,cost\n2026-11-20, s1,100, 12.5\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        summary = execute(source=str(path))
    logged = caplog.text + capsys.readouterr().out  # Airflow 2 logs through logging, 3 through structlog
    assert summary["reports"][0]["seat"] == "s1"
    assert summary["reports"][0]["days"]["2026-11-20"]["imps"] == 100
    note = "removed spaces around value(s): cost (1 row(s)), seat (1 row(s))"
    assert note in summary["notes"]
    assert note in logged


def test_numbers_of_other_python_types_are_converted_and_listed(sandbox):
    summary = execute(rows=[row(imps=100.0, cost=decimal.Decimal("12.50"), bids=decimal.Decimal("7"))])
    assert summary["uploaded"] is True
    assert "2 count(s) given as a whole float/Decimal written as JSON integers (e.g. 100.0 -> 100)" \
        in summary["notes"]
    assert "1 cost(s) given as Decimal written as JSON numbers" in summary["notes"]
    sent = sandbox.vendors["bidswitch"].processed_uploads()[-1]["body"]
    assert sent["reports"][0]["data"]["2026-11-20"][0] == {"imps": 100, "cost": 12.5, "bids": 7}
    assert isinstance(sent["reports"][0]["data"]["2026-11-20"][0]["imps"], int)


@pytest.mark.parametrize("seat", ["", "   "])
def test_an_empty_seat_in_rows_is_refused_not_folded_into_a_supplier_total(sandbox, seat):
    with pytest.raises(AdtechValidationError) as err:
        execute(rows=[row(seat="buyer-a"), row(seat=seat)])
    text = str(err.value)
    assert "rows[1], column seat: [bidswitch.seat.empty]" in text and "supplier total" in text
    assert sandbox.journal.entries() == []


def test_an_empty_seat_cell_beside_named_seats_in_a_csv_is_refused(sandbox, tmp_path):
    path = tmp_path / "day.csv"
    path.write_text("date,seat,imps,cost\n2026-11-20,buyer-a,100,1\n2026-11-20,,5,1\n", encoding="utf-8")
    with pytest.raises(AdtechValidationError) as err:
        execute(source=str(path))
    assert "day.csv, line 3, column seat: [bidswitch.seat.empty]" in str(err.value)
    assert sandbox.journal.entries() == []


def test_a_csv_without_any_seat_still_makes_a_report_without_seat(sandbox, tmp_path):
    path = tmp_path / "day.csv"
    path.write_text("date,seat,imps,cost\n2026-11-20,,100,1\n", encoding="utf-8")
    summary = execute(source=str(path))
    assert summary["reports"][0]["seat"] is None


def test_a_seat_with_a_line_break_is_refused(sandbox):
    with pytest.raises(AdtechValidationError) as err:
        execute(rows=[row(seat="buyer\na")])
    assert "[bidswitch.seat.control]" in str(err.value)


def test_a_day_whose_rows_were_all_refused_gets_no_zero_fill_hint(sandbox):
    with pytest.raises(AdtechValidationError) as err:
        execute(rows=[row(imps=-5)])
    text = str(err.value)
    assert "[bidswitch.imps.negative]" in text
    assert "[bidswitch.date.no_valid_rows] every row for report day 2026-11-20 was refused" in text
    assert "zero_fill" not in text


def test_a_day_without_any_row_keeps_the_zero_fill_hint(sandbox):
    with pytest.raises(AdtechValidationError) as err:
        execute(rows=[row(date="2026-11-19")], report_dates="2026-11-19..2026-11-20")
    assert "[bidswitch.date.no_rows] no row for report day 2026-11-20; if nothing was traded, pass " \
           "zero_fill=True" in str(err.value)


def test_blank_csv_lines_skipped_are_listed():
    notes: list[str] = []
    rows = fmt.rows_from_csv(io.StringIO("date,imps,cost\n2026-11-20,1,1\n,,\n"), source="f.csv", notes=notes)
    assert len(rows) == 1 and "f.csv: skipped 1 blank line(s)" in notes


# --------------------------------------------------------------------------- relations within one row
def test_a_cost_without_impressions_is_refused_in_rows_and_reports(sandbox):
    """Document: cost is "The final cost for delivered impressions"."""
    with pytest.raises(AdtechValidationError) as err:
        execute(rows=[row(imps=0, cost=3.5)])
    assert "rows[0], column cost: [bidswitch.cost.without_imps]" in str(err.value)
    assert "The final cost for delivered impressions" in str(err.value)
    report = {"reports": [{"timezone": "UTC", "currency": "USD", "data": {"2026-11-20": [{"imps": 0, "cost": 1}]}}]}
    with pytest.raises(AdtechValidationError) as err:
        execute(report=report)
    assert "reports[0].data.2026-11-20[0].cost: [bidswitch.cost.without_imps]" in str(err.value)
    assert sandbox.journal.entries() == []
    assert execute(rows=[row(imps=0, cost=0)], dry_run=True)["totals"]["imps"] == 0


def test_timeouts_above_bids_are_sent_but_listed(sandbox):
    """The descriptions make timeouts a part of bids, but the document's own Hourly Report
    example has timeouts above bids: sent as given, listed in the notes."""
    summary = execute(rows=[row(bids=10, timeouts=50)])
    assert summary["uploaded"] is True
    assert any(n.startswith("timeouts exceed bids on 1 row(s) (e.g. reports[0].data.2026-11-20[0]: timeouts 50 > "
                            "bids 10)") for n in summary["notes"])
    assert not any("timeouts exceed" in n for n in execute(rows=[row(bids=10, timeouts=5)])["notes"])
