"""IqmCampaignOperator: every action against the sandbox over real HTTP, parse-time checks,
list summaries, the changes file, partial failures and calls never repeated."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError, VendorApiError
from airflow_provider_adtech.formats.iqm import ACTIONS, ALL_PARAMS
from airflow_provider_adtech.hooks.iqm import IqmPartialFailure
from airflow_provider_adtech.operators.iqm import IqmCampaignOperator

FUTURE = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=45)
FUTURE_MS = int(time.time() + 40 * 86400) * 1000


def run(context, **kwargs):
    kwargs.setdefault("task_id", f"iqm_{kwargs['action']}")
    return IqmCampaignOperator(**kwargs).execute(context)


def _end_of(day: dt.date, factor: int = 1) -> int:
    return int(dt.datetime.combine(day, dt.time(23, 59, 59), dt.timezone.utc).timestamp()) * factor


IO = {"ioName": "Nightly IO", "ioStartTime": FUTURE.isoformat(), "ioEndTime": FUTURE_MS + 30 * 86400_000,
      "ioTotalBudget": 1000, "ioTimeZoneId": 29, "isAutoSumIoTotalBudget": False, "ioBudgetTypeId": 1,
      "ioBudgetDistributionMethodId": 1}

# action -> (operator kwargs, check(result, sandbox state of IQM, journal))
CASES = {
    "get_campaign": (dict(campaign_id=537599, is_spent_required=True),
                     lambda r, s, j: r["campaignName"] == "TestCampaign" and "spent" in r),
    "get_campaigns_data": (dict(filters={"status": "pending"}),
                           lambda r, s, j: r["count"] == 3 and set(r["ids"]) == {537599, 537123, 445615}),
    "list_campaigns": (dict(filters={"status": "running"}, page_size=4),
                       lambda r, s, j:
                       r["count"] == 6 and 4120 in r["ids"] and j.count("iqm.campaigns_list") == 2),
    "get_budget_info": (dict(campaign_id="537599"), lambda r, s, j: r["budgetTotal"] == 50000.0),
    "list_campaign_groups": (dict(), lambda r, s, j: r["ids"] == [1, 2] and len(r["rows"]) == 2),
    "get_campaign_start": (dict(campaign_id=537123), lambda r, s, j: r["startTime"] == 1727755200),
    "update_name": (dict(campaign_id=537599, campaign_name="  Spring sale  "),
                    lambda r, s, j: s["campaigns"]["537599"]["campaignName"] == "Spring sale"
                    and r["request"]["campaignName"] == "Spring sale"
                    and r["notes"] == ["campaign_name '  Spring sale  ' sent as 'Spring sale' (spaces around the "
                                       "name removed)"]),
    "update_end_date": (dict(campaign_ids="20731,4120", end_time=FUTURE.isoformat()),
                        lambda r, s, j: r["request"]["endDate"] == _end_of(FUTURE)
                        and s["campaigns"]["4120"]["endTime"] == _end_of(FUTURE)
                        and r["response"] == {"status": True}),
    "update_budget": (dict(campaign_ids=[20731, 450277], total_budget="900", daily_budget=30,
                           total_budget_update_type="distribution"),
                      lambda r, s, j: s["campaigns"]["20731"]["budgetTotal"] == 450.0
                      and s["campaigns"]["450277"]["budgetDay"] == 30 and r["response"]["status"] is True),
    "patch_campaign": (dict(campaign_id=537123, fields={"maxBid": "6.5", "status": "paused"}),
                       lambda r, s, j: s["campaigns"]["537123"]["maxBid"] == 6.5
                       and s["campaigns"]["537123"]["status"] == "paused"),
    "count_by_status": (dict(filters={"owIds": "all", "ioIds": "48"}),
                        lambda r, s, j: {x["status_key"]: x["status_count"] for x in r}["running"] == 3),
    "list_insertion_orders": (dict(filters={"ioStatusIdsList": [2]}),
                              lambda r, s, j: sorted(r["ids"]) == [225, 738]),
    "list_io_campaigns": (dict(filters={"ioIds": [48], "status": ["running"]}),
                          lambda r, s, j: r["ids"] == [48]
                          and sorted(r["campaign_ids"]) == [4120, 4121, 20731]),
    "list_io_campaign_reports": (dict(filters={"campaignStatusList": ["paused"]}),
                                 lambda r, s, j: r["ids"] == [192476]),
    "create_insertion_order": (dict(fields=IO),
                               lambda r, s, j: s["insertion_orders"][str(r["response"]["ioId"])]["ioName"]
                               == "Nightly IO"
                               and r["request"]["ioStartTime"] == _end_of(FUTURE, 1000) - 86399000),
    "duplicate_insertion_order": (dict(io_id=48, start_time=FUTURE.isoformat(),
                                       end_time=FUTURE_MS + 30 * 86400_000,
                                       time_zone_id=29, campaign_ids=[4121]),
                                  lambda r, s, j: len(r["response"]["duplicatedCampaignIds"]) == 1
                                  and str(r["response"]["duplicatedIOId"]) in s["insertion_orders"]),
    "delete_insertion_orders": (dict(io_ids=[738, 225]),
                                lambda r, s, j: "738" not in s["insertion_orders"]
                                and s["campaigns"]["450277"]["status"] == "deleted"),
    "update_insertion_order": (dict(io_id=741, fields={"ioName": "Renamed", "ioTotalBudget": 5000}),
                               lambda r, s, j: r["response"] == "Renamed saved successfully."
                               and s["insertion_orders"]["741"]["ioTotalBudget"] == 5000),
    "update_io_end_date": (dict(io_ids="741", end_time=FUTURE.isoformat()),
                           lambda r, s, j:
                           s["insertion_orders"]["741"]["ioEndTime"] == _end_of(FUTURE, 1000)),
    "update_io_budget": (dict(io_ids=[741], budget=99, budget_update_type="add"),
                         lambda r, s, j: s["insertion_orders"]["741"]["ioTotalBudget"] == 100100),
}


def test_every_action_has_a_case():
    assert set(CASES) | {"apply_changes"} == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(CASES))
def test_action_against_the_sandbox(sandbox, iqm, context, action):
    kwargs, check = CASES[action]
    result = run(context, action=action, **kwargs)
    json.dumps(result)  # the return value is XCom: JSON-able
    assert check(result, iqm.state(), sandbox.journal), result
    assert sandbox.journal.count("iqm.login") == 1


# --------------------------------------------------------------------------- parse time
def test_unknown_action_fails_when_the_dag_is_parsed():
    with pytest.raises(AdtechValidationError, match=r"task t, column action: \[iqm.action.unknown\]"):
        IqmCampaignOperator(task_id="t", action="update_budgets", campaign_ids=[1], max_bid=2)


def test_missing_and_unused_parameters_fail_when_the_dag_is_parsed():
    with pytest.raises(AdtechValidationError) as err:
        IqmCampaignOperator(task_id="t", action="duplicate_insertion_order", io_id=48, budget=5)
    text = str(err.value)
    for name in ("start_time", "end_time", "time_zone_id"):
        assert f"column {name}: [iqm.param.missing]" in text
    assert "column budget: [iqm.param.unused]" in text
    assert {p.rule for p in err.value.problems} == {"iqm.param.missing", "iqm.param.unused"}


def test_output_path_on_a_non_list_action_fails_at_parse():
    with pytest.raises(AdtechValidationError, match="output_path would be ignored"):
        IqmCampaignOperator(task_id="t", action="get_campaign", campaign_id=1, output_path="/tmp/x.jsonl")


def test_output_path_checked_again_once_the_action_is_rendered(sandbox, context):
    op = IqmCampaignOperator(task_id="t", action="{{ params.action }}", campaign_id=537599,
                             output_path="/tmp/never.jsonl")
    op.action = "get_campaign"  # as rendered
    with pytest.raises(AdtechValidationError, match=r"column output_path: \[iqm.param.unused\]"):
        op.execute(context)
    assert sandbox.journal.count() == 0


def test_templated_action_is_judged_at_run_time_before_any_request(sandbox, context):
    op = IqmCampaignOperator(task_id="t", action="{{ params.action }}", campaign_id=1)
    with pytest.raises(AdtechValidationError, match="iqm.action.unknown"):
        op.execute(context)  # not rendered here: the text itself is no action
    assert sandbox.journal.count() == 0


def test_every_parameter_is_templated(sandbox, context):
    op = IqmCampaignOperator(task_id="t", action="update_end_date", campaign_ids="{{ params.ids }}",
                             end_time="{{ params.end }}")
    assert set(ALL_PARAMS) | {"action", "output_path"} <= set(op.template_fields)
    op.render_template_fields({"params": {"ids": "[20731, 4120]", "end": FUTURE.isoformat()}})
    assert op.campaign_ids == "[20731, 4120]" and op.end_time == FUTURE.isoformat()
    assert op.execute(context)["request"]["campaignIds"] == [20731, 4120]


def test_operator_module_import_stays_light():
    """DAG files are parsed constantly: importing the operator adds no HTTP, AWS or hook module."""
    import subprocess
    import sys

    code = (
        "import sys; import airflow.providers.common.compat.sdk; before = set(sys.modules); "
        "import airflow_provider_adtech.operators.iqm; new = set(sys.modules) - before; "
        "print(' '.join(sorted(new)))"
    )
    new = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert "airflow_provider_adtech.operators.iqm" in new
    heavy = [m for m in new if m.split(".")[0] in {"requests", "tenacity", "boto3", "botocore", "pytz",
                                                   "requests_toolbelt", "pydantic"}
             or m == "airflow_provider_adtech.hooks.iqm"]
    assert heavy == []


# --------------------------------------------------------------------------- lists
def test_large_list_is_summarised_and_written_in_full(sandbox, iqm, context, tmp_path):
    ids = iqm.add_campaigns(25, io_id=555)
    out = tmp_path / "out" / "campaigns.jsonl"
    result = run(context, action="list_campaigns", filters={"ioIds": "555"}, page_size=10,
                 output_path=str(out),
                 max_xcom_rows=20, max_xcom_ids=12)
    assert result["count"] == 25 and "rows" not in result
    assert result["ids"] == ids[:12] and result["ids_truncated"] is True
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [int(r["id"]) for r in rows] == ids
    assert [e.meta["rows"] for e in sandbox.journal.entries("iqm.campaigns_list")] == [10, 10, 5]
    assert len(json.dumps(result)) < 2000


def test_small_list_returns_its_rows(sandbox, context):
    result = run(context, action="list_insertion_orders", filters={"ioIdList": [48, 741]}, page_size=1)
    assert result["count"] == 2 and {r["ioName"] for r in result["rows"]} == {"UAW", "testdatasync"}
    assert sandbox.journal.count("iqm.io_basic_list") == 2


def test_list_filters_may_not_carry_paging(sandbox, context):
    with pytest.raises(AdtechValidationError, match=r"filters.pageNo: \[iqm.filters.paging\]"):
        run(context, action="list_insertion_orders", filters={"pageNo": 2})
    assert sandbox.journal.count() == 0


def test_s3_changes_file_and_output(sandbox, context, s3_server):
    """``changes_file`` and ``output_path`` may be ``s3://`` URIs (Airflow's object storage, the AWS connection)."""
    s3 = s3_server
    s3.create_bucket(Bucket="plans")
    s3.put_object(Bucket="plans", Key="iqm/changes.jsonl",
                  Body=json.dumps({"campaignId": 20731, "dailyBudget": 61}).encode())
    applied = run(context, action="apply_changes", changes_file="s3://plans/iqm/changes.jsonl")
    listed = run(context, action="list_io_campaigns", filters={"ioIds": [48]},
                 output_path="s3://plans/out/io48.jsonl")
    body = s3.get_object(Bucket="plans", Key="out/io48.jsonl")["Body"].read().decode()
    assert applied["applied"]["budget"] == [20731]
    assert listed["output"] == "s3://plans/out/io48.jsonl" and json.loads(body)["ioId"] == 48


# --------------------------------------------------------------------------- partial failures
def test_partial_failure_fails_the_task_naming_each_campaign(sandbox, iqm, context):
    with pytest.raises(IqmPartialFailure) as err:
        run(context, action="update_budget", campaign_ids=[20731, 4120, 4121], max_bid=0.5)
    assert "campaign 4120 (test cust aud dev): max bid cannot be less than minimum bid 3.0" in str(err.value)
    assert "campaign 4121 (Vast copy)" in str(err.value)
    assert iqm.campaigns[20731]["maxBid"] == 0.5  # IQM did change the others


def test_partial_failure_returned_with_allow_partial(sandbox, context):
    result = run(context, action="update_budget", campaign_ids=[20731, 4120, 4121], max_bid=0.5,
                 allow_partial=True)
    assert [f["id"] for f in result["failed"]] == ["4120", "4121"]
    assert result["response"]["modified_data"][0]["campaingId"] == 20731


# --------------------------------------------------------------------------- changes file
def test_apply_changes_groups_calls(sandbox, iqm, context, tmp_path):
    path = tmp_path / "changes.json"
    path.write_text(json.dumps([
        {"campaignId": 20731, "endDate": FUTURE.isoformat(), "dailyBudget": 75},
        {"campaignId": 4120, "endDate": FUTURE.isoformat(), "dailyBudget": 75, "campaignName": "renamed"},
        {"campaignId": 4121, "endDate": _end_of(FUTURE) + 86400, "totalBudget": 10,
         "totalBudgetUpdateType": "addition"},
    ], indent=1))
    result = run(context, action="apply_changes", changes_file=str(path))
    assert result["records"] == 3 and result["failed"] == []
    # 1 name + 2 end-date groups + 2 budget groups
    assert result["requests"] == 5
    assert sandbox.journal.count("iqm.campaigns_update_end_date") == 2
    assert sandbox.journal.count("iqm.campaigns_update_budget") == 2
    assert iqm.campaigns[4121]["budgetTotal"] == 1010.0 and iqm.campaigns[4120]["budgetDay"] == 75
    assert iqm.campaigns[4120]["campaignName"] == "renamed"
    assert sorted(result["applied"]["end_date"]) == [4120, 4121, 20731]


def test_apply_changes_partial_failure_names_file_lines(sandbox, context, tmp_path):
    path = tmp_path / "changes.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"campaignId": 20731, "maxBid": 2},
        {"campaignId": 4120, "maxBid": 2},
    ]))
    with pytest.raises(IqmPartialFailure) as err:
        run(context, action="apply_changes", changes_file=str(path))
    expected = "line 2: campaign 4120 (test cust aud dev) budget: max bid cannot be less than minimum bid 3.0"
    assert expected in str(err.value)
    ok = run(context, action="apply_changes", changes_file=str(path), allow_partial=True)
    assert ok["failed"][0]["line"] == 2 and ok["applied"]["budget"] == [20731]


def test_missing_changes_file_is_a_validation_error(sandbox, context, tmp_path):
    with pytest.raises(AdtechValidationError, match="iqm.changes.missing"):
        run(context, action="apply_changes", changes_file=str(tmp_path / "nope.json"))
    assert sandbox.journal.count() == 0


# --------------------------------------------------------------------------- never repeated
def test_create_meeting_500_is_not_repeated_and_says_so(sandbox, context):
    sandbox.inject("iqm.io_add", status=500, times=1)
    with pytest.raises(VendorApiError) as err:
        run(context, action="create_insertion_order", fields=IO)
    assert sandbox.journal.count("iqm.io_add") == 1
    assert "may or may not have been applied" in str(err.value)
    assert "HTTP 500" in str(err.value)
