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

#: C0 and C1 control characters (tab, line feed, carriage return, NUL, ...) and the Unicode
#: line and paragraph separators
CONTROL_RX = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


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


__all__ = ["CONTROL_RX", "control_chars_in", "describe_control", "find_control"]
