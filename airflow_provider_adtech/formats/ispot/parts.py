"""Writing normalized rows into upload parts under the size limit.

Document, "CSV File Format" and "Splitting your Files": "If your file(s) are larger than
200 MB they must be split prior to uploading"; ".zip containing multiple files accepted";
"Compressed files must be under 200MB each"; "Files must have unique file names for a
given day". Every part starts with the header row, rows are never cut, names are
``<prefix>_<YYYY-MM-DD>_<NNN>.csv`` (or ``.zip`` holding one ``.csv`` of the same name).
When compressing, a part is closed by its compressed size.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Callable
from itertools import chain
from typing import IO, Any

from airflow_provider_adtech.formats.ispot.deflate import DEFLATE_IN_FLIGHT, ParallelDeflate, deflate_engine
from airflow_provider_adtech.formats.ispot.split import PartFile, SplitOptions
from airflow_provider_adtech.formats.ispot.write_behind import CountingSink, WriteBehind

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

#: deflate pieces of a zip part on this many threads (the compressors release the GIL)
DEFLATE_THREADS = 2


class PartWriter:
    """Rotating part files. ``room()`` says how many more bytes of rows fit the open part;
    :meth:`add` appends rows that fit. Writing happens on a helper thread (:class:`WriteBehind`)."""

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
        self._behind: WriteBehind | None = None
        #: CSV parts are closed at this size when set (below ``max_bytes``: even parts)
        self.target_bytes: int | None = None
        #: () -> (input bytes read, input bytes in all): lets parts be cut evenly
        self.input_progress: Callable[[], tuple[int, int]] | None = None
        #: rows are handed over in pieces of at most this size, so that the row boundaries
        #: recorded for re-cutting (see ``marks``) are fine enough even for small parts
        self.mark_step = max(4096, options.max_bytes // 32)
        self._mark_every = min(BLOCK_HINT, self.mark_step)
        self._deflate_pool: Any = None
        self._deflate: ParallelDeflate | None = None
        #: deflate pieces: small enough that those in flight stay a small share of a part
        self._piece = max(64 * 1024, min(BLOCK_HINT, options.max_bytes // (16 * DEFLATE_IN_FLIGHT)))
        if options.max_bytes <= len(header) + 2:
            raise ValueError("max part size is smaller than the header row")

    def _writes(self) -> WriteBehind:
        if self._behind is None:
            self._behind = WriteBehind()
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
        self._raw = open(path, "wb") if path else CountingSink()
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
        """Give the zip member a :class:`ParallelDeflate` (``zipfile`` still writes the
        headers, CRC and sizes); left as it is if this ``zipfile`` has no such hook."""
        self._deflate = None
        if DEFLATE_THREADS < 2 or getattr(member, "_compressor", None) is None:
            return
        if self._deflate_pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._deflate_pool = ThreadPoolExecutor(DEFLATE_THREADS, thread_name_prefix="ispot-deflate")
        engine = deflate_engine()[1]
        self._deflate = ParallelDeflate(engine, self.opts.compresslevel, self._deflate_pool, self._piece)
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
