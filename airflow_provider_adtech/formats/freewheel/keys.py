"""The compact index of FreeWheel line keys (``contractid+tb_system_id+order_line``, ``external_id``)."""

from __future__ import annotations

import hashlib
from array import array
from typing import Any


class KeyIndex:
    """Set of line keys with the line that used each first, in flat arrays.

    Open addressing over 64-bit BLAKE2b digests of the key: 12 bytes a slot instead of
    the ~200 bytes of a Python ``dict`` entry, so a million lines cost ~25 MB.
    """

    def __init__(self, capacity: int = 1 << 12):
        self._cap = capacity
        self._mask = capacity - 1
        self._keys = array("Q", [0]) * capacity
        self._lines = array("I", [0]) * capacity
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @staticmethod
    def digest(key: tuple[Any, ...]) -> int:
        h = int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=8).digest(), "little")
        return h or 1

    def add(self, key: tuple[Any, ...], line: int) -> int | None:
        """Record ``key`` seen on ``line``; return the earlier line if it was seen before."""
        h = self.digest(key)
        keys, mask = self._keys, self._mask
        i = h & mask
        while True:
            k = keys[i]
            if k == 0:
                keys[i] = h
                self._lines[i] = line
                self._n += 1
                if self._n * 10 > self._cap * 7:
                    self._grow()
                return None
            if k == h:
                return self._lines[i]
            i = (i + 1) & mask

    def _grow(self) -> None:
        old_keys, old_lines = self._keys, self._lines
        self._cap *= 2
        self._mask = self._cap - 1
        self._keys = array("Q", [0]) * self._cap
        self._lines = array("I", [0]) * self._cap
        keys, lines, mask = self._keys, self._lines, self._mask
        for h, ln in zip(old_keys, old_lines):
            if h:
                i = h & mask
                while keys[i]:
                    i = (i + 1) & mask
                keys[i] = h
                lines[i] = ln
