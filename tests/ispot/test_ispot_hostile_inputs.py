"""Inputs a hostile corpus found getting through (or crashing the reader): each must end in a
validation error naming file, line, column and rule, in both modes (normalize on and off), and
from ``rows`` as from files."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from pathlib import Path

import pytest

from airflow_provider_adtech.formats.errors import ValidationFailed
from airflow_provider_adtech.formats.ispot import RowsSource
from ispot_helpers import DOC_HEADER, csv_text, prepare, row, rows, write

GOOD = csv_text(rows(3), DOC_HEADER)


def refused(tmp_path: Path, data: str | bytes, **kw) -> list[tuple[str, int | None, str | None]]:
    path = write(tmp_path / "in.csv", data)
    with pytest.raises(ValidationFailed) as exc:
        prepare(tmp_path, path, **kw)
    assert not list((tmp_path / "parts").iterdir()), "nothing may be left to upload"
    assert all(p.source == path for p in exc.value.problems)
    return [(p.rule, p.line, p.column) for p in exc.value.problems]


def refused_rows(tmp_path: Path, records: list[dict], **kw) -> list[tuple[str, int | None, str | None]]:
    with pytest.raises(ValidationFailed) as exc:
        prepare(tmp_path, RowsSource("rows", records), **kw)
    return [(p.rule, p.line, p.column) for p in exc.value.problems]


NORMALIZE = pytest.mark.parametrize("normalize", [True, False], ids=["normalize", "strict"])


# --------------------------------------------------------------------------- headers without any iSpot column
@NORMALIZE
def test_semicolon_delimited_export_names_the_delimiter(tmp_path, normalize):
    got = refused(tmp_path, GOOD.replace(",", ";"), normalize=normalize)
    assert got[0] == ("ispot.header.no_known_column", 1, None)
    assert ("ispot.header.missing", 1, "ip") in got


@NORMALIZE
def test_all_columns_unmapped_is_a_validation_error_not_a_type_error(tmp_path, normalize):
    got = refused(tmp_path, 'a,b\n"1","2"\n', normalize=normalize)
    assert got[0] == ("ispot.header.no_known_column", 1, None)
    assert {"ispot.header.no_known_column", "ispot.header.unknown", "ispot.header.missing"} <= {r for r, _, _ in got}


def test_rows_without_any_ispot_key_are_a_validation_error(tmp_path):
    got = refused_rows(tmp_path, [{"a": "1", "b": "2"}])
    assert got[0] == ("ispot.header.no_known_column", None, None)


@NORMALIZE
@pytest.mark.parametrize("packed", [
    pytest.param(lambda b: gzip.compress(b), id="gzip"),
    pytest.param(lambda b: gzip.compress(b) + b'\n"x\r\n', id="gzip-with-line-breaks"),
    pytest.param(lambda b: _zipped(b), id="zip"),
    pytest.param(lambda b: b"ip\x00,datetime\n" + b, id="nul-in-header"),
])
def test_binary_files_are_refused_without_a_csv_error(tmp_path, normalize, packed):
    assert refused(tmp_path, packed(GOOD.encode()), normalize=normalize) == [("ispot.file.binary", 1, None)]


def _zipped(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("in.csv", data)
    return buf.getvalue()


def test_header_that_is_not_valid_csv_is_reported(tmp_path):
    assert refused(tmp_path, 'ip,"datetime\r,siteid\n"1"\n') == [("ispot.csv.malformed", 1, None)]


# --------------------------------------------------------------------------- values
@NORMALIZE
@pytest.mark.parametrize("column", ["useragent", "type", "customdata", "siteid"])
def test_nul_byte_inside_a_value_is_refused(tmp_path, normalize, column):
    recs = rows(3)
    recs[1][column] = recs[1][column][:2] + "\x00" + recs[1][column][2:]
    assert refused(tmp_path, csv_text(recs, DOC_HEADER), normalize=normalize) == [("ispot.value.nul", 3, column)]


@NORMALIZE
@pytest.mark.parametrize("brk", ["\n", "\r\n", "\r"])
def test_line_break_inside_a_quoted_value_is_refused(tmp_path, normalize, brk):
    """Document: "Rows are newline separated." (and its own split snippets cut at line breaks)."""
    recs = rows(4)
    recs[1]["customdata"] = f"first{brk}second"
    got = refused(tmp_path, csv_text(recs, DOC_HEADER), normalize=normalize)
    assert got == [("ispot.value.line_break", 3, "customdata")]


def test_line_break_from_rows_is_refused(tmp_path):
    recs = rows(3)
    recs[2]["useragent"] = "Mozilla/5.0\nEvil"
    assert refused_rows(tmp_path, recs) == [("ispot.value.line_break", 3, "useragent")]


@NORMALIZE
@pytest.mark.parametrize(("column", "value", "rule"), [
    ("useragent", "   ", "ispot.useragent.blank"),
    ("useragent", "Mozilla/5.0\x07(bell)", "ispot.useragent.control"),
    ("useragent", "Mozilla/5.0\x1b[31m", "ispot.useragent.control"),
    ("type", " \t ", "ispot.type.blank"),
    ("type", "purchase\x7f", "ispot.type.control"),
])
def test_useragent_and_type_are_visible_text(tmp_path, normalize, column, value, rule):
    """useragent "Client useragent" (an HTTP User-Agent: visible characters, spaces, tabs) and
    type "Description of a Web/App event or user action" are required: spaces alone say nothing,
    control characters are no text."""
    recs = rows(3)
    recs[2][column] = value
    assert refused(tmp_path, csv_text(recs, DOC_HEADER), normalize=normalize) == [(rule, 4, column)]
    assert refused_rows(tmp_path, recs) == [(rule, 3, column)]


def test_useragent_with_tab_and_non_ascii_text_is_accepted(tmp_path):
    recs = rows(3)
    recs[0]["useragent"] = "Mozilla/5.0\t(Linux; Android 14; Pixel ü)"
    recs[1]["type"] = "Kauf abgeschlossen – Bestätigung"
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", csv_text(recs, DOC_HEADER)))
    assert prepared.rows == 3


def test_rows_and_files_refuse_the_same_values(tmp_path):
    """One rule set: a value refused in a file is refused in ``rows`` (same rule, same record)."""
    recs = [row(0), row(1, customdata="a\x00b"), row(2, type="  "), row(3, useragent="x\ry")]
    from_rows = refused_rows(tmp_path, recs)
    from_file = refused(tmp_path, csv_text(recs, DOC_HEADER, quoting=csv.QUOTE_ALL))
    assert [(r, c) for r, _, c in from_rows] == [(r, c) for r, _, c in from_file] == [
        ("ispot.value.nul", "customdata"), ("ispot.type.blank", "type"), ("ispot.value.line_break", "useragent")]


def test_crlf_input_rewritten_says_so(tmp_path):
    """The rewrite notes tell the truth about line ends: CRLF input is named."""
    text = csv_text(rows(30), DOC_HEADER, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    prepared = prepare(tmp_path, write(tmp_path / "in.csv", text))
    data = b"".join(Path(p.path).read_bytes() for p in prepared.parts)
    assert b"\r" not in data
    assert any(n.startswith("CRLF line ends written as \\n") for n in prepared.notes), prepared.notes
