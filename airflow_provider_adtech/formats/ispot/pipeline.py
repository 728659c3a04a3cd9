"""Validate, normalize and split conversion sources into upload parts, streaming.

One pass over every source: each block of rows is checked, rewritten into the document's
exact format and appended to the current part. Memory does not grow with the file:
sources are read in blocks of a few MB, parsed rows are handled in batches.

Three ways through a file, chosen block by block, all applying the same rules:

1. *Pass-through* (:mod:`.fast_path`): a block whose rows already are compliant (one compiled pattern over
   the whole block) is copied as bytes (a constant ``passthru`` appended or a trailing one
   dropped when needed).
2. *Re-serialize* (``normalize=True``, :mod:`.batches`): from the first block that is not, the rest of the
   source goes through ``csv.reader``; batches of rows are checked column-wise and written
   with every value quoted.
3. *Row by row* (:mod:`.fast_path`, :mod:`.batches`): any batch (or, in strict mode, any row)
   that the fast checks do not accept is checked value by value; every problem is recorded
   with its line and column.

Nothing is written once a problem is found, but checking goes on so that all problems
are reported at once (the first ``max_problems`` in full, the rest counted).

Blocks are read by :mod:`.blocks`, a file's first block and header checked by :mod:`.files`,
the run's problems and output kept by :mod:`.state`; this module runs every source.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

from airflow_provider_adtech.formats.errors import ValidationFailed
from airflow_provider_adtech.formats.ispot.files import FileSteps
from airflow_provider_adtech.formats.ispot.schema import DOC_QUOTED, ConversionRules
from airflow_provider_adtech.formats.ispot.sources import (
    FileSource,
    PreparedUpload,
    RowsSource,
    SourceReport,
    local_file,
)
from airflow_provider_adtech.formats.ispot.split import SplitOptions
from airflow_provider_adtech.formats.progress import Progress

__all__ = [
    "FileSource",
    "PreparedUpload",
    "RowsSource",
    "SourceReport",
    "local_file",
    "prepare_conversions",
    "validate_conversions",
]


class _Run(FileSteps):
    """One run over every source: files and row sets into one sequence of parts."""

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
