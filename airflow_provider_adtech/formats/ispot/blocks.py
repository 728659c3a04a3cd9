"""Reading a CSV source in blocks of whole lines, and scanning one CSV record at a time.

Blocks are read on a helper thread while the previous ones are checked; a record is
scanned keeping whether each of its values was quoted.
"""

from __future__ import annotations

import codecs
import queue
import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from airflow_provider_adtech.formats.ispot.sources import SourceReport

BLOCK_BYTES = 1 << 20
#: read the next blocks on a helper thread while the current one is checked
READ_AHEAD = True
#: a record longer than this is reported instead of being buffered further
MAX_RECORD_BYTES = 64 << 20

BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


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


def line_blocks(stream: IO[bytes], counter: SourceReport, size: int | None = None) -> Iterator[bytes]:
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


def drain(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    """``head`` then ``rest``, holding on to nothing already handed out."""
    queue = deque(head)
    head.clear()
    while queue:
        yield queue.popleft()
    yield from rest


_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


def binary_kind(first: bytes) -> str | None:
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


def line_breaks(value: str) -> int:
    return value.count("\n") + value.count("\r") - value.count("\r\n")


_QUOTED = re.compile(rb'"([^"]*(?:""[^"]*)*)"')
_UNQUOTED = re.compile(rb'[^,"\r\n]*')


@dataclass
class Record:
    fields: list[bytes]
    quoted: list[bool]
    end: int
    error: str | None = None


def scan_record(buf: bytes, pos: int, final: bool) -> Record | None:
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
                return Record(fields, quoted, n, "a quoted value is never closed (unbalanced double quote)")
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
            return Record(fields, quoted, n)
        c = buf[pos]
        if c == 0x2C:
            pos += 1
            continue
        if c == 0x0A:
            return Record(fields, quoted, pos + 1)
        if c == 0x0D:
            return Record(fields, quoted, pos + 2 if buf[pos + 1:pos + 2] == b"\n" else pos + 1)
        eol = buf.find(b"\n", pos)
        return Record(fields, quoted, eol + 1 if eol >= 0 else n,
                       "a double quote inside a value that is not enclosed in double quotes, or text after a "
                       'closing quote (a quote inside a value is written "")')

