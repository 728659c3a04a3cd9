"""IQM under injected faults, through ``IqmCampaignOperator`` (what users run).

Two kinds of call (VENDOR-NOTES, IQM: "Not idempotent: creating, duplicating and deleting
insertion orders, and budget updates of type ``addition``/``add``. Never retry these blindly"):

* calls that set absolute values (guide, "Change Campaign Budget": "change: Replace total
  budget with given value", "distribution: Distribute given total budget ... equally") and
  reads are retried; they end with the state one application gives;
* "POST /api/v3/cmp/io/add", "POST /api/v3/cmp/io/duplicate", "POST /api/v3/cmp/io/delete",
  ``totalBudgetUpdateType: addition`` ("Add budget to the current total budget") and
  ``budgetUpdateType: add`` are sent exactly once whatever happens (journal count 1, also
  when the connection drops or the answer is slow), and the error says the call may or may
  not have been applied.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Callable

import pytest

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException
from airflow_provider_adtech.exceptions import VendorApiError, VendorTransportError
from airflow_provider_adtech.operators.iqm import IqmCampaignOperator
from fault_kit import NOT_REPEATED_WORDS, ONCE, explains_not_repeated, RETRIED, Scenario, ids

pytestmark = pytest.mark.integration

VENDOR = "IQM"
CONN = "iqm_default"
LOGIN = "iqm.login"
LOGIN_ENDPOINT = "POST /api/v3/ua/login"
RUN = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
CONTEXT = {"data_interval_start": RUN, "data_interval_end": RUN + dt.timedelta(days=1), "logical_date": RUN}
FUTURE = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=45)
FUTURE_MS = int(time.time() + 40 * 86400) * 1000
UNAVAILABLE = "Service temporarily unavailable, please try again later"
TOO_MANY = "Too many requests: limit is 20 requests per 60 seconds"


def iqm_error(text: str) -> dict:
    """IQM's error envelope (guide: ``{"success": false, "errorObjects": [{"error": ...}]}``)."""
    return {"success": False, "errorObjects": [{"error": text}]}


def body_for(scenario: Scenario) -> dict | None:
    if scenario.kind != "status":
        return None
    return iqm_error(TOO_MANY if scenario.status == 429 else UNAVAILABLE)


def message_for(scenario: Scenario) -> str:
    if scenario.kind == "status":
        return TOO_MANY if scenario.status == 429 else UNAVAILABLE
    if scenario.kind == "delay":
        return "no answer within the read timeout"
    return "connection failed or was dropped before an answer"


def run(**kwargs):
    kwargs.setdefault("task_id", f"iqm_{kwargs['action']}")
    return IqmCampaignOperator(**kwargs).execute(dict(CONTEXT))


def state(sandbox) -> dict:
    return sandbox.vendors["iqm"].state()


def changes(sandbox, kind: str) -> list[dict]:
    return [c for c in state(sandbox)["changes"] if c["kind"] == kind]


@dataclass(frozen=True)
class Call:
    """One operator call: its action and arguments, the sandbox route and documented endpoint, the
    change it records in the vendor's state, and what the vendor holds after one application."""

    action: str
    kwargs: dict
    route: str
    endpoint: str
    change: str
    applied_once: Callable[[dict, dict], bool]  # (state before, state after)


NEVER_REPEATED = {
    "create_io": Call(
        "create_insertion_order",
        dict(fields={"ioName": "Nightly IO", "ioStartTime": FUTURE.isoformat(),
                     "ioEndTime": FUTURE_MS + 30 * 86400_000, "ioTotalBudget": 1000, "ioTimeZoneId": 29,
                     "isAutoSumIoTotalBudget": False, "ioBudgetTypeId": 1,
                     "ioBudgetDistributionMethodId": 1}),
        "iqm.io_add", "POST /api/v3/cmp/io/add", "io_add",
        lambda b, a: [io["ioName"] for io in a["insertion_orders"].values()].count("Nightly IO") == 1),
    "duplicate_io": Call(
        "duplicate_insertion_order",
        dict(io_id=48, start_time=FUTURE.isoformat(), end_time=FUTURE_MS + 30 * 86400_000, time_zone_id=29,
             campaign_ids=[4121]),
        "iqm.io_duplicate", "POST /api/v3/cmp/io/duplicate", "io_duplicate",
        lambda b, a: len(a["insertion_orders"]) == len(b["insertion_orders"]) + 1
        and len(a["campaigns"]) == len(b["campaigns"]) + 1),
    "delete_ios": Call(
        "delete_insertion_orders", dict(io_ids=[738, 225]),
        "iqm.io_delete", "POST /api/v3/cmp/io/delete", "io_delete",
        lambda b, a: "738" not in a["insertion_orders"] and "225" not in a["insertion_orders"]
        and a["campaigns"]["450277"]["status"] == "deleted"),
    "campaign_budget_addition": Call(
        "update_budget", dict(campaign_ids=[20731], total_budget=250, total_budget_update_type="addition"),
        "iqm.campaigns_update_budget", "PUT /api/v2/cmp/campaigns/update_budget", "campaign_budget",
        lambda b, a: a["campaigns"]["20731"]["budgetTotal"] == b["campaigns"]["20731"]["budgetTotal"] + 250),
    "io_budget_add": Call(
        "update_io_budget", dict(io_ids=[741], budget=99, budget_update_type="add"),
        "iqm.io_update_budget", "PATCH /api/v3/cmp/io/update-budget", "io_budget",
        lambda b, a: a["insertion_orders"]["741"]["ioTotalBudget"]
        == b["insertion_orders"]["741"]["ioTotalBudget"] + 99),
}

REPEATABLE = {
    "campaign_budget_change": Call(
        "update_budget", dict(campaign_ids=[20731, 450277], total_budget=900, daily_budget=30,
                              total_budget_update_type="change"),
        "iqm.campaigns_update_budget", "PUT /api/v2/cmp/campaigns/update_budget", "campaign_budget",
        lambda b, a: all(a["campaigns"][c]["budgetTotal"] == 900 and a["campaigns"][c]["budgetDay"] == 30
                         for c in ("20731", "450277"))),
    "campaign_budget_distribution": Call(
        "update_budget",
        dict(campaign_ids=[20731, 450277], total_budget=900, total_budget_update_type="distribution"),
        "iqm.campaigns_update_budget", "PUT /api/v2/cmp/campaigns/update_budget", "campaign_budget",
        lambda b, a: all(a["campaigns"][c]["budgetTotal"] == 450 for c in ("20731", "450277"))),
    "io_budget_change": Call(
        "update_io_budget", dict(io_ids=[741], budget=5000, budget_update_type="change"),
        "iqm.io_update_budget", "PATCH /api/v3/cmp/io/update-budget", "io_budget",
        lambda b, a: a["insertion_orders"]["741"]["ioTotalBudget"] == 5000),
    "campaign_end_date": Call(
        "update_end_date", dict(campaign_ids="20731,4120", end_time=FUTURE.isoformat()),
        "iqm.campaigns_update_end_date", "PUT /api/v2/cmp/campaigns/update-end-date", "campaign_end_date",
        lambda b, a: a["campaigns"]["4120"]["endTime"] == a["campaigns"]["20731"]["endTime"]
        == int(dt.datetime.combine(FUTURE, dt.time(23, 59, 59), dt.timezone.utc).timestamp())),
}


# --------------------------------------------------------------------------- never repeated
@pytest.mark.parametrize("scenario", ONCE, ids=ids(ONCE))
@pytest.mark.parametrize("name", list(NEVER_REPEATED))
def test_non_idempotent_call_is_sent_once(sandbox, kit, name: str, scenario: Scenario):
    call = NEVER_REPEATED[name]
    before = state(sandbox)
    kit.inject(call.route, scenario, CONN, body=body_for(scenario))
    with pytest.raises(VendorApiError) as err:
        run(action=call.action, **call.kwargs)
    if scenario.kind == "delay":
        kit.settle(call.route, 1)  # the vendor finishes the slow request after the client gave up
    sent = sandbox.journal.count(call.route)
    kit.record(VENDOR, f"{name} {scenario.name}", repeats=sent - 1)
    assert sent == 1, [(e.status, e.fault) for e in sandbox.journal.entries(call.route)]
    assert kit.sleeps == []  # no retry was even planned
    text = kit.check_failure(err.value, vendor=VENDOR, endpoint=call.endpoint,
                             status=scenario.status if scenario.kind == "status" else None,
                             message=message_for(scenario))
    assert explains_not_repeated(text, scenario)
    applied = changes(sandbox, call.change)
    after = state(sandbox)
    if scenario.reaches_vendor:  # handled, answer lost: applied exactly once
        assert len(applied) == 1 and call.applied_once(before, after)
    else:  # refused or never arrived: nothing changed
        assert applied == [] and after["insertion_orders"] == before["insertion_orders"]
        assert after["campaigns"] == before["campaigns"]
    # Airflow runs a failed task again unless the error is an AirflowFailException: when the
    # outcome is unknown (no answer, or 5xx) the task must not be retried blindly either
    unknown = scenario.kind != "status" or scenario.status >= 500
    assert isinstance(err.value, AirflowFailException) is unknown


@pytest.mark.parametrize("kind", ["drop_after", "delay"])
@pytest.mark.parametrize("name", list(NEVER_REPEATED))
def test_task_retries_after_a_lost_answer_apply_nothing_twice(sandbox, kit, name: str, kind: str):
    """The task's tries as Airflow makes them (``retries=2``): the call was applied, its answer
    lost; it must stay applied once."""
    call = NEVER_REPEATED[name]
    before = state(sandbox)
    kit.inject(call.route, Scenario(kind, kind=kind), CONN)
    for _attempt in range(3):
        try:
            run(action=call.action, **call.kwargs)
            break
        except AirflowFailException:
            break  # Airflow does not try again
        except AirflowException:
            kit.settle(call.route, _attempt + 1)
            continue
    kit.settle(call.route, 1)
    applied = len(changes(sandbox, call.change))
    kit.record(VENDOR, f"{name} answer lost, task retries", repeats=applied - 1)
    assert applied == 1 and call.applied_once(before, state(sandbox))


# --------------------------------------------------------------------------- repeatable
@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
@pytest.mark.parametrize("name", list(REPEATABLE))
def test_absolute_change_is_retried_and_applied_as_once(sandbox, kit, name: str, scenario: Scenario):
    call = REPEATABLE[name]
    before = state(sandbox)
    kit.inject(call.route, scenario, CONN, body=body_for(scenario))
    result = run(action=call.action, **call.kwargs)
    response = result["response"]
    assert response["status"] is True if isinstance(response, dict) else "success" in str(response)
    assert sandbox.journal.count(call.route) == scenario.attempts
    assert kit.faults_seen(call.route) == [scenario.kind] * scenario.times + [None]
    scenario.check_sleeps(kit.sleeps)
    assert len(changes(sandbox, call.change)) == scenario.handled
    once = call.applied_once(before, state(sandbox))
    kit.record(VENDOR, f"{name} {scenario.name}", duplicates=0 if once else 1)
    assert once
    kit.check_no_secrets()


@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_paged_list_is_retried_page_by_page(sandbox, kit, scenario: Scenario):
    """A fault on the second page of ``GET /api/v2/cmp/campaigns/list`` repeats that page only."""
    kit.inject("iqm.campaigns_list", scenario, CONN, skip=1, body=body_for(scenario))
    result = run(action="list_campaigns", filters={"status": "running"}, page_size=4)
    assert result["count"] == 6 and 4120 in result["ids"]
    pages = [e.meta.get("rows") for e in sandbox.journal.entries("iqm.campaigns_list") if e.status == 200]
    assert sandbox.journal.count("iqm.campaigns_list") == 1 + scenario.attempts
    assert pages[0] == 4 and pages[-1] == 2
    scenario.check_sleeps(kit.sleeps)
    kit.record(VENDOR, f"list_campaigns page 2 {scenario.name}")
    kit.check_no_secrets()


@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_login_fault_is_retried(sandbox, kit, scenario: Scenario):
    kit.inject(LOGIN, scenario, CONN, body=body_for(scenario))
    result = run(action="get_campaign", campaign_id=537599)
    assert result["campaignName"] == "TestCampaign"
    assert sandbox.journal.count(LOGIN) == scenario.attempts
    scenario.check_sleeps(kit.sleeps)
    kit.record(VENDOR, f"login {scenario.name}")
    kit.check_no_secrets()


def test_changes_file_sends_the_addition_once_and_retries_the_rest(sandbox, kit, tmp_path):
    """``apply_changes`` mixes kinds: a dropped answer on the additive budget change fails the task
    without repeating it, after the (repeatable) name change went through a 503 burst."""
    import json

    path = tmp_path / "changes.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (
        {"campaignId": 20731, "campaignName": "Spring sale", "totalBudget": 100,
         "totalBudgetUpdateType": "addition"},
    )) + "\n")
    before = state(sandbox)["campaigns"]["20731"]["budgetTotal"]
    sandbox.inject("iqm.campaign_update_name", status=503, times=2, body=iqm_error(UNAVAILABLE))
    sandbox.inject("iqm.campaigns_update_budget", kind="drop_after")
    with pytest.raises(AirflowFailException) as err:
        run(action="apply_changes", changes_file=str(path))
    sent = sandbox.journal.count("iqm.campaigns_update_budget")
    kit.record(VENDOR, "changes file: name 503 burst, addition answer lost", repeats=sent - 1)
    assert sent == 1 and sandbox.journal.count("iqm.campaign_update_name") == 3 and len(kit.sleeps) == 2
    kit.check_failure(err.value, vendor=VENDOR, endpoint="PUT /api/v2/cmp/campaigns/update_budget",
                      status=None,
                      message="connection failed or was dropped before an answer")
    assert NOT_REPEATED_WORDS in str(err.value)
    after = state(sandbox)["campaigns"]["20731"]
    assert after["campaignName"] == "Spring sale" and after["budgetTotal"] == before + 100


# --------------------------------------------------------------------------- final failures
def test_5xx_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=2)
    call = REPEATABLE["campaign_budget_change"]
    sandbox.inject(call.route, status=503, times=-1, body=iqm_error(UNAVAILABLE))
    with pytest.raises(VendorApiError) as err:
        run(action=call.action, **call.kwargs)
    text = kit.check_failure(err.value, vendor=VENDOR, endpoint=call.endpoint,
                             status=503, message=UNAVAILABLE)
    assert "retries exhausted" in text and NOT_REPEATED_WORDS not in text
    assert sandbox.journal.count(call.route) == 3 and len(kit.sleeps) == 2
    kit.record(VENDOR, "budget change 503 until retries run out")


def test_429_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=1)
    sandbox.inject("iqm.campaign_get", status=429, times=-1, retry_after=60, body=iqm_error(TOO_MANY))
    with pytest.raises(VendorApiError) as err:
        run(action="get_campaign", campaign_id=537599)
    text = kit.check_failure(err.value, vendor=VENDOR, endpoint="GET /api/v2/cmp/campaign/{campaignId}",
                             status=429, message=TOO_MANY)
    assert "IQM allows 20 requests a minute" in text
    assert kit.sleeps == [60.0] and sandbox.journal.count("iqm.campaign_get") == 2
    kit.record(VENDOR, "campaign read 429 until retries run out")


def test_dropped_connections_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=2)
    call = REPEATABLE["io_budget_change"]
    sandbox.inject(call.route, kind="drop", times=-1)
    with pytest.raises(VendorTransportError) as err:
        run(action=call.action, **call.kwargs)
    kit.check_failure(err.value, vendor=VENDOR, endpoint=call.endpoint, status=None,
                      message="connection failed or was dropped before an answer")
    assert sandbox.journal.count(call.route) == 3 and changes(sandbox, call.change) == []
    kit.record(VENDOR, "IO budget change dropped until retries run out")


def test_slow_answers_until_retries_run_out(sandbox, kit):
    call = REPEATABLE["campaign_end_date"]
    kit.inject(call.route, Scenario("slow", kind="delay"), CONN, times=-1)
    kit.connection(CONN, max_retries=1)
    with pytest.raises(VendorTransportError) as err:
        run(action=call.action, **call.kwargs)
    kit.check_failure(err.value, vendor=VENDOR, endpoint=call.endpoint, status=None,
                      message="no answer within the read timeout")
    kit.settle(call.route, 2)
    assert call.applied_once({}, state(sandbox))  # the same absolute value, twice
    kit.record(VENDOR, "end date slow until retries run out")


def test_login_down(sandbox, kit):
    kit.connection(CONN, max_retries=1)
    sandbox.inject(LOGIN, status=503, times=-1, body=iqm_error(UNAVAILABLE))
    with pytest.raises(VendorApiError) as err:
        run(action="get_campaign", campaign_id=537599)
    kit.check_failure(err.value, vendor=VENDOR, endpoint=LOGIN_ENDPOINT, status=503, message=UNAVAILABLE)
    assert sandbox.journal.count(LOGIN) == 2 and sandbox.journal.count("iqm.campaign_get") == 0
    kit.record(VENDOR, "login 503 until retries run out")
