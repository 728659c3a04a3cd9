"""Files of per-campaign changes (JSON array or JSON Lines): the records and their checks."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from airflow_provider_adtech.formats.errors import Problem, ProblemCollector
from airflow_provider_adtech.formats.iqm.schema import TOTAL_BUDGET_UPDATE_TYPES
from airflow_provider_adtech.formats.iqm.values import _Checker

#: keys of one record of a changes file
CHANGE_KEYS = ("campaignId", "campaignName", "endDate", "totalBudget", "dailyBudget", "maxBid",
               "totalBudgetUpdateType")


@dataclass
class CampaignChange:
    """One validated record of a changes file."""

    line: int
    campaign_id: int
    campaign_name: str | None = None
    end_date: int | None = None
    total_budget: float | int | None = None
    daily_budget: float | int | None = None
    max_bid: float | int | None = None
    total_budget_update_type: str = "change"

    @property
    def budget_key(self) -> tuple | None:
        if self.total_budget is None and self.daily_budget is None and self.max_bid is None:
            return None
        return (self.total_budget_update_type, self.total_budget, self.daily_budget, self.max_bid)


def iter_json_records(text: str, source: str, problems: ProblemCollector) -> list[tuple[int, Any]]:
    """``(line, record)`` from a JSON array or JSON Lines text; syntax errors become problems."""
    stripped = text.lstrip()
    if not stripped:
        problems.add(Problem("iqm.changes.empty", "the file holds no change", source))
        return []
    out: list[tuple[int, Any]] = []
    if stripped.startswith("["):
        dec = json.JSONDecoder()
        pos = text.index("[") + 1
        n = len(text)

        def skip_ws(i: int) -> int:
            while i < n and text[i] in " \t\r\n":
                i += 1
            return i

        pos = skip_ws(pos)
        if pos < n and text[pos] == "]":
            return out
        while True:
            pos = skip_ws(pos)
            line = text.count("\n", 0, pos) + 1
            try:
                obj, pos = dec.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                problems.add(Problem("iqm.changes.json", f"invalid JSON: {exc.msg}", source, exc.lineno,
                                     f"char {exc.colno}"))
                return out
            out.append((line, obj))
            pos = skip_ws(pos)
            if pos < n and text[pos] == ",":
                pos += 1
                continue
            if pos < n and text[pos] == "]":
                rest = text[pos + 1:].strip()
                if rest:
                    problems.add(Problem("iqm.changes.json", "text after the closing ]", source,
                                         text.count("\n", 0, pos) + 1))
                return out
            problems.add(Problem("iqm.changes.json", "expected , or ] between records", source,
                                 text.count("\n", 0, pos) + 1))
            return out
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            out.append((lineno, json.loads(raw)))
        except json.JSONDecodeError as exc:
            problems.add(Problem("iqm.changes.json", f"invalid JSON: {exc.msg}", source, lineno,
                                 f"char {exc.colno}"))
    return out


def read_changes(text: str, source: str, now: dt.datetime | None = None,
                 limit: int = 50, notes: list[str] | None = None) -> list[CampaignChange]:
    """Validate a file of per-campaign changes and return them; raise :class:`ValidationFailed`
    naming file, line, field and rule for every broken record.

    Each record is an object with ``campaignId`` and at least one of ``campaignName``,
    ``endDate`` (epoch seconds or ISO date), ``totalBudget``, ``dailyBudget``, ``maxBid``;
    ``totalBudgetUpdateType`` is ``change`` (default) or ``addition``.
    """
    problems = ProblemCollector(limit)
    records = iter_json_records(text, source, problems)
    out: list[CampaignChange] = []
    seen: dict[int, int] = {}
    for line, rec in records:
        c = _Checker(problems, source, line, now, notes)
        if not isinstance(rec, dict):
            c.add("iqm.changes.record", f"a change must be a JSON object, got {type(rec).__name__}", None)
            continue
        for key in rec:
            if key not in CHANGE_KEYS:
                c.add("iqm.changes.unknown_field", f"unknown field {key!r}; known: {', '.join(CHANGE_KEYS)}",
                      key)
        if rec.get("campaignId") is None:
            c.add("iqm.changes.campaign_id", "campaignId is missing", "campaignId")
            cid = None
        else:
            cid = c.one_id(rec["campaignId"], "campaignId", "campaignId")
        if cid is not None:
            if cid in seen:
                c.add("iqm.changes.duplicate", f"campaign {cid} already changed on line {seen[cid]}",
                      "campaignId")
            else:
                seen[cid] = line
        change = CampaignChange(line=line, campaign_id=cid or 0)
        bad = cid is None
        if not any(rec.get(k) is not None for k in CHANGE_KEYS[1:6]):
            c.add("iqm.changes.nothing",
                  "the record changes nothing (give campaignName, endDate, totalBudget, "
                  "dailyBudget or maxBid)", None)
            bad = True
        if rec.get("campaignName") is not None:
            name = c.name(rec["campaignName"], "campaignName")
            if name is None:
                bad = True
            else:
                change.campaign_name = name
        if rec.get("endDate") is not None:
            change.end_date = c.epoch(rec["endDate"], "endDate", unit="s", end=True, what="endDate",
                                      future=True)
            bad |= change.end_date is None
        for key, attr, what in (("totalBudget", "total_budget", "totalBudget"),
                                ("dailyBudget", "daily_budget", "dailyBudget"),
                                ("maxBid", "max_bid", "maxBid")):
            if rec.get(key) is not None:
                val = c.amount(rec[key], key, what)
                setattr(change, attr, val)
                bad |= val is None
        if rec.get("totalBudgetUpdateType") is not None:
            kind = c.choice(rec["totalBudgetUpdateType"], "totalBudgetUpdateType", TOTAL_BUDGET_UPDATE_TYPES,
                            "totalBudgetUpdateType", "iqm.budget.update_type")
            if kind == "distribution":
                c.add("iqm.changes.distribution",
                      "distribution splits one total across the selected campaigns; "
                      "it has no meaning per campaign (use the update_budget action)",
                      "totalBudgetUpdateType")
                kind = None
            if kind is None:
                bad = True
            else:
                change.total_budget_update_type = kind
                if kind == "addition" and rec.get("totalBudget") is None:
                    c.add("iqm.budget.update_type_needs_total",
                          "totalBudgetUpdateType 'addition' is used in the "
                          "case of a total budget update; totalBudget is missing", "totalBudget")
                    bad = True
        if not bad:
            out.append(change)
    if not records and not problems:
        problems.add(Problem("iqm.changes.empty", "the file holds no change", source))
    problems.raise_if_any(f"IQM changes file {source}")
    return out
