"""Validate, normalize and split conversion sources into upload parts, streaming.

One pass over every source: each block of rows is checked, rewritten into the document's
exact format and appended to the current part. Memory does not grow with the file:
sources are read in blocks of a few MB, parsed rows are handled in batches.

Three ways through a file, chosen block by block, all applying the same rules:

1. *Pass-through*: a block whose rows already are compliant (one compiled pattern over
   the whole block) is copied as bytes (a constant ``passthru`` appended or a trailing one
   dropped when needed).
2. *Re-serialize* (``normalize=True``): from the first block that is not, the rest of the
   source goes through ``csv.reader``; batches of rows are checked column-wise and written
   with every value quoted.
3. *Row by row*: any batch (or, in strict mode, any row) that the fast checks do not
   accept is checked value by value; every problem is recorded with its line and column.

Nothing is written once a problem is found, but checking goes on so that all problems
are reported at once (the first ``max_problems`` in full, the rest counted).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import os
import queue
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from operator import itemgetter
from typing import IO, Any

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector, ValidationFailed
from airflow_provider_adtech.formats.progress import Progress
from airflow_provider_adtech.formats.ispot.checks import IPV6_ACCEPTED, ValueChecks
from airflow_provider_adtech.formats.ispot.parts import PartFile, PartWriter, SplitOptions
from airflow_provider_adtech.formats.ispot.schema import (
    DOC_QUOTED,
    DOC_UTF8,
    ConversionRules,
    Layout,
    resolve_header,
)

BLOCK_BYTES = 1 << 20
#: read the next blocks on a helper thread while the current one is checked
READ_AHEAD = True
BATCH_ROWS = 5_000
#: a record longer than this is reported instead of being buffered further
MAX_RECORD_BYTES = 64 << 20
#: records per block read one by one before the rest of a source is re-serialized in batches
SLOW_ROWS_PER_BLOCK = 256

BLANK_LINE = "blank line (rows are newline separated, with no empty rows)"

_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


# --------------------------------------------------------------------------- sources
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


# --------------------------------------------------------------------------- result
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


# --------------------------------------------------------------------------- helpers
def _read_lines(stream: IO[bytes], size: int) -> bytes:
    """About ``size`` bytes, completed to the end of the line (so blocks need no re-cutting)."""
    chunk = stream.read(size)
    if chunk and not chunk.endswith(b"\n"):
        chunk += stream.readline(MAX_RECORD_BYTES)
    return chunk


def _read_ahead(stream: IO[bytes], size: int, depth: int = 2) -> Iterator[bytes]:
    """``stream.read(size)`` chunks, read by a helper thread while the caller checks the previous
    ones (reads release the GIL); at most ``depth`` chunks wait in memory."""
    chunks: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        try:
            while True:
                chunk = _read_lines(stream, size)
                if not put(chunk) or not chunk:
                    return
        except BaseException as exc:  # handed to the consumer
            put(exc)

    thread = threading.Thread(target=reader, name="ispot-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
            del item
    finally:
        stop.set()
        thread.join()


def _blocks(stream: IO[bytes], counter: SourceReport, size: int | None = None) -> Iterator[bytes]:
    """Blocks of whole lines (each ends with ``\\n``; a last line without one gets it)."""
    size = size or BLOCK_BYTES
    chunks = _read_ahead(stream, size) if READ_AHEAD else iter(lambda: _read_lines(stream, size), b"")
    try:
        yield from _cut_lines(chunks, counter)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _cut_lines(chunks: Iterator[bytes], counter: SourceReport) -> Iterator[bytes]:
    carry = b""
    while True:
        chunk = next(chunks, b"")
        if not chunk:
            if carry:
                yield carry if carry.endswith(b"\n") else carry + b"\n"
            return
        counter.bytes_read += len(chunk)
        buf = carry + chunk if carry else chunk
        del chunk
        cut = buf.rfind(b"\n") + 1
        if cut == 0:
            carry = buf
            if len(carry) > MAX_RECORD_BYTES:
                # give the caller the long line; it will be reported as malformed
                yield carry + b"\n"
                carry = b""
            continue
        if cut == len(buf):
            carry = b""
        else:
            carry = buf[cut:]
            buf = buf[:cut]
        yield buf
        del buf


def _drain(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    """``head`` then ``rest``, holding on to nothing already handed out."""
    queue = deque(head)
    head.clear()
    while queue:
        yield queue.popleft()
    yield from rest


_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


def _binary_kind(first: bytes) -> str | None:
    """What a first block that is not text is, or None when it may be CSV text."""
    if first.startswith(_GZIP_MAGIC):
        return "the file is gzip-compressed data, not CSV text (it starts with bytes 1f 8b); decompress it first"
    if first.startswith(_ZIP_MAGIC):
        return ("the file is a .zip archive, not CSV text; give the CSV files inside it as sources "
                "(compress=True zips the upload parts)")
    header = first[:first.find(b"\n") + 1]
    if b"\x00" in header:
        return "the header row holds NUL bytes (0x00): the file is binary or UTF-16/32, not CSV text"
    return None


def _line_breaks(value: str) -> int:
    return value.count("\n") + value.count("\r") - value.count("\r\n")


_QUOTED = re.compile(rb'"([^"]*(?:""[^"]*)*)"')
_UNQUOTED = re.compile(rb'[^,"\r\n]*')


@dataclass
class _Record:
    fields: list[bytes]
    quoted: list[bool]
    end: int
    error: str | None = None


def _scan_record(buf: bytes, pos: int, final: bool) -> _Record | None:
    """One CSV record of ``buf`` from ``pos``, keeping whether each value was quoted; None
    when the record continues past the end of ``buf`` (and ``buf`` is not the last)."""
    fields: list[bytes] = []
    quoted: list[bool] = []
    n = len(buf)
    while True:
        if pos < n and buf[pos] == 0x22:
            m = _QUOTED.match(buf, pos)
            if m is None:
                if not final:
                    return None
                return _Record(fields, quoted, n, "a quoted value is never closed (unbalanced double quote)")
            fields.append(m.group(1).replace(b'""', b'"'))
            quoted.append(True)
            pos = m.end()
        else:
            m = _UNQUOTED.match(buf, pos)
            fields.append(m.group())
            quoted.append(False)
            pos = m.end()
        if pos >= n:
            if not final:
                return None
            return _Record(fields, quoted, n)
        c = buf[pos]
        if c == 0x2C:
            pos += 1
            continue
        if c == 0x0A:
            return _Record(fields, quoted, pos + 1)
        if c == 0x0D:
            return _Record(fields, quoted, pos + 2 if buf[pos + 1:pos + 2] == b"\n" else pos + 1)
        eol = buf.find(b"\n", pos)
        return _Record(fields, quoted, eol + 1 if eol >= 0 else n,
                       "a double quote inside a value that is not enclosed in double quotes, or text after a "
                       'closing quote (a quote inside a value is written "")')


# --------------------------------------------------------------------------- the run
class _Run:
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
                n = data.count(b"\n", 0, cut)
                w.add(data[:cut], n)
                data = data[cut:]
                rows -= n
                line += n
                continue
            if rows == 1 or not simple:
                break
            cut = data.rfind(b"\n", 0, min(room, w.mark_step)) + 1 or data.rfind(b"\n", 0, room) + 1
            if cut == 0:
                if w.part_rows == 0:
                    break
                w.rotate()
                continue
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
            line += 1 + _line_breaks(one.decode("utf-8", "replace")[:-1])

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

    # ------------------------------------------------------------------ files
    def run_file(self, src: FileSource) -> None:
        report = SourceReport(src.name)
        self.reports.append(report)
        with src.open() as stream, contextlib.closing(_blocks(stream, report)) as blocks:
            first = next(blocks, None)
            if first is None or first.strip(b"\r\n") == b"" or first == _BOM + b"\n":
                self.problem("ispot.file.empty", "the file is empty; a header row and data rows are expected",
                             src.name, 1, None)
                return
            if first.startswith(_UTF16_BOMS):
                self.problem("ispot.encoding.utf8",
                             f"the file is UTF-16 (byte order mark); iSpot takes UTF-8 ({DOC_UTF8})",
                             src.name, 1, None)
                return
            binary = _binary_kind(first)
            if binary is not None:
                self.problem("ispot.file.binary", f"{binary} ({DOC_UTF8})", src.name, 1, None)
                return
            if first.startswith(_BOM):
                if self.rules.normalize:
                    first = first[len(_BOM):]
                    self.bom_sources.append(src.name)
                    self.note(f"{src.name}: UTF-8 byte order mark removed (it would make the first header "
                              "'\\ufeff...' for iSpot)")
                else:
                    self.problem("ispot.encoding.bom",
                                 "the file starts with a UTF-8 byte order mark (BOM); iSpot reads it as "
                                 f"part of the first header, which then does not match ({DOC_UTF8}; save "
                                 "as UTF-8 without BOM, or let the operator normalize the file)",
                                 src.name, 1, None)
                    first = first[len(_BOM):]
            eol = first.find(b"\n") + 1
            header_raw = first[:eol]
            try:
                header_text = header_raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.problem("ispot.encoding.utf8",
                             f"the header row is not valid UTF-8 (byte 0x{header_raw[exc.start]:02x} at byte "
                             f"{exc.start + 1}; {DOC_UTF8})", src.name, 1, None)
                header_text = header_raw.decode("utf-8", "replace")
            try:
                names = next(csv.reader([header_text.rstrip("\r\n")], strict=True), [])
            except csv.Error as exc:
                self.problem("ispot.csv.malformed", f"the header row is not valid CSV: {exc}", src.name, 1, None)
                return
            layout, header_problems = resolve_header(names, self.rules, src.name, self.first)
            for p in header_problems:
                self.problems.add(p)
            for n in layout.notes:
                self.note(f"{src.name}: {n}")
            if not any(layout.targets):
                # nothing in the rows could be checked against a column: the header problems say why
                return
            if self.first is None:
                self.first = layout
                self._start_output(layout)
            rest = first[eol:]
            body = chain([rest], blocks) if rest else blocks
            self._run_body(src.name, layout, body, report, header_raw.endswith(b"\r\n"))
            if report.rows == 0 and not self.failed and report.blank_lines_skipped == 0:
                self.note(f"{src.name}: header only, no data rows")

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

    def _run_body(self, source: str, layout: Layout, blocks: Iterator[bytes], report: SourceReport,
                  crlf: bool) -> None:
        rx = self.checks.row_regex(layout, crlf)
        if rx is None and self.rules.normalize:
            self._reserialize(source, layout, blocks, 2, report)
        else:
            self._hybrid(source, layout, blocks, 2, report, rx, crlf)

    def _fast_run(self, buf: bytes, pos: int, layout: Layout, crlf: bool, exact: re.Pattern[bytes],
                  loose: re.Pattern[bytes] | None) -> tuple[int, bytes]:
        """End of the run of compliant rows starting at ``pos``, and the run's bytes.

        The loose pattern and :meth:`ValueChecks.shape_ok` first (most blocks are all
        compliant); when the shape check fails, the exact pattern finds where the run ends."""
        if loose is not None:
            end = loose.match(buf, pos).end()
            if end > pos:
                chunk = buf[pos:end] if (pos or end < len(buf)) else buf
                if self.checks.shape_ok(chunk, layout.width, crlf):
                    return end, chunk
        end = exact.match(buf, pos).end()
        return end, (buf[pos:end] if (pos or end < len(buf)) else buf)

    def _fast_chunk(self, data: bytes, layout: Layout, crlf: bool, source: str, line: int,
                    report: SourceReport) -> int:
        """Rows the fast pattern accepted: copied as bytes (line ends, passthru adjusted)."""
        self._check_utf8(data, source, line, layout)
        if crlf:
            data = data.replace(b"\r\n", b"\n")
            self.crlf_sources.add(source)
        kind = layout.fast_kind
        if kind == "drop_last_passthru":
            data = data.replace(b',"1"\n', b"\n")
        elif layout.suffix:
            data = data.replace(b'"\n', b'"' + layout.suffix_text().encode("utf-8") + b"\n")
        n = data.count(b"\n")
        report.rows += n
        report.rows_copied += n
        self.emit(data, n, True, None, source, line)
        return n

    def _hybrid(self, source: str, layout: Layout, blocks: Iterator[bytes], line: int, report: SourceReport,
                rx: re.Pattern[bytes] | None, crlf: bool) -> None:
        """Runs of compliant rows go through the fast pattern; any other record is read on its
        own (keeping whether its values were quoted) and checked value by value. With
        ``normalize``, a block with many such records hands the rest of the source to
        :meth:`_reserialize`."""
        dump = self.serializer(layout)[0] if self.rules.normalize else None
        loose = self.checks.row_regex(layout, crlf, loose=True) if rx is not None else None
        carry = b""
        blocks = iter(blocks)
        blk = next(blocks, None)
        while blk is not None:
            nxt = next(blocks, None)
            final = nxt is None
            buf = carry + blk if carry else blk
            carry = b""
            pos = 0
            slow = 0
            size = len(buf)
            while pos < size:
                if rx is not None:
                    end, chunk = self._fast_run(buf, pos, layout, crlf, rx, loose)
                    if end > pos:
                        line += self._fast_chunk(chunk, layout, crlf, source, line, report)
                        pos = end
                        continue
                    del chunk
                if dump is not None and slow >= SLOW_ROWS_PER_BLOCK:
                    head = [buf[pos:]] + ([nxt] if nxt is not None else [])
                    buf = blk = nxt = None  # type: ignore[assignment]
                    self._reserialize(source, layout, _drain(head, blocks), line, report)
                    return
                rec = _scan_record(buf, pos, final)
                if rec is None:
                    carry = buf[pos:]
                    if len(carry) > MAX_RECORD_BYTES:
                        self.problem("ispot.csv.malformed", "a record runs over more than 64 MB (unbalanced "
                                     "double quote?)", source, line, None)
                        return
                    break
                raw = buf[pos:rec.end]
                self._check_utf8(raw, source, line, layout)
                self._record(source, layout, rec, raw, line, report, dump)
                line += max(1, raw.count(b"\n"))
                pos = rec.end
                slow += 1
            report.bytes_done += len(blk)
            self.tick()
            blk = nxt

    def _record(self, source: str, layout: Layout, rec: _Record, raw: bytes, line: int, report: SourceReport,
                dump: Callable[[list], bytes] | None) -> None:
        """One record the fast pattern did not accept."""
        if rec.error:
            self.problem("ispot.csv.malformed", rec.error, source, line,
                         layout.names[len(rec.fields) - 1] if 0 < len(rec.fields) <= layout.width else None)
            return
        if rec.fields == [b""] and not rec.quoted[0]:
            if dump is not None:
                report.blank_lines_skipped += 1
                return
            self.problem("ispot.csv.blank_line", BLANK_LINE,
                         source, line, None)
            return
        ok = True
        if dump is None:
            unquoted = [layout.names[i] if i < layout.width else f"#{i + 1}"
                        for i, q in enumerate(rec.quoted) if not q]
            if unquoted:
                self.problem("ispot.csv.unquoted",
                             f"value(s) not enclosed in double quotes: {', '.join(unquoted)} ({DOC_QUOTED})",
                             source, line, unquoted[0])
                ok = False
        row = [f.decode("utf-8", "replace") for f in rec.fields]
        if not self.check_row(layout, row, source, line):
            ok = False
        if not ok:
            return
        report.rows += 1
        if dump is not None:
            report.rows_rewritten += 1
            data = dump([row])
            if raw.endswith(b"\r\n"):
                self.crlf_sources.add(source)
        else:
            report.rows_copied += 1
            data = raw if raw.endswith(b"\n") else raw + b"\n"
            if data.endswith(b"\r\n"):
                data = data[:-2] + b"\n"
                self.crlf_sources.add(source)
        if not self.failed:
            self._emit_row(data, source, line)

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
                line += 1 + sum(map(_line_breaks, row))
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

    # -- strict: nothing is rewritten; every row is checked as it is
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

    # ------------------------------------------------------------------ all
    def run(self) -> PreparedUpload:
        try:
            for src in self.sources:
                if isinstance(src, RowsSource):
                    self.run_rows(src)
                else:
                    self.run_file(src)
            total = sum(r.rows for r in self.reports)
            if total == 0 and not self.failed:
                self.problem("ispot.file.no_rows",
                             "no data rows: the input has a header but no conversions to upload",
                             self.sources[0].name if len(self.sources) == 1 else "input",
                             2 if len(self.sources) == 1 and isinstance(self.sources[0], FileSource)
                             else None,
                             None)
            if self.failed:
                raise ValidationFailed(self.problems.problems, total=self.problems.total,
                                       what="iSpot conversion input")
            assert self.writer is not None and self.first is not None
            parts = self.writer.close()
            if self.progress is not None:
                self.progress.finish()
        except BaseException:
            if self.writer is not None:
                self.writer.discard()
            raise
        rewritten = sum(r.rows_rewritten for r in self.reports)
        if rewritten and self.rules.normalize:
            self.note(f"{rewritten} row(s) re-written with every value in double quotes and \\n line ends "
                      f"({DOC_QUOTED})")
        if self.crlf_sources:
            self.note("CRLF line ends written as \\n: " + ", ".join(sorted(self.crlf_sources)))
        blanks = sum(r.blank_lines_skipped for r in self.reports)
        if blanks:
            self.note(f"{blanks} blank line(s) skipped")
        if self.ipv6:
            self.warnings.append(f"{self.ipv6} row(s) carry an IPv6 address; iSpot matches households by "
                                 'IPv4 (document: "Use IPv4 if you want to match conversions to a '
                                 'Household")')
            self.log(self.warnings[-1])
        if self.writer.rebalanced:
            self.note(f"the last {self.writer.rebalanced} parts were re-cut into parts of equal size so that "
                      "the last is not below the minimum size")
        return PreparedUpload(parts, self.reports, list(self.first.out_columns), self.notes, self.warnings,
                              self.ipv6)


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


def prepare_conversions(
    sources: Sequence[FileSource | RowsSource],
    rules: ConversionRules,
    split: SplitOptions,
    out_dir: str | None,
    log: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> PreparedUpload:
    """Validate every source and write compliant parts into ``out_dir``.

    :param sources: files and/or row sets; their rows go into one sequence of parts.
    :param rules: the checks and rewrites (see :class:`ConversionRules`).
    :param split: part size, compression and names (see :class:`SplitOptions`).
    :param out_dir: where the parts go; ``None`` only sizes them (nothing is written).
    :param log: called with every rewrite made and warning raised.
    :param progress: told the input bytes and rows done after every block read (a line about
        every 10 s of long work, see :mod:`airflow_provider_adtech.formats.progress`).
    :raises ValidationFailed: with every problem found (nothing is left in ``out_dir``).
    """
    if not sources:
        raise ValueError("no source to upload")
    with _gc_paused():
        return _Run(sources, rules, split, out_dir, log, progress).run()


def validate_conversions(sources: Sequence[FileSource | RowsSource], rules: ConversionRules,
                         log: Callable[[str], None] | None = None) -> PreparedUpload:
    """Check the sources without writing anything (parts are only sized)."""
    return prepare_conversions(sources, rules, SplitOptions(day=rules.dates[0]), None, log)


@contextlib.contextmanager
def _gc_paused():
    """Batches of parsed rows are short-lived lists: the cyclic collector would scan
    them again and again for nothing (they hold no cycles)."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
