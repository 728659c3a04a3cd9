"""Line breaks and control characters in FreeWheel string fields are refused by both operators.

Document, "File Specifications": "Each line in the file must represent one order line." A
line break inside ``advertiser_name`` would put one order line on two physical lines of
the zipped CSV; FreeWheel's JSON order lines are the same order lines.
"""

from __future__ import annotations

import datetime as dt

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError
from airflow_provider_adtech.formats import freewheel as fwf
from airflow_provider_adtech.formats.errors import ProblemCollector
from airflow_provider_adtech.operators.freewheel import FreeWheelLinearOrderOperator, FreeWheelS3OrderOperator

from freewheel_helpers import order_row, run_context
from test_api import api_line

S3_KWARGS = {"task_id": "deliver", "s3_bucket": "freewheel-never", "s3_prefix": "x", "aws_conn_id": "aws_never"}


@pytest.mark.parametrize("value", ["Acme\nOutdoor", "Acme\r\nOutdoor", "Acme\rOutdoor", "Acme\x00",
                                   "Acme\u2028Outdoor", "Acme\tOutdoor", "Acme\x1b[31m"])
def test_each_line_one_order_line_refuses_control_characters_in_rows(sandbox, value):
    op = FreeWheelS3OrderOperator(rows=[order_row(), order_row(order_line="2", advertiser_name=value)],
                                  **S3_KWARGS)
    with pytest.raises(AdtechValidationError) as err:
        op.execute(run_context())
    text = str(err.value)
    assert "rows, line 2, column advertiser_name" in text
    assert "freewheel.text.control" in text and "Each line in the file must represent one order line" in text
    assert sandbox.journal.count() == 0


def test_each_line_one_order_line_refuses_a_line_break_in_an_array_element(sandbox):
    op = FreeWheelS3OrderOperator(rows=[order_row(marketname=["New\nYork", "Boston"])], **S3_KWARGS)
    with pytest.raises(AdtechValidationError) as err:
        op.execute(run_context())
    assert "column marketname[0]" in str(err.value) and "a line break ('\\n')" in str(err.value)


def test_each_line_one_order_line_refuses_a_quoted_newline_in_a_csv_file(sandbox, tmp_path):
    path = tmp_path / "orders.csv"
    row = order_row()
    cells = [f'"{v}"' for v in row.values()]
    cells[4] = '"Acme\nOutdoor"'
    path.write_text(",".join(row) + "\n" + ",".join(cells) + "\n", encoding="utf-8")
    op = FreeWheelS3OrderOperator(source=str(path), **S3_KWARGS)
    with pytest.raises(AdtechValidationError) as err:
        op.execute(run_context())
    assert "orders.csv, line 2, column advertiser_name: [freewheel.text.control]" in str(err.value)
    assert sandbox.journal.count() == 0


def test_each_record_one_order_line_refuses_control_characters_in_json_order_lines(sandbox):
    bad = api_line(2, advertiser_name="Acme\nOutdoor")
    bad["targeting"]["content"]["channel"]["include"][0]["network_code"] = "ES\x00PN"
    op = FreeWheelLinearOrderOperator(task_id="send", order_lines=[api_line(1), bad])
    with pytest.raises(AdtechValidationError) as err:
        op.execute(run_context())
    text = str(err.value)
    assert "order_lines, line 2, column advertiser_name: [freewheel.api.text.control]" in text
    assert "column targeting.content.channel.include[0].network_code" in text
    assert "2 problem(s)" in text
    assert sandbox.journal.count() == 0


def test_delivery_rows_for_the_api_refuse_control_characters_too(sandbox):
    op = FreeWheelLinearOrderOperator(task_id="send", rows=[order_row(advertiser_name="Acme\n")])
    with pytest.raises(AdtechValidationError) as err:
        op.execute(run_context())
    assert "column advertiser_name: [freewheel.text.control]" in str(err.value)
    assert sandbox.journal.count() == 0


def test_a_datetime_with_a_time_of_day_is_refused_not_cut_to_its_date():
    problems = ProblemCollector()
    row = order_row(order_start_date=dt.datetime(2026, 11, 23, 18, 30))
    lines = list(fwf.parse_records([(1, row)], "rows", problems))
    assert lines == []
    assert [p.rule for p in problems.problems] == ["freewheel.date.time_of_day"]
    assert [p.column for p in problems.problems] == ["order_start_date"]


def test_dollars_for_zero_units_are_refused():
    """Relation of two fields of one line: "price | Price of each unit in dollars"."""
    problems = ProblemCollector()
    row = order_row(gross_dollars="1500.00,0", buget_units="0,0")
    assert list(fwf.parse_records([(2, row)], "orders.csv", problems)) == []
    assert [(p.rule, p.line, p.column) for p in problems.problems] == [
        ("freewheel.gross_dollars.without_units", 2, "gross_dollars[0]")]
    assert "Price of each unit in dollars" in problems.problems[0].message
    ok = ProblemCollector()
    assert len(list(fwf.parse_records([(2, order_row(gross_dollars="0,200.5", buget_units="0,2"))], "o", ok))) == 1


def test_spaces_removed_around_values_are_counted_in_the_summary(tmp_path):
    """No silent rewrite: a value written without the spaces it had is counted (values_trimmed)."""
    problems = ProblemCollector()
    rows = [order_row(bookingdesc=" 16:00-20:00 ", contractid=" 1001", syscode="1234, 5678")]
    delivery = fwf.build_delivery([("rows", fwf.iter_row_records(rows, "rows", problems))], str(tmp_path),
                                  orders_date=dt.date(2026, 11, 20), timestamp="20261120060000", problems=problems)
    assert delivery.summary()["values_trimmed"] == 3
    _, _, lines = fwf.read_delivery(delivery.zip_path)
    assert lines[0][0] == "1001" and lines[0][10] == "16:00-20:00" and lines[0][12] == "1234,5678"
    clean = fwf.build_delivery([("rows", fwf.iter_row_records([order_row()], "rows", problems))], str(tmp_path),
                               orders_date=dt.date(2026, 11, 20), timestamp="20261120060001", problems=problems)
    assert clean.summary()["values_trimmed"] == 0
