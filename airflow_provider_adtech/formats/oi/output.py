"""Writing report rows: the output target, JSON Lines while walking, CSV at the end."""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from airflow_provider_adtech.formats.errors import Problem, ValidationFailed
from airflow_provider_adtech.formats.oi.figures import IDENTIFIER_COLUMNS, STAT_COLUMNS

OUTPUT_EXTENSIONS = (".csv", ".jsonl", ".ndjson")
#: a URI scheme (RFC 3986): a letter, then letters, digits, "+", "-" or "."
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def output_format(target: str) -> str:
    """``csv`` or ``jsonl`` from the target's extension."""
    ext = os.path.splitext(target)[1].lower()
    return "csv" if ext == ".csv" else "jsonl"


def check_output_target(target: Any, source: str = "sensor arguments") -> str | None:
    """A local path, ``file://`` path or object-store URI (``s3://bucket/key``, ``gs://``, ``abfs://``...:
    whatever file systems the deployment has) ending in .csv, .jsonl or .ndjson; else ValidationFailed."""
    if target in (None, ""):
        return None
    text = str(target).strip()
    problems: list[Problem] = []
    scheme, sep, rest = text.partition("://")
    if sep and scheme.lower() != "file":
        bucket, _, key = rest.partition("/")
        if not _SCHEME.fullmatch(scheme):
            problems.append(Problem("oi.output.scheme", f"output_path must be a local path or a URI "
                                    f"scheme://bucket/key, got {text!r}", source, None, "output_path"))
        elif not bucket or not key or key.endswith("/"):
            rule = "oi.output.s3" if scheme.lower() == "s3" else "oi.output.object"
            problems.append(Problem(rule, f"output_path must be {scheme}://bucket/key naming an object, got "
                                    f"{text!r}", source, None, "output_path"))
    else:
        path = rest if sep else text
        if path.endswith(("/", os.sep)) or os.path.isdir(path):
            problems.append(Problem("oi.output.directory", f"output_path must name a file, not a directory: "
                                    f"{text!r}", source, None, "output_path"))
    if not problems and os.path.splitext(text)[1].lower() not in OUTPUT_EXTENSIONS:
        problems.append(Problem("oi.output.extension", f"output_path must end in {', '.join(OUTPUT_EXTENSIONS)} "
                                f"(the file format), got {text!r}", source, None, "output_path"))
    if problems:
        raise ValidationFailed(problems, what=source)
    return text


def ordered_columns(keys: Iterable[str]) -> list[str]:
    """Report columns: identifiers, then stats, in the documented order; others after, sorted."""
    keys = set(keys)
    known = [c for c in IDENTIFIER_COLUMNS + STAT_COLUMNS if c in keys]
    return known + sorted(keys - set(known))


class JsonlRowWriter:
    """Writes report rows as JSON Lines to a text stream and remembers every column seen."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.columns: dict[str, None] = {}
        self.rows = 0

    def write(self, row: dict[str, Any]) -> None:
        for k in row:
            if k not in self.columns:
                self.columns[k] = None
        self.stream.write(json.dumps(row, separators=(",", ":"), default=str))
        self.stream.write("\n")
        self.rows += 1


def jsonl_to_csv(src: IO[str], dst: IO[str], columns: Iterable[str]) -> int:
    """Stream JSON Lines rows into CSV with the given columns (every key of every row:
    nothing is dropped; a row without a column gets an empty cell). Returns rows written."""
    cols = ordered_columns(columns)
    writer = csv.DictWriter(dst, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    n = 0
    for line in src:
        if line.strip():
            writer.writerow(json.loads(line))
            n += 1
    return n


def iter_csv_rows(stream: IO[str]) -> Iterator[dict[str, str]]:
    """Rows of a report CSV written by :func:`jsonl_to_csv`."""
    yield from csv.DictReader(stream)
