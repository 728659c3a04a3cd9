"""One run's shared state: its problems and notes, progress, row checks, and rows appended to the parts.

The steps of a run (:mod:`.batches`, :mod:`.fast_path`, :mod:`.files`) build on this class.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from operator import itemgetter

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector
from airflow_provider_adtech.formats.ispot.blocks import line_breaks
from airflow_provider_adtech.formats.ispot.checks import IPV6_ACCEPTED, ValueChecks
from airflow_provider_adtech.formats.ispot.parts import PartWriter
from airflow_provider_adtech.formats.ispot.schema import DOC_UTF8, ConversionRules, Layout
from airflow_provider_adtech.formats.ispot.sources import FileSource, RowsSource, SourceReport
from airflow_provider_adtech.formats.ispot.split import SplitOptions
from airflow_provider_adtech.formats.progress import Progress

BLANK_LINE = "blank line (rows are newline separated, with no empty rows)"


class RunState:
    def __init__(self, sources: Sequence[FileSource | RowsSource], rules: ConversionRules,
                 split: SplitOptions, out_dir: str | None, log: Callable[[str], None] | None,
                 progress: Progress | None = None):
        self.sources = sources
        self.progress = progress
        self.rules = rules
        self.split = split
        self.out_dir = out_dir
        self.log = log or (lambda msg: None)
        self.problems = ProblemCollector(rules.max_problems)
        self.checks = ValueChecks(rules)
        self.first: Layout | None = None
        self.writer: PartWriter | None = None
        self.reports: list[SourceReport] = []
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.ipv6 = 0
        self.bom_sources: list[str] = []
        self.crlf_sources: set[str] = set()

    # -- problems
    def problem(self, rule: str, message: str, source: str, line: int | None, column: str | None) -> None:
        self.problems.add(Problem(rule, message, source, line, column))

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def tick(self) -> None:
        """One progress update per block read (bytes and rows done so far)."""
        if self.progress is not None:
            self.progress.update(sum(r.bytes_done for r in self.reports),
                                 rows=sum(r.rows for r in self.reports))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
            self.log(text)

    # -- output
    def _start_output(self, layout: Layout) -> None:
        if self.writer is None:
            self.writer = PartWriter(self.out_dir, layout.header_bytes(), self.split)
            sizes = [getattr(src, "size", None) for src in self.sources]
            if sizes and all(isinstance(n, int) for n in sizes):
                total = sum(sizes)  # type: ignore[arg-type]
                self.writer.input_progress = lambda: (sum(r.bytes_done for r in self.reports), total)

    def emit(self, data: bytes, rows: int, simple: bool, per_row: Callable[[], list[bytes]] | None,
             source: str, line: int) -> None:
        """Append serialized rows to the parts, cutting only between rows.

        ``simple``: no line break inside values, so every ``\\n`` ends a row. Otherwise
        ``per_row`` gives the rows one by one when ``data`` has to be cut.
        """
        if self.failed or not data:
            return
        w = self.writer
        assert w is not None
        while data:
            room = w.room()
            if len(data) <= room:
                if not simple or rows == 1 or len(data) <= w.mark_step:
                    w.add(data, rows)
                    return
                cut = data.rfind(b"\n", 0, w.mark_step) + 1
                if cut == 0:
                    w.add(data, rows)
                    return
            else:
                if rows == 1 or not simple:
                    break
                cut = data.rfind(b"\n", 0, min(room, w.mark_step)) + 1 or data.rfind(b"\n", 0, room) + 1
                if cut == 0:
                    if w.part_rows == 0:
                        break
                    w.rotate()
                    continue
            # the rows up to ``cut`` fit: add them, the rest goes round again
            n = data.count(b"\n", 0, cut)
            w.add(data[:cut], n)
            data = data[cut:]
            rows -= n
            line += n
        if not data:
            return
        if rows == 1:
            self._emit_row(data, source, line)
            return
        if simple:
            for one in data.splitlines(keepends=True):
                self._emit_row(one, source, line)
                line += 1
            return
        assert per_row is not None
        for one in per_row():
            self._emit_row(one, source, line)
            line += 1 + line_breaks(one.decode("utf-8", "replace")[:-1])

    def _emit_row(self, data: bytes, source: str, line: int) -> None:
        w = self.writer
        assert w is not None
        if len(data) > w.room() and w.part_rows:
            w.rotate()
        if len(data) > w.room():
            self.problem("ispot.row.too_large",
                         f"a single row of {len(data)} bytes does not fit a part of at most "
                         f"{self.split.max_bytes} bytes", source, line, None)
            return
        w.add(data, 1)

    # -- value checks, one row at a time
    def check_row(self, layout: Layout, row: Sequence[str], source: str, line: int) -> bool:
        ok = True
        if len(row) != layout.width:
            self.problem("ispot.csv.ragged",
                         f"row has {len(row)} value(s) but the header has {layout.width} columns",
                         source, line, layout.names[len(row)] if len(row) < layout.width else f"#{len(row)}")
            return False
        check = self.checks.check
        for i in layout.keep:
            target = layout.targets[i]
            res = check(target, row[i])  # type: ignore[arg-type]
            if res is None:
                continue
            if res is IPV6_ACCEPTED:
                self.ipv6 += 1
                continue
            self.problem(res[0], res[1], source, line, layout.label(i))
            ok = False
        return ok

    # -- serializing parsed rows
    def serializer(self, layout: Layout) -> tuple[Callable[[list], bytes], Callable[[list], list[bytes]]]:
        suffix = layout.suffix_text()
        width_out = len(layout.out_columns)
        keep = layout.keep
        if keep == list(range(layout.width)):
            pick = None
        elif not keep:  # no column kept (a header without any iSpot column: already reported)
            pick = lambda r: ()  # noqa: E731
        elif len(keep) == 1:
            k0 = keep[0]
            pick = lambda r: (r[k0],)  # noqa: E731
        else:
            pick = itemgetter(*keep)
        join = '","'.join
        row_sep = '"' + suffix + '\n"'
        row_end = '"' + suffix + "\n"
        quotes = 2 * width_out
        buf = io.StringIO()
        writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator=suffix + "\n")

        def dump(rows: list) -> bytes:
            if not rows:
                return b""
            out = rows if pick is None else list(map(pick, rows))
            text = '"' + row_sep.join(map(join, out)) + row_end
            if text.count('"') != quotes * len(out):  # quotes inside values: let csv escape them
                writer.writerows(out)
                text = buf.getvalue()
                buf.seek(0)
                buf.truncate()
            return text.encode("utf-8")

        def dump_each(rows: list) -> list[bytes]:
            return [dump([r]) for r in rows]

        return dump, dump_each

    # -- text of blocks
    def _decode(self, blk: bytes, source: str, line: int, layout: Layout) -> str:
        """The block as text; invalid UTF-8 is reported (line and column) and replaced."""
        if blk.isascii():
            return blk.decode("ascii")
        try:
            return blk.decode("utf-8")
        except UnicodeDecodeError:
            return self._report_utf8(blk, source, line, layout)

    def _check_utf8(self, blk: bytes, source: str, line: int, layout: Layout) -> None:
        """Report invalid UTF-8 in ``blk`` (bytes copied as they are)."""
        if blk.isascii():
            return
        try:
            blk.decode("utf-8")
        except UnicodeDecodeError:
            self._report_utf8(blk, source, line, layout)

    def _report_utf8(self, blk: bytes, source: str, line: int, layout: Layout) -> str:
        pos = 0
        while True:
            try:
                blk[pos:].decode("utf-8")
                break
            except UnicodeDecodeError as exc:
                at = pos + exc.start
                ln = line + blk.count(b"\n", 0, at)
                sol = blk.rfind(b"\n", 0, at) + 1
                prefix = blk[sol:at].decode("utf-8", "replace")
                try:
                    col_idx = len(next(csv.reader([prefix + "x"]))) - 1
                except csv.Error:
                    col_idx = prefix.count(",")
                column = layout.names[col_idx] if col_idx < layout.width else f"#{col_idx + 1}"
                self.problem("ispot.encoding.utf8",
                             f"byte 0x{blk[at]:02x} is not valid UTF-8 ({DOC_UTF8}; re-export the file "
                             "as UTF-8)",
                             source, ln, column)
                pos = at + max(1, exc.end - exc.start)
        return blk.decode("utf-8", "replace")
