"""Relations between fields of one BidSwitch row: cost without imps (refused), timeouts over bids (noted)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_adtech.formats.bidswitch.schema import COST_RULE, TIMEOUTS_TEXT
from airflow_provider_adtech.formats.errors import Problem


def _row_relations(payload: Any) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """``(path, row)`` of every row object of a raw payload (malformed parts skipped)."""
    reports = payload.get("reports") if isinstance(payload, Mapping) else None
    for ri, rep in enumerate(reports if isinstance(reports, list) else []):
        data = rep.get("data") if isinstance(rep, Mapping) else None
        for day, rows in (data.items() if isinstance(data, Mapping) else ()):
            for j, row in enumerate(rows if isinstance(rows, list) else []):
                if isinstance(row, Mapping):
                    yield f"reports[{ri}].data.{day}[{j}]", row


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_amount(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def cost_without_imps(imps: Any, cost: Any) -> bool:
    """True when a row charges for nothing delivered (imps 0, cost above 0): :data:`COST_RULE`."""
    return _is_count(imps) and imps == 0 and _is_amount(cost) and cost > 0


def relation_problems(payload: Any, source: str | None = None) -> list[Problem]:
    """Rows whose fields contradict each other's description (:data:`COST_RULE`)."""
    return [Problem("bidswitch.cost.without_imps", f"cost {row['cost']!r} with imps 0 ({COST_RULE})", source, None,
                    path + ".cost")
            for path, row in _row_relations(payload) if cost_without_imps(row.get("imps"), row.get("cost"))]


def relation_notes(payload: Any) -> list[str]:
    """Sentences for rows whose timeouts exceed their bids: sent as given, but said.

    The descriptions make timeouts a part of bids; the document's own "Hourly Report"
    example has timeouts above bids on 15 of its 24 rows, so BidSwitch accepts such
    rows and they are not refused.
    """
    odd = [(path, row) for path, row in _row_relations(payload)
           if _is_count(row.get("timeouts")) and _is_count(row.get("bids")) and row["timeouts"] > row["bids"]]
    if not odd:
        return []
    path, row = odd[0]
    return [f"timeouts exceed bids on {len(odd)} row(s) (e.g. {path}: timeouts {row['timeouts']} > bids "
            f"{row['bids']}); {TIMEOUTS_TEXT}, but its own Hourly Report example has such rows, so they are "
            "sent as given: check how timeouts are counted"]
