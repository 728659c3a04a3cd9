"""The iSpot conversion format (pure Python): every rule of the document, normalization,
splitting and zipping, with problems named by file, line, column and rule."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from airflow_provider_adtech.formats.errors import ValidationFailed
from airflow_provider_adtech.formats.ispot import (
    MIN_PART_BYTES,
    ConversionRules,
    PartFile,
    RowsSource,
    SplitOptions,
    check_part_sizes,
    resolve_header,
)
from airflow_provider_adtech.formats.ispot import batches, blocks, fast_path
from airflow_provider_adtech.formats.ispot.sizes import posting_deadline, reprocessing_cutoff
from ispot_helpers import DAY, DOC_HEADER, UA, all_rows, csv_text, part_bytes, part_rows, prepare, row, rows, write


def problems(exc: pytest.ExceptionInfo) -> list[tuple[str, int | None, str | None]]:
    return [(p.rule, p.line, p.column) for p in exc.value.problems]


def fails(tmp_path: Path, text: str | bytes, name: str = "in.csv", **kw) -> pytest.ExceptionInfo:
    path = write(tmp_path / name, text)
    with pytest.raises(ValidationFailed) as exc:
        prepare(tmp_path, path, **kw)
    assert not list((tmp_path / "parts").iterdir()), "nothing may be left to upload"
    return exc


# --------------------------------------------------------------------------- compliant input
def test_compliant_file_is_copied_byte_for_byte(tmp_path):
    text = csv_text(rows(500), DOC_HEADER)
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", text))
    (part,) = prepared.parts
    assert part.name == "conversions_2026-11-20_001.csv"
    assert part_bytes(part) == text.encode()
    assert part.rows == 500 and prepared.rows == 500
    assert prepared.sources[0].rows_copied == 500 and prepared.sources[0].rows_rewritten == 0
    assert prepared.notes == [] and prepared.warnings == []


def test_quote_minimal_export_is_rewritten_with_every_value_quoted(tmp_path):
    recs = rows(300)
    recs[7]["useragent"] = 'Agent "quoted", with comma'
    recs[9]["customdata"] = "naïve,日本語"
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", csv_text(recs, DOC_HEADER, quoting=csv.QUOTE_MINIMAL)))
    (part,) = prepared.parts
    assert part_bytes(part).decode() == csv_text(recs, DOC_HEADER)
    assert all_rows(prepared) == [[r[h] for h in DOC_HEADER] for r in recs]
    assert any("re-written with every value in double quotes" in n for n in prepared.notes)


def test_crlf_line_ends_become_lf(tmp_path):
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", csv_text(rows(50), DOC_HEADER, lineterminator="\r\n")))
    data = part_bytes(prepared.parts[0])
    assert b"\r" not in data and data == csv_text(rows(50), DOC_HEADER).encode()
    assert any("CRLF" in n for n in prepared.notes)


def test_last_line_without_line_end_is_kept(tmp_path):
    text = csv_text(rows(3), DOC_HEADER).rstrip("\n")
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", text))
    assert prepared.rows == 3 and part_bytes(prepared.parts[0]) == (text + "\n").encode()


# --------------------------------------------------------------------------- header rules
def test_column_mapping_renames_the_400_message_names(tmp_path):
    header = ["LATEST_IPADDRESS", "useragent", "TIME_STAMP", "SITE_ID", "app", "type", "passthru"]
    recs = [{"LATEST_IPADDRESS": r["ip"], "TIME_STAMP": r["datetime"], "SITE_ID": r["siteid"], **r} for r in rows(20)]
    mapping = {"LATEST_IPADDRESS": "ip", "TIME_STAMP": "datetime", "SITE_ID": "siteid"}
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", csv_text(recs, header)), column_mapping=mapping)
    assert prepared.columns == ["ip", "useragent", "datetime", "siteid", "app", "type", "passthru"]
    assert all_rows(prepared)[0] == [recs[0][h] for h in header]
    assert any("LATEST_IPADDRESS -> ip" in n for n in prepared.notes)


def test_unmapped_400_message_names_get_a_mapping_hint(tmp_path):
    header = ["LATEST_IPADDRESS", "useragent", "datetime", "siteid", "app", "type", "passthru"]
    exc = fails(tmp_path, csv_text([row(0, LATEST_IPADDRESS="1.2.3.4")], header))
    assert ("ispot.header.unmapped", 1, "LATEST_IPADDRESS") in problems(exc)
    assert ("ispot.header.missing", 1, "ip") in problems(exc)
    assert "column_mapping={'LATEST_IPADDRESS': 'ip'}" in str(exc.value)


def test_headers_are_case_sensitive(tmp_path):
    header = ["IP" if h == "ip" else h for h in DOC_HEADER]
    exc = fails(tmp_path, csv_text([row(0, IP="1.2.3.4")], header))
    assert ("ispot.header.case", 1, "IP") in problems(exc)
    assert "Headers are case-sensitive" in str(exc.value)


def test_missing_required_columns_are_each_named(tmp_path):
    header = [h for h in DOC_HEADER if h not in ("useragent", "app")]
    exc = fails(tmp_path, csv_text(rows(2), header))
    assert {("ispot.header.missing", 1, "useragent"), ("ispot.header.missing", 1, "app")} <= set(problems(exc))


def test_unknown_column_is_refused_unless_ignored(tmp_path):
    header = DOC_HEADER + ["email"]
    recs = [dict(r, email="a@example.com") for r in rows(5)]
    exc = fails(tmp_path, csv_text(recs, header))
    assert ("ispot.header.unknown", 1, "email") in problems(exc)
    prepared = prepare(tmp_path, write(tmp_path / "ok.csv", csv_text(recs, header)), ignore_columns=("email",))
    assert "email" not in prepared.columns and all_rows(prepared)[0] == [recs[0][h] for h in DOC_HEADER]
    assert any("left out (ignore_columns): email" in n for n in prepared.notes)


def test_duplicate_column(tmp_path):
    header = DOC_HEADER + ["IPADDR"]
    exc = fails(tmp_path, csv_text([dict(r, IPADDR=r["ip"]) for r in rows(2)], header),
                column_mapping={"IPADDR": "ip"})
    assert ("ispot.header.duplicate", 1, "IPADDR") in problems(exc)


def test_optional_extra_columns_are_accepted(tmp_path):
    header = DOC_HEADER + ["orderid", "amount", "sku", "customertype", "channel"]
    recs = [dict(r, orderid="o1", amount="9.99", sku="s", customertype="new", channel="tv") for r in rows(3)]
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", csv_text(recs, header)))
    assert prepared.columns == header


def test_site_id_fills_a_missing_siteid_column(tmp_path):
    header = [h for h in DOC_HEADER if h != "siteid"]
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", csv_text(rows(4), header)), site_id="TC-9876-1")
    assert prepared.columns == header + ["siteid"]
    assert {r[-1] for r in all_rows(prepared)} == {"TC-9876-1"}
    with pytest.raises(ValueError, match="does not match"):
        ConversionRules(dates=(DAY,), site_id="site-1")


# --------------------------------------------------------------------------- passthru (steps 5 and 8)
def test_passthru_is_added_for_test_uploads(tmp_path):
    header = [h for h in DOC_HEADER if h != "passthru"]
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", csv_text(rows(30), header)))
    assert prepared.columns == header + ["passthru"]
    assert {r[-1] for r in all_rows(prepared)} == {"1"}
    assert prepared.sources[0].rows_copied == 30  # still the fast path
    assert any("passthru column added" in n for n in prepared.notes)


@pytest.mark.parametrize("last", [True, False], ids=["passthru-last", "passthru-inside"])
def test_passthru_is_dropped_after_approval(tmp_path, last):
    header = [h for h in DOC_HEADER if h != "passthru"] + ["passthru"] if last else DOC_HEADER
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", csv_text(rows(30), header)), passthru=False)
    assert "passthru" not in prepared.columns
    assert all_rows(prepared)[5] == [row(5)[h] for h in header if h != "passthru"]
    assert any("passthru column dropped" in n for n in prepared.notes)


def test_passthru_value_must_be_1_while_testing(tmp_path):
    recs = rows(3)
    recs[1]["passthru"] = "0"
    exc = fails(tmp_path, csv_text(recs, DOC_HEADER))
    assert problems(exc) == [("ispot.passthru.value", 3, "passthru")]


def test_strict_mode_wants_passthru_exactly_as_the_phase_says(tmp_path):
    no_passthru = [h for h in DOC_HEADER if h != "passthru"]
    exc = fails(tmp_path, csv_text(rows(2), no_passthru), normalize=False)
    assert ("ispot.passthru.missing", 1, "passthru") in problems(exc)
    exc = fails(tmp_path, csv_text(rows(2), DOC_HEADER), normalize=False, passthru=False)
    assert ("ispot.passthru.present", 1, "passthru") in problems(exc)


# --------------------------------------------------------------------------- value rules
@pytest.mark.parametrize(
    "column, value, rule",
    [
        ("ip", "999.1.1.1", "ispot.ip.ipv4"),
        ("ip", "66.87.152", "ispot.ip.ipv4"),
        ("ip", "066.87.152.32", "ispot.ip.ipv4"),
        ("ip", " 66.87.152.32", "ispot.ip.ipv4"),
        ("ip", "2001:db8::1", "ispot.ip.ipv6"),
        ("ip", "", "ispot.value.required"),
        ("datetime", "2026-11-20T17:30:56", "ispot.datetime.format"),
        ("datetime", "2026/11/20 17:30:56", "ispot.datetime.format"),
        ("datetime", "2026-11-20 24:00:00", "ispot.datetime.format"),
        ("datetime", "2026-02-30 10:00:00", "ispot.datetime.format"),
        ("datetime", "2026-11-19 23:59:59", "ispot.datetime.outside_range"),
        ("siteid", "TC-123-5", "ispot.siteid.format"),
        ("siteid", "tc-1234-5", "ispot.siteid.format"),
        ("app", "Web", "ispot.app.value"),
        ("app", "tv", "ispot.app.value"),
        ("type", "", "ispot.value.required"),
        ("useragent", "", "ispot.value.required"),
    ],
)
def test_value_rules_name_line_column_and_rule(tmp_path, column, value, rule):
    recs = rows(4)
    recs[2][column] = value
    exc = fails(tmp_path, csv_text(recs, DOC_HEADER))
    assert problems(exc) == [(rule, 4, column)]  # header is line 1: the third row is line 4
    assert value[:20] in str(exc.value) or not value


def test_ipv6_is_accepted_when_allowed_with_a_household_warning(tmp_path):
    recs = rows(5)
    recs[0]["ip"] = recs[3]["ip"] = "2001:db8::42"
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", csv_text(recs, DOC_HEADER)), allow_ipv6=True)
    assert prepared.rows == 5 and prepared.ipv6_rows == 2
    assert "IPv4 if you want to match conversions to a Household" in prepared.warnings[0]


def test_rows_older_than_12_days_are_refused_as_reprocessing(tmp_path):
    old = dt.date(2026, 11, 1)
    recs = [row(0, datetime="2026-11-01 10:00:00"), row(1, datetime="2026-11-20 10:00:00")]
    exc = fails(tmp_path, csv_text(recs, DOC_HEADER), dates=(old, DAY), refused_dates=(old,))
    assert problems(exc) == [("ispot.datetime.reprocessing", 2, "datetime")]
    assert "incur a daily cost" in str(exc.value)


def test_all_problems_are_collected_first_n_listed_rest_counted(tmp_path):
    recs = rows(120)
    for r in recs:
        r["app"] = "mobile"
    recs[100]["ip"] = "1.2.3"
    exc = fails(tmp_path, csv_text(recs, DOC_HEADER), max_problems=10)
    assert exc.value.total == 121 and len(exc.value.problems) == 10
    assert "and 111 more problem(s) not listed" in str(exc.value)
    assert [p.line for p in exc.value.problems] == list(range(2, 12))


@pytest.mark.parametrize("normalize", [True, False])
def test_line_breaks_inside_values_are_refused_and_lines_still_counted(tmp_path, normalize):
    """Document: "Rows are newline separated." A quoted value spanning lines is refused (it was
    uploaded before); the lines after it keep their physical numbers."""
    recs = rows(6)
    recs[1]["useragent"] = "two\nlines"
    recs[2]["customdata"] = "three\r\nphysical\nlines"
    recs[4]["app"] = "WEB"
    exc = fails(tmp_path, csv_text(recs, DOC_HEADER), normalize=normalize)
    # header 1, rows 2, 3-4, 5-7, 8, then the bad row on line 9
    assert problems(exc) == [("ispot.value.line_break", 3, "useragent"), ("ispot.value.line_break", 5, "customdata"),
                             ("ispot.app.value", 9, "app")]


def test_mapped_columns_are_named_with_the_source_name(tmp_path):
    header = ["LATEST_IPADDRESS"] + DOC_HEADER[1:]
    recs = [dict(r, LATEST_IPADDRESS="1.2.3.400") for r in rows(2)]
    exc = fails(tmp_path, csv_text(recs, header), column_mapping={"LATEST_IPADDRESS": "ip"})
    assert problems(exc)[0] == ("ispot.ip.ipv4", 2, "LATEST_IPADDRESS (ip)")


# --------------------------------------------------------------------------- file-level problems
def test_empty_file_and_header_only(tmp_path):
    exc = fails(tmp_path, b"")
    assert problems(exc) == [("ispot.file.empty", 1, None)]
    exc = fails(tmp_path, ",".join(DOC_HEADER) + "\n", name="header.csv")
    assert problems(exc) == [("ispot.file.no_rows", 2, None)]


def test_bom_is_removed_and_reported_or_refused_in_strict_mode(tmp_path):
    text = codecs.BOM_UTF8 + csv_text(rows(3), DOC_HEADER).encode()
    prepared = prepare(tmp_path, write(tmp_path / "bom.csv", text))
    assert part_bytes(prepared.parts[0]) == text[3:]
    assert any("byte order mark removed" in n for n in prepared.notes)
    exc = fails(tmp_path, text, name="bom2.csv", normalize=False)
    assert problems(exc) == [("ispot.encoding.bom", 1, None)]


def test_utf16_is_refused(tmp_path):
    exc = fails(tmp_path, csv_text(rows(2), DOC_HEADER).encode("utf-16"))
    assert problems(exc) == [("ispot.encoding.utf8", 1, None)]


def test_invalid_utf8_names_line_and_column(tmp_path):
    recs = rows(5)
    text = csv_text(recs, DOC_HEADER).encode()
    bad = text.replace(UA.encode(), UA.replace("Intel", "Intel\xe9").encode("latin-1"), 3)
    exc = fails(tmp_path, bad)
    assert problems(exc) == [("ispot.encoding.utf8", n, "useragent") for n in (2, 3, 4)]
    assert "0xe9" in str(exc.value)


def test_ragged_rows(tmp_path):
    text = csv_text(rows(3), DOC_HEADER) + '"1.2.3.4","2026-11-20 00:00:01"\n'
    exc = fails(tmp_path, text)
    assert problems(exc) == [("ispot.csv.ragged", 5, "siteid")]


def test_blank_lines_are_skipped_and_counted_or_refused_in_strict_mode(tmp_path):
    lines = csv_text(rows(3), DOC_HEADER).splitlines(keepends=True)
    text = "".join(lines[:2] + ["\n"] + lines[2:] + ["\n"])
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", text))
    assert prepared.rows == 3 and any("2 blank line(s) skipped" in n for n in prepared.notes)
    exc = fails(tmp_path, text, name="strict.csv", normalize=False)
    assert problems(exc) == [("ispot.csv.blank_line", 3, None), ("ispot.csv.blank_line", 6, None)]


def test_bad_quoting_is_malformed(tmp_path, monkeypatch):
    text = csv_text(rows(2), DOC_HEADER) + '"1.2.3.4","2026-11-20 00:00:01"x,"TC-1234-5"\n' + csv_text(
        [row(5, app="Web")], DOC_HEADER).split("\n", 1)[1]
    expected = [("ispot.csv.malformed", 4, "datetime"), ("ispot.app.value", 5, "app")]
    assert problems(fails(tmp_path, text)) == expected
    assert problems(fails(tmp_path, text, name="strict.csv", normalize=False)) == expected
    # through csv.reader (a source with many rows to rewrite), the line is named too
    monkeypatch.setattr(fast_path, "SLOW_ROWS_PER_BLOCK", 0)
    exc = fails(tmp_path, text, name="csv.csv")
    assert problems(exc) == [("ispot.csv.malformed", 4, None), ("ispot.app.value", 5, "app")]


def test_strict_mode_refuses_unquoted_values_naming_them(tmp_path):
    text = csv_text(rows(2), DOC_HEADER) + csv_text([row(9)], DOC_HEADER, quoting=csv.QUOTE_MINIMAL).split("\n", 1)[1]
    exc = fails(tmp_path, text, normalize=False)
    assert problems(exc) == [("ispot.csv.unquoted", 4, "ip")]
    assert "ip, datetime, siteid, app, type, passthru" in str(exc.value)
    assert "All values (except for headers) enclosed in doublequotes" in str(exc.value)


def test_strict_mode_copies_compliant_files_unchanged(tmp_path):
    recs = rows(40)
    recs[3]["useragent"] = 'with "quotes"'
    recs[4]["customdata"] = "multi, with comma"
    text = csv_text(recs, DOC_HEADER)
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", text), normalize=False)
    assert part_bytes(prepared.parts[0]) == text.encode() and prepared.notes == []


# --------------------------------------------------------------------------- the pipeline's paths
@pytest.mark.parametrize("block", [64, 300, 4096])
def test_block_boundaries_and_hand_over_to_csv_parsing(tmp_path, monkeypatch, block):
    """Small blocks put record ends, multi-line values and the switch from the fast path to
    csv parsing (after many rows needing quotes) anywhere."""
    monkeypatch.setattr(blocks, "BLOCK_BYTES", block)
    monkeypatch.setattr(fast_path, "SLOW_ROWS_PER_BLOCK", 3)
    monkeypatch.setattr(batches, "BATCH_ROWS", 7)
    recs = rows(200)
    recs[20]["useragent"] = "comma, and \"quotes\""
    text = csv_text(recs[:50], DOC_HEADER) + csv_text(recs[50:], DOC_HEADER, quoting=csv.QUOTE_MINIMAL).split(
        "\n", 1)[1]
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", text))
    assert all_rows(prepared) == [[r[h] for h in DOC_HEADER] for r in recs]
    src = prepared.sources[0]
    assert src.rows_copied > 0 and src.rows_rewritten > 0 and src.rows_copied + src.rows_rewritten == 200

    bad = text.replace("2026-11-20 00:03:10", "2026-11-20 00:03:1x").replace("comma, and", "line\nbreak")
    exc = fails(tmp_path, bad, name="bad.csv")
    # row 20 on line 22 spans two lines; row 191 is then on line 192 + 1
    assert problems(exc) == [("ispot.value.line_break", 22, "useragent"), ("ispot.datetime.format", 193, "datetime")]


def test_rows_source_converts_values_and_numbers_records(tmp_path):
    recs = [dict(row(i), datetime=dt.datetime(2026, 11, 20, 10, 0, i, tzinfo=dt.timezone.utc), amount=i * 1.5,
                 orderid=None) for i in range(5)]
    prepared = prepare(tmp_path, RowsSource("rows", recs))
    got = all_rows(prepared)
    assert got[2][prepared.columns.index("datetime")] == "2026-11-20 10:00:02"
    assert got[2][prepared.columns.index("amount")] == "3.0" and got[2][prepared.columns.index("orderid")] == ""
    assert any("non-text value(s) written as text" in n for n in prepared.notes)

    recs[3] = {k: v for k, v in recs[3].items() if k != "type"}
    recs[4]["app"] = "tv"
    with pytest.raises(ValidationFailed) as exc:
        prepare(tmp_path, RowsSource("rows", recs))
    assert problems(exc) == [("ispot.rows.keys", 4, "type"), ("ispot.app.value", 5, "app")]


def test_several_sources_share_the_parts_in_the_first_sources_column_order(tmp_path):
    a = write(tmp_path / "a.csv", csv_text(rows(10), DOC_HEADER))
    other = list(reversed(DOC_HEADER))
    b = write(tmp_path / "b.csv", csv_text(rows(10, start=10), other, quoting=csv.QUOTE_MINIMAL))
    prepared = prepare(tmp_path, a, b)
    assert prepared.columns == DOC_HEADER and len(prepared.parts) == 1
    assert all_rows(prepared) == [[r[h] for h in DOC_HEADER] for r in rows(20)]
    c = write(tmp_path / "c.csv", csv_text(rows(2), [h for h in DOC_HEADER if h != "customdata"]))
    with pytest.raises(ValidationFailed) as exc:
        prepare(tmp_path, a, c)
    assert problems(exc) == [("ispot.header.mismatch", 1, None)]


# --------------------------------------------------------------------------- splitting and zip
def test_parts_stay_under_the_limit_with_the_header_and_whole_rows(tmp_path):
    recs = rows(2000)
    recs[500]["useragent"] = 'quoted "value", with comma'
    text = csv_text(recs, DOC_HEADER)
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", text), split={"max_bytes": 60_000,
                                                                          "rebalance_below": 0})
    names = [p.name for p in prepared.parts]
    assert names == [f"conversions_2026-11-20_{i:03d}.csv" for i in range(1, len(names) + 1)]
    assert len(names) > 5
    for p in prepared.parts:
        data = part_bytes(p)
        assert p.bytes == len(data) <= 60_000
        assert data.startswith(",".join(DOC_HEADER).encode() + b"\n")
        assert p.rows == len(part_rows(p)[1])
    assert all_rows(prepared) == [[r[h] for h in DOC_HEADER] for r in recs]


def test_zip_parts_are_sized_by_their_compressed_size(tmp_path):
    text = csv_text(rows(60_000), DOC_HEADER)  # ~13 MB, compresses well
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", text),
                       split={"max_bytes": 4_500_000, "compress": True, "rebalance_below": 0})
    assert all(p.name.endswith(".zip") and p.bytes <= 4_500_000 for p in prepared.parts)
    assert max(p.data_bytes for p in prepared.parts) > 4_500_000  # uncompressed, a part is larger
    assert sum(p.rows for p in prepared.parts) == 60_000
    assert b"".join(part_bytes(p).split(b"\n", 1)[1] for p in prepared.parts) == text.split("\n", 1)[1].encode()


def test_known_input_size_gives_even_parts(tmp_path):
    text = csv_text(rows(2100), DOC_HEADER)  # ~430 KB: 200 KB parts would leave a 30 KB third
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", text),
                       split={"max_bytes": 200_000, "rebalance_below": 100_000})
    sizes = [p.bytes for p in prepared.parts]
    assert len(sizes) == 3 and min(sizes) >= 100_000 and max(sizes) <= 200_000, sizes
    assert not any("re-cut" in n for n in prepared.notes)
    assert all_rows(prepared) == [[r[h] for h in DOC_HEADER] for r in rows(2100)]


def test_a_last_part_below_the_minimum_is_avoided_by_recutting(tmp_path):
    """A stream of unknown size (e.g. rows, or a source without a size) ends with a small last
    part: it and the part before are re-cut at recorded row boundaries."""
    from airflow_provider_adtech.formats.ispot import FileSource

    path = write(tmp_path / "in.csv", csv_text(rows(2100), DOC_HEADER))
    prepared = prepare(tmp_path, FileSource(path, lambda: open(path, "rb")),
                       split={"max_bytes": 200_000, "rebalance_below": 100_000})
    sizes = [p.bytes for p in prepared.parts]
    assert len(sizes) == 3 and min(sizes) >= 100_000 and max(sizes) <= 200_000, sizes
    assert all_rows(prepared) == [[r[h] for h in DOC_HEADER] for r in rows(2100)]
    assert any("re-cut" in n for n in prepared.notes)


def test_zip_members_stay_below_the_plain_zip_limit(tmp_path, monkeypatch):
    """Rows that compress very well would put more than 2 GiB of CSV in a 200 MB zip, which needs
    zip64 (not every reader has it): the uncompressed size closes such parts first."""
    from airflow_provider_adtech.formats.ispot import parts

    monkeypatch.setattr(parts, "ZIP32_LIMIT", 1_000_000)  # stands for zipfile.ZIP64_LIMIT - 1 MiB
    text = csv_text(rows(12_000), DOC_HEADER)  # ~2.5 MB, compresses to ~100 KB
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", text),
                       split={"max_bytes": 200_000_000, "compress": True, "rebalance_below": 0})
    assert len(prepared.parts) == 3 and all(p.data_bytes <= 1_000_000 for p in prepared.parts)
    assert all_rows(prepared) == [[r[h] for h in DOC_HEADER] for r in rows(12_000)]
    assert parts.zipfile.ZIP64_LIMIT == (1 << 31) - 1


def test_zip_parts_are_recut_by_compressed_size(tmp_path):
    import random

    rnd = random.Random(7)
    recs = [row(i, useragent="".join(rnd.choices("abcdefghijklmnopqrstuvwxyz0123456789 ", k=180)))
            for i in range(40_000)]  # about 11 MB, in 2 zip parts of 3.2 and 2.1 MB before the re-cut
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", csv_text(recs, DOC_HEADER)),
                       split={"max_bytes": 4_200_000, "compress": True, "rebalance_below": 2_500_000})
    sizes = [p.bytes for p in prepared.parts]
    assert len(sizes) == 2 and min(sizes) >= 2_500_000 and max(sizes) <= 4_200_000, sizes
    assert any("re-cut" in n for n in prepared.notes)
    assert all_rows(prepared) == [[r[h] for h in DOC_HEADER] for r in recs]


def test_part_names_are_unique_per_day_and_prefix_is_checked():
    opts = SplitOptions(day=DAY, prefix="tv-conv")
    assert opts.name(7) == "tv-conv_2026-11-20_007.csv"
    with pytest.raises(ValueError, match="prefix"):
        SplitOptions(day=DAY, prefix="../x")


def test_size_rules_quote_the_vendor():
    small = PartFile("a.csv", None, 10, 1000, 1000)
    big = PartFile("b.csv", None, 10, 300_000_000, 300_000_000)
    ok = PartFile("c.csv", None, 10, MIN_PART_BYTES, MIN_PART_BYTES)
    out = check_part_sizes([small, big, ok], MIN_PART_BYTES, 200_000_000)
    assert [(p.rule, p.source) for p in out] == [("ispot.size.min", "a.csv"), ("ispot.size.max", "b.csv")]
    assert "The minimum file size allowed is 8 MB" in out[0].message
    assert check_part_sizes([small], 0, 200_000_000) == []


def test_posting_deadline_is_7am_pdt_6am_pst():
    assert posting_deadline(dt.date(2026, 7, 1)).isoformat() == "2026-07-02T14:00:00+00:00"
    assert posting_deadline(dt.date(2026, 12, 1)).isoformat() == "2026-12-02T14:00:00+00:00"
    assert reprocessing_cutoff(dt.datetime(2026, 12, 5, 1, tzinfo=dt.timezone.utc)) == dt.date(2026, 11, 23)


def test_header_resolution_is_usable_on_its_own():
    layout, probs = resolve_header(["ip", "useragent", "datetime", "siteid", "app", "type"],
                                   ConversionRules(dates=(DAY,)), "x")
    assert probs == [] and layout.out_columns[-1] == "passthru"


def test_a_failing_read_stops_cleanly_with_no_helper_thread_left(tmp_path, monkeypatch):
    import io
    import threading

    from airflow_provider_adtech.formats.ispot import FileSource

    monkeypatch.setattr(blocks, "BLOCK_BYTES", 4096)
    data = csv_text(rows(2000), DOC_HEADER).encode()

    class Broken(io.RawIOBase):
        def __init__(self):
            self.pos = 0

        def readable(self):
            return True

        def readinto(self, b):
            if self.pos > 100_000:
                raise OSError("connection reset while reading the export")
            n = min(len(b), len(data) - self.pos)
            b[:n] = data[self.pos:self.pos + n]
            self.pos += n
            return n

    with pytest.raises(OSError, match="connection reset"):
        prepare(tmp_path, FileSource("s3://bucket/export.csv", lambda: io.BufferedReader(Broken())))
    assert not [t for t in threading.enumerate() if t.name.startswith("ispot-")]
    assert not list((tmp_path / "parts").iterdir())


# --------------------------------------------------------------------------- streaming
@pytest.mark.parametrize("quoting", [csv.QUOTE_ALL, csv.QUOTE_MINIMAL], ids=["compliant", "needs-quoting"])
def test_memory_does_not_grow_with_the_file(tmp_path, quoting):
    """Python allocations are bounded by the block and batch sizes: a file four times larger
    needs no more memory, and the peak stays below the larger file's size."""
    peaks = []
    for n in (40_000, 160_000):  # about 8 and 32 MB
        folder = tmp_path / str(n)
        folder.mkdir()
        path = write(folder / "in.csv", csv_text(rows(n), DOC_HEADER, quoting=quoting))
        tracemalloc.start()
        try:
            prepared = prepare(folder, path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert prepared.rows == n
        peaks.append(peak)
    small, large = peaks
    # 24 MB more input; a peak that followed the file would grow by about that much
    assert large < small + 4 * 1024 * 1024, f"peaks {small / 1e6:.1f} -> {large / 1e6:.1f} MB"
    assert large < 24 * 1024 * 1024 < Path(path).stat().st_size


@pytest.mark.parametrize(("engine", "threads"), [("default", 2), ("zlib", 2), ("default", 1)])
def test_zip_parts_deflated_in_pieces_on_threads_read_back_exactly(tmp_path, monkeypatch, engine, threads):
    """Zip parts are deflated in pieces on a thread pool (zlib-ng when installed, else zlib),
    each primed with the 32 KiB before it; any zip reader gets the rows back byte for byte."""
    import zlib

    from airflow_provider_adtech.formats.ispot import parts as parts_module

    monkeypatch.setattr(parts_module, "DEFLATE_THREADS", threads)
    if engine == "zlib":
        monkeypatch.setattr(parts_module, "deflate_engine", lambda: ("zlib", zlib))
    text = csv_text(rows(30_000), DOC_HEADER)  # ~6.5 MB: several pieces per part
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", text),
                       split={"max_bytes": 4_200_000, "compress": True, "rebalance_below": 0})
    for p in prepared.parts:
        with zipfile.ZipFile(p.path) as zf:
            assert zf.testzip() is None
    assert b"".join(part_bytes(p).split(b"\n", 1)[1] for p in prepared.parts) == text.split("\n", 1)[1].encode()
    # about the size one compressor gives
    whole = len(zlib.compress(text.encode(), 6))
    assert sum(p.bytes for p in prepared.parts) < whole * 1.1 + 2000 * len(prepared.parts)
