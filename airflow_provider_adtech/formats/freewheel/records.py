"""Reading FreeWheel order records (a delivery-schema CSV or dicts) and checking them line by line."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector
from airflow_provider_adtech.formats.freewheel.keys import KeyIndex
from airflow_provider_adtech.formats.freewheel.lines import LineParser
from airflow_provider_adtech.formats.freewheel.schema import (
    ARRAY_HINT,
    CSV_COLUMNS,
    DOCUMENT_COLUMNS,
    INPUT_ALIASES,
    LineRules,
    OrderLine,
)
from airflow_provider_adtech.formats.text import not_utf8_cell, read_rows, tolerant, unreadable


def _canonical_header(name: str) -> str:
    name = name.strip().lstrip("\ufeff").strip().lower()
    return INPUT_ALIASES.get(name, name)


def check_columns(columns: Iterable[str], source: str | None) -> list[Problem]:
    """Problems with an input's columns (missing, unknown, twice, alias conflicts)."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for col in columns:
        canon = _canonical_header(col)
        if canon in seen:
            problems.append(Problem("freewheel.columns.duplicate",
                                    f"column {col!r} appears twice (as {seen[canon]!r} too)", source, 1, col))
            continue
        seen[canon] = col
        if canon not in CSV_COLUMNS:
            problems.append(Problem("freewheel.columns.unknown",
                                    f"unknown column {col!r}; the delivery file has {', '.join(CSV_COLUMNS)}",
                                    source, 1, col))
    for name in DOCUMENT_COLUMNS:
        if name not in seen:
            problems.append(Problem("freewheel.columns.missing", f"required column {name!r} is missing",
                                    source, 1, name))
    return problems


def iter_csv_records(stream: IO[str], source: str, problems: ProblemCollector,
                     stats: dict[str, int] | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, record)`` pairs from a delivery-schema CSV (header in the first row).

    ``line`` is the physical line where the record starts. A header with missing or
    unknown columns raises :class:`ValidationFailed` at once. Blank lines are skipped and
    counted in ``stats["blank_lines"]``; a row with the wrong number of cells is a problem.
    """
    reader = csv.reader(tolerant(stream))
    rows = read_rows(reader)
    header = next(rows, None)
    if header is None:
        problems.add(Problem("freewheel.empty", "the file is empty (no header row)", source, 1))
        return
    if isinstance(header, Exception):
        problems.add(Problem("freewheel.file.unreadable", unreadable(header, 0), source, 1))
        return
    header_problems = check_columns(header, source)
    if header_problems:
        problems.extend(header_problems)
        problems.raise_if_any(f"FreeWheel orders {source}")
    names = [_canonical_header(h) for h in header]
    width = len(names)
    prev_end = reader.line_num
    for row in rows:
        if isinstance(row, Exception):
            problems.add(Problem("freewheel.file.unreadable", unreadable(row, prev_end), source, prev_end + 1))
            return
        start = prev_end + 1
        prev_end = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            if stats is not None:
                stats["blank_lines"] = stats.get("blank_lines", 0) + 1
            continue
        bad = not_utf8_cell(row)
        if bad is not None:
            i, what = bad
            problems.add(Problem("freewheel.file.encoding", f"the cell holds {what}", source, start,
                                 names[i] if i < width else f"cell {i + 1}"))
            continue
        if len(row) != width:
            problems.add(Problem("freewheel.csv.cells",
                                 f"the row has {len(row)} cells, the header {width}; {ARRAY_HINT}",
                                 source, start))
            continue
        yield start, dict(zip(names, row))


def iter_row_records(rows: Iterable[Mapping[str, Any]], source: str,
                     problems: ProblemCollector) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(record number, record)`` pairs from dicts (1-based).

    Unknown keys (and a key given under two spellings) are problems of the record; a
    missing key is reported by the line rules as a required field.
    """
    good_keys: set[frozenset] = set()
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            problems.add(Problem("freewheel.record.type",
                                 f"a record must be a mapping, got {type(row).__name__}", source, n))
            continue
        keys = frozenset(row)
        if keys not in good_keys:
            bad = [p for p in check_columns(row.keys(), source) if p.rule != "freewheel.columns.missing"]
            for p in bad:
                problems.add(Problem(p.rule, p.message.replace("column", "field"), source, n, p.column))
            if bad:
                continue
            good_keys.add(keys)
        yield n, {_canonical_header(k): v for k, v in row.items()}


def parse_records(records: Iterable[tuple[int, Mapping[str, Any]]], source: str, problems: ProblemCollector,
                  rules: LineRules | None = None, keys: KeyIndex | None = None,
                  stats: dict[str, int] | None = None) -> Iterator[OrderLine]:
    """Validate records one by one; yield the good lines, add problems for the others.

    Enforces "contractid+tb_system_id+order_line must be unique within the CSV file"
    through ``keys`` (shared across several sources of one file).
    """
    parser = LineParser(rules or LineRules(), problems, stats)
    keys = keys if keys is not None else KeyIndex()
    for line_no, raw in records:
        line = parser.parse(raw, source, line_no)
        if line is None:
            continue
        first = keys.add(line.key, line_no)
        if first is not None:
            problems.add(Problem(
                "freewheel.key.unique",
                "contractid+tb_system_id+order_line must be unique within the CSV file: "
                f"{line.key} was already used on line {first}",
                source, line_no, "contractid+tb_system_id+order_line"))
            continue
        yield line
