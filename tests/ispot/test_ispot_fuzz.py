"""Fuzzing the iSpot reader (hypothesis): whatever bytes a file holds and whatever records
``rows`` carries, :func:`prepare_conversions` either succeeds or raises
:class:`~airflow_provider_adtech.formats.errors.ValidationFailed` (which the operator turns
into ``AdtechValidationError``); no other exception type escapes validation."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_adtech.formats.errors import ValidationFailed
from airflow_provider_adtech.formats.ispot import RowsSource, SplitOptions, local_file, prepare_conversions
from ispot_helpers import DAY, DOC_HEADER, csv_text, row, rules

GOOD = csv_text([row(i) for i in range(3)], DOC_HEADER).encode()
HEADER = GOOD.split(b"\n", 1)[0] + b"\n"
#: bytes a CSV reader trips over
SPECIAL = st.sampled_from([b'"', b",", b"\n", b"\r", b"\r\n", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\x1f\x8b",
                           b"PK\x03\x04", b"\xc3", b"\xe9", b";", b"\t", b'""', b'"1"', b' '])
NOISE = st.lists(st.one_of(st.binary(max_size=12), SPECIAL), max_size=30).map(b"".join)
FILE_BODY = st.one_of(
    st.binary(max_size=400),                                   # anything
    NOISE,                                                     # CSV-ish punctuation
    NOISE.map(lambda b: HEADER + b),                           # a valid header, then noise
    st.tuples(st.integers(0, len(GOOD)), NOISE).map(           # a valid file with noise spliced in
        lambda t: GOOD[:t[0]] + t[1] + GOOD[t[0]:]),
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OPTIONS = st.fixed_dictionaries({"normalize": st.booleans(), "passthru": st.booleans()})


def run(sources, normalize: bool, passthru: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            prepare_conversions(sources, rules(normalize=normalize, passthru=passthru),
                                SplitOptions(day=DAY, max_bytes=4096, rebalance_below=0), tmp)
        except ValidationFailed as exc:
            assert exc.problems, "a refusal names at least one problem"
            assert all(p.rule.startswith("ispot.") for p in exc.problems)


@FUZZ
@given(body=FILE_BODY, options=OPTIONS)
def test_any_file_bytes_end_in_success_or_a_validation_error(body, options):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.csv"
        path.write_bytes(body)
        run([local_file(str(path))], **options)


VALUES = st.one_of(st.text(max_size=20), st.none(), st.integers(), st.floats(), st.booleans(),
                   st.binary(max_size=8), st.datetimes(), st.dates(), st.lists(st.integers(), max_size=2),
                   st.sampled_from(["66.87.152.32", "2026-11-20 10:00:00", "TC-1234-5", "web", "1"]))
KEYS = st.one_of(st.sampled_from(DOC_HEADER + ["amount", "LATEST_IPADDRESS", ""]), st.text(max_size=6),
                 st.integers(0, 3))
RECORD = st.dictionaries(KEYS, VALUES, max_size=10)
VALID_RECORD = st.builds(lambda n, over: {**row(n), **over}, st.integers(0, 10_000),
                         st.dictionaries(st.sampled_from(DOC_HEADER), VALUES, max_size=3))


@FUZZ
@given(records=st.lists(st.one_of(RECORD, VALID_RECORD, st.integers(), st.text(max_size=3), st.none()),
                        min_size=1, max_size=8), options=OPTIONS)
def test_any_rows_end_in_success_or_a_validation_error(records, options):
    run([RowsSource("rows", records)], **options)


def test_the_fuzzed_reader_accepts_a_valid_file(tmp_path):
    """The harness itself: the unspliced file is accepted (so the fuzz explores real parsing)."""
    path = tmp_path / "in.csv"
    path.write_bytes(GOOD)
    with tempfile.TemporaryDirectory() as tmp:
        out = prepare_conversions([local_file(str(path))], rules(), SplitOptions(day=DAY, rebalance_below=0), tmp)
    assert out.rows == 3
    assert dt.date.fromisoformat(out.parts[0].name.split("_")[1]) == DAY


# --------------------------------------------------------------------------- the two fast forms agree
FIELD = st.one_of(st.sampled_from(["", " ", "\t", "a", "x\ny", "\r", "\x00", "\x07", "\x7f", "é", "Mozilla/5.0 (X)",
                                   "66.87.152.32", "2026-11-20 10:00:00", "TC-1234-5", "web", "1"]),
                  st.text(max_size=6))


@FUZZ
@given(values=st.lists(st.lists(FIELD, min_size=8, max_size=8), min_size=1, max_size=6),
       crlf=st.booleans())
def test_loose_pattern_with_shape_check_accepts_exactly_what_the_exact_pattern_accepts(values, crlf):
    """The fast path's cheap form (quotes where they belong, then one ``translate`` pass for
    line ends and control characters) is the exact row pattern, for any row text."""
    from airflow_provider_adtech.formats.ispot.checks import ValueChecks
    from airflow_provider_adtech.formats.ispot.schema import resolve_header

    checks = ValueChecks(rules())
    layout, _ = resolve_header(DOC_HEADER, rules(), "in.csv")
    end = b"\r\n" if crlf else b"\n"
    data = b"".join(b",".join(b'"' + v.encode() + b'"' for v in r) + end for r in values)
    exact = checks.row_regex(layout, crlf).match(data).end() == len(data)
    loose = checks.row_regex(layout, crlf, loose=True).match(data).end() == len(data)
    assert (loose and checks.shape_ok(data, layout.width, crlf)) == exact
