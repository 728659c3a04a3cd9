"""Report rows: the figures of a row, the totals of a walk and the "has data" criterion."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_adtech.formats.errors import Problem, ValidationFailed

#: identifier columns of a report row, in display order, then the stats
IDENTIFIER_COLUMNS = ("PUB_ID", "PUB", "PLACEMENT_ID", "PLACEMENT", "SUBID", "SUBID2")
STAT_COLUMNS = ("IMPRESSIONS", "REVENUE", "RPM")
#: the document's stat table spells it ``IMRPESSIONS``; responses use ``IMPRESSIONS``
IMPRESSIONS_TYPO = "IMRPESSIONS"


def _number(value: Any) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def row_impressions(row: dict[str, Any]) -> float:
    """Impressions of a row (``IMPRESSIONS``; the document's ``IMRPESSIONS`` spelling is read too)."""
    if "IMPRESSIONS" in row:
        return _number(row["IMPRESSIONS"])
    return _number(row.get(IMPRESSIONS_TYPO))


@dataclass
class ReportFigures:
    """Totals of a report walk, without keeping the rows."""

    rows: int = 0
    impressions: float = 0.0
    revenue: float = 0.0
    pages: int = 0
    has_impressions: bool = False
    has_revenue: bool = False
    _digest: Any = field(default_factory=hashlib.sha256, repr=False)

    def add(self, row: dict[str, Any]) -> None:
        self.rows += 1
        if "IMPRESSIONS" in row or IMPRESSIONS_TYPO in row:
            self.has_impressions = True
            self.impressions += row_impressions(row)
        if "REVENUE" in row:
            self.has_revenue = True
            self.revenue += _number(row["REVENUE"])
        self._digest.update(json.dumps(row, sort_keys=True, default=str).encode())
        self._digest.update(b"\n")

    @property
    def fingerprint(self) -> str:
        return self._digest.hexdigest()

    @property
    def rpm(self) -> float | None:
        if not (self.has_impressions and self.has_revenue) or not self.impressions:
            return None
        return round(self.revenue / self.impressions * 1000, 4)

    def as_dict(self) -> dict[str, Any]:
        """Small JSON-able summary: rows, totals (``None`` where the report had no such stat)."""
        return {
            "rows": self.rows,
            "requests": self.pages,
            "impressions": int(self.impressions) if self.has_impressions and float(self.impressions).is_integer()
            else (self.impressions if self.has_impressions else None),
            "revenue": round(self.revenue, 4) if self.has_revenue else None,
            "rpm": self.rpm,
            "fingerprint": self.fingerprint,
        }


READY_CRITERIA = ("rows", "impressions", "settled")


def check_ready_criterion(ready_when: Any, min_rows: Any, min_impressions: Any, fields: list[str],
                          source: str = "sensor arguments") -> tuple[str, int, float]:
    """Check the "has data" criterion; raise :class:`ValidationFailed` listing every problem."""
    problems: list[Problem] = []
    crit = str(ready_when or "").strip().lower()
    if crit not in READY_CRITERIA:
        problems.append(Problem("oi.sensor.ready_when", f"ready_when must be one of {', '.join(READY_CRITERIA)}, "
                                f"got {ready_when!r}", source, None, "ready_when"))
    rows_n = impressions_n = 0
    try:
        rows_n = int(min_rows)
        if rows_n < 0 or (isinstance(min_rows, float) and not min_rows.is_integer()) or isinstance(min_rows, bool):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Problem("oi.sensor.min_rows", f"min_rows must be a whole number >= 0, got {min_rows!r}",
                                source, None, "min_rows"))
    try:
        impressions_n = float(min_impressions)
        if impressions_n < 0 or math.isnan(impressions_n) or isinstance(min_impressions, bool):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Problem("oi.sensor.min_impressions",
                                f"min_impressions must be a number >= 0, got {min_impressions!r}",
                                source, None, "min_impressions"))
    if crit == "impressions" and fields and "impressions" not in fields:
        problems.append(Problem("oi.sensor.impressions_field",
                                "ready_when='impressions' needs 'impressions' among fields "
                                f"(fields are {', '.join(fields)})", source, None, "fields"))
    if problems:
        raise ValidationFailed(problems, what=source)
    return crit, rows_n, impressions_n


def report_ready(criterion: str, figures: dict[str, Any], previous_fingerprint: str | None, *,
                 min_rows: int = 1, min_impressions: float = 0) -> tuple[bool, str]:
    """Whether a report "has data", and why (or why not).

    * ``rows``: at least ``min_rows`` rows;
    * ``impressions``: at least ``min_rows`` rows and ``min_impressions`` impressions in total;
    * ``settled``: at least ``min_rows`` rows and the same figures as at the previous poke.
    """
    rows = figures.get("rows") or 0
    needed = min_rows if criterion == "rows" else max(min_rows, 1)
    if rows < needed:
        return False, f"{rows} row(s), waiting for {needed}"
    if criterion == "rows":
        return True, f"{rows} row(s) >= {min_rows}"
    if criterion == "impressions":
        imp = figures.get("impressions") or 0
        if imp < min_impressions:
            return False, f"{imp} impressions, waiting for {min_impressions:g}"
        return True, f"{imp} impressions >= {min_impressions:g}"
    if previous_fingerprint is None:
        return False, f"{rows} row(s); waiting for a second poke to see whether the figures have settled"
    if previous_fingerprint != figures.get("fingerprint"):
        return False, f"{rows} row(s); figures changed since the previous poke"
    return True, f"{rows} row(s), figures unchanged since the previous poke"
