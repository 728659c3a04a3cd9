"""Progress lines for long work: bytes or rows done, throughput and time left.

Pure Python (no Airflow): a task passes its logger's ``info``, the command line passes a
function printing to stderr. The clock is injectable (``clock=time.monotonic``), so the
behaviour is tested without sleeping.

When a line is written:

* not before ``interval`` seconds (10 s) have passed since the start or the last line;
* when the total is known, not before another ``step`` (10 %) of it is done;
* work that ends within ``quiet`` seconds (5 s) writes no line at all; longer work ends with
  one summary line from :meth:`Progress.finish`.

One call per loop turn, with the running count (cheap: a clock read and two comparisons)::

    progress = Progress("iSpot input export.csv", total=size, log=log.info)
    for block in blocks:
        ...
        progress.update(bytes_read, rows=rows)
    progress.finish()

Three shapes of line, after what is counted:

* bytes (validation, splitting): ``iSpot input export.csv: 1.2 GB of 5.0 GB (24%), 3,400,000
  rows, 120 MB/s, about 32 s left``;
* parts (uploads, ``parts=n``): ``iSpot upload: part 7/50, 1.4 GB of 10 GB (14%), 25 MB/s,
  about 6 min left``;
* pages (list walks, ``unit="pages"``): ``IQM list_campaigns: page 12 of 40, 12,000 rows,
  2.0 pages/s, about 14 s left`` (``page 12`` alone when the vendor gives no total).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO, Any

#: seconds between lines (at least)
INTERVAL = 10.0
#: work shorter than this writes nothing
QUIET = 5.0
#: share of a known total between lines (at least)
STEP = 0.10

UNITS = ("bytes", "rows", "pages")


def format_bytes(n: float) -> str:
    """``1234567`` -> ``1.2 MB`` (decimal units, as file sizes are quoted by the vendors)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            if unit == "B":
                return f"{int(n)} B"
            return f"{n:.1f} {unit}" if abs(n) < 100 else f"{n:.0f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def format_duration(seconds: float) -> str:
    """``75`` -> ``1 min 15 s``; ``3700`` -> ``1 h 02 min``."""
    s = int(round(max(0.0, seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Progress:
    """Reports the progress of one piece of long work, throttled (see the module's docstring).

    :param what: what is being done, the start of every line (e.g. ``iSpot input export.csv``).
    :param total: the amount of work in ``unit`` when known (file size, page count).
    :param unit: ``bytes``, ``rows`` or ``pages``: what :meth:`update`'s ``done`` counts.
    :param parts: number of parts (uploads): lines then start with ``part k/n``.
    :param log: called with each line (e.g. a task logger's ``info``); None: silent.
    :param clock: seconds, monotonic (``time.monotonic``; tests pass a fake).
    :param interval: seconds between lines, at least.
    :param quiet: work finished within this many seconds writes no line.
    :param step: share of ``total`` between lines, at least (when ``total`` is known).
    """

    def __init__(self, what: str, *, total: int | None = None, unit: str = "bytes", parts: int | None = None,
                 log: Callable[[str], Any] | None = None, clock: Callable[[], float] = time.monotonic,
                 interval: float = INTERVAL, quiet: float = QUIET, step: float = STEP) -> None:
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
        self.what = what
        self.total = total if total and total > 0 else None
        self.unit = unit
        self.parts = parts
        self.log = log
        self.clock = clock
        self.interval = interval
        self.quiet = quiet
        self.step = step
        self.start = clock()
        self.done = 0
        self.rows: int | None = None
        self.part: int | None = None
        self.lines = 0
        self._last_time = self.start
        self._last_done = 0
        self._finished = False

    # ------------------------------------------------------------------ counting
    def update(self, done: int | None = None, *, rows: int | None = None, part: int | None = None,
               total: int | None = None) -> bool:
        """Record the running count (``done`` in ``unit``; ``rows``, ``part``, ``total`` when they
        change) and write a line when one is due. Returns True when a line was written."""
        if done is not None:
            self.done = done
        if rows is not None:
            self.rows = rows
        if part is not None:
            self.part = part
        if total is not None and total > 0:
            self.total = total
        now = self.clock()
        if now - self._last_time < self.interval or now - self.start < self.quiet:
            return False
        if self.total is not None and (self.done - self._last_done < self.step * self.total
                                       or self.done >= self.total):
            return False  # the end is the summary line's (finish)
        self._emit(self.line(now))
        self._last_time = now
        self._last_done = self.done
        return True

    def advance(self, n: int = 1, *, rows: int | None = None, part: int | None = None) -> bool:
        """:meth:`update` by an increment instead of the running count."""
        return self.update(self.done + n, rows=rows, part=part)

    def finish(self) -> bool:
        """Write the summary line, unless the work took less than ``quiet`` seconds. Returns True
        when it was written; a second call does nothing."""
        if self._finished:
            return False
        self._finished = True
        now = self.clock()
        if now - self.start < self.quiet and not self.lines:
            return False
        self._emit(self.line(now, final=True))
        return True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.finish()

    def reader(self, stream: IO[bytes]) -> _CountingReader:
        """``stream`` with every ``read``/``readline`` counted as bytes done (for work that
        reads a file through code that takes a stream)."""
        return _CountingReader(stream, self)

    # ------------------------------------------------------------------ lines
    def _amount(self, n: float) -> str:
        if self.unit == "bytes":
            return format_bytes(n)
        return f"{int(n):,} {self.unit}"

    def line(self, now: float, final: bool = False) -> str:
        """The text of a line at time ``now`` (seconds of ``clock``)."""
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        bits: list[str] = []
        if self.unit == "pages":
            page = f"page {self.done:,}" + (f" of {self.total:,}" if self.total else "")
            bits.append(page)
        else:
            if self.parts:
                bits.append(f"part {self.part or 0}/{self.parts}")
            amount = self._amount(self.done)
            if self.total:
                amount += f" of {self._amount(self.total)} ({100 * self.done / self.total:.0f}%)"
            bits.append(amount)
        if self.rows is not None and self.unit != "rows":
            bits.append(f"{self.rows:,} rows")
        if self.unit == "bytes":
            bits.append(f"{format_bytes(rate)}/s")
        else:
            bits.append(f"{rate:,.1f} {self.unit}/s")
        if final:
            bits.append(f"done in {format_duration(elapsed)}")
        elif self.total and rate > 0 and self.done < self.total:
            bits.append(f"about {format_duration((self.total - self.done) / rate)} left")
        return f"{self.what}: " + ", ".join(bits)

    def _emit(self, text: str) -> None:
        self.lines += 1
        if self.log is not None:
            self.log(text)


class _CountingReader:
    """A binary stream whose reads advance a :class:`Progress` (by bytes)."""

    def __init__(self, stream: IO[bytes], progress: Progress):
        self._stream = stream
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._progress.advance(len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        data = self._stream.read1(size)
        self._progress.advance(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._stream.readline(size)
        self._progress.advance(len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __enter__(self) -> _CountingReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stream.close()
