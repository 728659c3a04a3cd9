"""Payload files of publishers and placements (.json, .jsonl/.ndjson, .csv), read and checked.

Every record comes with the line it starts on; all problems are reported at once.
"""

from __future__ import annotations

import csv
import json
import os
from typing import IO, Any

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector
from airflow_provider_adtech.formats.oi.records import (
    PLACEMENT_RULES,
    PUBLISHER_RULES,
    FieldRule,
    check_record,
)


def _csv_value(rule: FieldRule | None, name: str, text: str) -> Any:
    """A CSV cell as the JSON value the field expects (left as text when it does not parse)."""
    if text == "":
        return None
    if name in ("id",) or (rule is not None and rule.kind in ("id", "count", "days")):
        try:
            return int(text)
        except ValueError:
            return text
    if rule is not None and rule.kind == "bool":
        low = text.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        return text
    return text


def read_records(stream: IO[str], source: str, kind: str) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """Records of a payload file with the line each starts on, and syntax problems.

    Formats, by the file name's extension: ``.json`` (one object or an array of
    objects), ``.jsonl``/``.ndjson`` (one object a line), ``.csv`` (a header of field
    names; empty cells are left out, numbers and ``true``/``false`` are converted).
    """
    ext = os.path.splitext(source.split("?")[0])[1].lower()
    records: list[tuple[int, Any]] = []
    problems: list[Problem] = []
    if ext in (".jsonl", ".ndjson"):
        for lineno, text in enumerate(stream, 1):
            if not text.strip():
                continue
            try:
                records.append((lineno, json.loads(text)))
            except json.JSONDecodeError as exc:
                problems.append(Problem("oi.payload.json", f"not valid JSON: {exc.msg} (column {exc.colno})",
                                        source, lineno))
        return records, problems
    if ext == ".csv":
        rules = PUBLISHER_RULES if kind == "publisher" else PLACEMENT_RULES
        reader = csv.reader(stream)
        header = next(reader, None)
        if not header:
            return [], [Problem("oi.payload.empty", "the file is empty (a header of field names is needed)",
                                source, 1)]
        header = [h.strip() for h in header]
        for row in reader:
            lineno = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(Problem("oi.payload.csv_width",
                                        f"{len(row)} cells but the header has {len(header)}", source, lineno))
                continue
            rec = {}
            for name, cell in zip(header, row):
                value = _csv_value(rules.get(name), name, cell.strip())
                if value is not None:
                    rec[name] = value
            records.append((lineno, rec))
        return records, problems
    if ext == ".json":
        text = stream.read()
        return _json_records(text, source)
    return [], [Problem("oi.payload.format", f"unknown payload file type {ext or '(none)'!r}; "
                        "use .json, .jsonl, .ndjson or .csv", source)]


def _json_records(text: str, source: str) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """Objects of a JSON document (an object or an array), each with its starting line."""
    decoder = json.JSONDecoder()

    def lineno(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    def skip_ws(pos: int) -> int:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        return pos

    pos = skip_ws(0)
    if pos >= len(text):
        return [], [Problem("oi.payload.empty", "the file is empty", source, 1)]
    if text[pos] != "[":
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            return [], [Problem("oi.payload.json", f"not valid JSON: {exc.msg} (column {exc.colno})",
                                source, exc.lineno)]
        if skip_ws(end) != len(text):
            return [], [Problem("oi.payload.json", "extra data after the JSON value", source, lineno(end))]
        return [(lineno(pos), obj)], []
    records: list[tuple[int, Any]] = []
    pos = skip_ws(pos + 1)
    if pos < len(text) and text[pos] == "]":
        return [], []
    while True:
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            return records, [Problem("oi.payload.json", f"not valid JSON: {exc.msg} (column {exc.colno})",
                                     source, exc.lineno)]
        records.append((lineno(pos), obj))
        pos = skip_ws(end)
        if pos < len(text) and text[pos] == ",":
            pos = skip_ws(pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            if skip_ws(pos + 1) != len(text):
                return records, [Problem("oi.payload.json", "extra data after the JSON array", source,
                                         lineno(pos + 1))]
            return records, []
        return records, [Problem("oi.payload.json", "expected ',' or ']' in the JSON array", source,
                                 lineno(pos))]


def validate_payload_file(stream: IO[str], source: str, kind: str, *, mode: str = "create",
                          limit: int = 50, warnings: list[str] | None = None) -> list[tuple[int, dict]]:
    """Read and check every record of a payload file; raise :class:`ValidationFailed` with
    all problems (syntax and field rules) at once, else return ``(line, record)`` pairs."""
    records, problems = read_records(stream, source, kind)
    collector = ProblemCollector(limit)
    collector.extend(problems)
    for lineno, rec in records:
        collector.extend(check_record(rec, kind, mode=mode, source=source, line=lineno, warnings=warnings))
        if mode == "update" and isinstance(rec, dict) and "id" not in rec:
            collector.add(Problem(f"oi.{kind}.id.required", f"an update needs the id of the {kind}", source,
                                  lineno, "id"))
    if not records and not problems:
        collector.add(Problem("oi.payload.empty", f"no {kind} records in the file", source))
    collector.raise_if_any(f"{kind} payload {source}")
    return records  # type: ignore[return-value]
