"""The FreeWheel sandbox follows the document (raw HTTP, no client code)."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_adtech.sandbox.freewheel import line_errors

pytestmark = pytest.mark.integration


def token(sandbox) -> str:
    creds = sandbox.credentials["freewheel"]
    r = requests.post(sandbox.url + "/auth/token", headers={"accept": "application/json"},
                      data={"grant_type": "password", "username": creds["username"], "password": creds["password"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"access_token", "token_type", "created_at", "expires_in"}
    assert body["expires_in"] == 604800  # 7 days
    return body["access_token"]


def good_line(ext: str = "1-2-3") -> dict:
    return {"external_id": ext, "parent_external_id": "1", "advertiser_external_id": 5, "start_date": "2026-11-23",
            "end_date": "2026-11-29", "duration": 60, "budget": {"type": "UNIT", "total_unit": 4}, "price": 10,
            "priority_code": 1,
            "targeting": {"content": {"channel": {"include": [{"network_code": "ESPN"}]}},
                          "geo": {"zone": {"include": []}},  # "Node is required, but it can be empty"
                          "dayparts": {"days_of_week": [], "parts": [{"from": "04:00", "to": "06:00"}]}}}


def test_token_rate_limit_three_a_second(sandbox):
    """"The token endpoint allows 3 requests/s per IP"."""
    for _ in range(3):
        token(sandbox)
    creds = sandbox.credentials["freewheel"]
    r = requests.post(sandbox.url + "/auth/token", data={"grant_type": "password", **creds})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


def test_wrong_password(sandbox):
    r = requests.post(sandbox.url + "/auth/token",
                      data={"grant_type": "password", "username": "x", "password": "y"})
    assert r.status_code == 401


def test_partial_success_and_single_object_body(sandbox):
    auth = {"Authorization": f"Bearer {token(sandbox)}"}
    url = sandbox.url + "/services/v4/linear_orders"
    bad = good_line("bad")
    del bad["targeting"]["dayparts"]["days_of_week"]  # required node missing
    r = requests.post(url, json=[good_line("a"), bad], headers=auth)
    assert r.status_code == 207 and r.json()["failed_records"] == ["bad"]
    r = requests.post(url, json=good_line("b"), headers=auth)
    assert r.status_code == 200 and r.json() == {}
    entries = sandbox.journal.entries("freewheel.linear_orders")
    assert [e.meta["external_ids"] for e in entries] == [["a", "bad"], ["b"]]
    assert sandbox.state()["freewheel"]["linear_orders"] == 2


def test_api_rate_limit(sandbox):
    """"the API overall 20 requests/s" (configurable in the sandbox)."""
    sandbox.configure("freewheel", rate_limit=2)
    auth = {"Authorization": f"Bearer {token(sandbox)}"}
    url = sandbox.url + "/services/v4/linear_orders"
    codes = [requests.post(url, json=[good_line()], headers=auth).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize("path,value", [
    ("duration", 45), ("budget.type", "CPM"), ("start_date", "20261123"), ("advertiser_external_id", "5"),
    ("targeting.dayparts.parts", []), ("targeting.content.channel.include", []),
])
def test_sandbox_line_rules(path, value):
    line = good_line()
    *parents, last = path.split(".")
    node = line
    for p in parents:
        node = node[p]
    node[last] = value
    assert line_errors(good_line()) == []
    assert line_errors(line), path
