"""Deliverable 1: arbitrary bytes and arbitrary rows into the FreeWheel and BidSwitch readers and
builders end in success or a validation error, never another exception (a ``TypeError``
or ``csv.Error`` would be retried by Airflow and name no problem)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_adtech.exceptions import AdtechValidationError
from airflow_provider_adtech.formats import bidswitch as bsf
from airflow_provider_adtech.formats import freewheel as fwf
from airflow_provider_adtech.formats.errors import ValidationFailed

import fuzz_harness as h

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])
ALLOWED = (ValidationFailed, AdtechValidationError)

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True), st.text(max_size=20), st.binary(max_size=8),
    st.dates(), st.datetimes(), st.sampled_from(["", " ", "\n", "\x00", "1,2", "12", "-1", "1e400", "२३"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=8)
JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                              st.text(max_size=12)),
                    lambda inner: st.one_of(st.lists(inner, max_size=4),
                                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                    max_leaves=15)


def outcome(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ALLOWED as exc:
        assert str(exc)  # says something
        return "refused"
    return "ok"


def csv_bytes(header, rows) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


# --------------------------------------------------------------------------- FreeWheel
FW_HEADER = list(fwf.CSV_COLUMNS)
FW_GOOD = {
    "contractid": "1001", "tb_system_id": "7", "order_start_date": "20261123", "order_end_date": "20261129",
    "advertiser_name": "Acme", "advertiser_code": "5501", "order_line": "1", "spot_length": "30",
    "prioritycode": "3", "broadcast_week": "202648", "bookingdesc": "16:00-20:00", "orbits": "N",
    "syscode": "1234,5678", "gross_dollars": "1500.00,200.50", "buget_units": "10,2", "duration": "30,30",
    "networkname": "ESPN,CNN", "networkcode": "ESPN,CNN", "marketname": "New York,Boston",
}
FW_FILE_BYTES = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=300).map(lambda b: (",".join(FW_HEADER) + "\r\n").encode() + b),
    st.lists(st.lists(st.text(max_size=10), min_size=18, max_size=21), max_size=4)
    .map(lambda rows: csv_bytes(FW_HEADER, rows)),
    st.lists(st.dictionaries(st.sampled_from(list(FW_GOOD)), st.text(max_size=12), max_size=5), max_size=4)
    .map(lambda patches: csv_bytes(FW_HEADER, [list({**FW_GOOD, **p, "syscode_inclusions": ""}.values())
                                               for p in patches])),
)
FW_ROWS = st.lists(
    st.one_of(
        st.dictionaries(st.sampled_from(FW_HEADER + ["budget_units", "extra"]), VALUES, max_size=20),
        st.dictionaries(st.sampled_from(FW_HEADER), VALUES, max_size=4).map(lambda p: {**FW_GOOD, **p}),
        VALUES,
    ),
    max_size=4,
)


@FUZZ
@given(FW_FILE_BYTES)
def test_freewheel_file_bytes(data):
    outcome(h.freewheel_file, data)


@FUZZ
@given(FW_ROWS)
def test_freewheel_rows_for_s3(rows):
    outcome(h.freewheel_rows, rows)


@FUZZ
@given(FW_ROWS)
def test_freewheel_rows_for_the_api(rows):
    outcome(h.freewheel_api_rows, rows)


@FUZZ
@given(st.one_of(st.lists(JSON, max_size=4), st.lists(VALUES, max_size=3)))
def test_freewheel_json_order_lines(lines):
    outcome(h.freewheel_order_lines, lines)


# --------------------------------------------------------------------------- BidSwitch
BS_HEADER = ["date", "hour", "seat", "imps", "cost", "bids", "timeouts"]
BS_GOOD = {"date": "2026-11-20", "hour": "07", "seat": "s1", "imps": "10", "cost": "1.5", "bids": "100",
           "timeouts": "1"}
BS_FILE_BYTES = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=300).map(lambda b: b"date,hour,seat,imps,cost,bids,timeouts\n" + b),
    st.lists(st.lists(st.text(max_size=10), min_size=6, max_size=8), max_size=5)
    .map(lambda rows: csv_bytes(BS_HEADER, rows)),
    st.lists(st.dictionaries(st.sampled_from(BS_HEADER), st.text(max_size=10), max_size=3), max_size=5)
    .map(lambda patches: csv_bytes(BS_HEADER, [list({**BS_GOOD, **p}.values()) for p in patches])),
)
BS_ROWS = st.lists(
    st.one_of(
        st.dictionaries(st.sampled_from(list(bsf.RECORD_FIELDS) + ["x"]), VALUES, max_size=9),
        st.dictionaries(st.sampled_from(list(bsf.RECORD_FIELDS)), VALUES, max_size=3).map(
            lambda p: {"date": "2026-11-20", "imps": 1, "cost": 1.0, **p}),
        st.lists(VALUES, max_size=10),
        VALUES,
    ),
    max_size=5,
)


@FUZZ
@given(BS_FILE_BYTES)
def test_bidswitch_file_bytes(data):
    outcome(h.bidswitch_file, data)


@FUZZ
@given(BS_ROWS)
def test_bidswitch_rows(rows):
    outcome(h.bidswitch_rows, rows)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=BS_ROWS)
def test_bidswitch_operator_rows(rows):
    outcome(h.bidswitch_operator, None, rows=rows or [{"date": "2026-11-20", "imps": 0, "cost": 0}])


REPORT_LIKE = st.fixed_dictionaries({"reports": st.lists(st.fixed_dictionaries(
    {"timezone": st.one_of(st.just("UTC"), JSON), "currency": st.one_of(st.just("USD"), JSON),
     "data": st.one_of(JSON, st.dictionaries(st.one_of(st.just("2026-11-20"), st.text(max_size=10)),
                                             st.lists(st.one_of(JSON, st.dictionaries(
                                                 st.sampled_from(["hour", "imps", "cost", "bids", "timeouts"]),
                                                 JSON, max_size=5)), max_size=3), max_size=2))},
    optional={"seat": JSON}), max_size=3)})


@settings(max_examples=200, deadline=None)
@given(st.one_of(REPORT_LIKE, JSON, st.text(max_size=60)))
def test_bidswitch_operator_ready_report(report):
    if isinstance(report, str):
        report = "{" + report  # JSON text, not a path
    elif not isinstance(report, dict):
        report = json.dumps(report)
        report = report if report.startswith("{") else "{" + report
    outcome(h.bidswitch_operator, None, report=report)


# --------------------------------------------------------------------------- what the fuzzing found
def test_a_file_that_is_not_utf8_is_a_validation_error_naming_the_line():
    good = ",".join(f'"{v}"' for v in FW_GOOD.values()) + ',""'
    fw = (",".join(FW_HEADER) + "\r\n" + good + "\r\n").encode() + good.replace("Acme", "Ac\x80me").encode(
        "latin-1") + b"\r\n"
    try:
        h.freewheel_file(fw)
    except ValidationFailed as exc:
        assert [(p.rule, p.line, p.column) for p in exc.problems] == [("freewheel.file.encoding", 3,
                                                                       "advertiser_name")]
        assert "a byte that is not UTF-8 (0x80) at character 3" in str(exc)
    else:
        raise AssertionError("accepted")
    try:
        h.bidswitch_file(b"date,imps,cost\n2026-11-20,1,\xff\n")
    except ValidationFailed as exc:
        assert [(p.rule, p.line, p.column) for p in exc.problems] == [("bidswitch.csv.encoding", 2, "cost")]
        assert "(0xff)" in str(exc)
    else:
        raise AssertionError("accepted")


def test_a_field_over_the_csv_size_limit_is_a_validation_error():
    huge = b"x" * (csv.field_size_limit() + 10)
    for call, data, rule in (
        (h.freewheel_file, (",".join(FW_HEADER) + "\r\n\"").encode() + huge + b"\"\r\n", "freewheel.file.unreadable"),
        (h.bidswitch_file, b"date,imps,cost\n\"" + huge + b"\",1,1\n", "bidswitch.csv.unreadable"),
    ):
        try:
            call(data)
        except ValidationFailed as exc:
            assert [p.rule for p in exc.problems] == [rule] and "field larger than field limit" in str(exc)
        else:
            raise AssertionError("accepted")


def test_operators_turn_an_unreadable_file_into_adtech_validation_error(tmp_path, sandbox):
    from airflow_provider_adtech.operators.freewheel import FreeWheelS3OrderOperator

    bad = tmp_path / "orders.csv"
    bad.write_bytes((",".join(FW_HEADER) + "\r\n").encode() + b"\xc3\x28\r\n")
    start = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    context = {"data_interval_start": start, "data_interval_end": start + dt.timedelta(days=1),
               "logical_date": start}
    op = FreeWheelS3OrderOperator(task_id="t", source=str(bad), s3_bucket="b", aws_conn_id="aws_never")
    try:
        op.execute(context)
    except AdtechValidationError as exc:
        assert "orders.csv, line 2, column contractid: [freewheel.file.encoding]" in str(exc)
    else:
        raise AssertionError("accepted")
    day = tmp_path / "day.csv"
    day.write_bytes(b"date,imps,cost\n2026-11-20,1,1\n\xff\n")
    try:
        h.bidswitch_operator(None, source=str(day))
    except AdtechValidationError as exc:
        assert "day.csv, line 3, column date: [bidswitch.csv.encoding]" in str(exc)
    else:
        raise AssertionError("accepted")
    assert sandbox.journal.entries() == []
