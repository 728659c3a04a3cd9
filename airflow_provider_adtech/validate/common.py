"""What the vendor checks share: the outcome of a run, usage errors, dates, JSON Lines input.

Imports nothing heavier than the standard library; a vendor's format module is imported
only when that vendor is checked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import IO, Any

from airflow_provider_adtech.formats.errors import Problem
from airflow_provider_adtech.utils.args import as_day, as_days


class UsageError(Exception):
    """A wrong option or an unreadable input: exit status 2, nothing was checked."""


@dataclass
class Outcome:
    """Problems (the first ``limit`` in full, all counted), notes and the rows checked."""

    limit: int = 50
    problems: list[Problem] = field(default_factory=list)
    total: int = 0
    notes: list[str] = field(default_factory=list)
    rows: int | None = None

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.problems) < self.limit:
            self.problems.append(problem)

    def failed(self, exc: Any) -> None:
        """Take the problems of a ``ValidationFailed`` (its listed ones and its count)."""
        for p in exc.problems:
            self.add(p)
        self.total += max(0, exc.total - len(exc.problems))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def count_rows(self, n: int) -> None:
        self.rows = (self.rows or 0) + n

    @property
    def valid(self) -> bool:
        return self.total == 0


def parse_day(text: str, option: str) -> dt.date:
    try:
        return as_day(text, option)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def parse_days(spec: str, option: str) -> list[dt.date]:
    """``"YYYY-MM-DD..YYYY-MM-DD"`` (inclusive) or ``"d1,d2"``, as the operators take them."""
    try:
        days = as_days(spec if ".." in spec else spec.replace(" ", ","), option)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not days:
        raise UsageError(f"{option} names no day")
    return days


def parse_now(text: str | None) -> dt.datetime:
    """``--now``: an ISO date or date-time (UTC when it has no offset); default: the clock."""
    if not text:
        return dt.datetime.now(dt.timezone.utc)
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--now: not an ISO date or date-time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def load_json_option(text: str | None, option: str) -> Any:
    """An option given as JSON text, or as ``@path`` of a JSON file."""
    if text is None or not text.strip():
        return None
    if text.startswith("@"):
        try:
            with open(text[1:], encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise UsageError(f"{option}: cannot read {text[1:]!r}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{option}: not valid JSON: {exc}") from None


def check_files(paths: list[str]) -> None:
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise UsageError("no such file: " + ", ".join(missing))


@contextlib.contextmanager
def open_text(path: str, progress: Any = None, encoding: str = "utf-8-sig") -> Iterator[IO[str]]:
    """A text stream (``newline=''``) over the file, its reads counted by ``progress``."""
    with open(path, "rb") as raw:
        stream = progress.reader(raw) if progress is not None else raw
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        try:
            yield text
        finally:
            text.detach()


class JsonLines:
    """The records of a JSON Lines file, read line by line.

    Blank lines are skipped; a line that is not JSON is a problem (``<vendor>.jsonl.syntax``)
    and skipped. :meth:`line_of` turns a record number back into the file's line number.
    """

    def __init__(self, path: str, vendor: str, outcome: Outcome, progress: Any = None):
        self.path = path
        self.progress = progress
        self.vendor = vendor
        self.outcome = outcome
        self.skipped: list[int] = []

    def __iter__(self) -> Iterator[Any]:
        with open_text(self.path, self.progress) as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    self.skipped.append(lineno)
                    continue
                try:
                    yield json.loads(raw)
                except ValueError as exc:
                    self.skipped.append(lineno)
                    self.outcome.add(Problem(f"{self.vendor}.jsonl.syntax", f"not valid JSON: {exc}",
                                             self.path, lineno, None))

    def line_of(self, record: int) -> int:
        """The line of the ``record``-th record (1-based)."""
        line = record
        for skipped in self.skipped:
            if skipped <= line:
                line += 1
        return line

    def relocate(self, problem: Problem, *, indexed_source: bool = False) -> Problem:
        """``problem`` with its record number (or ``path[i]`` source, 0-based) as the line."""
        if indexed_source and problem.source and problem.source.startswith(self.path + "["):
            index = problem.source[len(self.path) + 1:].rstrip("]")
            if index.isdigit():
                return replace(problem, source=self.path, line=self.line_of(int(index) + 1))
        if not indexed_source and problem.source == self.path and problem.line is not None:
            return replace(problem, line=self.line_of(problem.line))
        return problem
