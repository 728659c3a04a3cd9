"""Parsed rows checked column-wise and re-serialized in batches: the ``csv.reader`` path and row sources."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Mapping
from itertools import chain, islice
from typing import Any

from airflow_provider_adtech.formats.ispot.blocks import line_breaks
from airflow_provider_adtech.formats.ispot.schema import Layout, resolve_header
from airflow_provider_adtech.formats.ispot.sources import RowsSource, SourceReport
from airflow_provider_adtech.formats.ispot.state import BLANK_LINE, RunState

BATCH_ROWS = 5_000


class BatchSteps(RunState):
    """Rows parsed by ``csv.reader`` (files) or given as mappings (row sources), in batches of
    ``BATCH_ROWS``: a batch the column-wise checks accept is serialized at once, any other is
    checked row by row."""

    def _reserialize(self, source: str, layout: Layout, blocks: Iterator[bytes], line: int,
                     report: SourceReport) -> None:
        state = {"line": line}

        def as_text(blk: bytes) -> io.StringIO:
            if b"\r\n" in blk:
                self.crlf_sources.add(source)
            text = self._decode(blk, source, state["line"], layout)
            state["line"] += blk.count(b"\n")
            report.bytes_done += len(blk)
            self.tick()
            return io.StringIO(text, newline="")

        reader = csv.reader(chain.from_iterable(map(as_text, blocks)), strict=True)
        base = line - 1
        batch_ok = self.checks.batch_checker(layout)
        dump, dump_each = self.serializer(layout)
        while True:
            start = base + reader.line_num + 1
            batch: list[list[str]] = []
            error = None
            try:
                batch.extend(islice(reader, BATCH_ROWS))
            except csv.Error as exc:
                error = (base + reader.line_num, str(exc))
            if batch:
                self._batch(source, layout, batch, start, report, batch_ok, dump, dump_each, line_of=None)
            if error is not None:
                self.problem("ispot.csv.malformed",
                             f"not valid CSV: {error[1]} (a double quote inside a value must be doubled and "
                             "the value enclosed in double quotes)", source, error[0], None)
                continue
            if len(batch) < BATCH_ROWS:
                break

    def _batch(self, source: str, layout: Layout, batch: list, start: int, report: SourceReport,
               batch_ok, dump, dump_each, line_of: Callable[[int], int] | None) -> None:
        if batch_ok(batch):
            report.rows += len(batch)
            report.rows_rewritten += len(batch)
            if not self.failed:
                data = dump(batch)
                self.emit(data, len(batch), False, lambda: dump_each(batch), source, start)
            return
        good: list = []
        line = start
        for i, row in enumerate(batch):
            here = line_of(i) if line_of else line
            if line_of is None:
                line += 1 + sum(map(line_breaks, row))
            if not row:
                if self.rules.normalize:
                    report.blank_lines_skipped += 1
                    continue
                self.problem("ispot.csv.blank_line", BLANK_LINE,
                             source, here, None)
                continue
            if self.check_row(layout, row, source, here):
                good.append(row)
        report.rows += len(good)
        report.rows_rewritten += len(good)
        if good and not self.failed:
            data = dump(good)
            self.emit(data, len(good), False, lambda: dump_each(good), source, start)

    # ------------------------------------------------------------------ rows
    def run_rows(self, src: RowsSource) -> None:
        report = SourceReport(src.name)
        self.reports.append(report)
        it = iter(src.rows)
        first = next(it, None)
        if first is None:
            self.note(f"{src.name}: no rows")
            return
        if not isinstance(first, Mapping):
            self.problem("ispot.rows.type", f"rows must be mappings (column name -> value), got "
                         f"{type(first).__name__}", src.name, 1, None)
            return
        keys = [str(k) for k in first.keys()]
        layout, header_problems = resolve_header(keys, self.rules, src.name, self.first,
                                                 line=None)  # type: ignore[arg-type]
        for p in header_problems:
            self.problems.add(p)
        for n in layout.notes:
            self.note(f"{src.name}: {n}")
        if self.first is None:
            self.first = layout
            self._start_output(layout)
        batch_ok = self.checks.batch_checker(layout)
        dump, dump_each = self.serializer(layout)
        record = 0
        converted = 0
        all_rows = chain([first], it)
        while True:
            chunk = list(islice(all_rows, BATCH_ROWS))
            if not chunk:
                break
            batch = []
            for rec in chunk:
                record += 1
                if not isinstance(rec, Mapping):
                    self.problem("ispot.rows.type", f"record is a {type(rec).__name__}, not a mapping",
                                 src.name, record, None)
                    batch.append([])
                    continue
                if len(rec) != len(keys) or any(k not in rec for k in keys):
                    missing = [k for k in keys if k not in rec]
                    extra = [str(k) for k in rec if str(k) not in keys]
                    self.problem("ispot.rows.keys",
                                 "record keys differ from the first record's"
                                 + (f"; missing: {', '.join(missing)}" if missing else "")
                                 + (f"; extra: {', '.join(extra)}" if extra else ""),
                                 src.name, record, (missing or extra or [None])[0])
                    batch.append([])
                    continue
                row = []
                for k in keys:
                    v = rec[k]
                    if not isinstance(v, str):
                        v, changed = _to_text(v)
                        converted += changed
                    row.append(v)
                batch.append(row)
            first_record = record - len(chunk) + 1
            self._rows_batch(src.name, layout, batch, first_record, report, batch_ok, dump, dump_each)
        if converted:
            self.note(f"{src.name}: {converted} non-text value(s) written as text (datetimes as "
                      "'YYYY-MM-DD hh:mm:ss' UTC, None as empty)")

    def _rows_batch(self, source, layout, batch, first_record, report, batch_ok, dump, dump_each) -> None:
        bad = [i for i, r in enumerate(batch) if not r]
        if bad:
            kept = [r for r in batch if r]
            # the records already reported are left out; the rest keep their numbers
            numbers = [first_record + i for i, r in enumerate(batch) if r]
            self._batch(source, layout, kept, first_record, report, batch_ok, dump, dump_each,
                        line_of=lambda i: numbers[i])
        else:
            self._batch(source, layout, batch, first_record, report, batch_ok, dump, dump_each,
                        line_of=lambda i: first_record + i)


def _to_text(value: Any) -> tuple[str, int]:
    if value is None:
        return "", 1
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S"), 1
    if isinstance(value, bool):
        return ("1" if value else "0"), 1
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8"), 1
        except UnicodeDecodeError:
            return value.decode("utf-8", "replace"), 1
    return str(value), 1
