"""Writing normalized rows into upload parts under the size limit.

Document, "CSV File Format" and "Splitting your Files": "If your file(s) are larger than
200 MB they must be split prior to uploading"; ".zip containing multiple files accepted";
"Compressed files must be under 200MB each"; "Files must have unique file names for a
given day". Every part starts with the header row, rows are never cut, names are
``<prefix>_<YYYY-MM-DD>_<NNN>.csv`` (or ``.zip`` holding one ``.csv`` of the same name).
When compressing, a part is closed by its compressed size.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import io
import os
import queue
import re
import threading
import zipfile
from dataclasses import dataclass, field
from collections.abc import Callable
from itertools import chain
from typing import IO, Any

from airflow_provider_adtech.formats.ispot.schema import MAX_PART_BYTES, MIN_PART_BYTES

#: what deflate may still hold back in its buffers: a zip part is closed this much early
ZIP_MARGIN = 1 << 20
#: write (and compress) parts on a helper thread while the next rows are checked
WRITE_BEHIND = True
#: about the size of the blocks handed to :meth:`PartWriter.add`
BLOCK_HINT = 1 << 20
#: stay below the size of plain (non-zip64) zip members: ``zipfile`` refuses more than 2 GiB
#: without zip64, which not every reader handles (well compressible rows reach it: 200 MB of zip
#: can hold more than 2 GB of CSV)
ZIP32_LIMIT = zipfile.ZIP64_LIMIT - (1 << 20)

_PREFIX_RX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: deflate pieces of a zip part on this many threads (the compressors release the GIL)
DEFLATE_THREADS = 2
#: pieces compressed or waiting at once, per part
DEFLATE_IN_FLIGHT = 4
#: the last 32 KiB of a piece prime the next one's compressor (deflate's window)
_WINDOW = 32 * 1024


def deflate_engine() -> tuple[str, Any]:
    """The deflate implementation: ``zlib-ng`` when installed (extra ``fast-zip``: the same
    output sizes as ``zlib`` at the same level, about 1.8 times faster), else ``zlib``."""
    try:
        from zlib_ng import zlib_ng

        return "zlib-ng", zlib_ng
    except ImportError:
        import zlib

        return "zlib", zlib


class _ParallelDeflate:
    """A compressor for ``zipfile`` (``compress``/``flush``) that deflates pieces of the member
    on a thread pool, as pigz does: each piece is a raw deflate stream ended by a sync flush and
    primed with the 32 KiB before it, so the pieces laid end to end are one valid deflate stream
    of about the size a single compressor gives. Output comes back in order; at most
    ``DEFLATE_IN_FLIGHT`` pieces are held (:attr:`held` bytes, not yet in the file)."""

    def __init__(self, engine: Any, level: int, pool: Any, piece: int):
        self.engine = engine
        self.level = level
        self.pool = pool
        self.piece = piece
        self._buf: list[bytes] = []
        self._buffered = 0
        self._tail = b""
        self._futures: collections.deque = collections.deque()
        self.held = 0

    def _job(self, data: bytes, zdict: bytes, final: bool) -> bytes:
        eng = self.engine
        c = eng.compressobj(self.level, eng.DEFLATED, -15, zdict=zdict) if zdict else \
            eng.compressobj(self.level, eng.DEFLATED, -15)
        return c.compress(data) + c.flush(eng.Z_FINISH if final else eng.Z_SYNC_FLUSH)

    def _submit(self, final: bool) -> None:
        data = b"".join(self._buf)
        self._buf, self._buffered = [], 0
        zdict, self._tail = self._tail, data[-_WINDOW:]
        self._futures.append((self.pool.submit(self._job, data, zdict, final), len(data)))

    def _collect(self, wait_for: int) -> bytes:
        out = []
        while self._futures and (len(self._futures) > wait_for or self._futures[0][0].done()):
            fut, size = self._futures.popleft()
            out.append(fut.result())
            self.held -= size
        return b"".join(out)

    def compress(self, data: bytes) -> bytes:
        self._buf.append(data)
        self._buffered += len(data)
        self.held += len(data)
        if self._buffered >= self.piece:
            self._submit(final=False)
        return self._collect(DEFLATE_IN_FLIGHT)

    def flush(self) -> bytes:
        self._submit(final=True)
        return self._collect(0)


@dataclass(frozen=True)
class SplitOptions:
    """How parts are cut and named.

    :param day: the data day, part of every name (names must be unique per day).
    :param prefix: file name prefix (letters, digits, ``.``, ``_``, ``-``).
    :param max_bytes: largest part (compressed size when ``compress``).
    :param compress: write ``.zip`` parts.
    :param rebalance_below: when the last part ends smaller than this, the fewest trailing
        parts needed are re-cut into parts of about equal size (the vendor refuses files under
        8 MB); 0 = never.
    """

    day: dt.date
    prefix: str = "conversions"
    max_bytes: int = MAX_PART_BYTES
    compress: bool = False
    rebalance_below: int = MIN_PART_BYTES
    compresslevel: int = 6

    def __post_init__(self) -> None:
        if not _PREFIX_RX.fullmatch(self.prefix):
            raise ValueError(f"file name prefix {self.prefix!r} must be 1-100 letters, digits, "
                             "'.', '_' or '-'")
        if self.max_bytes < (4 << 20 if self.compress else 1024):
            raise ValueError(f"max part size {self.max_bytes} is too small")

    def name(self, number: int) -> str:
        ext = "zip" if self.compress else "csv"
        return f"{self.prefix}_{self.day.isoformat()}_{number:03d}.{ext}"


@dataclass
class PartFile:
    """One file to upload: ``bytes`` is its size on disk (compressed for zip)."""

    name: str
    path: str | None
    rows: int
    bytes: int
    data_bytes: int  # uncompressed CSV size including the header
    #: (offset after the header, rows before it) at row boundaries, about every MB
    marks: list[tuple[int, int]] = field(default_factory=list, repr=False, compare=False)

    def as_dict(self) -> dict:
        return {"name": self.name, "rows": self.rows, "bytes": self.bytes}


class _CountingSink(io.RawIOBase):
    """A write-only file that only counts (dry runs size parts without writing them)."""

    def __init__(self) -> None:
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[override]
        n = len(b)
        self.count += n
        return n

    def tell(self) -> int:
        return self.count


class _WriteBehind:
    """Writes (and, for zip parts, compresses) on a helper thread while the caller validates the
    next rows: file writes and zlib release the GIL. At most ``depth`` blocks wait."""

    def __init__(self, depth: int = 2):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._lock = threading.Lock()
        self.pending = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ispot-write-behind", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                write, data = item
                if self.error is None:
                    try:
                        write(data)
                    except BaseException as exc:
                        self.error = exc
                with self._lock:
                    self.pending -= len(data)
            finally:
                self._queue.task_done()

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def submit(self, write: Callable[[bytes], Any], data: bytes) -> None:
        self.check()
        with self._lock:
            self.pending += len(data)
        self._queue.put((write, data))

    def drain(self) -> None:
        """Wait until every submitted block is written."""
        self._queue.join()
        self.check()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()


class PartWriter:
    """Rotating part files. ``room()`` says how many more bytes of rows fit the open part;
    :meth:`add` appends rows that fit. Writing happens on a helper thread (:class:`_WriteBehind`)."""

    def __init__(self, out_dir: str | None, header: bytes, options: SplitOptions):
        self.out_dir = out_dir
        self.header = header
        self.opts = options
        self.parts: list[PartFile] = []
        self._raw: IO[bytes] | None = None
        self._zip: zipfile.ZipFile | None = None
        self._member: IO[bytes] | None = None
        self._rows = 0
        self._data = 0
        self.rebalanced = 0
        self._behind: _WriteBehind | None = None
        #: CSV parts are closed at this size when set (below ``max_bytes``: even parts)
        self.target_bytes: int | None = None
        #: () -> (input bytes read, input bytes in all): lets parts be cut evenly
        self.input_progress: Callable[[], tuple[int, int]] | None = None
        #: rows are handed over in pieces of at most this size, so that the row boundaries
        #: recorded for re-cutting (see ``marks``) are fine enough even for small parts
        self.mark_step = max(4096, options.max_bytes // 32)
        self._mark_every = min(BLOCK_HINT, self.mark_step)
        self._deflate_pool: Any = None
        self._deflate: _ParallelDeflate | None = None
        #: deflate pieces: small enough that those in flight stay a small share of a part
        self._piece = max(64 * 1024, min(BLOCK_HINT, options.max_bytes // (16 * DEFLATE_IN_FLIGHT)))
        if options.max_bytes <= len(header) + 2:
            raise ValueError("max part size is smaller than the header row")

    def _writes(self) -> _WriteBehind:
        if self._behind is None:
            self._behind = _WriteBehind()
        return self._behind

    # ------------------------------------------------------------------ state
    @property
    def is_open(self) -> bool:
        return self._raw is not None

    @property
    def part_rows(self) -> int:
        return self._rows

    def _path(self, name: str) -> str | None:
        return os.path.join(self.out_dir, name) if self.out_dir else None

    def _even_target(self) -> int | None:
        """Size for the part being opened that spreads the rest of the rows evenly over the fewest
        parts: the rest of the output is estimated from the input still to read and the output per
        input byte so far (normalizing adds quotes). A little above the even share, so that the
        estimate's error does not leave a tiny last part. Not for zip parts (compressed sizes)."""
        if self.opts.compress or self.input_progress is None:
            return None
        done, total = self.input_progress()
        written = sum(p.data_bytes - len(self.header) for p in self.parts)
        ratio = written / done if done and written else 1.0
        remaining = max(0, total - done) * ratio
        room = self.opts.max_bytes - len(self.header)
        if remaining <= room:
            return None
        parts = -(-int(remaining) // room)
        return min(self.opts.max_bytes, len(self.header) + int(remaining / parts * 1.03))

    def _open(self) -> None:
        self.target_bytes = self._even_target()
        name = self.opts.name(len(self.parts) + 1)
        path = self._path(name)
        self._raw = open(path, "wb") if path else _CountingSink()
        self._rows = 0
        self._data = 0
        self._marks: list[tuple[int, int]] = []
        self._last_mark = 0
        if self.opts.compress:
            self._zip = zipfile.ZipFile(self._raw, "w", zipfile.ZIP_DEFLATED,
                                        compresslevel=self.opts.compresslevel)
            self._member = self._zip.open(name[:-4] + ".csv", "w")
            self._parallel_deflate(self._member)
            self._member.write(self.header)
        else:
            self._raw.write(self.header)
        self._data = len(self.header)

    def _parallel_deflate(self, member: Any) -> None:
        """Give the zip member a :class:`_ParallelDeflate` (``zipfile`` still writes the
        headers, CRC and sizes); left as it is if this ``zipfile`` has no such hook."""
        self._deflate = None
        if DEFLATE_THREADS < 2 or getattr(member, "_compressor", None) is None:
            return
        if self._deflate_pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._deflate_pool = ThreadPoolExecutor(DEFLATE_THREADS, thread_name_prefix="ispot-deflate")
        engine = deflate_engine()[1]
        self._deflate = _ParallelDeflate(engine, self.opts.compresslevel, self._deflate_pool, self._piece)
        member._compressor = self._deflate

    def room(self) -> int:
        """Bytes of rows that can still be added to the open part (opening one if needed)."""
        if not self.is_open:
            self._open()
        if self.opts.compress:
            behind = self._writes()
            # rows still queued count as incompressible until written; near the end, wait for them
            # so do the pieces the deflate threads hold
            held = DEFLATE_IN_FLIGHT * self._piece + self._piece if self._deflate is not None else 0
            written = self._raw.tell()  # type: ignore[union-attr]
            room = self.opts.max_bytes - ZIP_MARGIN - held - written - behind.pending
            if room < 4 * BLOCK_HINT and behind.pending:
                behind.drain()
                room = self.opts.max_bytes - ZIP_MARGIN - held - self._raw.tell()  # type: ignore[union-attr]
            return max(0, min(room, ZIP32_LIMIT - self._data))
        return (self.target_bytes or self.opts.max_bytes) - self._data

    def add(self, data: bytes, rows: int) -> None:
        if not self.is_open:
            self._open()
        target = self._member if self.opts.compress else self._raw
        if WRITE_BEHIND:
            self._writes().submit(target.write, data)  # type: ignore[union-attr]
        else:
            target.write(data)  # type: ignore[union-attr]
        self._data += len(data)
        self._rows += rows
        if self._data - self._last_mark >= self._mark_every:
            self._marks.append((self._data - len(self.header), self._rows))
            self._last_mark = self._data

    def rotate(self) -> None:
        """Close the open part (if it has rows); the next :meth:`add` opens a new one."""
        if not self.is_open:
            return
        name = self.opts.name(len(self.parts) + 1)
        if self._behind is not None:
            self._behind.drain()
        if self._zip is not None:
            self._member.close()  # type: ignore[union-attr]
            self._zip.close()
            self._zip = self._member = None
        size = self._raw.tell()  # type: ignore[union-attr]
        self._raw.close()  # type: ignore[union-attr]
        self._raw = None
        if self._rows == 0:
            path = self._path(name)
            if path and os.path.exists(path):
                os.remove(path)
            return
        if size > self.opts.max_bytes:
            raise RuntimeError(f"internal error: part {name} has {size} bytes, above {self.opts.max_bytes}")
        marks = self._marks + [(self._data - len(self.header), self._rows)]
        self.parts.append(PartFile(name, self._path(name), self._rows, size, self._data, marks))

    def close(self) -> list[PartFile]:
        self.rotate()
        self._stop_writes()
        small_last = len(self.parts) >= 2 and self.parts[-1].bytes < self.opts.rebalance_below
        if self.opts.rebalance_below and small_last and self.out_dir:
            self._rebalance()
        return self.parts

    def _stop_writes(self) -> None:
        if self._behind is not None:
            self._behind.close()
            self._behind = None
        if self._deflate_pool is not None:
            self._deflate_pool.shutdown()
            self._deflate_pool = None

    def discard(self) -> None:
        """Remove every part written (validation failed: nothing may be uploaded)."""
        if self._behind is not None:
            try:
                self._behind.drain()
            except BaseException:
                pass
            self._stop_writes()
        if self._zip is not None:
            try:
                self._member.close()  # type: ignore[union-attr]
                self._zip.close()
            except Exception:
                pass
        self._stop_writes()
        if self._raw is not None:
            self._raw.close()
        self._raw = self._zip = self._member = None
        names = [p.name for p in self.parts] + [self.opts.name(len(self.parts) + 1)]
        for name in names:
            path = self._path(name)
            if path and os.path.exists(path):
                os.remove(path)
        self.parts = []

    # ------------------------------------------------------------------ rebalancing
    def _payload(self, part: PartFile):
        """The part's rows as bytes (after the header), in pieces of about a MB."""
        assert part.path
        with contextlib.ExitStack() as stack:
            if self.opts.compress:
                zf = stack.enter_context(zipfile.ZipFile(part.path))
                fh = stack.enter_context(zf.open(zf.namelist()[0]))
            else:
                fh = stack.enter_context(open(part.path, "rb"))
            fh.read(len(self.header))
            while True:
                piece = fh.read(BLOCK_HINT)
                if not piece:
                    return
                yield piece

    def _rebalance(self) -> None:
        """Re-cut the last parts into parts of about equal size so that the last is not below
        the minimum.

        The fewest trailing parts ``k`` whose rows, spread evenly, give parts of at least
        ``rebalance_below`` bytes are rewritten as ``k`` parts, cut at row boundaries recorded
        while writing (no row is parsed again). When no ``k`` works (the limits are too close
        for this much data) nothing changes, and the size check reports the small part.
        """
        header = len(self.header)
        minimum = self.opts.rebalance_below
        k = None
        for n in range(2, len(self.parts) + 1):
            tail = self.parts[-n:]
            total = sum(p.data_bytes - header for p in tail)
            # compressed parts shrink by about the same ratio as their rows
            ratio = sum(p.bytes for p in tail) / max(1, sum(p.data_bytes for p in tail))
            if (total / n + header) * ratio >= minimum * 1.01:
                k = n
                break
        if k is None:
            return
        old = self.parts[-k:]
        keep = self.parts[:-k]
        # row boundaries over the old parts' rows laid end to end: (offset, rows before it)
        bounds: list[tuple[int, int]] = []
        base_off = base_rows = 0
        for p in old:
            bounds += [(base_off + off, base_rows + rows) for off, rows in p.marks]
            base_off += p.data_bytes - header
            base_rows += p.rows
        total = base_off
        cuts = [(0, 0)]
        for i in range(1, k):
            target = total * i / k
            later = (b for b in bounds if b[0] > cuts[-1][0])
            best = min(later, key=lambda b: abs(b[0] - target), default=None)
            if best is None or best[0] >= total:
                return
            cuts.append(best)
        cuts.append((total, base_rows))

        tmp_dir = os.path.join(self.out_dir, ".rebalance")  # type: ignore[arg-type]
        os.makedirs(tmp_dir, exist_ok=True)
        staged = PartWriter(tmp_dir, self.header, SplitOptions(
            day=self.opts.day, prefix=self.opts.prefix, max_bytes=self.opts.max_bytes,
            compress=self.opts.compress, rebalance_below=0, compresslevel=self.opts.compresslevel))
        staged.parts = [PartFile(p.name, None, p.rows, p.bytes, p.data_bytes) for p in keep]
        try:
            pieces = chain.from_iterable(self._payload(p) for p in old)
            buf = b""
            for (start, rows_start), (end, rows_end) in zip(cuts, cuts[1:]):
                want = end - start
                staged.room()  # opens the part
                while want:
                    if not buf:
                        buf = next(pieces)
                    take = buf[:want]
                    buf = buf[len(take):]
                    want -= len(take)
                    staged.add(take, rows_end - rows_start if not want else 0)
                staged.rotate()
            staged._stop_writes()
        except (RuntimeError, StopIteration):
            # a part would come out above the maximum (or the parts changed): keep them as they are
            staged.discard()
            os.rmdir(tmp_dir)
            return
        except BaseException:
            staged.discard()
            raise
        new = staged.parts[len(keep):]
        if len(new) != k or min(p.bytes for p in new) <= old[-1].bytes:
            for p in new:
                os.remove(p.path)  # type: ignore[arg-type]
            os.rmdir(tmp_dir)
            return
        for p in old:
            os.remove(p.path)  # type: ignore[arg-type]
        for p in new:
            final = self._path(p.name)
            os.replace(p.path, final)  # type: ignore[arg-type]
            p.path = final
        os.rmdir(tmp_dir)
        self.parts = keep + new
        self.rebalanced = k
