"""``adtech-validate``: valid and invalid files of each vendor, exit status, output lines, ``--json``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cli_helpers import (
    ISPOT_HEADER,
    UTC,
    ispot_row,
    order_row,
    problems_of,
    run,
    run_json,
    write_csv,
    write_jsonl,
    yesterday,
)

BIDSWITCH_DATA = Path(__file__).resolve().parents[1] / "bidswitch" / "data"
JSON_KEYS = {"schema", "vendor", "files", "valid", "exit_status", "rows", "problem_count", "problems",
             "truncated", "notes"}
PROBLEM_KEYS = {"file", "line", "column", "rule", "message"}


def check_schema(doc: dict) -> None:
    """The ``--json`` document as docs/validate.md describes it."""
    assert set(doc) == JSON_KEYS
    assert doc["schema"] == 1
    assert doc["vendor"] in ("ispot", "bidswitch", "freewheel", "iqm")
    assert isinstance(doc["files"], list) and all(isinstance(f, str) for f in doc["files"])
    assert isinstance(doc["valid"], bool)
    assert doc["exit_status"] == (0 if doc["valid"] else 1)
    assert doc["rows"] is None or isinstance(doc["rows"], int)
    assert isinstance(doc["problem_count"], int) and doc["problem_count"] >= len(doc["problems"])
    assert doc["valid"] == (doc["problem_count"] == 0)
    assert doc["truncated"] == (doc["problem_count"] > len(doc["problems"]))
    assert all(isinstance(n, str) for n in doc["notes"])
    for p in doc["problems"]:
        assert set(p) == PROBLEM_KEYS
        assert isinstance(p["rule"], str) and isinstance(p["message"], str)
        assert p["line"] is None or isinstance(p["line"], int)
        assert p["column"] is None or isinstance(p["column"], str)
        assert p["file"] is None or isinstance(p["file"], str)


# --------------------------------------------------------------------------- iSpot
@pytest.fixture
def day() -> dt.date:
    return yesterday()


def test_ispot_valid_file_exits_0_with_a_summary_line(tmp_path, capsys, day):
    path = write_csv(tmp_path / "conv.csv", [ispot_row(day, n) for n in range(20)])
    code, lines, err = run(capsys, "ispot", path)
    assert code == 0
    assert lines == ["ispot: 1 file, 20 rows checked: valid"]
    assert f"checked against the data day {day}" in err


def test_ispot_problems_are_printed_file_line_column_rule(tmp_path, capsys, day):
    records = [ispot_row(day, n) for n in range(6)]
    records[1]["ip"] = "300.1.2.3"
    records[4]["app"] = "tv"
    records[5]["datetime"] = f"{day - dt.timedelta(days=3)} 10:00:00"
    path = write_csv(tmp_path / "conv.csv", records)
    code, lines, _ = run(capsys, "ispot", path)
    assert code == 1
    found = [(m["file"], m["line"], m["column"], m["rule"]) for m in problems_of(lines)]
    assert found == [(str(path), "3", "ip", "ispot.ip.ipv4"), (str(path), "6", "app", "ispot.app.value"),
                     (str(path), "7", "datetime", "ispot.datetime.outside_range")]
    assert lines[-1] == "ispot: 1 file checked: 3 problems"


def test_ispot_json_document_and_max_problems(tmp_path, capsys, day):
    records = [ispot_row(day, n, ip="1.2.3") for n in range(5)]
    path = write_csv(tmp_path / "conv.csv", records)
    code, doc = run_json(capsys, "ispot", "--max-problems", "2", path)
    assert code == 1
    check_schema(doc)
    assert doc["problem_count"] == 5 and len(doc["problems"]) == 2 and doc["truncated"] is True
    assert doc["problems"][0] == {"file": str(path), "line": 2, "column": "ip", "rule": "ispot.ip.ipv4",
                                  "message": doc["problems"][0]["message"]}
    assert "1.2.3" in doc["problems"][0]["message"]
    code, lines, _ = run(capsys, "ispot", "--max-problems", "2", path)
    assert code == 1 and len(lines) == 3
    assert lines[-1] == "ispot: 1 file checked: 5 problems (3 not listed; --max-problems to list more)"


def test_ispot_valid_json_document(tmp_path, capsys, day):
    path = write_csv(tmp_path / "conv.csv", [ispot_row(day, n) for n in range(3)])
    code, doc = run_json(capsys, "ispot", path)
    check_schema(doc)
    assert code == 0
    assert (doc["valid"], doc["rows"], doc["problems"], doc["files"]) == (True, 3, [], [str(path)])


def test_ispot_column_mapping_passthru_and_data_date_as_the_operator_takes_them(tmp_path, capsys):
    day = dt.date(2026, 3, 1)
    records = [{"LATEST_IPADDRESS": f"66.87.1.{n + 1}", "TIME_STAMP": f"{day} 0{n}:00:00", "SITE_ID": "TC-1234-5",
                "app": "web", "type": "visit", "useragent": "UA"} for n in range(4)]
    path = write_csv(tmp_path / "export.csv", records)
    mapping = json.dumps({"LATEST_IPADDRESS": "ip", "TIME_STAMP": "datetime", "SITE_ID": "siteid"})
    now = ["--now", f"{day + dt.timedelta(days=1)}T03:00:00"]
    code, lines, _ = run(capsys, "ispot", *now, "--column-mapping", mapping, "--passthru", "false",
                         "--data-date", day, path)
    assert (code, lines) == (0, ["ispot: 1 file, 4 rows checked: valid"])
    # without the mapping the vendor's names are not the schema's
    code, lines, _ = run(capsys, "ispot", *now, "--data-date", day, path)
    assert code == 1 and any("[ispot.header." in line for line in lines)
    # the mapping from a file, and a day range that leaves the rows' day out
    (tmp_path / "map.json").write_text(mapping)
    code, lines, _ = run(capsys, "ispot", *now, "--column-mapping", f"@{tmp_path / 'map.json'}",
                         "--date-range", f"{day + dt.timedelta(days=1)}..{day + dt.timedelta(days=2)}", path)
    assert code == 1
    assert {m["rule"] for m in problems_of(lines)} == {"ispot.datetime.outside_range"}


def test_ispot_reprocessing_is_refused_unless_allowed(tmp_path, capsys):
    day = dt.date(2026, 1, 10)
    path = write_csv(tmp_path / "old.csv", [ispot_row(day, n) for n in range(3)])
    late = ["--now", f"{day + dt.timedelta(days=20)}T12:00:00", "--data-date", str(day)]
    code, lines, _ = run(capsys, "ispot", *late, path)
    assert code == 1 and {m["rule"] for m in problems_of(lines)} == {"ispot.datetime.reprocessing"}
    code, lines, err = run(capsys, "ispot", *late, "--allow-reprocessing", path)
    assert code == 0 and "iSpot charges for reprocessing" in err


def test_ispot_strict_mode_reports_unquoted_values(tmp_path, capsys, day):
    import csv

    path = write_csv(tmp_path / "plain.csv", [ispot_row(day, n) for n in range(3)], quoting=csv.QUOTE_MINIMAL)
    assert run(capsys, "ispot", path)[0] == 0
    code, lines, _ = run(capsys, "ispot", "--no-normalize", path)
    assert code == 1 and {m["rule"] for m in problems_of(lines)} == {"ispot.csv.unquoted"}


def test_ispot_several_files_are_one_upload(tmp_path, capsys, day):
    a = write_csv(tmp_path / "a.csv", [ispot_row(day, n) for n in range(3)])
    b = write_csv(tmp_path / "b.csv", [ispot_row(day, n) for n in range(3, 5)], header=ISPOT_HEADER[::-1])
    assert run(capsys, "ispot", a, b)[:2] == (0, ["ispot: 2 files, 5 rows checked: valid"])
    c = write_csv(tmp_path / "c.csv", [ispot_row(day, 9)], header=[h for h in ISPOT_HEADER if h != "type"])
    code, lines, _ = run(capsys, "ispot", a, b, c)
    assert code == 1
    assert [(m["file"], m["line"], m["column"]) for m in problems_of(lines)][0] == (str(c), "1", "type")


@pytest.mark.parametrize("argv", [
    ["ispot", "missing.csv"],
    ["ispot", "--data-date", "2026-13-01", "FILE"],
    ["ispot", "--date-range", "2026-11-20..2026-11-10", "FILE"],
    ["ispot", "--column-mapping", "{not json", "FILE"],
    ["ispot", "--column-mapping", '{"X": "nope"}', "FILE"],
    ["ispot", "--passthru", "maybe", "FILE"],
    ["ispot", "--max-problems", "0", "FILE"],
    ["ispot", "--now", "yesterday", "FILE"],
    ["ispot"],
    ["tradedesk", "FILE"],
    [],
    ["bidswitch", "--columns", "[1", "FILE"],
    ["bidswitch", "report.txt"],
    ["freewheel", "--allowed-durations", "15,x", "FILE"],
    ["freewheel", "--regional-syscodes", "missing.json", "FILE"],
])
def test_usage_errors_exit_2(tmp_path, capsys, day, argv):
    good = write_csv(tmp_path / "good.csv", [ispot_row(day, 1)])
    (tmp_path / "report.txt").write_text("{}")
    argv = [str(good) if a == "FILE" else str(tmp_path / a) if a in ("missing.csv", "report.txt") else a
            for a in argv]
    code, lines, err = run(capsys, *argv)
    assert code == 2
    assert lines == []
    assert "error" in err


def test_help_exits_0(capsys):
    code, lines, _ = run(capsys, "ispot", "--help")
    assert code == 0 and any("--column-mapping" in line for line in lines)


# --------------------------------------------------------------------------- BidSwitch
def test_bidswitch_json_reports_valid_and_invalid(tmp_path, capsys):
    good = BIDSWITCH_DATA / "hourly_report.json"
    assert run(capsys, "bidswitch", good)[:2] == (0, ["bidswitch: 1 file checked: valid"])
    bad = tmp_path / "report.json"
    bad.write_text(json.dumps({"reports": [{"timezone": "Mars/Olympus", "currency": "USD",
                                            "data": {"2026-11-20": [{"hour": "7", "imps": 1, "cost": 1}]}}]}))
    code, lines, _ = run(capsys, "bidswitch", good, bad)
    assert code == 1
    found = {(m["file"], m["line"], m["column"], m["rule"]) for m in problems_of(lines)}
    assert found == {(str(bad), None, "reports[0].timezone", "bidswitch.timezone.unknown"),
                     (str(bad), None, "reports[0].data.2026-11-20[0].hour", "bidswitch.hour.format")}


def test_bidswitch_report_that_is_not_json_names_line_and_column(tmp_path, capsys):
    bad = tmp_path / "report.json"
    bad.write_text('{"reports": [\n  {"timezone": "UTC",,}\n]}')
    code, doc = run_json(capsys, "bidswitch", bad)
    check_schema(doc)
    assert code == 1
    assert [(p["line"], p["column"], p["rule"]) for p in doc["problems"]] == [(2, "22", "bidswitch.json.syntax")]


def test_bidswitch_report_dates_are_checked_against_a_report(capsys):
    path = BIDSWITCH_DATA / "minimal_report.json"
    day = next(iter(json.loads(path.read_text())["reports"][0]["data"]))
    assert run(capsys, "bidswitch", "--report-dates", day, path)[0] == 0
    other = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    code, lines, _ = run(capsys, "bidswitch", "--report-dates", other, path)
    assert code == 1 and problems_of(lines)


def bidswitch_rows(day: str, hours: range = range(3)) -> list[dict]:
    return [{"date": day, "hour": f"{h:02d}", "seat": "s1", "imps": 100 + h, "cost": 1.5, "bids": 200,
             "timeouts": 0} for h in hours]


def test_bidswitch_rows_as_csv(tmp_path, capsys):
    day = "2026-05-04"
    path = write_csv(tmp_path / "rows.csv", bidswitch_rows(day))
    assert run(capsys, "bidswitch", "--report-dates", day, path)[:2] == (0, ["bidswitch: 1 file, 3 rows checked: valid"])
    rows = bidswitch_rows(day)
    rows[1]["hour"] = "24"
    rows[2]["imps"] = "-5"
    path = write_csv(tmp_path / "rows.csv", rows)
    code, lines, _ = run(capsys, "bidswitch", "--report-dates", day, path)
    assert code == 1
    found = [(m["file"], m["line"], m["column"], m["rule"].split(".")[1]) for m in problems_of(lines)]
    assert found == [(str(path), "3", "hour", "hour"), (str(path), "4", "imps", "imps")]


def test_bidswitch_rows_default_to_the_day_before_now(tmp_path, capsys):
    path = write_csv(tmp_path / "rows.csv", bidswitch_rows("2026-05-04"))
    assert run(capsys, "bidswitch", "--now", "2026-05-05T08:00:00", path)[0] == 0
    code, lines, _ = run(capsys, "bidswitch", "--now", "2026-05-07T08:00:00", path)
    assert code == 1 and "bidswitch.date.outside" in {m["rule"] for m in problems_of(lines)}


def test_bidswitch_rows_as_json_lines_name_the_file_line(tmp_path, capsys):
    day = "2026-05-04"
    rows = bidswitch_rows(day, range(4))
    rows[2]["cost"] = "free"
    path = write_jsonl(tmp_path / "rows.jsonl", rows, blank_after=(1,))
    with path.open("a") as fh:
        fh.write("{broken\n")
    code, lines, _ = run(capsys, "bidswitch", "--report-dates", day, path)
    assert code == 1
    found = sorted((m["file"], m["line"], m["rule"]) for m in problems_of(lines))
    assert found == [(str(path), "4", "bidswitch.cost.type"), (str(path), "6", "bidswitch.jsonl.syntax")]


# --------------------------------------------------------------------------- FreeWheel
def test_freewheel_csv_valid_and_invalid(tmp_path, capsys):
    good = write_csv(tmp_path / "orders.csv", [order_row(n) for n in range(1, 4)])
    assert run(capsys, "freewheel", good)[:2] == (0, ["freewheel: 1 file, 3 rows checked: valid"])
    rows = [order_row(n) for n in range(1, 4)] + [order_row(2)]
    rows[0]["orbits"] = "maybe"
    bad = write_csv(tmp_path / "orders.csv", rows)
    code, lines, _ = run(capsys, "freewheel", bad)
    assert code == 1
    found = [(m["line"], m["column"], m["rule"]) for m in problems_of(lines)]
    assert found == [("2", "orbits", "freewheel.orbits"),
                     ("5", "contractid+tb_system_id+order_line", "freewheel.key.unique")]


def test_freewheel_header_problems_and_an_empty_file(tmp_path, capsys):
    rows = [order_row(1)]
    del rows[0]["marketname"]
    path = write_csv(tmp_path / "orders.csv", rows)
    code, doc = run_json(capsys, "freewheel", path)
    check_schema(doc)
    assert code == 1 and [(p["line"], p["column"], p["rule"]) for p in doc["problems"]] == [
        (1, "marketname", "freewheel.columns.missing")]
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(order_row()) + "\n")
    code, lines, _ = run(capsys, "freewheel", empty)
    assert code == 1 and [m["rule"] for m in problems_of(lines)] == ["freewheel.empty"]


def test_freewheel_json_lines_keep_the_file_line(tmp_path, capsys):
    rows = [order_row(n) for n in range(1, 5)]
    rows[3]["spot_length"] = "45"
    path = write_jsonl(tmp_path / "orders.jsonl", rows, blank_after=(1, 2))
    code, lines, _ = run(capsys, "freewheel", path)
    assert code == 1
    assert [(m["line"], m["column"], m["rule"]) for m in problems_of(lines)] == [
        ("6", "spot_length", "freewheel.duration")]


@pytest.mark.parametrize("table", ["json", "csv"])
def test_freewheel_regional_syscodes_table(tmp_path, capsys, table):
    if table == "json":
        (tmp_path / "regional.json").write_text(json.dumps({"7001": [1234, 1235]}))
        path = tmp_path / "regional.json"
    else:
        (tmp_path / "regional.csv").write_text('regional,local\n7001,1234\n7001,"1235"\n')
        path = tmp_path / "regional.csv"
    regional_line = order_row(1, syscode="7001,5678")
    orders = write_csv(tmp_path / "orders.csv", [regional_line, order_row(2)],
                       header=list(order_row()) + ["syscode_inclusions"])
    code, lines, err = run(capsys, "freewheel", "--regional-syscodes", path, orders)
    assert code == 0, lines
    assert "1 regional line(s) get their syscode_inclusions" in err
    stray = order_row(1, syscode="7001,5678", syscode_inclusions="9999")
    orders = write_csv(tmp_path / "orders.csv", [stray], header=list(stray))
    code, lines, _ = run(capsys, "freewheel", "--regional-syscodes", path, orders)
    assert code == 1
    assert [(m["line"], m["column"], m["rule"]) for m in problems_of(lines)] == [
        ("2", "syscode_inclusions", "freewheel.syscode_inclusions.not_local")]


def test_text_that_is_not_utf8_is_a_problem_not_a_crash(tmp_path, capsys):
    path = write_csv(tmp_path / "orders.csv", [order_row(1), order_row(2, advertiser_name="Cafe")])
    path.write_bytes(path.read_bytes().replace(b"Cafe", b"Caf\xe9"))
    code, lines, _ = run(capsys, "freewheel", path)
    assert code == 1
    # the FreeWheel reader names the line and the column of the undecodable byte
    assert [(m["file"], m["line"], m["column"], m["rule"]) for m in problems_of(lines)] == [
        (str(path), "3", "advertiser_name", "freewheel.file.encoding")]
    assert "0xe9" in lines[0].lower() or "\\xe9" in lines[0], lines[0]


# --------------------------------------------------------------------------- IQM
def test_iqm_changes_valid_and_invalid(tmp_path, capsys):
    now = dt.datetime.now(UTC)
    later = int((now + dt.timedelta(days=30)).timestamp())
    good = write_jsonl(tmp_path / "changes.jsonl", [{"campaignId": 1, "endDate": later},
                                                     {"campaignId": 2, "totalBudget": 500}])
    assert run(capsys, "iqm", good)[:2] == (0, ["iqm: 1 file, 2 rows checked: valid"])
    past = int((now - dt.timedelta(days=1)).timestamp())
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"campaignId": 1, "endDate": past}, {"campaignId": 1, "maxBid": 2},
                                               {"campaignId": 3, "colour": "red", "maxBid": 1}])
    code, doc = run_json(capsys, "iqm", bad)
    check_schema(doc)
    assert code == 1
    assert [(p["line"], p["column"], p["rule"].split(".")[1]) for p in doc["problems"]] == [
        (1, "endDate", doc["problems"][0]["rule"].split(".")[1]), (2, "campaignId", "changes"),
        (3, "colour", "changes")]
    assert [p["rule"] for p in doc["problems"]][1:] == ["iqm.changes.duplicate", "iqm.changes.unknown_field"]


def test_iqm_end_dates_are_relative_to_now(tmp_path, capsys):
    end = dt.datetime(2026, 6, 1, tzinfo=UTC)
    path = write_jsonl(tmp_path / "c.jsonl", [{"campaignId": 7, "endDate": int(end.timestamp())}])
    assert run(capsys, "iqm", "--now", "2026-05-01", path)[0] == 0
    assert run(capsys, "iqm", "--now", "2026-06-02", path)[0] == 1
