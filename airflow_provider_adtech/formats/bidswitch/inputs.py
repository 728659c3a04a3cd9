"""BidSwitch builder inputs: typed rows from records (dicts, SQL sequences) or from a CSV stream."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from airflow_provider_adtech.formats.bidswitch.rows import Conversions, ReportRow, Where, row_from_mapping
from airflow_provider_adtech.formats.bidswitch.schema import RECORD_FIELDS
from airflow_provider_adtech.formats.errors import Problem, ProblemCollector
from airflow_provider_adtech.formats.text import not_utf8_cell, read_rows, tolerant, unreadable


def _column_map(columns: Mapping[str, str] | None) -> dict[str, str]:
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(RECORD_FIELDS))
    if unknown:
        raise ValueError(f"columns: unknown field(s) {unknown}; the fields are {', '.join(RECORD_FIELDS)}")
    return columns


def rows_from_records(
    records: Iterable[Mapping[str, Any] | Sequence[Any]],
    *,
    columns: Mapping[str, str] | Sequence[str] | None = None,
    source: str = "rows",
    collector: ProblemCollector | None = None,
    notes: list[str] | None = None,
    conversions: Conversions | None = None,
) -> list[ReportRow]:
    """Typed rows from dicts (XCom, ``get_records`` as dicts) or sequences (SQL records).

    Values must have the document's types: text is not read as a number (see
    :data:`TEXT_NUMBER_RULE`); numbers of other Python types (``Decimal``, a whole
    ``float`` for a count) and spaces around text are converted and counted in
    ``conversions`` (whose :meth:`Conversions.notes` go to the summary).

    :param records: dicts keyed by field name, or sequences in the order of ``columns``.
    :param columns: for dicts, ``{field: key}`` where a key differs from the field name;
        for sequences, the field names of the positions (default: ``RECORD_FIELDS`` order:
        date, hour, seat, imps, cost, bids, timeouts, timezone, currency).
    :param source: name of the input in problem messages.
    :param collector: where problems go; a new one (raising at the end) when omitted.
    :param notes: where to add sentences about ignored keys.
    :param conversions: shared by several inputs; when omitted, its notes go to ``notes`` here.
    """
    own = collector is None
    col = collector if collector is not None else ProblemCollector()
    conv = conversions if conversions is not None else Conversions()
    positional = list(columns) if columns is not None and not isinstance(columns, Mapping) else None
    if positional is not None:
        bad = sorted(set(positional) - set(RECORD_FIELDS))
        if bad:
            raise ValueError(f"columns: unknown field(s) {bad}; the fields are {', '.join(RECORD_FIELDS)}")
    mapping = _column_map(columns if isinstance(columns, Mapping) else None)
    wanted = {mapping.get(f, f) for f in RECORD_FIELDS}
    ignored: dict[str, int] = {}
    numeric_hours = 0
    out: list[ReportRow] = []
    for i, rec in enumerate(records):
        where = Where(source, None, i)
        if isinstance(rec, Mapping):
            for key in rec:
                if key not in wanted:
                    ignored[str(key)] = ignored.get(str(key), 0) + 1
            row = row_from_mapping(rec, where, mapping, col, conv)
        elif isinstance(rec, Sequence) and not isinstance(rec, (str, bytes)):
            names = positional or list(RECORD_FIELDS)
            if len(rec) > len(names):
                col.add(where.problem("bidswitch.record.width",
                                      f"record has {len(rec)} values but only {len(names)} column names "
                                      f"({', '.join(names)}); pass columns=[...]", None))
                continue
            row = row_from_mapping(dict(zip(names, rec)), where, {}, col, conv)
        else:
            col.add(where.problem("bidswitch.record.type",
                                  f"a row must be a dict or a sequence, got {type(rec).__name__}", None))
            continue
        if row is not None:
            out.append(row)
            if row.hour is not None and row.hour != _raw_hour(rec, mapping, positional):
                numeric_hours += 1
    if numeric_hours and notes is not None:
        notes.append(f"hour given as a number on {numeric_hours} row(s), written as the document's two-digit "
                     "string (e.g. 7 -> \"07\")")
    if ignored and notes is not None:
        notes.append("ignored input field(s) not part of the report: "
                     + ", ".join(f"{k} ({n} row(s))" for k, n in sorted(ignored.items())))
    if conversions is None and notes is not None:
        notes.extend(conv.notes())
    if own:
        col.raise_if_any(source)
    return out


def _raw_hour(rec: Any, mapping: Mapping[str, str], positional: list[str] | None) -> Any:
    if isinstance(rec, Mapping):
        raw = rec.get(mapping.get("hour", "hour"))
    else:
        names = positional or list(RECORD_FIELDS)
        raw = dict(zip(names, rec)).get("hour")
    return raw.strip() if isinstance(raw, str) else raw


def rows_from_csv(
    stream: IO[str],
    *,
    source: str = "csv",
    columns: Mapping[str, str] | Sequence[str] | None = None,
    delimiter: str = ",",
    collector: ProblemCollector | None = None,
    notes: list[str] | None = None,
    conversions: Conversions | None = None,
) -> list[ReportRow]:
    """Typed rows from a CSV text stream, read line by line.

    The first line is the header (columns ``date, hour, seat, imps, cost, bids,
    timeouts`` and optionally ``timezone, currency``) unless ``columns`` is a list,
    which names the columns of a file without header. Problems name the file, the
    physical line and the column.

    :param stream: text stream opened with ``newline=''``.
    :param source: file name or URI used in messages.
    :param columns: ``{field: header}`` for differently named headers, or a list of
        field names for a headerless file.
    """
    own = collector is None
    col = collector if collector is not None else ProblemCollector()
    conv = conversions if conversions is not None else Conversions()
    reader = csv.reader(tolerant(stream), delimiter=delimiter)
    rows = read_rows(reader)
    if columns is not None and not isinstance(columns, Mapping):
        header = list(columns)
        bad = sorted(set(header) - set(RECORD_FIELDS))
        if bad:
            raise ValueError(f"columns: unknown field(s) {bad}; the fields are {', '.join(RECORD_FIELDS)}")
        mapping: dict[str, str] = {}
    else:
        mapping = _column_map(columns)
        first = next(rows, None)
        if first is None or isinstance(first, Exception):
            col.add(Problem("bidswitch.csv.empty", "the file is empty (no header line)", source, 1, None)
                    if first is None else Problem("bidswitch.csv.unreadable", unreadable(first, 0), source, 1, None))
            if own:
                col.raise_if_any(source)
            return []
        header = [h.strip() for h in first]
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        missing = [mapping.get(f, f) for f in ("date", "imps", "cost") if mapping.get(f, f) not in header]
        for name in missing:
            col.add(Problem("bidswitch.csv.header", f"required column {name!r} is missing from the header "
                            f"(found: {', '.join(header)})", source, 1, name))
        if missing:
            if own:
                col.raise_if_any(source)
            return []
        wanted = {mapping.get(f, f) for f in RECORD_FIELDS}
        extra = [h for h in header if h not in wanted]
        if extra and notes is not None:
            notes.append(f"{source}: ignored column(s) not part of the report: {', '.join(extra)}")
    out: list[ReportRow] = []
    blank = 0
    for values in rows:
        if isinstance(values, Exception):  # not UTF-8, or a field over the csv module's size limit
            col.add(Problem("bidswitch.csv.unreadable", unreadable(values, reader.line_num), source,
                            reader.line_num + 1, None))
            break
        line = reader.line_num
        if not values or all(not v.strip() for v in values):
            blank += 1
            continue
        where = Where(source, line, None)
        bad = not_utf8_cell(values)
        if bad is not None:
            i, what = bad
            col.add(where.problem("bidswitch.csv.encoding", f"the cell holds {what}",
                                  header[i] if i < len(header) else f"cell {i + 1}"))
            continue
        if len(values) != len(header):
            col.add(where.problem("bidswitch.csv.width",
                                  f"line has {len(values)} values, the header has {len(header)}", None))
            continue
        row = row_from_mapping(dict(zip(header, values)), where, mapping, col, conv, typed=False)
        if row is not None:
            out.append(row)
    if blank and notes is not None:
        notes.append(f"{source}: skipped {blank} blank line(s)")
    if conversions is None and notes is not None:
        notes.extend(conv.notes())
    if own:
        col.raise_if_any(source)
    return out
