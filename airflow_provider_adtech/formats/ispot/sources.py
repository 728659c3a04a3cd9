"""Conversion sources (CSV files, row sets) and what a run reports about them and produces."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_adtech.formats.ispot.split import PartFile


@dataclass
class FileSource:
    """A CSV file: ``open()`` returns a context manager yielding a binary stream. ``size`` (bytes,
    when known) lets parts be cut evenly from the start."""

    name: str
    open: Callable[[], Any]
    size: int | None = None


@dataclass
class RowsSource:
    """Rows as mappings (column name -> value), e.g. from XCom or a SQL hook. ``line`` in
    problems is the record number (1-based)."""

    name: str
    rows: Iterable[Mapping[str, Any]]


def local_file(path: str) -> FileSource:
    return FileSource(path, lambda: open(path, "rb"), os.path.getsize(path))


@dataclass
class SourceReport:
    name: str
    rows: int = 0
    bytes_read: int = 0
    bytes_done: int = 0  # input bytes already turned into output (for even part sizes)
    rows_copied: int = 0
    rows_rewritten: int = 0
    blank_lines_skipped: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.name, "rows": self.rows, "bytes": self.bytes_read}


@dataclass
class PreparedUpload:
    """What :func:`prepare_conversions` produced: the parts, per-source counts, the header,
    the rewrites made (``notes``) and the warnings."""

    parts: list[PartFile]
    sources: list[SourceReport]
    columns: list[str]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ipv6_rows: int = 0

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)
