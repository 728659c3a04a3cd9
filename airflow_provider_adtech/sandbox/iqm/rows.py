"""IQM sandbox rows: error answers, id lists, search, sort and the shapes of campaign rows."""

from __future__ import annotations

from typing import Any

from airflow_provider_adtech.sandbox.iqm.data import BID_RANGE
from airflow_provider_adtech.sandbox.web import Response


def error(status: int, text: str, field: str | None = None) -> Response:
    obj: dict[str, Any] = {"error": text}
    if field:
        obj["field"] = field
    return Response.json(status, {"success": False, "errorObjects": [obj]})

def bid_problem(c: dict[str, Any], max_bid: float | None) -> str | None:
    if max_bid is None:
        return None
    lo, hi = BID_RANGE.get(c["_kind"], (0.10, 1000.0))
    if max_bid < lo or max_bid > hi:
        return f"For given campaign_type max bid cannot be less than {lo:.2f} or greater than {hi:g}."
    if c.get("_minBid") and max_bid < c["_minBid"]:
        return f"max bid cannot be less than minimum bid {c['_minBid']}"
    return None


def public(c: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in c.items() if not k.startswith("_")}


def basic_campaign(c: dict[str, Any]) -> dict[str, Any]:
    out = {"id": c["id"], "campaignId": c["id"], "name": c["campaignName"],
           "creativeTypeId": c["creativeType"],
           "campaignTypeId": c["campaignTypeId"], "status": c["status"], "startTime": c["startTime"],
           "createdAt": c["createDate"], "owId": c["owId"], "timezoneId": c["timezone"],
           "targetedAudienceIds": None}
    if c["endTime"]:
        out["endTime"] = c["endTime"]
    return out


def ints(value: Any) -> list[int]:
    """Ids from an int, ``"1,2,3"`` or a list; anything else yields nothing."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    elif isinstance(value, list):
        parts = value
    else:
        return []
    out = []
    for p in parts:
        try:
            out.append(int(p))
        except (TypeError, ValueError):
            continue
    return out


def strs(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    return [str(v) for v in value]


def search(rows: list[dict], text: Any, id_key: str, name_key: str) -> list[dict]:
    text = str(text or "").strip().lower()
    if not text:
        return rows
    return [r for r in rows if text in str(r.get(name_key) or "").lower() or text == str(r.get(id_key))]


def sort_by(rows: list[dict], spec: str) -> list[dict]:
    for part in reversed([p.strip() for p in str(spec).split(",") if p.strip()]):
        desc = part.startswith("-")
        key = part.lstrip("+-")
        rows = sorted(rows, key=lambda r: (r.get(key) is None, r.get(key) if r.get(key) is not None else 0),
                      reverse=desc)
    return rows


def first(rows: list[dict], key: str, ids: list[int]) -> list[dict]:
    """Rows whose ``key`` is in ``ids`` first ("returned first, before others"), order kept otherwise."""
    if not ids:
        return rows
    wanted = set(ids)
    return [r for r in rows if r.get(key) in wanted] + [r for r in rows if r.get(key) not in wanted]




def reason(cid: int, message: str, name: str | None = None) -> dict[str, Any]:
    """Why campaign ``cid`` (named ``name``) was refused in a call that changed the others."""
    return {"errorMessage": message, "id": str(cid), "campaignName": name}
