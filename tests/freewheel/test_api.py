"""FreeWheel linear orders API: hook and operator over HTTP against the sandbox."""

from __future__ import annotations

import copy
import json

import pytest
import requests

from airflow_provider_adtech.exceptions import AdtechValidationError, VendorApiError
from airflow_provider_adtech.hooks.freewheel import FreeWheelHook, LinearOrdersPartialFailure
from airflow_provider_adtech.operators.freewheel import FreeWheelLinearOrderOperator

from freewheel_helpers import order_rows, run_context

pytestmark = pytest.mark.integration


def api_line(i: int = 1, **overrides) -> dict:
    """A valid order line per the "Basic Attributes" table."""
    line = {
        "external_id": f"1001-7-{i}",
        "parent_external_id": "1001",
        "advertiser_external_id": 5501,
        "advertiser_name": "Acme",
        "start_date": "2026-11-23",
        "end_date": "2026-11-29",
        "duration": 30,
        "budget": {"type": "UNIT", "total_unit": 12},
        "price": 141.71,
        "priority_code": 3,
        "targeting": {
            "content": {"channel": {"include": [{"network_code": "ESPN"}]}},
            "geo": {"zone": {"include": [{"syscode": "1234"}]}},
            "dayparts": {"days_of_week": [1, 2, 3], "parts": [{"from": "16:00", "to": "20:00"}]},
        },
    }
    line.update(overrides)
    return line


@pytest.fixture
def hook(sandbox):
    h = FreeWheelHook()
    h.sleeps = []
    h.sleep = h.sleeps.append  # observe the back-off instead of waiting
    return h


def fw(sandbox):
    return sandbox.vendors["freewheel"]


def test_many_lines_are_sent_in_batches(sandbox, hook):
    """"You can post multiple lines through the same POST call": 23 lines, batches of 10."""
    result = hook.upsert_linear_orders([api_line(i) for i in range(1, 24)], batch_size=10)
    entries = sandbox.journal.entries("freewheel.linear_orders")
    assert [e.meta["lines"] for e in entries] == [10, 10, 3]
    assert [e.status for e in entries] == [200, 200, 200]
    assert entries[0].path == "/services/v4/linear_orders"  # the document's path by default
    assert result.summary()["ingested"] == 23 and result.requests == 3
    assert sorted(fw(sandbox).orders) == sorted(f"1001-7-{i}" for i in range(1, 24))
    assert sandbox.journal.count("freewheel.token") == 1  # one 7-day token for all batches


def test_upsert_on_external_id(sandbox, hook):
    hook.upsert_linear_orders([api_line(1), api_line(2)])
    hook.upsert_linear_orders([api_line(1, price=99.0)])
    state = fw(sandbox).state()
    assert state["linear_orders"] == 2 and state["created"] == 2 and state["updated"] == 1
    assert fw(sandbox).orders["1001-7-1"]["price"] == 99.0


def test_207_partial_success_surfaces_failed_records(sandbox, hook):
    """"207 partial success with {message, failed_records}"."""
    bad = api_line(2, budget={"type": "CPM", "total_unit": 3})  # "Only UNIT is allowed" (sandbox-side check)
    result = hook.upsert_linear_orders([api_line(1), bad, api_line(3)], batch_size=2)
    assert result.failed_records == ["1001-7-2"]
    assert result.ingested == 2 and result.partial_batches == 1
    assert [e.status for e in sandbox.journal.entries("freewheel.linear_orders")] == [207, 200]
    assert "1001-7-2" not in fw(sandbox).orders


def test_500_then_success_is_retried(sandbox, hook):
    """Retrying is safe (upsert on external_id): a 500 is repeated with back-off."""
    sandbox.inject("freewheel.linear_orders", status=500, times=1)
    result = hook.upsert_linear_orders([api_line(1), api_line(2)])
    assert result.ingested == 2
    assert [e.status for e in sandbox.journal.entries("freewheel.linear_orders")] == [500, 200]
    assert len(hook.sleeps) == 1


def test_500_until_retries_run_out_names_support(sandbox, monkeypatch):
    extra = {"max_retries": 2, "connect_timeout": 5, "read_timeout": 30}
    conn = json.loads(sandbox.connection_env()["AIRFLOW_CONN_FREEWHEEL_DEFAULT"])
    conn["extra"].update(extra)
    monkeypatch.setenv("AIRFLOW_CONN_FREEWHEEL_DEFAULT", json.dumps(conn))
    h = FreeWheelHook()
    h.sleep = lambda s: None
    sandbox.inject("freewheel.linear_orders", status=500, times=-1)
    with pytest.raises(VendorApiError) as err:
        h.post_linear_orders([api_line(1)])
    assert err.value.status == 500
    assert "contact FreeWheel support" in str(err.value)
    assert sandbox.journal.count("freewheel.linear_orders") == 3


def test_429_honours_retry_after(sandbox, hook):
    sandbox.inject("freewheel.linear_orders", status=429, retry_after=2, times=1)
    assert hook.post_linear_orders([api_line(1)]).ingested == 1
    assert hook.sleeps == [2.0]


@pytest.mark.parametrize("status,text", [(400, "could not parse"), (406, "expects a JSON body")])
def test_400_and_406_are_explained(sandbox, hook, status, text):
    sandbox.inject("freewheel.linear_orders", status=status, times=1)
    with pytest.raises(VendorApiError) as err:
        hook.post_linear_orders([api_line(1)])
    assert err.value.status == status and text in str(err.value)
    assert sandbox.journal.count("freewheel.linear_orders") == 1  # a 4xx is not repeated


def test_sandbox_answers_406_for_non_json_and_400_for_unparsable(sandbox, hook):
    """The sandbox follows the document: 406 "body is not JSON", 400 "unparsable body"."""
    token = hook.get_token().access_token
    url = sandbox.url + "/services/v4/linear_orders"
    auth = {"Authorization": f"Bearer {token}"}
    form = {**auth, "Content-Type": "application/x-www-form-urlencoded"}
    r = requests.post(url, data="external_id=1", headers=form)
    assert r.status_code == 406
    r = requests.post(url, data="[{not json", headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 400
    r = requests.post(url, json=[api_line(1)])
    assert r.status_code == 401


def test_path_is_configurable(sandbox, monkeypatch):
    """FreeWheel's reference page spells it ``/services/v4/linear-orders`` (extra ``linear_orders_path``)."""
    conn = json.loads(sandbox.connection_env()["AIRFLOW_CONN_FREEWHEEL_DEFAULT"])
    conn["extra"]["linear_orders_path"] = "/services/v4/linear-orders"
    monkeypatch.setenv("AIRFLOW_CONN_FREEWHEEL_DEFAULT", json.dumps(conn))
    FreeWheelHook().post_linear_orders([api_line(1)])
    assert [e.path for e in sandbox.journal.entries("freewheel.linear_orders")] == ["/services/v4/linear-orders"]


def test_token_lives_seven_days(sandbox, hook):
    tok = hook.get_token()
    assert 604800 - 60 <= tok.expires_at - tok.obtained_at <= 604800


# --------------------------------------------------------------------------- operator
def test_operator_sends_json_lines_in_batches(sandbox):
    lines = [api_line(i) for i in range(1, 6)]
    op = FreeWheelLinearOrderOperator(task_id="orders", order_lines=lines, batch_size=2)
    result = op.execute(run_context())
    assert result == {**result, "lines": 5, "ingested": 5, "failed": 0, "requests": 3, "batches": 3}
    assert [e.meta["lines"] for e in sandbox.journal.entries("freewheel.linear_orders")] == [2, 2, 1]
    json.dumps(result)


def test_operator_maps_delivery_rows_to_order_lines(sandbox):
    """Where CSV and API meet: external_id = contractid-tb_system_id-order_line, dates, budget, price."""
    op = FreeWheelLinearOrderOperator(task_id="orders", rows=order_rows(3))
    assert op.execute(run_context())["ingested"] == 3
    line = fw(sandbox).orders["1001-7-2"]
    assert line["parent_external_id"] == "1001" and line["advertiser_external_id"] == 5501
    assert line["start_date"] == "2026-11-23" and line["end_date"] == "2026-11-29"
    assert line["budget"] == {"type": "UNIT", "total_unit": 12}
    assert line["price"] == pytest.approx((1500.00 + 200.50) / 12, abs=1e-4)
    assert line["targeting"]["dayparts"]["parts"] == [{"from": "16:00", "to": "20:00"}]
    assert [z["syscode"] for z in line["targeting"]["geo"]["zone"]["include"]] == ["1234", "5678"]
    assert [c["network_code"] for c in line["targeting"]["content"]["channel"]["include"]] == ["ESPN", "CNN"]


def test_operator_fails_on_partial_unless_allowed(sandbox, monkeypatch):
    """207: the task fails (after every batch was sent) unless allow_partial=True."""
    from airflow_provider_adtech.sandbox import freewheel as sbx

    real = sbx.line_errors
    monkeypatch.setattr(sbx, "line_errors", lambda line: ["refused"] if line.get("external_id") == "1001-7-2"
                        else real(line))
    lines = [api_line(i) for i in range(1, 5)]
    with pytest.raises(LinearOrdersPartialFailure) as err:
        FreeWheelLinearOrderOperator(task_id="orders", order_lines=lines, batch_size=2).execute(run_context())
    assert "1001-7-2" in str(err.value) and "allow_partial" in str(err.value)
    assert sandbox.journal.count("freewheel.linear_orders") == 2
    # allow_partial is a template field: a rendered "True" counts as true
    result = FreeWheelLinearOrderOperator(task_id="orders", order_lines=lines, batch_size=2,
                                          allow_partial="True").execute(run_context())
    assert result["failed_records"] == ["1001-7-2"] and result["ingested"] == 3


def test_operator_validates_everything_before_sending(sandbox):
    """Bad lines are all reported with record and field (JSON path); nothing is sent."""
    lines = [api_line(1), api_line(2, duration=45), api_line(3, budget={"type": "CPM", "total_unit": 1}),
             api_line(4, start_date="2026/11/23"), api_line(1)]
    broken = copy.deepcopy(api_line(6))
    broken["targeting"]["dayparts"]["parts"] = [{"from": "4pm", "to": "20:00"}]
    broken["targeting"]["dayparts"]["days_of_week"] = [0, 8]
    del broken["targeting"]["content"]
    lines.append(broken)
    with pytest.raises(AdtechValidationError) as err:
        FreeWheelLinearOrderOperator(task_id="orders", order_lines=lines).execute(run_context())
    msg = str(err.value)
    for text in ("line 2, column duration: [freewheel.api.duration]",
                 "line 3, column budget.type: [freewheel.api.budget.type]",
                 "line 4, column start_date: [freewheel.api.date]",
                 "line 5, column external_id: [freewheel.api.external_id.unique]",
                 "line 6, column targeting.dayparts.parts[0].from",
                 "line 6, column targeting.dayparts.days_of_week[1]",
                 "line 6, column targeting.content.channel.include: [freewheel.api.required]"):
        assert text in msg, msg
    assert sandbox.journal.count() == 0


def test_operator_reports_rows_that_cannot_become_order_lines(sandbox):
    rows = order_rows(2)
    rows[1]["advertiser_code"] = "ACME-NY"
    rows[0]["duration"] = "15,30"
    with pytest.raises(AdtechValidationError) as err:
        FreeWheelLinearOrderOperator(task_id="orders", rows=rows).execute(run_context())
    msg = str(err.value)
    assert "rows, line 1, column duration: [freewheel.api.duration]" in msg
    assert "rows, line 2, column advertiser_code: [freewheel.api.advertiser_external_id]" in msg
    assert sandbox.journal.count() == 0
