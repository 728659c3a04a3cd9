"""Applying an IQM changes file: name, end-date and budget changes grouped into as few calls as possible."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_adtech.hooks.iqm import IqmHook


def apply_changes(hook: IqmHook, changes: list, changes_file: Any, *, allow_partial: bool, notes: list[str],
                  log: Any) -> dict[str, Any]:
    """Apply a changes file's records in as few calls as possible: one name change a call, then one
    call per end date and one per budget change; per-campaign refusals are collected, and fail the
    task at the end unless ``allow_partial``."""
    from airflow_provider_adtech.hooks.iqm import IqmPartialFailure
    from airflow_provider_adtech.utils.args import as_id

    line_of = {c.campaign_id: c.line for c in changes}
    applied: dict[str, list[int]] = {"name": [], "end_date": [], "budget": []}
    failed: list[dict[str, Any]] = []
    requests = 0

    def collect(kind: str, ids: list[int], payload: Any) -> None:
        refused = set()
        if isinstance(payload, dict) and payload.get("status") is False:
            for r in payload.get("reason") or []:
                cid = as_id(r.get("id"))
                refused.add(cid)
                failed.append({"line": line_of.get(cid), "id": cid, "change": kind,
                               "campaignName": r.get("campaignName"),
                               "errorMessage": r.get("errorMessage")})
        applied[kind].extend(i for i in ids if i not in refused)

    for change in changes:
        if change.campaign_name is not None:
            hook.update_campaign_name(change.campaign_id, change.campaign_name)
            requests += 1
            applied["name"].append(change.campaign_id)
    by_end: dict[int, list[int]] = {}
    for change in changes:
        if change.end_date is not None:
            by_end.setdefault(change.end_date, []).append(change.campaign_id)
    for end, ids in by_end.items():
        collect("end_date", ids, hook.update_campaigns_end_date(ids, end, allow_partial=True))
        requests += 1
    by_budget: dict[tuple, list[int]] = {}
    for change in changes:
        if change.budget_key is not None:
            by_budget.setdefault(change.budget_key, []).append(change.campaign_id)
    for (kind, total, daily, bid), ids in by_budget.items():
        collect("budget", ids, hook.update_campaigns_budget(
            ids, total_budget=total, daily_budget=daily, max_bid=bid, total_budget_update_type=kind,
            allow_partial=True))
        requests += 1
    summary = {"action": "apply_changes", "records": len(changes), "requests": requests,
               "applied": applied, "failed": failed, "notes": list(notes)}
    log.info("IQM apply_changes: %d record(s) in %d request(s); applied %s; %d refused",
                  len(changes), requests, {k: len(v) for k, v in applied.items()}, len(failed))
    if failed and not allow_partial:
        from airflow_provider_adtech.hooks.iqm import campaign_label

        listed = "; ".join(f"line {f['line']}: {campaign_label(f['id'], f['campaignName'])} {f['change']}: "
                           f"{f['errorMessage']}" for f in failed)
        done = sum(len(v) for v in applied.values())
        others = f"the other {done} were applied" if done else "none was applied"
        raise IqmPartialFailure(
            hook.vendor, "apply_changes", 200, listed,
            f"{len(failed)} of {len(failed) + done} change(s) from {changes_file} were refused; "
            f"{others}; pass allow_partial=True to accept partial results",
            failures=failed)
    return summary
