"""Where part bytes go: a helper thread writing behind the caller, and a counting sink for dry runs."""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable
from typing import Any


class CountingSink(io.RawIOBase):
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


class WriteBehind:
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

