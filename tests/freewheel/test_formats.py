"""FreeWheel delivery file and order-line model (pure Python, no network)."""

from __future__ import annotations

import csv
import gc
import datetime as dt
import io
import json
import weakref
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_adtech.formats import freewheel as fwf
from airflow_provider_adtech.formats.errors import ProblemCollector, ValidationFailed

from freewheel_helpers import order_row, order_rows

DAY = dt.date(2026, 11, 20)
TS = "20261120060000"


def build(rows, tmp_path, **kw):
    problems = ProblemCollector(kw.pop("max_problems", 50))
    return fwf.build_delivery([("rows", fwf.iter_row_records(rows, "rows", problems))], str(tmp_path),
                              orders_date=DAY, timestamp=TS, problems=problems, **kw)


def build_csv(text: str, tmp_path, name="orders.csv", **kw):
    problems = ProblemCollector(50)
    stats: dict[str, int] = {}
    records = fwf.iter_csv_records(io.StringIO(text, newline=""), name, problems, stats)
    return fwf.build_delivery([(name, records)], str(tmp_path), orders_date=DAY, timestamp=TS, stats=stats,
                              problems=problems, **kw)


def csv_text(rows, header=None) -> str:
    header = header or list(rows[0].keys())
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header])
    return buf.getvalue()


def rules_of(exc: ValidationFailed) -> list[tuple[str, int | None, str | None]]:
    return [(p.rule, p.line, p.column) for p in exc.problems]


# --------------------------------------------------------------------------- names
def test_file_names_follow_the_convention():
    """"linear_orders_{date of orders}_{timestamp}.csv"; the zip carries the same stem."""
    csv_name, zip_name = fwf.delivery_names(DAY, dt.datetime(2026, 11, 21, 1, 2, 3, tzinfo=dt.timezone.utc))
    assert (csv_name, zip_name) == ("linear_orders_20261120_20261121010203.csv",
                                    "linear_orders_20261120_20261121010203.zip")
    assert fwf.parse_delivery_name(zip_name) == (DAY, "20261121010203", "zip")
    assert fwf.parse_delivery_name("linear_orders_2026-11-20_1.csv") is None
    eastern = dt.timezone(dt.timedelta(hours=-5))
    assert fwf.format_timestamp(dt.datetime(2026, 11, 20, 20, 0, tzinfo=eastern)) == "20261121010000"
    assert fwf.format_timestamp("2026-11-20T06:00:00Z") == "20261120060000"
    with pytest.raises(ValueError):
        fwf.format_timestamp("20261399000000")


@pytest.mark.parametrize("day,week", [
    (dt.date(2020, 1, 1), "20201"),  # the document's example value
    (dt.date(2019, 12, 30), "20201"),  # Monday of the week holding Jan 1 starts broadcast week 1
    (dt.date(2020, 1, 6), "20202"),
    (dt.date(2020, 12, 28), "20211"),
    (dt.date(2026, 11, 23), "202648"),
])
def test_broadcast_week(day, week):
    assert fwf.broadcast_week(day) == week


# --------------------------------------------------------------------------- the file
def test_zip_holds_exactly_one_csv_and_is_deterministic(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = build(order_rows(3), tmp_path / "a")
    b = build(order_rows(3), tmp_path / "b")
    assert a.zip_md5 == b.zip_md5  # a re-run recognises its own file by the MD5/ETag
    with zipfile.ZipFile(a.zip_path) as zf:
        assert zf.namelist() == [a.csv_name]
        info = zf.getinfo(a.csv_name)
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.date_time == (2026, 11, 20, 6, 0, 0)
    name, header, rows = fwf.read_delivery(a.zip_path)
    assert header == list(fwf.CSV_COLUMNS) and len(rows) == 3
    assert a.lines == 3 and a.zip_bytes == (tmp_path / "a" / a.zip_name).stat().st_size
    assert not list((tmp_path / "a").glob("*.csv"))  # the plain CSV is not left behind


def test_quoting_strings_and_arrays_not_integers(tmp_path):
    res = build([order_row(advertiser_name='Say "Hi", Inc.')], tmp_path)
    with zipfile.ZipFile(res.zip_path) as zf:
        text = zf.read(res.csv_name).decode()
    line = text.split("\r\n")[1]
    assert line.startswith('1001,7,"20261123","20261129","Say ""Hi"", Inc.","5501",1,30,3,"202648","16:00-20:00","N",')
    assert line.endswith('"1234,5678","1500.00,200.50","10,2","30,30","ESPN,CNN","ESPN,CNN","New York,Boston",""')


def test_python_values_are_accepted(tmp_path):
    """Rows from Python (XCom): ints, dates, lists, booleans, budget_units spelling."""
    row = order_row(contractid=1001, tb_system_id=7, order_line=1, spot_length=30, prioritycode=3,
                    order_start_date=dt.date(2026, 11, 23), order_end_date=dt.datetime(2026, 11, 29),
                    orbits=True, syscode=[1234, 5678], gross_dollars=[1500, 200.5], duration=[30, 30],
                    networkname=["ESPN", "CNN"], networkcode=("ESPN", "CNN"), marketname=["NY", "Boston"])
    del row["buget_units"]
    row["budget_units"] = [10, 2]
    res = build([row], tmp_path)
    _, _, rows = fwf.read_delivery(res.zip_path)
    assert rows[0][:4] == ["1001", "7", "20261123", "20261129"]
    assert rows[0][11:15] == ["Y", "1234,5678", "1500,200.5", "10,2"]


def test_csv_input_with_bom_crlf_quoted_newline_and_blank_lines(tmp_path):
    rows = order_rows(3)
    rows[1]["advertiser_name"] = "Two\nLines"
    text = "\ufeff" + csv_text(rows).replace("budget", "buget").replace("\n", "\r\n").replace("\r\r\n", "\r\n")
    text = text.replace("buget_units", "Budget_Units", 1)  # alias and case of the header
    text += "\r\n"  # a blank line at the end
    # "Each line in the file must represent one order line": the quoted newline is refused
    with pytest.raises(ValidationFailed) as err:
        build_csv(text, tmp_path)
    assert rules_of(err.value) == [("freewheel.text.control", 3, "advertiser_name")]
    text = text.replace("Two\r\nLines", "Two Lines")
    res = build_csv(text, tmp_path)
    assert res.lines == 3 and res.blank_lines == 1
    assert res.summary()["blank_lines_skipped"] == 1
    bad = text.replace("16:00-20:00", "4pm")
    with pytest.raises(ValidationFailed) as err:
        build_csv(bad, tmp_path)
    assert [p.line for p in err.value.problems] == [2, 3, 4]


def test_both_spellings_of_budget_units_is_an_error(tmp_path):
    header = list(order_row().keys()) + ["budget_units"]
    with pytest.raises(ValidationFailed) as err:
        build_csv(csv_text([order_row(budget_units="10,2")], header), tmp_path)
    assert rules_of(err.value) == [("freewheel.columns.duplicate", 1, "budget_units")]


def test_unknown_field_in_rows_is_reported_not_dropped(tmp_path):
    with pytest.raises(ValidationFailed) as err:
        build([order_row(), order_row(order_line="2", notes="x")], tmp_path)
    assert rules_of(err.value) == [("freewheel.columns.unknown", 2, "notes")]


def test_problems_are_collected_across_lines(tmp_path):
    rows = order_rows(30, orbits="X")
    with pytest.raises(ValidationFailed) as err:
        build(rows, tmp_path, max_problems=10)
    assert err.value.total == 30 and len(err.value.problems) == 10
    assert "and 20 more problem(s) not listed" in str(err.value)
    assert not list(tmp_path.iterdir())  # nothing left behind


@pytest.mark.parametrize("field,value,rule,column", [
    ("order_start_date", "20261131", "freewheel.date.format", "order_start_date"),
    ("order_end_date", "2026-11-29", "freewheel.date.format", "order_end_date"),
    ("orbits", "X", "freewheel.orbits", "orbits"),
    ("orbits", "y", "freewheel.orbits", "orbits"),
    ("bookingdesc", "16-20", "freewheel.bookingdesc.format", "bookingdesc"),
    ("bookingdesc", "16:00 - 20:00", "freewheel.bookingdesc.format", "bookingdesc"),
    ("bookingdesc", "25:00-26:00", "freewheel.bookingdesc.format", "bookingdesc"),
    ("duration", "45,30", "freewheel.duration", "duration[0]"),
    ("spot_length", "45", "freewheel.duration", "spot_length"),
    ("broadcast_week", "202654", "freewheel.broadcast_week.format", "broadcast_week"),
    ("broadcast_week", "202001", "freewheel.broadcast_week.format", "broadcast_week"),
    ("contractid", "-5", "freewheel.integer", "contractid"),
    ("prioritycode", "", "freewheel.required", "prioritycode"),
    ("advertiser_name", "  ", "freewheel.required", "advertiser_name"),
    ("syscode", "1234,", "freewheel.array.element", "syscode[1]"),
    ("gross_dollars", "1e3,5", "freewheel.array.element", "gross_dollars[0]"),
    ("buget_units", "10,2,1", "freewheel.array.length", "buget_units"),
    ("networkname", ["ESPN", "A,B"], "freewheel.array.separator", "networkname[1]"),
])
def test_each_rule_names_line_and_field(tmp_path, field, value, rule, column):
    rows = [order_row(), order_row(order_line="2", **{field: value})]
    with pytest.raises(ValidationFailed) as err:
        build(rows, tmp_path)
    assert (rule, 2, column) in rules_of(err.value), str(err.value)


def test_end_before_start(tmp_path):
    with pytest.raises(ValidationFailed) as err:
        build([order_row(order_start_date="20261129", order_end_date="20261123")], tmp_path)
    assert rules_of(err.value) == [("freewheel.date.order", 1, "order_end_date")]


def test_overnight_and_end_of_day_bookings_are_valid(tmp_path):
    res = build([order_row(bookingdesc="20:00-02:00"), order_row(order_line="2", bookingdesc="18:00-24:00")],
                tmp_path)
    assert res.lines == 2


def test_duplicate_key_names_first_line(tmp_path):
    """"contractid+tb_system_id+order_line must be unique within the CSV file"."""
    rows = order_rows(5) + [order_row(order_line="3"), order_row(tb_system_id="8", order_line="3")]
    with pytest.raises(ValidationFailed) as err:
        build(rows, tmp_path)
    assert rules_of(err.value) == [("freewheel.key.unique", 6, "contractid+tb_system_id+order_line")]
    assert "already used on line 3" in str(err.value)


def test_allowed_durations_are_configurable(tmp_path):
    rules = fwf.LineRules.make(allowed_durations=[15, 30, 45, 60])
    res = build([order_row(spot_length="45", duration="45,45")], tmp_path, rules=rules)
    assert res.lines == 1


def test_regional_syscodes_mapping(tmp_path):
    rules = fwf.LineRules.make(regional_syscodes={"7001": "1234,1235"})
    regional = dict(syscode="7001", gross_dollars="900", buget_units="6", duration="30", networkname="ESPN",
                    networkcode="ESPN", marketname="NY DMA")
    res = build([order_row(**regional), order_row(order_line="2", syscode_inclusions="1234", **regional)],
                tmp_path, rules=rules)
    assert res.inclusions_filled == 1
    _, header, rows = fwf.read_delivery(res.zip_path)
    assert [r[header.index("syscode_inclusions")] for r in rows] == ["1234,1235", "1234"]
    with pytest.raises(ValidationFailed) as err:
        build([order_row(syscode_inclusions="1234")], tmp_path, rules=rules)
    assert rules_of(err.value) == [("freewheel.syscode_inclusions.not_regional", 1, "syscode_inclusions")]


def test_size_limit(tmp_path):
    with pytest.raises(ValidationFailed) as err:
        build(order_rows(20), tmp_path, max_zip_bytes=100)
    assert rules_of(err.value) == [("freewheel.file.max_size", None, None)]
    assert err.value.problems[0].source == "linear_orders_20261120_20261120060000.zip"
    assert not list(tmp_path.iterdir())


def test_empty(tmp_path):
    with pytest.raises(ValidationFailed, match="no order lines"):
        build([], tmp_path)
    assert build([], tmp_path, allow_empty=True).lines == 0


def test_key_index_grows_and_finds_duplicates():
    idx = fwf.KeyIndex(capacity=8)
    for i in range(5000):
        assert idx.add((i, 7, i % 13), i + 2) is None
    assert len(idx) == 5000
    assert idx.add((4321, 7, 4321 % 13), 99999) == 4323
    assert idx.add((4321, 8, 4321 % 13), 99999) is None


def test_build_streams_and_keeps_no_line(tmp_path):
    """Streaming: while record N is read, no earlier record is still referenced (memory is
    flat in the number of lines; the figures are in benchmarks/freewheel_build.py)."""

    class Row(dict):  # dicts cannot be weakly referenced, subclasses can
        pass

    refs: list[weakref.ref] = []
    most_alive = 0

    def rows(n: int):
        nonlocal most_alive
        for i in range(1, n + 1):
            most_alive = max(most_alive, sum(1 for r in refs if r() is not None))
            row = Row(order_row(order_line=str(i)))
            refs.append(weakref.ref(row))
            yield row

    gc.disable()  # only reference counting: what is alive is what the build still holds
    try:
        res = build(rows(3_000), tmp_path)
    finally:
        gc.enable()
    assert res.lines == 3_000
    assert most_alive <= 1, most_alive
    assert all(r() is None for r in refs)


# --------------------------------------------------------------------------- property
_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=","), min_size=1,
                max_size=12).filter(lambda s: s.strip())


@st.composite
def valid_rows(draw):
    n = draw(st.integers(1, 4))
    ints = st.integers(0, 10**9)
    return {
        "contractid": draw(ints), "tb_system_id": draw(ints), "order_line": draw(ints),
        "order_start_date": "20261123", "order_end_date": "20261129",
        "advertiser_name": draw(_text), "advertiser_code": draw(_text), "spot_length": 30,
        "prioritycode": draw(st.integers(0, 99)), "broadcast_week": "202648", "bookingdesc": "06:00-09:30",
        "orbits": draw(st.sampled_from(["Y", "N"])),
        "syscode": draw(st.lists(ints, min_size=n, max_size=n)),
        "gross_dollars": draw(st.lists(st.decimals(0, 10**6, places=2), min_size=n, max_size=n)),
        "buget_units": draw(st.lists(st.integers(1, 10**9), min_size=n, max_size=n)),  # dollars need units
        "duration": draw(st.lists(st.sampled_from([15, 30, 60]), min_size=n, max_size=n)),
        "networkname": draw(st.lists(_text, min_size=n, max_size=n)),
        "networkcode": draw(st.lists(_text, min_size=n, max_size=n)),
        "marketname": draw(st.lists(_text, min_size=n, max_size=n)),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=valid_rows())
def test_round_trip_through_the_csv(tmp_path_factory, row):
    """Whatever valid values go in come back cell for cell from the zipped CSV."""
    res = build([row], tmp_path_factory.mktemp("rt"))
    _, header, rows = fwf.read_delivery(res.zip_path)
    got = dict(zip(header, rows[0]))
    for name in ("advertiser_name", "advertiser_code"):
        assert got[name] == row[name]
    for name in ("syscode", "buget_units", "duration", "networkname", "networkcode", "marketname"):
        assert got[name].split(",") == [str(v) for v in row[name]]
    assert [float(x) for x in got["gross_dollars"].split(",")] == [float(x) for x in row["gross_dollars"]]
    assert int(got["contractid"]) == row["contractid"]


# --------------------------------------------------------------------------- API model
def test_api_mapping_and_validation_agree():
    problems = ProblemCollector()
    line = next(fwf.parse_records([(1, order_row(syscode_inclusions="9001,9002"))], "x", problems))
    api, issues = fwf.api_line_from_order(line)
    assert issues == [] and api["external_id"] == "1001-7-1"
    assert [z["syscode"] for z in api["targeting"]["geo"]["zone"]["include"]] == ["1234", "5678", "9001", "9002"]
    assert fwf.validate_api_lines([api]) == 1


def test_api_validator_rules():
    base = {"external_id": "a", "parent_external_id": "p", "advertiser_external_id": 1, "start_date": "2026-11-23",
            "end_date": "2026-11-22", "duration": 15, "budget": {"type": "UNIT", "total_unit": True},
            "price": "9", "priority_code": 1,
            "targeting": {"content": {"channel": {"include": []}}, "geo": {"zone": {"include": []}},
                          "dayparts": {"days_of_week": [], "parts": [{"from": "04:00", "to": "06:00"}]}}}
    with pytest.raises(ValidationFailed) as err:
        fwf.validate_api_lines([base, "not an object"])
    got = {(p.rule, p.line, p.column) for p in err.value.problems}
    assert got == {
        ("freewheel.api.date.order", 1, "end_date"),
        ("freewheel.api.type", 1, "budget.total_unit"),
        ("freewheel.api.price", 1, "price"),
        ("freewheel.api.network_code", 1, "targeting.content.channel.include"),
        ("freewheel.api.type", 2, ""),
    }


def _spool_rows(rows, **kw):
    problems = ProblemCollector(50)
    out = io.StringIO()
    n = fwf.spool_orders_as_api_lines([("rows", fwf.iter_row_records(rows, "rows", problems))], out,
                                      problems=problems, **kw)
    return n, [json.loads(line) for line in out.getvalue().splitlines()]


def test_delivery_rows_spooled_as_json_order_lines_of_the_basic_attributes_table():
    n, lines = _spool_rows(order_rows(3))
    assert n == 3 and len(lines) == 3
    assert all(set(fwf.API_REQUIRED) <= set(_dotted(line)) for line in lines), lines[0]
    assert [line["external_id"] for line in lines] == [fwf.api_line_from_order(o)[0]["external_id"]
                                                        for o in _parsed(order_rows(3))]
    # the order lines written are themselves valid "Basic Attributes" lines, and spool as they are
    out = io.StringIO()
    assert fwf.spool_api_lines(lines, out, problems=ProblemCollector(50)) == 3
    assert [json.loads(x) for x in out.getvalue().splitlines()] == lines


def test_spooling_stops_writing_at_the_first_problem_and_names_every_line():
    rows = order_rows(4)
    rows[1]["spot_length"] = "45"  # "In seconds (15,30,60)"
    rows[3]["spot_length"] = "7"
    problems = ProblemCollector(50)
    out = io.StringIO()
    with pytest.raises(ValidationFailed) as err:
        fwf.spool_orders_as_api_lines([("rows", fwf.iter_row_records(rows, "rows", problems))], out,
                                      problems=problems)
    assert sorted({p.line for p in err.value.problems}) == [2, 4], err.value.problems
    assert len(out.getvalue().splitlines()) == 1  # only the line before the first problem: discarded by callers


def test_json_order_lines_out_of_the_allowed_durations_are_refused():
    _, lines = _spool_rows(order_rows(2))
    problems = ProblemCollector(50)
    with pytest.raises(ValidationFailed) as err:
        fwf.spool_api_lines(lines, io.StringIO(), problems=problems, allowed_durations=(15, 60))
    assert {(p.line, p.column) for p in err.value.problems} == {(1, "duration"), (2, "duration")}


def _dotted(obj, prefix=""):
    for k, v in obj.items():
        yield prefix + k
        if isinstance(v, dict):
            yield from _dotted(v, prefix + k + ".")


def _parsed(rows):
    problems = ProblemCollector(50)
    return list(fwf.parse_records(fwf.iter_row_records(rows, "rows", problems), "rows", problems,
                                  fwf.LineRules(), fwf.KeyIndex(), {}))
