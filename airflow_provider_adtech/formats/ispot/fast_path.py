"""The fast path through a file: runs of compliant rows copied as bytes, other records checked one by one."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from airflow_provider_adtech.formats.ispot.batches import BatchSteps
from airflow_provider_adtech.formats.ispot.blocks import MAX_RECORD_BYTES, Record, drain, scan_record
from airflow_provider_adtech.formats.ispot.schema import DOC_QUOTED, Layout
from airflow_provider_adtech.formats.ispot.sources import SourceReport
from airflow_provider_adtech.formats.ispot.state import BLANK_LINE

#: records per block read one by one before the rest of a source is re-serialized in batches
SLOW_ROWS_PER_BLOCK = 256


class FastPath(BatchSteps):
    """Compliant runs matched by one compiled pattern over the block; any other record is read
    on its own (keeping whether its values were quoted) and checked value by value."""

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
                    self._reserialize(source, layout, drain(head, blocks), line, report)
                    return
                rec = scan_record(buf, pos, final)
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

    def _record(self, source: str, layout: Layout, rec: Record, raw: bytes, line: int, report: SourceReport,
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
