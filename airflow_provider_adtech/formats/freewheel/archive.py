"""The FreeWheel delivery zip: one CSV member with deterministic bytes, its digests, and reading it back."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import zipfile


def zip_one(csv_path: str, csv_name: str, zip_path: str, ts: str) -> str:
    """Zip ``csv_path`` as the only member; deterministic bytes (member time = ``ts``)."""
    when = dt.datetime.strptime(ts, "%Y%m%d%H%M%S")
    info = zipfile.ZipInfo(csv_name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.file_size = os.path.getsize(csv_path)
    sha = hashlib.sha256()
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with open(csv_path, "rb") as src, zf.open(info, "w") as dst:
            while chunk := src.read(1 << 20):
                sha.update(chunk)
                dst.write(chunk)
    return sha.hexdigest()


def file_digest(path: str, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def read_delivery(zip_path_or_bytes: str | bytes) -> tuple[str, list[str], list[list[str]]]:
    """``(member name, header, rows)`` of a delivery zip (for checks and tests)."""
    src = io.BytesIO(zip_path_or_bytes) if isinstance(zip_path_or_bytes, bytes) else zip_path_or_bytes
    with zipfile.ZipFile(src) as zf:
        names = zf.namelist()
        if len(names) != 1:
            raise ValueError(f"a delivery zip holds exactly one CSV, found {names}")
        with zf.open(names[0]) as fh:
            rows = list(csv.reader(io.TextIOWrapper(fh, encoding="utf-8", newline="")))
    return names[0], rows[0], rows[1:]
