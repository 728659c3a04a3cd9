"""Properties of normalization and splitting (hypothesis):

* whatever accepted CSV dialect comes in, the parts pass strict validation (every value
  quoted, nothing to rewrite);
* the parts, concatenated, hold exactly the original rows in the original order;
* values with commas, double quotes and non-ASCII text survive unchanged (line breaks are
  refused: "Rows are newline separated"; see test_ispot_formats).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from airflow_provider_adtech.formats.ispot import RowsSource, local_file, prepare_conversions
from ispot_helpers import DAY, all_rows, rules
from airflow_provider_adtech.formats.ispot import SplitOptions

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"),
    max_size=40,
)
TRICKY = st.one_of(TEXT, st.sampled_from(['a,b', 'say "hi"', 'tab\there', '"', ',', 'naïve 日本', ' ']))
#: useragent and type: at least one visible character, no control character
VISIBLE = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40).filter(
    lambda v: v.strip(" \t"))
NONEMPTY = st.one_of(VISIBLE, st.sampled_from(['a,b', 'say "hi"', ' padded ', 'é']))


@st.composite
def conversion(draw) -> dict[str, str]:
    seconds = draw(st.integers(0, 86399))
    when = dt.datetime.combine(DAY, dt.time()) + dt.timedelta(seconds=seconds)
    return {
        "ip": str(draw(st.ip_addresses(v=4))),
        "useragent": draw(NONEMPTY),
        "datetime": when.strftime("%Y-%m-%d %H:%M:%S"),
        "siteid": draw(st.from_regex(r"TC-[0-9]{4}-[0-9]", fullmatch=True)),
        "app": draw(st.sampled_from(["app", "web"])),
        "type": draw(NONEMPTY),
        "customdata": draw(TRICKY),
        "passthru": "1",
        "amount": draw(TRICKY),
    }


DIALECTS = st.fixed_dictionaries({
    "quoting": st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL, csv.QUOTE_NONNUMERIC]),
    "lineterminator": st.sampled_from(["\n", "\r\n"]),
})


def write_source(folder: Path, records: list[dict], order: list[str], dialect: dict, bom: bool) -> str:
    # csv.writer leaves a value holding a lone "\r" unquoted when rows end with "\n": such a
    # file is ambiguous for any reader, so it is not an input to expect back unchanged
    if dialect["lineterminator"] == "\n" and dialect["quoting"] != csv.QUOTE_ALL:
        assume(not any("\r" in v for r in records for v in r.values()))
    buf = io.StringIO(newline="")
    buf.write(",".join(order) + dialect["lineterminator"])
    csv.writer(buf, **dialect).writerows([[r[c] for c in order] for r in records])
    path = folder / "in.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return str(path)


def strict_check(prepared, folder: Path) -> None:
    """Every part passes the document's rules as it is (normalize=False): nothing to rewrite."""
    for part in prepared.parts:
        out = folder / f"check-{part.name}"
        out.mkdir()
        again = prepare_conversions([local_file(part.path)], rules(normalize=False),
                                    SplitOptions(day=DAY, max_bytes=10**9, rebalance_below=0), str(out))
        assert again.notes == [] and again.rows == part.rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(conversion(), min_size=1, max_size=60),
    order=st.permutations(["ip", "useragent", "datetime", "siteid", "app", "type", "customdata", "passthru",
                           "amount"]),
    dialect=DIALECTS,
    bom=st.booleans(),
    max_bytes=st.integers(1500, 6000),
)
def test_normalized_parts_are_compliant_and_concatenate_to_the_original_rows(records, order, dialect, bom,
                                                                            max_bytes):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src = write_source(folder, records, list(order), dialect, bom)
        (folder / "parts").mkdir()
        prepared = prepare_conversions([local_file(src)], rules(), SplitOptions(
            day=DAY, max_bytes=max_bytes, rebalance_below=0), str(folder / "parts"))
        assert prepared.columns == list(order)
        assert all_rows(prepared) == [[r[c] for c in order] for r in records]
        assert all(p.bytes <= max_bytes for p in prepared.parts)
        strict_check(prepared, folder)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(conversion(), min_size=1, max_size=60), max_bytes=st.integers(1500, 6000),
       passthru=st.booleans())
def test_rows_from_xcom_normalize_the_same_way(records, max_bytes, passthru):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "parts").mkdir()
        prepared = prepare_conversions([RowsSource("rows", records)], rules(passthru=passthru), SplitOptions(
            day=DAY, max_bytes=max_bytes, rebalance_below=0), str(folder / "parts"))
        columns = [c for c in records[0] if passthru or c != "passthru"]
        assert prepared.columns == columns
        assert all_rows(prepared) == [[r[c] for c in columns] for r in records]
        if passthru:
            strict_check(prepared, folder)
