"""Reading a BidSwitch upload body back: rows, a description of one report, totals per report and day."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def upload_to_rows(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Flatten an upload body back into builder rows (the inverse of :func:`build_upload`)."""
    out: list[dict[str, Any]] = []
    for rep in payload.get("reports", []):
        for day, rows in rep["data"].items():
            for row in rows:
                rec: dict[str, Any] = {"date": day, "hour": row.get("hour"), "seat": rep.get("seat"),
                                       "imps": row["imps"], "cost": row["cost"], "bids": row.get("bids"),
                                       "timeouts": row.get("timeouts"), "timezone": rep["timezone"],
                                       "currency": rep["currency"]}
                out.append(rec)
    return out


def describe_report(payload: Mapping[str, Any], index: Any) -> str:
    """``report 1 (seat '456', EST/JPY, days 2015-11-27)`` for an index the vendor quoted."""
    try:
        i = int(index)
        rep = payload["reports"][i]
        if i < 0:
            raise IndexError(i)
    except (TypeError, ValueError, IndexError, KeyError):
        return f"report index {index!r}"
    seat = f"seat {rep.get('seat')!r}" if rep.get("seat") is not None else "no seat"
    days = ", ".join(sorted(rep.get("data") or {})) or "no days"
    return f"report {i} ({seat}, {rep.get('timezone')}/{rep.get('currency')}, days {days})"


def summarize(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per report and day: rows, granularity and the totals of imps/cost/bids/timeouts."""
    out = []
    for i, rep in enumerate(payload.get("reports", [])):
        days: dict[str, dict[str, Any]] = {}
        for day, rows in rep["data"].items():
            tot: dict[str, Any] = {"rows": len(rows),
                                   "granularity": "hourly" if any("hour" in r for r in rows) else "daily",
                                   "imps": sum(r["imps"] for r in rows),
                                   "cost": round(sum(float(r["cost"]) for r in rows), 6)}
            for name in ("bids", "timeouts"):
                present = [r[name] for r in rows if r.get(name) is not None]
                tot[name] = sum(present) if present else None
            days[day] = tot
        out.append({"index": i, "seat": rep.get("seat"), "timezone": rep["timezone"],
                    "currency": rep["currency"], "days": days})
    return out


def totals(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals of the whole upload over :func:`summarize`'s reports: reports, report days, rows,
    imps, cost, and bids and timeouts where any report carries them (else None)."""
    out: dict[str, Any] = {"reports": len(reports), "days": 0, "rows": 0, "imps": 0, "cost": 0.0,
                           "bids": None, "timeouts": None}
    for rep in reports:
        for tot in rep["days"].values():
            out["days"] += 1
            out["rows"] += tot["rows"]
            out["imps"] += tot["imps"]
            out["cost"] += tot["cost"]
            for name in ("bids", "timeouts"):
                if tot[name] is not None:
                    out[name] = (out[name] or 0) + tot[name]
    out["cost"] = round(out["cost"], 6)
    return out
