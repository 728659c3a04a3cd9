"""IspotConversionUploadOperator against the sandbox (and moto S3): sources, date and size
rules, dry run, the summary, retries without duplicates, lineage."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError
from airflow_provider_adtech.operators.ispot import IspotConversionUploadOperator
from ispot_helpers import DOC_HEADER, csv_text, row, rows, write

pytestmark = pytest.mark.integration

DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
CONTEXT = {"data_interval_start": DAY, "data_interval_end": DAY + dt.timedelta(days=1), "logical_date": DAY}
BEFORE_DEADLINE = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def at(monkeypatch):
    """Fix the operator's clock."""

    def set_now(when: dt.datetime) -> None:
        monkeypatch.setattr(IspotConversionUploadOperator, "_now", staticmethod(lambda: when))

    set_now(BEFORE_DEADLINE)
    return set_now


@pytest.fixture(autouse=True)
def small_files(sandbox):
    sandbox.configure("ispot", min_bytes=0)


def run(**kw):
    kw.setdefault("task_id", "upload")
    kw.setdefault("min_file_size", 0)
    op = IspotConversionUploadOperator(**kw)
    op.hook.sleep = lambda s: None
    return op, op.execute(dict(CONTEXT))


def test_file_is_validated_normalized_and_uploaded(sandbox, tmp_path, at):
    header = ["LATEST_IPADDRESS", "TIME_STAMP", "SITE_ID", "app", "type", "useragent"]
    recs = [{"LATEST_IPADDRESS": r["ip"], "TIME_STAMP": r["datetime"], "SITE_ID": r["siteid"], **r} for r in rows(40)]
    src = write(tmp_path / "export.csv", csv_text(recs, header, quoting=csv.QUOTE_MINIMAL))
    op, summary = run(source=src, column_mapping={"LATEST_IPADDRESS": "ip", "TIME_STAMP": "datetime",
                                                  "SITE_ID": "siteid"})
    assert summary["data_date"] == "2026-11-20" and summary["dates"] == ["2026-11-20"]
    assert summary["rows"] == 40 and summary["uploaded"] == 1 and summary["already_uploaded"] == 0
    assert summary["columns"] == ["ip", "datetime", "siteid", "app", "type", "useragent", "passthru"]
    (part,) = summary["parts"]
    assert part["name"] == "conversions_2026-11-20_001.csv" and part["status"] == "uploaded"
    assert summary["sources"] == [{"source": src, "rows": 40, "bytes": os.path.getsize(src)}]
    assert summary["delayed_processing"] is False and summary["warnings"] == []
    assert any("passthru column added" in r for r in summary["rewrites"])
    json.dumps(summary)  # a small JSON-able XCom
    (stored,) = sandbox.state()["ispot"]["files"]
    assert stored["rows"] == 40 and stored["bytes"] == part["bytes"] and stored["columns"] == summary["columns"]
    assert not any(n.startswith("ispot-parts-") for n in os.listdir(tmp_path)), "parts are removed"


def test_glob_of_files_goes_into_one_sequence_of_parts(sandbox, tmp_path, at):
    for h in range(3):
        write(tmp_path / f"hour-{h}.csv", csv_text(rows(30, start=h * 30), DOC_HEADER))
    _, summary = run(source=str(tmp_path / "hour-*.csv"), file_prefix="tv-hourly")
    assert [s["rows"] for s in summary["sources"]] == [30, 30, 30]
    assert summary["rows"] == 90 and [p["name"] for p in summary["parts"]] == ["tv-hourly_2026-11-20_001.csv"]
    assert sandbox.state()["ispot"]["rows"] == 90


def test_rows_from_xcom(sandbox, at):
    recs = [dict(r, datetime=dt.datetime(2026, 11, 20, 12, 0, i)) for i, r in enumerate(rows(10))]
    _, summary = run(rows=recs, passthru=False)
    assert summary["rows"] == 10 and "passthru" not in summary["columns"]
    assert summary["sources"] == [{"source": "rows", "rows": 10, "bytes": 0}]
    (stored,) = sandbox.state()["ispot"]["files"]
    assert stored["passthru"] is False


def test_rows_as_json_text(sandbox, at):
    _, summary = run(rows=json.dumps(rows(3)))
    assert summary["rows"] == 3


def test_csv_from_s3_is_streamed_through_the_aws_connection(sandbox, s3_server, at):
    s3 = s3_server
    s3.create_bucket(Bucket="exports")
    s3.put_object(Bucket="exports", Key="ispot/2026-11-20.csv", Body=csv_text(rows(25), DOC_HEADER).encode())
    op, summary = run(source="s3://exports/ispot/2026-11-20.csv")
    assert summary["rows"] == 25 and summary["parts"][0]["status"] == "uploaded"
    assert op._lineage_inputs == ["s3://exports/ispot/2026-11-20.csv"]


def test_s3_glob_source_reads_every_matching_object_in_order(sandbox, s3_server, at):
    s3 = s3_server
    s3.create_bucket(Bucket="exports")
    for key, n in (("web/2026-11-20/b.csv", 7), ("web/2026-11-20/a.csv", 5), ("web/2026-11-20/notes.txt", 0),
                   ("web/2026-11-20/deeper/c.csv", 9), ("web/2026-11-21/a.csv", 11)):
        s3.put_object(Bucket="exports", Key=key, Body=csv_text(rows(n), DOC_HEADER).encode() if n else b"x")
    op, summary = run(source="s3://exports/web/2026-11-20/*.csv")
    assert op._lineage_inputs == ["s3://exports/web/2026-11-20/a.csv", "s3://exports/web/2026-11-20/b.csv"]
    assert summary["rows"] == 12 and [s["rows"] for s in summary["sources"]] == [5, 7]


def test_s3_glob_matching_nothing_fails_before_any_request(sandbox, s3_server, at):
    s3_server.create_bucket(Bucket="exports")
    with pytest.raises(AdtechValidationError, match=r"no file matches 's3://exports/web/\*\.csv'"):
        run(source="s3://exports/web/*.csv")
    assert sandbox.journal.entries("ispot.*") == []


def test_bad_input_uploads_nothing_and_names_every_problem(sandbox, tmp_path, at):
    recs = rows(5)
    recs[1]["ip"] = "1.2.3.4.5"
    recs[3]["app"] = "ctv"
    src = write(tmp_path / "bad.csv", csv_text(recs, DOC_HEADER))
    with pytest.raises(AdtechValidationError) as exc:
        run(source=src)
    msg = str(exc.value)
    assert "bad.csv, line 3, column ip: [ispot.ip.ipv4]" in msg
    assert "bad.csv, line 5, column app: [ispot.app.value]" in msg
    assert [p.rule for p in exc.value.problems] == ["ispot.ip.ipv4", "ispot.app.value"]
    assert sandbox.journal.count() == 0


def test_dry_run_validates_and_sizes_without_any_request(sandbox, tmp_path, at):
    src = write(tmp_path / "in.csv", csv_text(rows(500), DOC_HEADER))
    _, summary = run(source=src, dry_run=True, max_file_size=40_000)
    assert summary["dry_run"] is True and len(summary["parts"]) >= 3
    assert {p["status"] for p in summary["parts"]} == {"dry_run"}
    assert sum(p["rows"] for p in summary["parts"]) == 500
    assert sandbox.journal.count() == 0


def test_part_below_the_minimum_fails_before_uploading(sandbox, tmp_path, at):
    src = write(tmp_path / "in.csv", csv_text(rows(20), DOC_HEADER))
    with pytest.raises(AdtechValidationError) as exc:
        run(source=src, min_file_size=8 * 1024 * 1024)
    msg = str(exc.value)
    assert "[ispot.size.min]" in msg and "The minimum file size allowed is 8 MB" in msg
    assert "below the minimum of 8388608 bytes" in msg
    assert sandbox.journal.count() == 0


def test_large_input_is_split_and_500_on_part_2_of_3_leaves_each_part_accepted_once(sandbox, tmp_path, at):
    src = write(tmp_path / "in.csv", csv_text(rows(600), DOC_HEADER))
    sandbox.inject("ispot.upload", status=500, skip=1, times=1)
    _, summary = run(source=src, max_file_size=50_000, min_file_size=30_000)
    assert [p["name"] for p in summary["parts"]] == [f"conversions_2026-11-20_{i:03d}.csv" for i in (1, 2, 3)]
    assert [p["status"] for p in summary["parts"]] == ["uploaded"] * 3
    assert [p["attempts"] for p in summary["parts"]] == [1, 2, 1]
    files = sandbox.state()["ispot"]["files"]
    assert [f["file"] for f in files] == [p["name"] for p in summary["parts"]]
    assert sum(f["rows"] for f in files) == 600
    assert [e.status for e in sandbox.journal.entries("ispot.upload")] == [201, 500, 201, 201]


def test_second_run_reports_already_uploaded_or_fails_when_asked(sandbox, tmp_path, at):
    src = write(tmp_path / "in.csv", csv_text(rows(50), DOC_HEADER))
    run(source=src)
    _, again = run(source=src)
    assert again["uploaded"] == 0 and again["already_uploaded"] == 1
    assert again["parts"][0]["status"] == "already_uploaded"
    from airflow_provider_adtech.hooks.ispot import IspotDuplicateFile

    with pytest.raises(IspotDuplicateFile):
        run(source=src, fail_on_duplicate=True)
    assert len(sandbox.state()["ispot"]["files"]) == 1


def test_zip_parts(sandbox, tmp_path, at):
    src = write(tmp_path / "in.csv", csv_text(rows(3000), DOC_HEADER))
    _, summary = run(source=src, compress=True, max_file_size=5_000_000)
    (part,) = summary["parts"]
    assert part["name"] == "conversions_2026-11-20_001.zip" and part["bytes"] < os.path.getsize(src) / 3
    (stored,) = sandbox.state()["ispot"]["files"]
    assert stored["members"] == ["conversions_2026-11-20_001.csv"] and stored["rows"] == 3000


def test_posting_after_7am_los_angeles_is_flagged_delayed(sandbox, tmp_path, at):
    at(dt.datetime(2026, 11, 21, 14, 0, 1, tzinfo=dt.timezone.utc))
    src = write(tmp_path / "in.csv", csv_text(rows(5), DOC_HEADER))
    _, summary = run(source=src)
    assert summary["delayed_processing"] is True
    assert summary["posting_deadline"] == "2026-11-21T14:00:00+00:00"
    assert "2026-11-21 06:00 PST" in summary["warnings"][0] and "12 days" in summary["warnings"][0]


def test_data_older_than_12_days_is_refused_unless_reprocessing_is_allowed(sandbox, tmp_path, at):
    at(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc))  # 2026-11-20 is 13 days back
    src = write(tmp_path / "in.csv", csv_text(rows(5), DOC_HEADER))
    with pytest.raises(AdtechValidationError) as exc:
        run(source=src)
    assert exc.value.problems[0].rule == "ispot.datetime.reprocessing"
    assert "allow_reprocessing=True" in str(exc.value) and sandbox.journal.count() == 0
    _, summary = run(source=src, allow_reprocessing=True)
    assert summary["uploaded"] == 1
    assert any("incur a daily cost" in w for w in summary["warnings"])


def test_rows_must_fall_on_the_data_interval_days(sandbox, tmp_path, at):
    recs = rows(4) + [row(9, datetime="2026-11-21 00:00:00")]
    src = write(tmp_path / "in.csv", csv_text(recs, DOC_HEADER))
    with pytest.raises(AdtechValidationError, match=r"line 6, column datetime: \[ispot.datetime.outside_range\]"):
        run(source=src)
    _, summary = run(source=src, date_range="2026-11-20..2026-11-21", data_date="2026-11-20")
    assert summary["dates"] == ["2026-11-20", "2026-11-21"] and summary["rows"] == 5


def test_bad_arguments_are_validation_errors_without_requests(sandbox, tmp_path, at):
    with pytest.raises(AdtechValidationError, match="exactly one of source or rows"):
        run()
    with pytest.raises(AdtechValidationError, match="input file not found"):
        run(source=str(tmp_path / "missing.csv"))
    src = write(tmp_path / "in.csv", csv_text(rows(2), DOC_HEADER))
    with pytest.raises(AdtechValidationError, match="not an iSpot column"):
        run(source=src, column_mapping={"x": "ipaddress"})
    with pytest.raises(AdtechValidationError, match="min_file_size 300 is above max_file_size 200"):
        run(source=src, min_file_size=300, max_file_size=200)
    assert sandbox.journal.count() == 0


def test_templated_arguments_render(sandbox, tmp_path):
    op = IspotConversionUploadOperator(task_id="t", source="{{ params.folder }}/in.csv", file_prefix="conv-{{ ds }}",
                                       data_date="{{ ds }}", max_file_size="{{ 1000 * 1000 }}")
    assert {"source", "rows", "data_date", "date_range", "file_prefix", "column_mapping", "site_id",
            "max_file_size", "min_file_size", "dry_run"} <= set(op.template_fields)
    assert op.ispot_conn_id == "ispot_default"
    rendered = op.render_template("{{ ds }}", {"ds": "2026-11-20"})
    assert rendered == "2026-11-20"


def test_openlineage_input_file_to_ispot_dataset(sandbox, tmp_path, at):
    src = write(tmp_path / "in.csv", csv_text(rows(3), DOC_HEADER))
    op, _ = run(source=src)
    assert op._lineage_inputs == [src]
    assert op._lineage_outputs == [f"{sandbox.url}/v4/metrics/conversions"]
    lineage = op.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("file", src)]
    assert [(d.namespace, d.name) for d in lineage.outputs] == [(sandbox.url, "/v4/metrics/conversions")]
