"""BidSwitch report model, validation and builder (pure Python, no network)."""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_adtech.formats import bidswitch as fmt
from airflow_provider_adtech.formats.errors import ValidationFailed

DATA = Path(__file__).parent / "data"
DOC_EXAMPLES = ["zero_report", "hourly_report", "supplier_reports", "minimal_report", "multi_day_report"]


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def problems(payload) -> list:
    return fmt.report_problems(payload, "t.json")


def one(payload, rule: str, path: str):
    found = [p for p in problems(payload) if p.rule == rule and p.column == path]
    assert found, f"expected {rule} at {path}, got {[str(p) for p in problems(payload)]}"
    return found[0]


@pytest.fixture
def minimal() -> dict:
    return load("minimal_report")


# --------------------------------------------------------------------------- document examples
@pytest.mark.parametrize("name", DOC_EXAMPLES)
def test_document_example_reports_validate(name):
    """Document, "Example Reports": zero, hourly, supplier (seats), minimal, multi-day."""
    payload = load(name)
    assert problems(payload) == []
    model = fmt.validate_upload(payload, name)
    assert len(model.reports) == len(payload["reports"])


def test_document_hourly_example_totals_are_summed_per_day():
    payload = load("hourly_report")
    rows = payload["reports"][0]["data"]["2016-08-05"]
    day = fmt.summarize(payload)[0]["days"]["2016-08-05"]
    assert day["rows"] == 24 and day["granularity"] == "hourly"
    assert day["imps"] == sum(r["imps"] for r in rows) == 28255
    assert day["bids"] == sum(r["bids"] for r in rows)
    assert day["timeouts"] == sum(r["timeouts"] for r in rows)
    assert day["cost"] == pytest.approx(sum(r["cost"] for r in rows))


def test_document_zero_report_is_daily_with_zero_totals():
    day = fmt.summarize(load("zero_report"))[0]["days"]["2016-08-05"]
    assert day == {"rows": 1, "granularity": "daily", "imps": 0, "cost": 0.0, "bids": None, "timeouts": None}


@pytest.mark.parametrize("name", DOC_EXAMPLES)
def test_document_example_totals_add_up_every_report_day(name):
    payload = load(name)
    reports = fmt.summarize(payload)
    total = fmt.totals(reports)
    days = [d for rep in reports for d in rep["days"].values()]
    assert total["reports"] == len(payload["reports"]) and total["days"] == len(days)
    assert total["rows"] == sum(len(rows) for rep in payload["reports"] for rows in rep["data"].values())
    assert total["imps"] == sum(d["imps"] for d in days)
    assert total["cost"] == pytest.approx(sum(d["cost"] for d in days))
    with_bids = [d["bids"] for d in days if d["bids"] is not None]
    assert total["bids"] == (sum(with_bids) if with_bids else None)


# --------------------------------------------------------------------------- bad inputs (issue list)
def test_unknown_timezone_is_rejected_with_its_path(minimal):
    """Document: timezone, "the valid options being those in the pytz.all_timezones list"."""
    minimal["reports"][0]["timezone"] = "Europe/Atlantis"
    p = one(minimal, "bidswitch.timezone.unknown", "reports[0].timezone")
    assert "Europe/Atlantis" in p.message


def test_currency_gbp_is_rejected(minimal):
    """Document: currency "one of the following: [ 'USD', 'EUR', 'JPY']"."""
    minimal["reports"][0]["currency"] = "GBP"
    p = one(minimal, "bidswitch.currency.allowed_values", "reports[0].currency")
    assert "GBP" in p.message


@pytest.mark.parametrize("hour,rule", [("7", "bidswitch.hour.format"), ("24", "bidswitch.hour.range"),
                                       ("007", "bidswitch.hour.format"), (7, "bidswitch.hour.type")])
def test_hour_must_be_two_digits_00_to_23(minimal, hour, rule):
    """Document: "hour" is represented as a string and must contain 2 digits; range 00-23."""
    minimal["reports"][0]["data"]["2015-11-26"][0]["hour"] = hour
    one(minimal, rule, "reports[0].data.2015-11-26[0].hour")


def test_negative_imps_is_rejected(minimal):
    minimal["reports"][0]["data"]["2015-11-26"][0]["imps"] = -1
    one(minimal, "bidswitch.imps.negative", "reports[0].data.2015-11-26[0].imps")


def test_cost_as_a_string_is_rejected(minimal):
    """Document: cost is a Float; "3234" (a JSON string) is not a number."""
    minimal["reports"][0]["data"]["2015-11-26"][0]["cost"] = "3234"
    one(minimal, "bidswitch.cost.type", "reports[0].data.2015-11-26[0].cost")


@pytest.mark.parametrize("day,rule", [("2015-13-01", "bidswitch.date.invalid"), ("2015-02-30", "bidswitch.date.invalid"),
                                      ("26/11/2015", "bidswitch.date.format"), ("2015-11-6", "bidswitch.date.format")])
def test_bad_date_is_rejected(minimal, day, rule):
    data = minimal["reports"][0]["data"]
    data[day] = data.pop("2015-11-26")
    one(minimal, rule, f"reports[0].data.{day}")


def test_duplicate_hour_within_a_day_and_seat_is_rejected():
    payload = load("supplier_reports")
    rows = payload["reports"][1]["data"]["2015-11-27"]
    rows[1]["hour"] = "00"
    p = one(payload, "bidswitch.hour.duplicate", "reports[1].data.2015-11-27[1].hour")
    assert "reports[1].data.2015-11-27[0].hour" in p.message and "'456'" in p.message


def test_same_hour_for_two_seats_is_not_a_duplicate():
    payload = load("supplier_reports")
    payload["reports"][1]["timezone"] = "US/Pacific"
    assert problems(payload) == []


def test_same_seat_and_day_in_two_reports_shares_its_hours():
    payload = load("supplier_reports")
    payload["reports"][1]["seat"] = "123"
    p = one(payload, "bidswitch.hour.duplicate", "reports[1].data.2015-11-27[0].hour")
    assert "reports[0].data.2015-11-27[0].hour" in p.message


def test_day_mixing_hourly_and_full_day_rows_is_rejected():
    payload = load("hourly_report")
    payload["reports"][0]["data"]["2016-08-05"].append({"imps": 100, "cost": 1.0})
    one(payload, "bidswitch.day.mixed", "reports[0].data.2016-08-05[24]")


def test_two_full_day_rows_for_one_day_are_rejected(minimal):
    minimal["reports"][0]["data"]["2015-11-26"].append({"imps": 1, "cost": 1})
    one(minimal, "bidswitch.day.duplicate", "reports[0].data.2015-11-26[1]")


def test_empty_day_is_rejected_zero_report_needs_a_row(minimal):
    """Document: zero reports "must contain {"imps":0,"cost":0}"."""
    minimal["reports"][0]["data"]["2015-11-27"] = []
    p = one(minimal, "bidswitch.day.empty", "reports[0].data.2015-11-27")
    assert '{"imps":0,"cost":0}' in p.message


@pytest.mark.parametrize("field,value,rule", [
    ("imps", 1.5, "bidswitch.imps.type"), ("imps", True, "bidswitch.imps.type"), ("imps", "5", "bidswitch.imps.type"),
    ("bids", -2, "bidswitch.bids.negative"), ("timeouts", "x", "bidswitch.timeouts.type"),
    ("cost", -0.01, "bidswitch.cost.negative"), ("cost", None, "bidswitch.cost.type"),
])
def test_row_value_rules(minimal, field, value, rule):
    minimal["reports"][0]["data"]["2015-11-26"][0][field] = value
    one(minimal, rule, f"reports[0].data.2015-11-26[0].{field}")


def test_required_fields_and_unknown_fields(minimal):
    rep = minimal["reports"][0]
    del rep["currency"]
    del rep["data"]["2015-11-26"][0]["imps"]
    rep["data"]["2015-11-26"][0]["imp"] = 5
    rules = {(p.rule, p.column) for p in problems(minimal)}
    assert ("bidswitch.currency.required", "reports[0].currency") in rules
    assert ("bidswitch.imps.required", "reports[0].data.2015-11-26[0].imps") in rules
    assert ("bidswitch.row.unknown_field", "reports[0].data.2015-11-26[0].imp") in rules


def test_many_problems_are_collected_in_one_pass():
    payload = load("hourly_report")
    rows = payload["reports"][0]["data"]["2016-08-05"]
    rows[0]["hour"] = "7"
    rows[1]["hour"] = "24"
    rows[2]["imps"] = -3
    rows[3]["cost"] = "1.0"
    rows[5]["hour"] = "04"
    payload["reports"][0]["currency"] = "GBP"
    payload["reports"][0]["timezone"] = "Nowhere"
    with pytest.raises(ValidationFailed) as err:
        fmt.validate_upload(payload, "big.json")
    assert err.value.total == 7
    text = str(err.value)
    for path in ("reports[0].data.2016-08-05[0].hour", "reports[0].data.2016-08-05[1].hour",
                 "reports[0].data.2016-08-05[2].imps", "reports[0].data.2016-08-05[3].cost",
                 "reports[0].data.2016-08-05[5].hour", "reports[0].currency", "reports[0].timezone"):
        assert path in text
    assert "big.json" in text and "nothing was sent" in text


def test_json_path_format():
    assert fmt.json_path(("reports", 1, "data", "2016-08-05", 3, "hour")) == "reports[1].data.2016-08-05[3].hour"
    assert fmt.json_path(("reports", 0, "data", "2016-13-01", "[key]")) == "reports[0].data.2016-13-01"


# --------------------------------------------------------------------------- builder
def test_build_hourly_rows_into_one_report_per_seat():
    records = [
        {"date": "2026-11-20", "hour": h, "seat": seat, "imps": 10 + h, "cost": 1.5, "bids": 100, "timeouts": 3}
        for seat in ("s1", "s2") for h in (2, 0, 1)
    ]
    built = fmt.build_upload(fmt.rows_from_records(records), report_dates=["2026-11-20"])
    reports = built.payload["reports"]
    assert [r["seat"] for r in reports] == ["s1", "s2"]
    day = reports[0]["data"]["2026-11-20"]
    assert [r["hour"] for r in day] == ["00", "01", "02"]
    assert day[0] == {"hour": "00", "imps": 10, "cost": 1.5, "bids": 100, "timeouts": 3}
    assert fmt.report_problems(built.payload) == []


def test_grouping_by_seat_timezone_and_currency():
    records = [
        {"date": "2026-11-20", "seat": "a", "imps": 1, "cost": 1, "currency": "EUR"},
        {"date": "2026-11-20", "seat": "b", "imps": 2, "cost": 2},
        {"date": "2026-11-20", "seat": "c", "imps": 3, "cost": 3, "timezone": "Asia/Tokyo", "currency": "JPY"},
    ]
    built = fmt.build_upload(fmt.rows_from_records(records), timezone="US/Pacific", currency="USD")
    got = [(r["seat"], r["timezone"], r["currency"]) for r in built.payload["reports"]]
    assert got == [("a", "US/Pacific", "EUR"), ("b", "US/Pacific", "USD"), ("c", "Asia/Tokyo", "JPY")]


def test_daily_granularity_sums_hours_and_says_so():
    records = [{"date": "2026-11-20", "hour": f"{h:02d}", "imps": 10, "cost": 0.25, "bids": 5, "timeouts": 1}
               for h in range(24)]
    built = fmt.build_upload(fmt.rows_from_records(records), granularity="daily")
    assert built.payload["reports"][0]["data"]["2026-11-20"] == [
        {"imps": 240, "cost": 6.0, "bids": 120, "timeouts": 24}]
    assert any("summed 24 hourly row(s)" in n for n in built.notes)


def test_zero_fill_for_days_without_rows_in_a_multi_day_upload():
    """Document: "Zero reports indicate that no trading occurred, and they must contain {"imps":0,"cost":0}"."""
    records = [{"date": "2026-11-19", "imps": 5, "cost": 1.0}]
    built = fmt.build_upload(fmt.rows_from_records(records), report_dates=["2026-11-18", "2026-11-19", "2026-11-20"],
                             zero_fill=True)
    data = built.payload["reports"][0]["data"]
    assert list(data) == ["2026-11-18", "2026-11-19", "2026-11-20"]
    assert data["2026-11-18"] == [{"imps": 0, "cost": 0}] == data["2026-11-20"]
    assert any("2026-11-18" in n and "zero report" in n for n in built.notes)


def test_zero_fill_with_no_rows_at_all_makes_the_documents_zero_report():
    built = fmt.build_upload([], report_dates=["2016-08-05"], zero_fill=True)
    assert built.payload == {"reports": [{"timezone": "UTC", "currency": "USD",
                                          "data": {"2016-08-05": [{"imps": 0, "cost": 0}]}}]}
    # the same meaning as the document's zero report example
    doc = load("zero_report")["reports"][0]
    assert doc["data"] == built.payload["reports"][0]["data"]


def test_a_report_day_without_rows_is_an_error_without_zero_fill():
    with pytest.raises(ValidationFailed) as err:
        fmt.build_upload([], report_dates=["2026-11-20"])
    assert err.value.problems[0].rule == "bidswitch.date.no_rows" and "zero_fill=True" in str(err.value)


def test_rows_outside_the_report_dates_are_errors_not_dropped():
    rows = fmt.rows_from_records([{"date": "2026-11-19", "imps": 1, "cost": 1},
                                  {"date": "2026-11-20", "imps": 1, "cost": 1}])
    with pytest.raises(ValidationFailed) as err:
        fmt.build_upload(rows, report_dates=["2026-11-20"])
    (p,) = err.value.problems
    assert p.rule == "bidswitch.date.outside" and p.source == "rows[0]" and p.column == "date"


def test_builder_problems_name_record_and_field():
    records = [
        {"date": "2026-11-20", "hour": "00", "imps": 1, "cost": 1},
        {"date": "2026-11-20", "hour": "7", "imps": -1, "cost": "abc"},
        {"date": "2026-11-32", "hour": 24, "imps": 1.5, "cost": float("inf")},
        {"date": "2026-11-20", "hour": "00", "imps": 1, "cost": 1},
        {"date": "2026-11-20", "imps": 1, "cost": 1},
    ]
    col = fmt.ProblemCollector()
    rows = fmt.rows_from_records(records, collector=col)
    fmt.build_upload(rows, report_dates=["2026-11-20"], collector=col)
    got = {(p.source, p.column, p.rule) for p in col.problems}
    assert got == {
        ("rows[1]", "hour", "bidswitch.hour.format"), ("rows[1]", "imps", "bidswitch.imps.negative"),
        ("rows[1]", "cost", "bidswitch.cost.type"), ("rows[2]", "date", "bidswitch.date.invalid"),
        ("rows[2]", "hour", "bidswitch.hour.range"), ("rows[2]", "imps", "bidswitch.imps.type"),
        ("rows[2]", "cost", "bidswitch.cost.type"), ("rows[3]", "hour", "bidswitch.hour.duplicate"),
        ("rows[4]", "hour", "bidswitch.day.mixed"),
    }


def test_sql_types_are_accepted():
    """A SQL hook's records: date objects, Decimal sums, integer hours, tuples."""
    records = [(dt.date(2026, 11, 20), 5, "s1", decimal.Decimal("120"), decimal.Decimal("3.75"), 1000, None)]
    (row,) = fmt.rows_from_records(records)
    assert (row.date, row.hour, row.seat, row.imps, row.cost, row.bids, row.timeouts) == (
        "2026-11-20", "05", "s1", 120, 3.75, 1000, None)


def test_ignored_input_keys_are_reported_in_the_notes():
    notes: list[str] = []
    fmt.rows_from_records([{"date": "2026-11-20", "imps": 1, "cost": 1, "placement": "x"}], notes=notes)
    assert notes == ["ignored input field(s) not part of the report: placement (1 row(s))"]


CSV_OK = """date,hour,seat,imps,cost,bids,timeouts
2026-11-20,00,s1,10,1.5,100,5
2026-11-20,01,s1,11,1.25,110,
2026-11-20,,s2,30,9,,
"""


def test_csv_builder_reads_header_and_values():
    rows = fmt.rows_from_csv(io.StringIO(CSV_OK), source="d.csv")
    built = fmt.build_upload(rows)
    assert built.payload == {"reports": [
        {"seat": "s1", "timezone": "UTC", "currency": "USD", "data": {"2026-11-20": [
            {"hour": "00", "imps": 10, "cost": 1.5, "bids": 100, "timeouts": 5},
            {"hour": "01", "imps": 11, "cost": 1.25, "bids": 110}]}},
        {"seat": "s2", "timezone": "UTC", "currency": "USD", "data": {"2026-11-20": [{"imps": 30, "cost": 9}]}},
    ]}


def test_csv_problems_name_file_line_and_column():
    text = CSV_OK + "2026-11-20,24,s1,-4,1.x,,\n2026-11-20,00,s1,1,1,,\n2026-11-20,02,s1,1\n"
    col = fmt.ProblemCollector()
    rows = fmt.rows_from_csv(io.StringIO(text), source="d.csv", collector=col)
    fmt.build_upload(rows, collector=col)
    got = {(p.line, p.column, p.rule) for p in col.problems}
    assert got == {(5, "hour", "bidswitch.hour.range"), (5, "imps", "bidswitch.imps.negative"),
                   (5, "cost", "bidswitch.cost.type"), (6, "hour", "bidswitch.hour.duplicate"),
                   (7, None, "bidswitch.csv.width")}
    assert all(p.source == "d.csv" for p in col.problems)
    dup = next(p for p in col.problems if p.rule == "bidswitch.hour.duplicate")
    assert "first at d.csv line 2" in dup.message


def test_csv_column_mapping_and_missing_header():
    text = "day,hr,imp,spend\n2026-11-20,03,5,0.5\n"
    rows = fmt.rows_from_csv(io.StringIO(text), columns={"date": "day", "hour": "hr", "imps": "imp", "cost": "spend"})
    assert rows[0].hour == "03" and rows[0].imps == 5
    with pytest.raises(ValidationFailed) as err:
        fmt.rows_from_csv(io.StringIO(text), source="x.csv")
    assert {p.column for p in err.value.problems} == {"date", "imps", "cost"}
    assert all(p.line == 1 for p in err.value.problems)


@pytest.mark.parametrize("value,expected", [
    ("2026-11-20", ["2026-11-20"]),
    ("2026-11-20T00:00:00+00:00", ["2026-11-20"]),
    ("2026-11-19,2026-11-18", ["2026-11-18", "2026-11-19"]),
    ("2026-11-29..2026-12-01", ["2026-11-29", "2026-11-30", "2026-12-01"]),
    ([dt.date(2026, 1, 2), "2026-01-01"], ["2026-01-01", "2026-01-02"]),
    (None, None),
])
def test_report_dates_forms(value, expected):
    assert fmt.parse_report_dates(value) == expected


def test_report_dates_rejects_nonsense():
    with pytest.raises(ValueError):
        fmt.parse_report_dates("yesterday")
    with pytest.raises(ValueError):
        fmt.parse_report_dates("2026-11-20..2026-11-01")


# --------------------------------------------------------------------------- round trips
def _canonical(payload: dict) -> dict:
    out = copy.deepcopy(payload)
    for rep in out["reports"]:
        rep["data"] = {d: sorted(rows, key=lambda r: r.get("hour", "")) for d, rows in sorted(rep["data"].items())}
    return out


@pytest.mark.parametrize("name", DOC_EXAMPLES)
def test_document_examples_round_trip_report_rows_report(name):
    payload = load(name)
    rows = fmt.upload_to_rows(payload)
    rebuilt = fmt.build_upload(fmt.rows_from_records(rows)).payload
    assert _canonical(rebuilt) == _canonical(payload)
    assert json.loads(json.dumps(rebuilt)) == rebuilt


hours = st.lists(st.integers(0, 23), unique=True, min_size=1, max_size=24)
seats = st.one_of(st.none(), st.sampled_from(["123", "456", "buyer-x"]))


@st.composite
def record_sets(draw):
    recs = []
    days = draw(st.lists(st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)), unique=True, min_size=1, max_size=3))
    for seat in draw(st.lists(seats, unique=True, min_size=1, max_size=3)):
        tz = draw(st.sampled_from(["UTC", "EST", "US/Pacific", "Europe/Berlin"]))
        cur = draw(st.sampled_from(list(fmt.CURRENCIES)))
        for day in days:
            hourly = draw(st.booleans())
            for h in (draw(hours) if hourly else [None]):
                imps = draw(st.integers(0, 10**9))
                recs.append({
                    "date": day.isoformat(), "hour": None if h is None else f"{h:02d}", "seat": seat,
                    "imps": imps,  # "The final cost for delivered impressions": none delivered, no cost
                    "cost": 0 if imps == 0 else draw(st.one_of(
                        st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False, allow_infinity=False))),
                    "bids": draw(st.one_of(st.none(), st.integers(0, 10**9))),
                    "timeouts": draw(st.one_of(st.none(), st.integers(0, 10**9))),
                    "timezone": tz, "currency": cur,
                })
    return recs


@settings(max_examples=60, deadline=None)
@given(record_sets())
def test_rows_report_rows_round_trip(records):
    built = fmt.build_upload(fmt.rows_from_records(records))
    assert fmt.report_problems(built.payload) == []
    back = fmt.upload_to_rows(built.payload)
    key = lambda r: (r["seat"] or "", r["date"], r["hour"] or "")  # noqa: E731
    assert sorted(back, key=key) == sorted(records, key=key)
    assert fmt.build_upload(fmt.rows_from_records(back)).payload == built.payload


def test_numeric_hours_are_written_as_two_digit_strings_and_noted():
    notes: list[str] = []
    rows = fmt.rows_from_records([{"date": "2026-11-20", "hour": 7, "imps": 1, "cost": 1},
                                  {"date": "2026-11-20", "hour": "08", "imps": 1, "cost": 1}], notes=notes)
    assert [r.hour for r in rows] == ["07", "08"]
    assert notes == ['hour given as a number on 1 row(s), written as the document\'s two-digit string (e.g. 7 -> "07")']
