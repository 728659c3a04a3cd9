"""Deflating a zip part's member in pieces on a thread pool (zlib-ng when installed, else zlib)."""

from __future__ import annotations

import collections
from typing import Any

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


class ParallelDeflate:
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

