"""A file source opened: empty, binary, encoding and header checks, then its rows to the fast or csv path."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from itertools import chain

from airflow_provider_adtech.formats.ispot.blocks import BOM, UTF16_BOMS, binary_kind, line_blocks
from airflow_provider_adtech.formats.ispot.fast_path import FastPath
from airflow_provider_adtech.formats.ispot.schema import DOC_UTF8, Layout, resolve_header
from airflow_provider_adtech.formats.ispot.sources import FileSource, SourceReport


class FileSteps(FastPath):
    def run_file(self, src: FileSource) -> None:
        report = SourceReport(src.name)
        self.reports.append(report)
        with src.open() as stream, contextlib.closing(line_blocks(stream, report)) as blocks:
            first = next(blocks, None)
            if first is None or first.strip(b"\r\n") == b"" or first == BOM + b"\n":
                self.problem("ispot.file.empty", "the file is empty; a header row and data rows are expected",
                             src.name, 1, None)
                return
            if first.startswith(UTF16_BOMS):
                self.problem("ispot.encoding.utf8",
                             f"the file is UTF-16 (byte order mark); iSpot takes UTF-8 ({DOC_UTF8})",
                             src.name, 1, None)
                return
            binary = binary_kind(first)
            if binary is not None:
                self.problem("ispot.file.binary", f"{binary} ({DOC_UTF8})", src.name, 1, None)
                return
            if first.startswith(BOM):
                if self.rules.normalize:
                    first = first[len(BOM):]
                    self.bom_sources.append(src.name)
                    self.note(f"{src.name}: UTF-8 byte order mark removed (it would make the first header "
                              "'\\ufeff...' for iSpot)")
                else:
                    self.problem("ispot.encoding.bom",
                                 "the file starts with a UTF-8 byte order mark (BOM); iSpot reads it as "
                                 f"part of the first header, which then does not match ({DOC_UTF8}; save "
                                 "as UTF-8 without BOM, or let the operator normalize the file)",
                                 src.name, 1, None)
                    first = first[len(BOM):]
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

    def _run_body(self, source: str, layout: Layout, blocks: Iterator[bytes], report: SourceReport,
                  crlf: bool) -> None:
        rx = self.checks.row_regex(layout, crlf)
        if rx is None and self.rules.normalize:
            self._reserialize(source, layout, blocks, 2, report)
        else:
            self._hybrid(source, layout, blocks, 2, report, rx, crlf)
