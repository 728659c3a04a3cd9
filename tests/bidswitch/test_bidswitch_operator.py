"""BidSwitchDiscrepancyOperator: inputs, report days, zero fill, dry run, summary, uploads."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError
from airflow_provider_adtech.operators.bidswitch import BidSwitchDiscrepancyOperator

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent / "data"
DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
CONTEXT = {"data_interval_start": DAY, "data_interval_end": DAY + dt.timedelta(days=1), "logical_date": DAY,
           "ds": "2026-11-20"}


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def hourly_rows(day: str = "2026-11-20", seats=("s1", "s2")) -> list[dict]:
    return [{"date": day, "hour": h, "seat": s, "imps": 100 + h, "cost": 0.5, "bids": 1000, "timeouts": 10}
            for s in seats for h in range(24)]


def run(**kwargs):
    kwargs.setdefault("task_id", "upload")
    kwargs.setdefault("platform_name", "sandbox-ssp")
    op = BidSwitchDiscrepancyOperator(**kwargs)
    op.hook.sleep = lambda s: None
    return op, op.execute(dict(CONTEXT))


def test_rows_are_uploaded_as_hourly_reports_per_seat(sandbox):
    _, summary = run(rows=hourly_rows())
    assert summary["uploaded"] is True and summary["dry_run"] is False
    assert summary["path"] == "/discrepancy-check/v1.0/ssp/sandbox-ssp/upload-report/"
    assert summary["handled"] == [["s1 2026-11-20"], ["s2 2026-11-20"]]
    assert summary["report_dates"] == ["2026-11-20"]
    s1 = summary["reports"][0]
    assert s1["seat"] == "s1" and s1["handled"] == ["s1 2026-11-20"]
    day = s1["days"]["2026-11-20"]
    assert day == {"rows": 24, "granularity": "hourly", "imps": sum(100 + h for h in range(24)), "cost": 12.0,
                   "bids": 24000, "timeouts": 240}
    assert summary["totals"]["imps"] == 2 * day["imps"] and summary["totals"]["days"] == 2
    json.dumps(summary)  # the XCom is JSON-able
    # what the vendor received and processed
    figures = sandbox.state()["bidswitch"]["figures"]["ssp/sandbox-ssp"]
    assert figures["s1 2026-11-20"]["imps"] == day["imps"] and figures["s1 2026-11-20"]["rows"] == 24
    assert figures["s2 2026-11-20"]["hourly"] is True


def test_rows_rendered_as_a_python_literal_string(sandbox):
    """``"{{ ti.xcom_pull('x') }}"`` without native rendering gives the list's repr."""
    _, summary = run(rows=repr(hourly_rows(seats=("s1",))))
    assert summary["handled"] == [["s1 2026-11-20"]]


def test_sql_records_with_positional_columns(sandbox):
    records = [(dt.date(2026, 11, 20), h, 25 * h + 25, 0.75) for h in range(3)]
    _, summary = run(rows=records, columns=["date", "hour", "imps", "cost"], granularity="daily")
    assert summary["reports"][0]["days"]["2026-11-20"] == {
        "rows": 1, "granularity": "daily", "imps": 150, "cost": 2.25, "bids": None, "timeouts": None}
    assert any("summed 3 hourly row(s)" in n for n in summary["notes"])


def test_csv_file_source_with_glob(sandbox, tmp_path):
    for seat in ("a", "b"):
        (tmp_path / f"part-{seat}.csv").write_text(
            "date,hour,seat,imps,cost\n" + "".join(f"2026-11-20,{h:02d},{seat},{h},{h / 10}\n" for h in range(24)))
    _, summary = run(source=str(tmp_path / "part-*.csv"))
    assert summary["input"]["kind"] == "csv" and len(summary["input"]["sources"]) == 2
    assert summary["input"]["rows"] == 48
    assert summary["handled"] == [["a 2026-11-20"], ["b 2026-11-20"]]


def test_csv_from_s3(sandbox, s3_server):
    s3 = s3_server
    s3.create_bucket(Bucket="reports")
    s3.put_object(Bucket="reports", Key="bidswitch/2026-11-20.csv",
                  Body=b"date,seat,imps,cost,bids,timeouts\n2026-11-20,x,5,1.5,50,2\n")
    _, summary = run(source="s3://reports/bidswitch/2026-11-20.csv")
    assert summary["handled"] == [["x 2026-11-20"]]
    assert summary["reports"][0]["days"]["2026-11-20"]["bids"] == 50


def test_ready_report_dict_is_uploaded_as_is(sandbox):
    _, summary = run(report=load("supplier_reports"))
    assert summary["input"] == {"kind": "report", "source": "report"}
    assert summary["report_dates"] == ["2015-11-27"]
    assert summary["handled"] == [["123 2015-11-27"], ["456 2015-11-27"]]
    (entry,) = sandbox.journal.entries("bidswitch.upload")
    assert entry.meta["rows"] == 4


def test_ready_report_json_file_is_rendered_as_a_template(sandbox, tmp_path):
    text = (DATA / "minimal_report.json").read_text().replace('"2015-11-26"', '"{{ ds }}"')
    path = tmp_path / "report.json"
    path.write_text(text)
    _, summary = run(report=str(path))
    assert summary["handled"] == [["2026-11-20"]]
    assert summary["input"]["source"] == str(path)


def test_ready_report_as_json_text(sandbox):
    _, summary = run(report=(DATA / "multi_day_report.json").read_text())
    assert summary["handled"] == [["2015-11-26", "2015-11-27", "2015-11-28"]]
    assert [d for d in summary["reports"][0]["days"]] == ["2015-11-26", "2015-11-27", "2015-11-28"]


def test_ready_report_checked_against_explicit_report_dates_and_zero_filled(sandbox):
    _, summary = run(report=load("minimal_report"), report_dates="2015-11-25..2015-11-26", zero_fill=True)
    assert summary["handled"] == [["2015-11-25", "2015-11-26"]]
    assert summary["reports"][0]["days"]["2015-11-25"]["imps"] == 0
    assert any("zero report added" in n for n in summary["notes"])
    with pytest.raises(AdtechValidationError) as err:
        run(report=load("minimal_report"), report_dates="2015-11-27")
    assert "bidswitch.date.outside" in str(err.value) and "bidswitch.date.no_rows" in str(err.value)


def test_multi_day_backfill_in_one_upload_with_zero_fill(sandbox):
    """Document: "If you missed uploading reports for a few days ... upload several days worth of
    reports at once"; days without trading go as zero reports."""
    rows = hourly_rows("2026-11-17", seats=("s1",)) + hourly_rows("2026-11-19", seats=("s1",))
    _, summary = run(rows=rows, report_dates="2026-11-17..2026-11-19", zero_fill="true")
    assert summary["handled"] == [["s1 2026-11-17", "s1 2026-11-18", "s1 2026-11-19"]]
    assert summary["reports"][0]["days"]["2026-11-18"] == {
        "rows": 1, "granularity": "daily", "imps": 0, "cost": 0.0, "bids": None, "timeouts": None}
    assert sandbox.journal.count("bidswitch.upload") == 1


def test_no_rows_without_zero_fill_fails_before_any_request(sandbox):
    with pytest.raises(AdtechValidationError) as err:
        run(rows=[])
    assert "no row for report day 2026-11-20" in str(err.value) and "zero_fill=True" in str(err.value)
    assert sandbox.journal.count() == 0


def test_no_rows_with_zero_fill_sends_the_zero_report(sandbox):
    _, summary = run(rows=[], zero_fill=True)
    assert summary["handled"] == [["2026-11-20"]]
    (up,) = sandbox.state()["bidswitch"]["uploads"]
    assert up["reports"][0]["days"]["2026-11-20"]["imps"] == 0


def test_dry_run_validates_and_sends_nothing(sandbox):
    _, summary = run(rows=hourly_rows(), dry_run=True, platform_name="Unknown-Elsewhere")
    assert summary["dry_run"] is True and summary["uploaded"] is False and summary["handled"] is None
    assert summary["totals"]["rows"] == 48
    assert sandbox.journal.count() == 0


def test_exactly_one_input(sandbox):
    with pytest.raises(AdtechValidationError, match="exactly one of rows, source or report"):
        run(rows=hourly_rows(), report=load("minimal_report"))
    with pytest.raises(AdtechValidationError, match="exactly one"):
        run()
    assert sandbox.journal.count() == 0


def test_bad_platform_type_fails_before_any_request(sandbox):
    with pytest.raises(AdtechValidationError, match="platform_type"):
        run(rows=hourly_rows(), platform_type="exchange")
    assert sandbox.journal.count() == 0


def test_uploading_twice_for_the_same_day_keeps_the_last(sandbox):
    """Document: "If you upload several reports during one day, only the last one uploaded is going
    to be processed"."""
    first = hourly_rows(seats=("s1",))
    second = [dict(r, imps=1) for r in first]
    run(rows=first)
    run(rows=second)
    state = sandbox.state()["bidswitch"]
    assert [u["processed"] for u in state["uploads"]] == [False, True]
    assert state["figures"]["ssp/sandbox-ssp"]["s1 2026-11-20"]["imps"] == 24


def test_429_and_500_end_in_one_accepted_report(sandbox):
    sandbox.inject("bidswitch.upload", status=429, retry_after=1, times=2)
    sandbox.inject("bidswitch.upload", status=500, times=1)
    op, summary = run(rows=hourly_rows())
    assert summary["handled"] == [["s1 2026-11-20"], ["s2 2026-11-20"]]
    assert [e.status for e in sandbox.journal.entries("bidswitch.upload")] == [429, 429, 500, 200]
    state = sandbox.state()["bidswitch"]
    assert [(u["accepted"], u["processed"]) for u in state["uploads"]] == [(True, True)]


def test_rejection_by_bidswitch_is_not_retried_by_airflow(sandbox, monkeypatch):
    from airflow.providers.common.compat.sdk import AirflowFailException

    from airflow_provider_adtech.formats import bidswitch as fmt
    from airflow_provider_adtech.hooks.bidswitch import BidSwitchReportRejected

    # a rule BidSwitch enforces that the client would not know: pretend the client check is absent
    monkeypatch.setattr(fmt, "validate_upload", lambda payload, source=None: None)
    report = load("minimal_report")
    report["reports"][0]["currency"] = "GBP"
    with pytest.raises(BidSwitchReportRejected) as err:
        run(report=report)
    assert isinstance(err.value, AirflowFailException)
    assert "report 0 (no seat, UTC/GBP, days 2015-11-26)" in str(err.value)


def test_template_fields_cover_every_per_run_argument():
    assert set(BidSwitchDiscrepancyOperator.template_fields) == {
        "platform_name", "platform_type", "rows", "source", "report", "report_dates", "timezone", "currency",
        "seat", "granularity", "zero_fill", "dry_run"}


def test_template_fields_render(sandbox):
    op = BidSwitchDiscrepancyOperator(task_id="t", platform_name="{{ params.p }}", report_dates="{{ ds }}",
                                      rows=[{"date": "{{ ds }}", "imps": 1, "cost": 1}], params={"p": "abc"})
    ctx = dict(CONTEXT, params={"p": "abc"})
    op.render_template_fields(ctx)
    assert op.platform_name == "abc" and op.report_dates == "2026-11-20"
    assert op.rows == [{"date": "2026-11-20", "imps": 1, "cost": 1}]


def test_operator_module_import_stays_light():
    code = ("import sys; import airflow_provider_adtech.operators.bidswitch; "
            "print(sorted(m for m in ('airflow_provider_adtech.formats.bidswitch', 'pytz', 'boto3', "
            "'requests_toolbelt', 'csv', 'airflow_provider_adtech.utils.storage') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out.strip().splitlines()[-1].replace("'", '"'))
    assert "airflow_provider_adtech.formats.bidswitch" not in loaded
    assert "boto3" not in loaded and "requests_toolbelt" not in loaded
    assert "airflow_provider_adtech.utils.storage" not in loaded


def test_bad_csv_names_file_line_column_and_rule_and_sends_nothing(sandbox, tmp_path):
    path = tmp_path / "day.csv"
    path.write_text("date,hour,seat,imps,cost\n2026-11-20,00,s1,5,1\n2026-11-20,7,s1,-5,1\n2026-11-20,00,s1,5,x\n")
    with pytest.raises(AdtechValidationError) as err:
        run(source=str(path))
    text = str(err.value)
    assert f"{path}, line 3, column hour: [bidswitch.hour.format]" in text
    assert f"{path}, line 3, column imps: [bidswitch.imps.negative]" in text
    assert f"{path}, line 4, column cost: [bidswitch.cost.type]" in text
    assert len(err.value.problems) == 3
    assert sandbox.journal.count() == 0


def test_report_that_is_not_json_serialisable_is_refused(sandbox):
    with pytest.raises(AdtechValidationError, match="cannot be sent as JSON"):
        run(report={"reports": [{"timezone": "UTC", "currency": "USD", "data": {"2026-11-20": [
            {"imps": 1, "cost": float("nan")}]}}]})
    assert sandbox.journal.count() == 0
