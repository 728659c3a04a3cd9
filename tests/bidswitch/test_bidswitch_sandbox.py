"""The BidSwitch sandbox, spoken to with plain HTTP (not through our hook), so its
document rules are proven independently of the client's validator."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent / "data"
DOC_EXAMPLES = ["zero_report", "hourly_report", "supplier_reports", "minimal_report", "multi_day_report"]
UPLOAD = "/discrepancy-check/v1.0/ssp/abc/upload-report/"


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def token(sandbox) -> str:
    creds = sandbox.credentials["bidswitch"]
    resp = requests.post(f"{sandbox.url}/oauth2/token/", data={
        "grant_type": "password", "scope": "service_id=api.bidswitch.com",
        "username": creds["username"], "password": creds["password"]}, timeout=10)
    assert resp.status_code == 200
    body = resp.json()
    # document, "Authorization Response"
    assert set(body) == set(load("token_response")) and body["expires_in"] == 3600 and body["token_type"] == "Bearer"
    return body["access_token"]


def post(sandbox, body, tok: str | None, path: str = UPLOAD, **headers):
    hdrs = {"Accept": "application/json", "Content-Type": "application/json"}
    if tok:
        hdrs["Authorization"] = f"Bearer {tok}"
    hdrs.update(headers)
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(sandbox.url + path, data=data, headers=hdrs, timeout=10)


@pytest.mark.parametrize("name", DOC_EXAMPLES)
def test_document_examples_are_accepted(sandbox, name):
    tok = token(sandbox)
    resp = post(sandbox, load(name), tok)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "success"
    expected = [[f"{r['seat']} {d}" if "seat" in r else d for d in r["data"]] for r in load(name)["reports"]]
    assert body["handled"] == expected


def test_handled_format_matches_the_document_for_seats(sandbox):
    """Document, "Successful Response": one list per report of "seat date" strings."""
    resp = post(sandbox, load("supplier_reports"), token(sandbox))
    assert resp.json() == {"status": "success", "handled": [["123 2015-11-27"], ["456 2015-11-27"]]}
    shape = load("successful_response")
    assert set(shape) == set(resp.json())


def _bad(mutate):
    body = load("hourly_report")
    mutate(body["reports"][0])
    return body


BAD = {
    "unknown timezone": (lambda r: r.update(timezone="Mars/Olympus"), "timezone"),
    "currency GBP": (lambda r: r.update(currency="GBP"), "currency"),
    "hour 7": (lambda r: r["data"]["2016-08-05"][7].update(hour="7"), "data.2016-08-05[7].hour"),
    "hour 24": (lambda r: r["data"]["2016-08-05"][23].update(hour="24"), "data.2016-08-05[23].hour"),
    "negative imps": (lambda r: r["data"]["2016-08-05"][0].update(imps=-5), "data.2016-08-05[0].imps"),
    "cost as a string": (lambda r: r["data"]["2016-08-05"][0].update(cost="16.6"), "data.2016-08-05[0].cost"),
    "bad date": (lambda r: r.update(data={"2016-02-30": r["data"]["2016-08-05"]}), "data.2016-02-30"),
    "duplicate hour": (lambda r: r["data"]["2016-08-05"][1].update(hour="00"), "data.2016-08-05[1].hour"),
    "mixed hourly/daily": (lambda r: r["data"]["2016-08-05"].append({"imps": 1, "cost": 1}), "data.2016-08-05"),
    "empty day": (lambda r: r["data"].update({"2016-08-06": []}), "data.2016-08-06"),
    "imps missing": (lambda r: r["data"]["2016-08-05"][0].pop("imps"), "data.2016-08-05[0].imps"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_document_rules_are_enforced_with_index_and_text(sandbox, case):
    mutate, where = BAD[case]
    resp = post(sandbox, _bad(mutate), token(sandbox))
    assert resp.status_code == 400
    body = resp.json()
    assert body["status"] == "error"
    assert len(body["errors"]) == 1, body
    index, text = body["errors"][0]
    assert index == 0 and text.startswith(where), text
    (up,) = sandbox.state()["bidswitch"]["uploads"]
    assert up["accepted"] is False and up["processed"] is False


def test_error_index_points_at_the_broken_report(sandbox):
    body = load("supplier_reports")
    body["reports"][1]["currency"] = "GBP"
    resp = post(sandbox, body, token(sandbox))
    assert resp.json()["errors"] == [[1, "currency: 'GBP' is not a valid choice ['USD', 'EUR', 'JPY']"]]


def test_error_http_status_is_configurable(sandbox):
    sandbox.configure("bidswitch", error_http_status=200)
    body = load("minimal_report")
    body["reports"][0]["currency"] = "GBP"
    resp = post(sandbox, body, token(sandbox))
    assert resp.status_code == 200 and resp.json()["status"] == "error"


def test_without_token_401(sandbox):
    resp = post(sandbox, load("minimal_report"), None)
    assert resp.status_code == 401
    resp = post(sandbox, load("minimal_report"), "not-a-token")
    assert resp.status_code == 401


@pytest.mark.parametrize("path", [
    "/discrepancy-check/v1.0/ssp/unknown-ssp/upload-report/",
    "/discrepancy-check/v1.0/ssp/ABC/upload-report/",   # document: "Specify the endpoint using only lowercase"
    "/discrepancy-check/v1.0/dsp/abc/upload-report/",
])
def test_unknown_or_upper_case_platform_404(sandbox, path):
    resp = post(sandbox, load("minimal_report"), token(sandbox), path=path)
    assert resp.status_code == 404


def test_content_type_must_be_json(sandbox):
    resp = post(sandbox, json.dumps(load("minimal_report")), token(sandbox), **{"Content-Type": "text/plain"})
    assert resp.status_code == 400 and resp.json()["status"] == "error"


def test_invalid_json_body(sandbox):
    resp = post(sandbox, b"{not json", token(sandbox))
    assert resp.status_code == 400 and "invalid JSON" in resp.json()["errors"][0][1]


def test_only_the_last_upload_of_a_day_is_processed(sandbox):
    """Document: "If you upload several reports during one day, only the last one uploaded is going
    to be processed"."""
    tok = token(sandbox)
    sandbox.configure("bidswitch", today="2026-11-21")
    first = load("minimal_report")                       # 2015-11-26, imps 83922
    second = copy.deepcopy(first)
    second["reports"][0]["data"]["2015-11-26"][0]["imps"] = 1
    other_day = load("multi_day_report")["reports"][0]["data"]
    second["reports"][0]["data"]["2015-11-27"] = other_day["2015-11-27"]
    assert post(sandbox, first, tok).status_code == 200
    assert post(sandbox, second, tok).status_code == 200
    state = sandbox.state()["bidswitch"]
    assert [u["processed"] for u in state["uploads"]] == [False, True]
    figures = state["figures"]["ssp/abc"]
    assert figures["2015-11-26"]["imps"] == 1 and figures["2015-11-27"]["imps"] == 93922

    # a single-day upload later the same day replaces the whole previous upload of that day
    third = load("minimal_report")
    assert post(sandbox, third, tok).status_code == 200
    figures = sandbox.state()["bidswitch"]["figures"]["ssp/abc"]
    assert set(figures) == {"2015-11-26"} and figures["2015-11-26"]["imps"] == 83922

    # the next day's upload is processed as well; figures of other report days stay
    sandbox.configure("bidswitch", today="2026-11-22")
    assert post(sandbox, second, tok).status_code == 200
    sandbox.configure("bidswitch", today="2026-11-23")
    assert post(sandbox, load("zero_report"), tok).status_code == 200
    state = sandbox.state()["bidswitch"]
    assert [u["processed"] for u in state["uploads"]] == [False, False, True, True, True]
    assert set(state["figures"]["ssp/abc"]) == {"2015-11-26", "2015-11-27", "2016-08-05"}


def test_a_rejected_upload_does_not_replace_the_last_good_one(sandbox):
    tok = token(sandbox)
    assert post(sandbox, load("minimal_report"), tok).status_code == 200
    bad = load("minimal_report")
    bad["reports"][0]["currency"] = "GBP"
    assert post(sandbox, bad, tok).status_code == 400
    state = sandbox.state()["bidswitch"]
    assert [(u["accepted"], u["processed"]) for u in state["uploads"]] == [(True, True), (False, False)]


def test_journal_records_what_was_received(sandbox):
    post(sandbox, load("supplier_reports"), token(sandbox))
    (entry,) = sandbox.journal.entries("bidswitch.upload")
    assert entry.meta["accepted"] is True
    assert entry.meta["reports"] == 2 and entry.meta["rows"] == 4 and entry.meta["days"] == ["2015-11-27"]
    assert entry.meta["content_type"] == "application/json" and entry.meta["accept"] == "application/json"
    assert entry.meta["platform_name"] == "abc" and entry.meta["platform_type"] == "ssp"


def test_keycloak_token_works_for_uploads(sandbox):
    creds = sandbox.credentials["bidswitch"]
    resp = requests.post(f"{sandbox.url}/auth/realms/bidswitch/protocol/openid-connect/token", data={
        "grant_type": "password", "client_id": "public-client",
        "username": creds["username"], "password": creds["password"]}, timeout=10)
    body = resp.json()
    assert body["expires_in"] == 300 and body["refresh_token"]
    assert post(sandbox, load("minimal_report"), body["access_token"]).status_code == 200
    refreshed = requests.post(f"{sandbox.url}/auth/realms/bidswitch/protocol/openid-connect/token", data={
        "grant_type": "refresh_token", "client_id": "public-client", "refresh_token": body["refresh_token"]},
        timeout=10).json()
    assert post(sandbox, load("zero_report"), refreshed["access_token"]).status_code == 200


def test_uauth_token_needs_the_documented_scope(sandbox):
    creds = sandbox.credentials["bidswitch"]
    resp = requests.post(f"{sandbox.url}/oauth2/token/", data={
        "grant_type": "password", "username": creds["username"], "password": creds["password"]}, timeout=10)
    assert resp.status_code == 400
