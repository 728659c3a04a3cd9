"""Coercion of templated task arguments (utils.args): each form accepted, and the argument named in errors."""

from __future__ import annotations

import datetime as dt

import pytest

from airflow_provider_adtech.utils import args

D = dt.date


@pytest.mark.parametrize("value,expected", [
    (True, True), (False, False), ("True", True), (" yes ", True), ("on", True), ("1", True),
    ("False", False), ("no", False), ("off", False), ("0", False), ("", False), ("None", False),
])
def test_bool_accepts_flags_and_their_rendered_text(value, expected):
    assert args.as_bool(value, "dry_run") is expected


def test_bool_names_the_argument_in_its_error():
    with pytest.raises(ValueError, match=r"^dry_run must be true or false, got 'maybe'$"):
        args.as_bool("maybe", "dry_run")


def test_lenient_bool_takes_other_text_as_false_and_other_values_by_truth():
    assert args.as_bool("maybe", "allow_empty", strict=False) is False
    assert args.as_bool("Yes", "allow_empty", strict=False) is True
    assert args.as_bool(None, "allow_empty", strict=False) is False
    assert args.as_bool(1, "allow_empty", strict=False) is True


def test_int_from_numbers_and_text():
    assert args.as_int(5, "batch_size") == 5
    assert args.as_int(" 200000000 ", "max_file_size") == 200_000_000
    assert args.as_int(3.0, "batch_size") == 3


def test_int_errors_name_the_argument_and_the_unit():
    with pytest.raises(ValueError, match=r"^max_file_size must be a whole number of bytes, got '2MB'$"):
        args.as_int("2MB", "max_file_size", unit="bytes")
    with pytest.raises(ValueError, match=r"^batch_size must be a whole number, got 2\.5$"):
        args.as_int(2.5, "batch_size")
    with pytest.raises(ValueError, match=r"^min_file_size must not be negative, got '-1'$"):
        args.as_int("-1", "min_file_size", minimum=0)
    with pytest.raises(ValueError, match=r"^batch_size must be at least 1, got 0$"):
        args.as_int(0, "batch_size", minimum=1)


def test_day_from_dates_datetimes_and_text():
    assert args.as_day(D(2026, 11, 20), "data_date") == D(2026, 11, 20)
    assert args.as_day(dt.datetime(2026, 11, 20, 23, 5), "data_date") == D(2026, 11, 20)
    assert args.as_day(" 2026-11-20 ", "data_date") == D(2026, 11, 20)
    assert args.as_day("2026-11-20T00:00:00+00:00", "data_date") == D(2026, 11, 20)


def test_day_names_the_argument_in_its_error():
    with pytest.raises(ValueError, match=r"^orders_date is not a date \(expected YYYY-MM-DD\): '20/11/2026'$"):
        args.as_day("20/11/2026", "orders_date")


def test_strict_day_checks_the_time_of_a_timestamp_too():
    assert args.as_day("2026-11-20T10:00:00Z", "start", strict=True) == D(2026, 11, 20)
    assert args.as_day("2026-11-20 10:00:00", "start", strict=True) == D(2026, 11, 20)
    assert args.as_day("2026-11-20xyz", "start") == D(2026, 11, 20)
    for bad in ("2026-11-20xyz", "2026-11-20T99:00", "20261120"):
        with pytest.raises(ValueError, match="^start is not a date"):
            args.as_day(bad, "start", strict=True)


def test_days_from_a_range_a_list_a_comma_text_or_one_date():
    assert args.as_days("2026-11-19..2026-11-21", "date_range") == [D(2026, 11, 19), D(2026, 11, 20),
                                                                     D(2026, 11, 21)]
    assert args.as_days("2026-11-21, 2026-11-19,2026-11-21", "date_range") == [D(2026, 11, 19), D(2026, 11, 21)]
    assert args.as_days(["2026-11-20", D(2026, 11, 18)], "date_range") == [D(2026, 11, 18), D(2026, 11, 20)]
    assert args.as_days(D(2026, 11, 20), "date_range") == [D(2026, 11, 20)]
    assert args.as_days(None, "date_range") is None
    assert args.as_days("", "date_range") is None
    assert args.as_days([], "date_range") is None


def test_days_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"^date_range '2026-11-21\.\.2026-11-19' ends before it starts$"):
        args.as_days("2026-11-21..2026-11-19", "date_range")
    with pytest.raises(ValueError, match=r"^date_range is not a date"):
        args.as_days("2026-11-20,tomorrow", "date_range")


def test_strict_days_take_white_space_and_refuse_text_after_the_date():
    assert args.as_days("2026-11-20 2026-11-18,2026-11-19", "report_dates", strict=True) == [
        D(2026, 11, 18), D(2026, 11, 19), D(2026, 11, 20)]
    assert args.as_days("2026-11-20T00:00:00+00:00", "report_dates", strict=True) == [D(2026, 11, 20)]
    assert args.as_days("2026-11-20x", "date_range") == [D(2026, 11, 20)], "not strict: the first ten characters"
    with pytest.raises(ValueError, match="^report_dates is not a date"):
        args.as_days("2026-11-20x", "report_dates", strict=True)


def test_data_day_is_the_utc_start_of_the_data_interval_else_the_logical_date():
    plus2 = dt.timezone(dt.timedelta(hours=2))
    assert args.data_day({"data_interval_start": dt.datetime(2026, 11, 21, 1, tzinfo=plus2)}) == D(2026, 11, 20)
    assert args.data_day({"logical_date": dt.datetime(2026, 11, 20, 5)}) == D(2026, 11, 20)
    yesterday = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).date()
    assert args.data_day({}) == yesterday and args.data_day(None) == yesterday


def test_interval_days_are_every_day_the_data_interval_touches():
    utc = dt.timezone.utc
    ctx = {"data_interval_start": dt.datetime(2026, 11, 18, tzinfo=utc),
           "data_interval_end": dt.datetime(2026, 11, 21, tzinfo=utc)}
    assert args.interval_days(ctx) == [D(2026, 11, 18), D(2026, 11, 19), D(2026, 11, 20)]
    assert args.interval_days({}) == [] and args.interval_days(None) == []


def test_list_from_a_list_or_a_comma_text():
    assert args.as_list("a, b,,c ", "ignore_columns") == ["a", "b", "c"]
    assert args.as_list(["rpm", " revenue", ""], "fields") == ["rpm", "revenue"]
    assert args.as_list(123, "ids") == ["123"]
    assert args.as_list(None, "ids") == [] and args.as_list("", "ids") == []


def test_list_names_the_argument_in_its_error():
    with pytest.raises(ValueError, match=r"^ids must be a list or a comma-separated text"):
        args.as_list(object(), "ids")


def test_mapping_from_a_dict_or_its_json_text():
    assert args.as_mapping({"SITE_ID": "siteid"}, "column_mapping") == {"SITE_ID": "siteid"}
    assert args.as_mapping('{"SITE_ID": "siteid"}', "column_mapping") == {"SITE_ID": "siteid"}
    assert args.as_mapping(None, "column_mapping") == {} and args.as_mapping("  ", "column_mapping") == {}


def test_mapping_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"^column_mapping is not valid JSON"):
        args.as_mapping("{SITE_ID: siteid}", "column_mapping")
    with pytest.raises(ValueError, match=r"^column_mapping must be a mapping"):
        args.as_mapping("[1, 2]", "column_mapping")


def test_iterable_refuses_text_and_a_single_mapping_naming_the_argument():
    rows = [{"a": 1}]
    assert args.as_iterable(rows, "rows", "dicts") is rows
    for bad in ("[{}]", b"x", {"a": 1}, 5):
        with pytest.raises(ValueError, match=r"^order_lines must be an iterable of dicts \(one per order line\)$"):
            args.as_iterable(bad, "order_lines", "dicts (one per order line)")


def test_records_from_a_list_or_its_rendered_text():
    assert args.as_records([{"a": 1}], "rows") == [{"a": 1}]
    assert args.as_records('[{"a": 1}]', "rows") == [{"a": 1}]
    assert args.as_records("[{'a': None}]", "rows") == [{"a": None}]
    assert args.as_records(({"a": 1},), "rows") == [{"a": 1}]


def test_records_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"^records is a string that is neither JSON nor a Python literal; "
                                         r"pass the upstream task's output \(records=task.output\)"):
        args.as_records("not [a list", "records")
    with pytest.raises(ValueError, match=r"^records must be a list of records \(mappings\), got a single mapping$"):
        args.as_records({"a": 1}, "records")


def test_id_from_digit_text_else_as_given():
    assert args.as_id("537599") == 537599
    assert args.as_id(537599) == 537599
    assert args.as_id("io-7") == "io-7" and args.as_id(None) is None
