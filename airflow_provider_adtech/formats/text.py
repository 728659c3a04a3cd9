"""Checks on text values shared by the formats: line breaks and other control characters.

A value that holds a line break splits one record over two physical lines of a
delivered file, and other control characters (NUL, escape, ...) are never part of a
name, a code or a date. Every format refuses them in every string value instead of
passing them to the vendor.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

#: C0 and C1 control characters (tab, line feed, carriage return, NUL, ...), the Unicode
#: line and paragraph separators, and lone surrogates: the bytes of a file that are not
#: UTF-8, as read by :func:`tolerant` streams
CONTROL_RX = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


#: what :func:`tolerant` makes of bytes that are not UTF-8
NOT_UTF8_RX = re.compile(r"[\udc80-\udcff]")


def not_utf8_cell(cells: list[str]) -> tuple[int, str] | None:
    """``(index, description)`` of the first cell holding a byte that is not UTF-8, or None."""
    if not NOT_UTF8_RX.search("".join(cells)):
        return None
    for i, cell in enumerate(cells):
        if NOT_UTF8_RX.search(cell):
            return i, describe_control(cell) or ""
    return None


def tolerant(stream: Any) -> Any:
    """Let a text stream read bytes that are not UTF-8 as lone surrogates (``surrogateescape``),
    so the reader can name the line and column of such a byte instead of failing mid-file."""
    if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
        stream.reconfigure(errors="surrogateescape")
    return stream


def find_control(text: str) -> tuple[int, str] | None:
    """``(position, character)`` of the first control character of ``text``, or None."""
    m = CONTROL_RX.search(text)
    return (m.start(), m.group()) if m else None


def describe_control(text: str) -> str | None:
    """``"a line break ('\\n') at character 5"`` for the first control character, or None."""
    hit = find_control(text)
    if hit is None:
        return None
    pos, ch = hit
    if "\udc80" <= ch <= "\udcff":
        return f"a byte that is not UTF-8 (0x{ord(ch) - 0xdc00:02x}) at character {pos + 1}; save the file as UTF-8"
    if "\ud800" <= ch <= "\udfff":
        return f"a lone surrogate ({ch!r}) at character {pos + 1}, which is not text"
    kind = "a line break" if ch in "\n\r\x0b\x0c\x85\u2028\u2029" else "a control character"
    return f"{kind} ({ch!r}) at character {pos + 1}"


def control_chars_in(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """``(path, description)`` for every string inside ``value`` (nested dicts and lists)
    that holds a control character; paths as ``a.b[2].c``."""
    if isinstance(value, str):
        what = describe_control(value)
        if what is not None:
            yield path, what
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from control_chars_in(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from control_chars_in(item, f"{path}[{i}]")


def unreadable(exc: Exception, after_line: int) -> str:
    """Message for a file the csv reader cannot go on with (not UTF-8, or not CSV)."""
    if isinstance(exc, UnicodeDecodeError):
        return (f"the file is not UTF-8 text: byte 0x{exc.object[exc.start]:02x} cannot be decoded "
                f"(after line {after_line}); save it as UTF-8")
    return f"the file cannot be read as CSV after line {after_line}: {exc}"


def read_rows(reader: Any) -> Iterator[list[str] | Exception]:
    """Rows of a ``csv.reader``; a decoding or CSV error is yielded (as the last item) instead of raised."""
    import csv

    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except (UnicodeDecodeError, csv.Error) as exc:
            yield exc
            return
        yield row


__all__ = ["CONTROL_RX", "NOT_UTF8_RX", "control_chars_in", "describe_control", "find_control", "not_utf8_cell",
           "read_rows", "tolerant",
           "unreadable"]
