"""FreeWheel under injected faults, through its two operators (what users run).

* ``FreeWheelLinearOrderOperator`` against the sandbox's ``POST /services/v4/linear_orders``:
  an upsert keyed on ``external_id`` (VENDOR-NOTES: "It is an upsert keyed on
  ``external_id``"), so a repeated batch updates the same orders and never creates a second
  one. Document: "500 contact support".
* ``FreeWheelS3OrderOperator`` against FreeWheel's S3 folder (moto, as ``sandbox/s3.py``):
  S3 answers ``503 SlowDown`` when it throttles, and a put whose answer is lost (by botocore's
  own retries or by the task failing and Airflow trying it again) must not leave a second
  object: the key is stable per run and the put is conditional (``If-None-Match: *``).
  Faults are injected in botocore's event hooks around moto's handler.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from airflow_provider_adtech.exceptions import VendorApiError, VendorTransportError
from airflow_provider_adtech.operators.freewheel import FreeWheelLinearOrderOperator, FreeWheelS3OrderOperator
from fault_kit import RETRIED, Scenario, ids

pytestmark = pytest.mark.integration

VENDOR = "FreeWheel"
CONN = "freewheel_default"
ORDERS = "freewheel.linear_orders"
TOKEN = "freewheel.token"
ORDERS_ENDPOINT = "POST /services/v4/linear_orders"
TOKEN_ENDPOINT = "POST /auth/token"
SUPPORT = "Internal Server Error: please contact FreeWheel support"
RUN = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
CONTEXT = {"data_interval_start": RUN, "data_interval_end": RUN + dt.timedelta(days=1), "logical_date": RUN,
           "run_id": "scheduled__2026-11-20T00:00:00+00:00"}


def api_line(i: int, **overrides: Any) -> dict:
    """A valid order line per the document's "Basic Attributes" table."""
    line = {
        "external_id": f"1001-7-{i}", "parent_external_id": "1001", "advertiser_external_id": 5501,
        "advertiser_name": "Acme", "start_date": "2026-11-23", "end_date": "2026-11-29", "duration": 30,
        "budget": {"type": "UNIT", "total_unit": 12}, "price": 141.71, "priority_code": 3,
        "targeting": {
            "content": {"channel": {"include": [{"network_code": "ESPN"}]}},
            "geo": {"zone": {"include": [{"syscode": "1234"}]}},
            "dayparts": {"days_of_week": [1, 2, 3], "parts": [{"from": "16:00", "to": "20:00"}]},
        },
    }
    line.update(overrides)
    return line


LINES = [api_line(i) for i in range(1, 6)]  # 5 lines, batches of 2: 3 requests


def send_orders(**kw):
    kw.setdefault("task_id", "linear_orders")
    kw.setdefault("order_lines", LINES)
    kw.setdefault("batch_size", 2)
    return FreeWheelLinearOrderOperator(**kw).execute(dict(CONTEXT))


def fw_state(sandbox) -> dict:
    return sandbox.state()["freewheel"]


def duplicate_orders(sandbox) -> int:
    """Orders FreeWheel created beyond one per external_id (an upsert must update, never add)."""
    state = fw_state(sandbox)
    return state["created"] - state["linear_orders"]


@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_batch_fault_ends_with_each_order_once(sandbox, kit, scenario: Scenario):
    """The second of three batches meets the fault; only that batch is sent again."""
    kit.inject(ORDERS, scenario, CONN, skip=1, body={"message": SUPPORT} if scenario.status >= 500 else None)
    summary = send_orders()

    assert summary["lines"] == 5 and summary["ingested"] == 5 and summary["failed"] == 0
    assert summary["batches"] == 3
    assert sandbox.journal.count(ORDERS) == 2 + scenario.attempts
    handled = [e.meta["external_ids"] for e in sandbox.journal.entries(ORDERS) if e.meta.get("external_ids")]
    first, second, third = (["1001-7-1", "1001-7-2"], ["1001-7-3", "1001-7-4"], ["1001-7-5"])
    assert handled == [first] + [second] * scenario.handled + [third]
    scenario.check_sleeps(kit.sleeps)
    dups = duplicate_orders(sandbox)
    kit.record(VENDOR, f"linear orders {scenario.name}", duplicates=dups)
    assert dups == 0
    state = fw_state(sandbox)
    assert state["linear_orders"] == 5 and state["created"] == 5
    assert state["updated"] == 2 * (scenario.handled - 1)  # the repeated batch updated its two orders
    kit.check_no_secrets()


@pytest.mark.parametrize("scenario", RETRIED, ids=ids(RETRIED))
def test_token_request_fault_is_retried(sandbox, kit, scenario: Scenario):
    kit.inject(TOKEN, scenario, CONN, body={"error": "server_error"} if scenario.status >= 500 else None)
    summary = send_orders()
    assert summary["ingested"] == 5 and sandbox.journal.count(TOKEN) == scenario.attempts
    assert sandbox.journal.count(ORDERS) == 3
    scenario.check_sleeps(kit.sleeps)
    kit.record(VENDOR, f"token {scenario.name}", duplicates=duplicate_orders(sandbox))
    kit.check_no_secrets()


# --------------------------------------------------------------------------- final failures
def test_500_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=2)
    sandbox.inject(ORDERS, status=500, times=-1, skip=1, body={"message": SUPPORT})
    with pytest.raises(VendorApiError) as err:
        send_orders()
    text = kit.check_failure(err.value, vendor=VENDOR, endpoint=ORDERS_ENDPOINT, status=500, message=SUPPORT)
    assert "contact FreeWheel support" in text and "retries exhausted" in text
    assert sandbox.journal.count(ORDERS) == 1 + 3 and len(kit.sleeps) == 2
    assert fw_state(sandbox)["linear_orders"] == 2  # the first batch; the task can be retried (upsert)
    kit.record(VENDOR, "linear orders 500 until retries run out", duplicates=duplicate_orders(sandbox))


def test_429_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=1)
    sandbox.inject(ORDERS, status=429, times=-1, retry_after=1, body={"message": "Too Many Requests"})
    with pytest.raises(VendorApiError) as err:
        send_orders()
    kit.check_failure(err.value, vendor=VENDOR, endpoint=ORDERS_ENDPOINT,
                      status=429, message="Too Many Requests")
    assert kit.sleeps == [1.0] and sandbox.journal.count(ORDERS) == 2
    kit.record(VENDOR, "linear orders 429 until retries run out")


def test_dropped_connections_until_retries_run_out(sandbox, kit):
    kit.connection(CONN, max_retries=2)
    sandbox.inject(ORDERS, kind="drop", times=-1)
    with pytest.raises(VendorTransportError) as err:
        send_orders()
    kit.check_failure(err.value, vendor=VENDOR, endpoint=ORDERS_ENDPOINT, status=None,
                      message="connection failed or was dropped before an answer")
    assert sandbox.journal.count(ORDERS) == 3 and fw_state(sandbox)["linear_orders"] == 0
    kit.record(VENDOR, "linear orders dropped until retries run out")


def test_slow_answers_until_retries_run_out_then_the_task_retry_upserts(sandbox, kit):
    kit.inject(ORDERS, Scenario("slow", kind="delay"), CONN, times=-1)
    kit.connection(CONN, max_retries=1)
    with pytest.raises(VendorTransportError) as err:
        send_orders()
    kit.check_failure(err.value, vendor=VENDOR, endpoint=ORDERS_ENDPOINT, status=None,
                      message="no answer within the read timeout")
    kit.settle(ORDERS, 2)
    sandbox.faults.clear()
    assert send_orders()["ingested"] == 5  # Airflow's next try of the task
    dups = duplicate_orders(sandbox)
    kit.record(VENDOR, "linear orders slow until retries run out, task retried", duplicates=dups)
    assert dups == 0 and fw_state(sandbox)["linear_orders"] == 5 and fw_state(sandbox)["created"] == 5


def test_token_endpoint_down(sandbox, kit):
    kit.connection(CONN, max_retries=1)
    sandbox.inject(TOKEN, status=503, times=-1, body={"error": "server_error",
                                                      "error_description": "Service Unavailable"})
    with pytest.raises(VendorApiError) as err:
        send_orders()
    kit.check_failure(err.value, vendor=VENDOR, endpoint=TOKEN_ENDPOINT,
                      status=503, message="Service Unavailable")
    assert sandbox.journal.count(TOKEN) == 2 and sandbox.journal.count(ORDERS) == 0
    kit.record(VENDOR, "token 503 until retries run out")


# --------------------------------------------------------------------------- S3 delivery
class S3Faults:
    """Misbehaviour of S3 ``PutObject`` calls, injected around moto's botocore handler.

    ``plan``: one entry per put attempt, consumed in order; ``None`` or an exhausted plan is a
    normal put. ``503``: S3 throttles ("SlowDown"), the put is not stored. ``drop``: the
    connection breaks before S3 gets the put. ``drop_after``/``slow``: S3 stores the object,
    the answer is lost (connection closed / read timeout). ``lost``: the answer is lost after
    botocore's own retries, so the task fails.
    """

    def __init__(self) -> None:
        self.plan: list[str | None] = []
        self.attempts = 0
        self.lost_calls = 0
        self._pending: str | None = None
        self._muted = False
        self._clients: set[int] = set()

    def attach(self, client: Any) -> None:
        if id(client) in self._clients:
            return
        self._clients.add(id(client))
        client.meta.events.register("before-send.s3.PutObject", self._before_moto)
        client.meta.events.register_last("before-send", self._after_moto)
        client.meta.events.register("after-call.s3.PutObject", self._after_call)

    def _stubber(self):
        from moto.core.models import botocore_stubber

        return botocore_stubber

    def _before_moto(self, request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse
        from botocore.exceptions import ConnectionClosedError
        from moto.core.botocore_stubber import MockRawResponse

        self.attempts += 1
        kind = self.plan.pop(0) if self.plan else None
        if kind == "503":
            self._stubber().enabled = False  # moto must not store this put
            self._muted = True
            body = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
                    b"<Message>Please reduce your request rate.</Message></Error>")
            return AWSResponse(request.url, 503, {"Content-Type": "application/xml"}, MockRawResponse(body))
        if kind == "drop":
            raise ConnectionClosedError(endpoint_url=request.url)
        if kind in ("drop_after", "slow", "lost"):
            self._pending = kind
        return None

    def _after_moto(self, request: Any, **_: Any) -> None:
        from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

        if self._muted:
            self._muted = False
            self._stubber().enabled = True
            return None
        if self._pending in ("drop_after", "slow"):
            kind, self._pending = self._pending, None
            if kind == "slow":
                raise ReadTimeoutError(endpoint_url=request.url)
            raise ConnectionClosedError(endpoint_url=request.url)
        return None

    def _after_call(self, **_: Any) -> None:
        from botocore.exceptions import ConnectionClosedError

        if self._pending == "lost":
            self._pending = None
            self.lost_calls += 1
            raise ConnectionClosedError(endpoint_url="s3 PutObject (answer lost)")


@pytest.fixture
def s3(monkeypatch, kit):
    """FreeWheel's bucket and role in moto; ``aws_freewheel`` assumes the role. Yields
    ``(s3 client for looking inside, S3Faults, botocore's requested sleeps)``."""
    import boto3
    import botocore.endpoint
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from moto import mock_aws

    from airflow_provider_adtech.sandbox.s3 import REGION, aws_connections, prepare_freewheel_s3

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    faults = S3Faults()
    real_get_conn = S3Hook.get_conn

    def get_conn(hook):
        client = real_get_conn(hook)
        faults.attach(client)
        return client

    monkeypatch.setattr(S3Hook, "get_conn", get_conn)
    slept: list[float] = []

    class _Time:  # botocore's endpoint sleeps between its retries: record instead
        @staticmethod
        def sleep(seconds: float) -> None:
            slept.append(float(seconds))

    monkeypatch.setattr(botocore.endpoint, "time", _Time)
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        arn = prepare_freewheel_s3(session)
        for conn_id, conn in aws_connections(None, arn).items():
            monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        yield session.client("s3"), faults, slept


def order_rows(n: int) -> list[dict]:
    """Order lines in the delivery schema ("CSV File Data Fields")."""
    return [{
        "contractid": "1001", "tb_system_id": "7",
        "order_start_date": "20261123", "order_end_date": "20261129",
        "advertiser_name": "Acme Outdoor, Inc.", "advertiser_code": "5501", "order_line": str(i),
        "spot_length": "30", "prioritycode": "3", "broadcast_week": "202648", "bookingdesc": "16:00-20:00",
        "orbits": "N", "syscode": "1234,5678", "gross_dollars": "1500.00,200.50", "buget_units": "10,2",
        "duration": "30,30", "networkname": "ESPN,CNN", "networkcode": "ESPN,CNN",
        "marketname": "New York,Boston",
    } for i in range(1, n + 1)]


def deliver():
    from airflow_provider_adtech.sandbox.s3 import FREEWHEEL_AWS_CONN_ID, FREEWHEEL_BUCKET, FREEWHEEL_PREFIX

    op = FreeWheelS3OrderOperator(task_id="deliver_orders", rows=order_rows(3),
                                  aws_conn_id=FREEWHEEL_AWS_CONN_ID, s3_bucket=FREEWHEEL_BUCKET,
                                  s3_prefix=FREEWHEEL_PREFIX)
    return op.execute(dict(CONTEXT))


def s3_objects(client) -> list[str]:
    from airflow_provider_adtech.sandbox.s3 import FREEWHEEL_BUCKET

    return [o["Key"] for o in client.list_objects_v2(Bucket=FREEWHEEL_BUCKET).get("Contents", [])]


S3_SCENARIOS = {
    # name: (plan of put attempts, attempts in all, delivered by this run (else found delivered))
    "503_slowdown_burst": (["503", "503"], 3, True),
    "drop": (["drop"], 2, True),
    "drop_after": (["drop_after"], 2, False),
    "slow_answer": (["slow"], 2, False),
}


@pytest.mark.parametrize("name", list(S3_SCENARIOS))
def test_s3_put_fault_leaves_one_object(s3, kit, name):
    client, faults, slept = s3
    plan, attempts, delivered = S3_SCENARIOS[name]
    faults.plan = list(plan)
    result = deliver()
    assert faults.attempts == attempts and len(slept) == attempts - 1
    assert all(0 <= s <= 2 ** n for n, s in enumerate(slept))  # botocore's own backoff, requested only
    keys = s3_objects(client)
    kit.record(VENDOR, f"S3 put {name}", duplicates=len(keys) - 1)
    assert keys == [result["key"]]
    # a lost answer: the repeat is refused by If-None-Match and the object found to be this build
    assert result["delivered"] is delivered and result["already_delivered"] is (not delivered)
    assert result["lines"] == 3


def test_s3_answer_lost_after_botocore_retries_then_the_task_retry_finds_the_object(s3, kit):
    client, faults, _ = s3
    faults.plan = ["lost"]
    with pytest.raises(Exception, match="answer lost"):
        deliver()
    assert faults.lost_calls == 1 and len(s3_objects(client)) == 1
    again = deliver()  # Airflow's next try of the task: same run, same key
    keys = s3_objects(client)
    kit.record(VENDOR, "S3 answer lost, task retried", duplicates=len(keys) - 1)
    assert keys == [again["key"]] and again["already_delivered"] is True and again["delivered"] is False
