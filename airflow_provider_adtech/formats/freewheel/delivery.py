"""Building the FreeWheel delivery: the CSV written while validating, then zipped, and its summary."""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector, ValidationFailed
from airflow_provider_adtech.formats.freewheel.archive import file_digest, zip_one
from airflow_provider_adtech.formats.freewheel.keys import KeyIndex
from airflow_provider_adtech.formats.freewheel.names import delivery_names, format_timestamp
from airflow_provider_adtech.formats.freewheel.records import parse_records
from airflow_provider_adtech.formats.freewheel.schema import CSV_COLUMNS, MAX_ZIP_BYTES, LineRules, OrderLine


@dataclass
class DeliveryFile:
    """A built delivery: the zip on disk and what it holds."""

    zip_path: str
    zip_name: str
    csv_name: str
    orders_date: dt.date
    timestamp: str
    lines: int
    csv_bytes: int
    zip_bytes: int
    zip_md5: str
    csv_sha256: str
    inclusions_filled: int = 0
    blank_lines: int = 0
    values_trimmed: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.zip_name, "csv": self.csv_name, "orders_date": self.orders_date.isoformat(),
            "lines": self.lines, "csv_bytes": self.csv_bytes, "bytes": self.zip_bytes,
            "syscode_inclusions_filled": self.inclusions_filled, "blank_lines_skipped": self.blank_lines,
            "values_trimmed": self.values_trimmed,
        }


class DeliveryWriter:
    """Writes validated :class:`OrderLine` objects to the delivery CSV (stream)."""

    def __init__(self, fh: IO[str]):
        csv.writer(fh).writerow(CSV_COLUMNS)
        self._writer = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC)

    def write(self, line: OrderLine) -> None:
        self._writer.writerow(line.csv_cells())


def build_delivery(
    inputs: Iterable[tuple[str, Iterable[tuple[int, Mapping[str, Any]]]]],
    out_dir: str,
    *,
    orders_date: dt.date,
    timestamp: Any,
    rules: LineRules | None = None,
    max_zip_bytes: int = MAX_ZIP_BYTES,
    max_problems: int = 50,
    allow_empty: bool = False,
    stats: dict[str, int] | None = None,
    problems: ProblemCollector | None = None,
) -> DeliveryFile:
    """Validate every record and build ``linear_orders_{date}_{timestamp}.zip`` in ``out_dir``.

    :param inputs: ``(source name, records)`` pairs; records are ``(line, mapping)`` as
        made by :func:`iter_csv_records` or :func:`iter_row_records`. Records are consumed
        lazily (one pass); the CSV is written while validating.
    :param max_zip_bytes: "a file size of no more than 500MB", checked on the finished zip.
    :param allow_empty: accept zero order lines (otherwise a problem).
    :param stats: counters filled by the readers (``blank_lines``).
    :param problems: the collector the readers report to (one is made when not given).
    :raises ValidationFailed: with every problem found (up to ``max_problems`` listed);
        no file is left behind then.
    """
    csv_name, zip_name = delivery_names(orders_date, timestamp)
    ts = format_timestamp(timestamp)
    problems = problems if problems is not None else ProblemCollector(max_problems)
    keys = KeyIndex()
    rules = rules or LineRules()
    stats = stats if stats is not None else {}
    csv_path = os.path.join(out_dir, csv_name)
    zip_path = os.path.join(out_dir, zip_name)
    lines = filled = 0
    sources: list[str] = []
    try:
        with open(csv_path, "w", encoding="utf-8", newline="") as fh:
            writer = DeliveryWriter(fh)
            for source, records in inputs:
                sources.append(source)
                for line in parse_records(records, source, problems, rules, keys, stats):
                    if not problems:
                        writer.write(line)
                    lines += 1
                    filled += line.inclusions_filled
        if not problems and lines == 0 and not allow_empty:
            problems.add(Problem("freewheel.empty", "no order lines to deliver", ", ".join(sources) or None))
        problems.raise_if_any("FreeWheel linear orders")
        csv_bytes = os.path.getsize(csv_path)
        csv_sha = zip_one(csv_path, csv_name, zip_path, ts)
        zip_bytes = os.path.getsize(zip_path)
        if zip_bytes > max_zip_bytes:
            raise ValidationFailed([Problem(
                "freewheel.file.max_size",
                f"the zipped file is {zip_bytes} bytes; FreeWheel accepts no more than {max_zip_bytes} bytes "
                "(\"a file size of no more than 500MB\"): split the orders into several deliveries",
                zip_name)], what="FreeWheel linear orders")
        md5 = file_digest(zip_path, "md5")
    except BaseException:
        if os.path.exists(zip_path):
            os.unlink(zip_path)
        raise
    finally:
        if os.path.exists(csv_path):
            os.unlink(csv_path)
    return DeliveryFile(zip_path, zip_name, csv_name, orders_date, ts, lines, csv_bytes, zip_bytes, md5,
                        csv_sha, filled, stats.get("blank_lines", 0), stats.get("values_trimmed", 0))
