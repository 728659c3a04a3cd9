"""How upload parts are cut and named (:class:`SplitOptions`) and what a written part is (:class:`PartFile`).

Document, "Splitting your Files": "Files must have unique file names for a given day". Names
are ``<prefix>_<YYYY-MM-DD>_<NNN>.csv`` (or ``.zip`` holding one ``.csv`` of the same name).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from airflow_provider_adtech.formats.ispot.schema import MAX_PART_BYTES, MIN_PART_BYTES

_PREFIX_RX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


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

