"""Opt-Intelligence field rules, report queries and report rows (pure Python, no network)."""

from __future__ import annotations

import io
import json

import pytest

from airflow_provider_adtech.formats import oi
from airflow_provider_adtech.formats.errors import ValidationFailed

# the document's own POST example
PLACEMENT = {
    "publisher_id": 59, "name": "My Website Placement 1", "status_id": 9, "category_id": 1010, "layout_id": 1,
    "offer_format_id": 2607, "max_offers": 4, "parameter_share": True,
}
PUBLISHER = {"name": "Some Name", "status_id": 1, "category_id": 1010}


def rules(problems):
    return sorted(p.rule for p in problems)


def test_the_documents_examples_are_valid():
    assert oi.check_record(PLACEMENT, "placement") == []
    assert oi.check_record(PUBLISHER, "publisher") == []
    # "Example PUT request: ... { "status_id": 2 }"
    assert oi.check_record({"status_id": 2}, "publisher", mode="update") == []


@pytest.mark.parametrize("missing", ["publisher_id", "name", "status_id", "layout_id", "offer_format_id",
                                     "max_offers", "parameter_share"])
def test_placement_post_required_fields(missing):
    rec = {k: v for k, v in PLACEMENT.items() if k != missing}
    problems = oi.check_record(rec, "placement", source="p.json", line=4)
    assert rules(problems) == [f"oi.placement.{missing}.required"]
    assert problems[0].column == missing and problems[0].line == 4 and problems[0].source == "p.json"
    # an update need not repeat required fields
    assert oi.check_record({"max_offers": 2}, "placement", mode="update") == []


@pytest.mark.parametrize("missing", ["name", "status_id"])
def test_publisher_post_requires_name_and_status(missing):
    rec = {k: v for k, v in PUBLISHER.items() if k != missing}
    assert rules(oi.check_record(rec, "publisher")) == [f"oi.publisher.{missing}.required"]


def test_publisher_status_id_is_1_active_or_2_inactive():
    problems = oi.check_record({**PUBLISHER, "status_id": 3}, "publisher")
    assert rules(problems) == ["oi.publisher.status_id.value"]
    assert "1 = active" in problems[0].message and "2 = inactive" in problems[0].message


def test_placement_status_id_9_or_2_and_1_is_system_only():
    assert oi.check_record({**PLACEMENT, "status_id": 2}, "placement") == []
    live = oi.check_record({**PLACEMENT, "status_id": 1}, "placement")
    assert rules(live) == ["oi.placement.status_id.system_only"]
    assert "system only" in live[0].message
    assert rules(oi.check_record({**PLACEMENT, "status_id": 5}, "placement")) == ["oi.placement.status_id.value"]


def test_time_period_required_when_max_impressions_is_in_use():
    problems = oi.check_record({**PLACEMENT, "max_impressions": 2}, "placement")
    assert rules(problems) == ["oi.placement.time_period.required"]
    assert "Required when max_impressions is in use" in problems[0].message
    assert oi.check_record({**PLACEMENT, "max_impressions": 2, "time_period": 7}, "placement") == []


def test_time_period_offer_required_when_max_impressions_offer_is_in_use():
    problems = oi.check_record({**PLACEMENT, "max_impressions_offer": 1}, "placement")
    assert rules(problems) == ["oi.placement.time_period_offer.required"]
    assert oi.check_record({**PLACEMENT, "max_impressions_offer": 1, "time_period_offer": 3}, "placement") == []


def test_update_sees_the_time_period_the_vendor_already_holds():
    change = {"max_impressions": 5}
    assert rules(oi.check_record(change, "placement", mode="update")) == ["oi.placement.time_period.required"]
    held = {**PLACEMENT, "time_period": 7}
    assert oi.check_record(change, "placement", mode="update", current=held) == []


def test_max_impressions_time_without_time_period_is_a_warning_not_an_error():
    warnings: list[str] = []
    assert oi.check_record({**PLACEMENT, "max_impressions_time": 2}, "placement", warnings=warnings) == []
    assert len(warnings) == 1 and "Number of days for max_impressions_time" in warnings[0]


def test_types_unknown_and_system_fields_all_reported_at_once():
    rec = {**PLACEMENT, "parameter_share": "yes", "max_offers": -1, "layout_id": 1.5, "name": "  ",
           "time_period": 0, "max_impresions": 3, "create_date": "2014-11-17T12:30:30Z"}
    problems = oi.check_record(rec, "placement", source="f.csv", line=7)
    assert rules(problems) == sorted([
        "oi.placement.parameter_share.type", "oi.placement.max_offers.type", "oi.placement.layout_id.type",
        "oi.placement.name.empty", "oi.placement.time_period.range", "oi.placement.unknown_field",
        "oi.placement.create_date.system",
    ])
    assert all(p.line == 7 for p in problems)
    assert {p.column for p in problems} >= {"parameter_share", "max_impresions", "create_date"}


def test_validate_record_raises_with_every_problem():
    with pytest.raises(ValidationFailed) as err:
        oi.validate_record({"name": ""}, "publisher")
    text = str(err.value)
    assert "nothing was sent" in text and "oi.publisher.name.empty" in text and "oi.publisher.status_id.required" in text


# ---------------------------------------------------------------- payload files
def test_json_array_records_carry_their_line_numbers():
    text = '[\n  {"name": "A", "status_id": 1},\n  {"name": "B",\n   "status_id": 7}\n]\n'
    with pytest.raises(ValidationFailed) as err:
        oi.validate_payload_file(io.StringIO(text), "pubs.json", "publisher")
    (problem,) = err.value.problems
    assert (problem.source, problem.line, problem.column, problem.rule) == (
        "pubs.json", 3, "status_id", "oi.publisher.status_id.value")


def test_jsonl_syntax_error_and_rule_errors_collected_together():
    good = json.dumps(PLACEMENT)
    text = "\n".join([good, "{not json", json.dumps({**PLACEMENT, "status_id": 1})]) + "\n"
    with pytest.raises(ValidationFailed) as err:
        oi.validate_payload_file(io.StringIO(text), "p.jsonl", "placement")
    assert [(p.line, p.rule) for p in err.value.problems] == [
        (2, "oi.payload.json"), (3, "oi.placement.status_id.system_only")]


def test_csv_payload_converts_numbers_and_booleans():
    text = ("publisher_id,name,status_id,layout_id,offer_format_id,max_offers,parameter_share,max_impressions\n"
            "59,Home,9,1,2607,4,true,\n"
            "59,Side,2,1,2607,4,TRUE,3\n")
    with pytest.raises(ValidationFailed) as err:
        oi.validate_payload_file(io.StringIO(text), "p.csv", "placement")
    assert [(p.line, p.column, p.rule) for p in err.value.problems] == [
        (3, "time_period", "oi.placement.time_period.required")]
    ok = text.replace(",3\n", ",\n")
    recs = oi.validate_payload_file(io.StringIO(ok), "p.csv", "placement")
    assert recs[0] == (2, {**{k: PLACEMENT[k] for k in ("publisher_id", "layout_id", "offer_format_id",
                                                        "max_offers", "parameter_share")},
                           "name": "Home", "status_id": 9})


def test_update_payload_needs_ids():
    with pytest.raises(ValidationFailed) as err:
        oi.validate_payload_file(io.StringIO('{"status_id": 2}\n'), "u.jsonl", "publisher", mode="update")
    assert [p.rule for p in err.value.problems] == ["oi.publisher.id.required"]


def test_unknown_payload_extension_and_empty_file():
    with pytest.raises(ValidationFailed, match="oi.payload.format"):
        oi.validate_payload_file(io.StringIO("x"), "p.xlsx", "placement")
    with pytest.raises(ValidationFailed, match="oi.payload.empty"):
        oi.validate_payload_file(io.StringIO("[]"), "p.json", "placement")


# ---------------------------------------------------------------- report queries
def test_custom_query_parameters_as_the_document_names_them():
    q = oi.build_report_query("2014-11-01", "2014-11-05", id_type="Publisher", ids="123, 456",
                              fields=["RPM"], groupby="placement")
    assert q.mode == "custom"
    assert q.params() == {"start": "2014-11-01", "end": "2014-11-05", "id-type": "publisher", "ids": "123,456",
                          "fields": "rpm", "groupby": "placement"}
    assert oi.ReportQuery.from_dict(json.loads(json.dumps(q.as_dict()))) == q


def test_summary_mode_has_no_dates():
    q = oi.build_report_query(None, None, fields="impressions")
    assert q.mode == "summary" and q.params() == {"fields": "impressions"}


def test_bad_report_parameters_all_reported_with_parameter_names():
    with pytest.raises(ValidationFailed) as err:
        oi.build_report_query("2026-11-20", "2026-11-19", id_type="advertiser", fields="rpm,clicks",
                              groupby="day", ids="12,x")
    got = {(p.column, p.rule) for p in err.value.problems}
    assert got == {("end", "oi.report.range"), ("id_type", "oi.report.id_type"), ("fields", "oi.report.fields"),
                   ("groupby", "oi.report.groupby"), ("ids", "oi.report.ids")}


@pytest.mark.parametrize("kwargs, rule", [
    ({"start": "2026-02-30"}, "oi.report.date"),
    ({"start": "20261120"}, "oi.report.date"),
    ({"start": None, "end": "2026-11-20"}, "oi.report.end_without_start"),
    ({"start": "2026-11-20", "id_type": "placement"}, "oi.report.ids_required"),
    ({"start": "2026-11-20", "ids": [1]}, "oi.report.id_type_required"),
])
def test_single_bad_parameter(kwargs, rule):
    with pytest.raises(ValidationFailed) as err:
        oi.build_report_query(kwargs.pop("start"), kwargs.pop("end", None), **kwargs)
    assert [p.rule for p in err.value.problems] == [rule]


def test_subid_before_2017_09_29_is_a_warning():
    warnings: list[str] = []
    oi.build_report_query("2017-09-01", "2017-10-31", groupby="subid2", warnings=warnings)
    assert len(warnings) == 1 and "September 29th, 2017" in warnings[0]
    later: list[str] = []
    oi.build_report_query("2017-09-29", groupby="subid", warnings=later)
    assert later == []


@pytest.mark.parametrize("size, ok", [(1, True), (2000, True), ("2000", True), (2001, False), (0, False),
                                      (1.5, False), ("abc", False)])
def test_page_size_at_most_2000(size, ok):
    if ok:
        assert oi.check_page_size(size) == int(size)
    else:
        with pytest.raises(ValidationFailed, match="oi.report.row_limit"):
            oi.check_page_size(size)


# ---------------------------------------------------------------- readiness and rows
def figures_of(rows):
    f = oi.ReportFigures()
    for r in rows:
        f.add(r)
    return f.as_dict()


def test_figures_total_rows_and_read_the_documents_impressions_typo():
    rows = [{"IMPRESSIONS": 300, "REVENUE": 10, "RPM": 33.33}, {"IMRPESSIONS": 100, "REVENUE": 2.5}]
    fig = figures_of(rows)
    assert (fig["rows"], fig["impressions"], fig["revenue"]) == (2, 400, 12.5)
    assert fig["rpm"] == pytest.approx(31.25)
    assert figures_of([{"RPM": 7}])["impressions"] is None


def test_readiness_criteria():
    empty, some = figures_of([]), figures_of([{"IMPRESSIONS": 10, "REVENUE": 1}])
    assert oi.report_ready("rows", empty, None)[0] is False
    assert oi.report_ready("rows", some, None)[0] is True
    assert oi.report_ready("rows", some, None, min_rows=2)[0] is False
    assert oi.report_ready("impressions", some, None, min_impressions=11)[0] is False
    assert oi.report_ready("impressions", some, None, min_impressions=10)[0] is True
    assert oi.report_ready("settled", some, None)[0] is False
    assert oi.report_ready("settled", some, empty["fingerprint"])[0] is False
    assert oi.report_ready("settled", some, some["fingerprint"]) == (
        True, "1 row(s), figures unchanged since the previous poke")
    assert oi.report_ready("settled", empty, empty["fingerprint"])[0] is False


def test_ready_criterion_arguments():
    assert oi.check_ready_criterion("Settled", 1, 0, []) == ("settled", 1, 0.0)
    with pytest.raises(ValidationFailed) as err:
        oi.check_ready_criterion("maybe", -1, "lots", [])
    assert {p.column for p in err.value.problems} == {"ready_when", "min_rows", "min_impressions"}
    with pytest.raises(ValidationFailed, match="oi.sensor.impressions_field"):
        oi.check_ready_criterion("impressions", 1, 5, ["rpm"])


@pytest.mark.parametrize("target, rule", [
    ("s3://bucket-only", "oi.output.s3"), ("s3://b/prefix/", "oi.output.s3"), ("://b/k.csv", "oi.output.scheme"),
    ("gs://bucket-only", "oi.output.object"), ("file:///tmp/", "oi.output.directory"),
    ("/tmp/report.xlsx", "oi.output.extension"), ("/tmp/", "oi.output.directory"),
])
def test_bad_output_targets(target, rule):
    with pytest.raises(ValidationFailed, match=rule):
        oi.check_output_target(target)


def test_good_output_targets():
    assert oi.check_output_target("s3://b/k/report.csv") == "s3://b/k/report.csv"
    assert oi.check_output_target("/tmp/x/report.jsonl") == "/tmp/x/report.jsonl"
    # any object store the deployment has a file system for (ObjectStoragePath), and file://
    assert oi.check_output_target("gs://b/k/report.csv") == "gs://b/k/report.csv"
    assert oi.check_output_target("abfs://container/k/report.ndjson") == "abfs://container/k/report.ndjson"
    assert oi.check_output_target("file:///tmp/x/report.csv") == "file:///tmp/x/report.csv"
    assert oi.check_output_target(None) is None


def test_csv_export_keeps_every_column_of_every_row():
    buf = io.StringIO()
    w = oi.JsonlRowWriter(buf)
    w.write({"PUB_ID": 1, "RPM": 2})
    w.write({"PUB_ID": 2, "RPM": 3, "EXTRA": "x"})
    buf.seek(0)
    out = io.StringIO()
    assert oi.jsonl_to_csv(buf, out, w.columns) == 2
    assert out.getvalue().splitlines() == ["PUB_ID,RPM,EXTRA", "1,2,", "2,3,x"]


@pytest.mark.parametrize("part,whole", [("max_impressions_time", "max_impressions"),
                                        ("max_impressions_time_offer", "max_impressions_offer")])
def test_a_per_period_cap_above_the_lifetime_cap_is_refused(part, whole):
    """Relation of two fields: "... in a given time period" is a part of "... in their lifetime"."""
    base = {**PLACEMENT, "time_period": 7, "time_period_offer": 7}
    problems = oi.check_record({**base, part: 10, whole: 5}, "placement")
    assert [(p.rule, p.column) for p in problems] == [(f"oi.placement.{part}.exceeds_lifetime", part)]
    assert "in their lifetime" in problems[0].message
    assert oi.check_record({**base, part: 5, whole: 5}, "placement") == []
