"""The IQM sandbox answers as the Campaign API guide says, whatever the client (raw HTTP here)."""

from __future__ import annotations

import base64

import pytest
import requests


@pytest.fixture
def api(sandbox):
    creds = sandbox.credentials["iqm"]
    basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode()).decode()
    login = requests.post(f"{sandbox.url}/api/v3/ua/login", headers={"Authorization": f"Basic {basic}"},
                          json={"grantType": "password", "email": creds["email"],
                                "password": creds["password"]},
                          timeout=10)
    assert login.status_code == 200 and login.json()["success"] is True
    data = login.json()["data"]
    headers = {"Authorization": f"Bearer {data['access_token']}", "X-IAA-OW-ID": str(data["owId"]),
               "X-IAA-HOST": "api.iqm.com"}

    def call(method, path, headers_override=None, **kw):
        h = dict(headers)
        for k, v in (headers_override or {}).items():
            if v is None:
                h.pop(k, None)
            else:
                h[k] = v
        return requests.request(method, sandbox.url + path, headers=h, timeout=10, **kw)

    call.basic = basic
    call.login = data
    return call


def test_login_answer_shape(api):
    """``{"success": true, "data": {access_token, refresh_token, scope, token_type, expires_in, owId}}``."""
    assert set(api.login) == {"access_token", "refresh_token", "scope", "token_type", "expires_in", "owId"}
    assert api.login["owId"] == 203578


def test_refresh_answer_is_not_wrapped(api, sandbox):
    resp = requests.post(f"{sandbox.url}/api/v3/ua/oauth/token",
                         headers={"Authorization": f"Basic {api.basic}"},
                         data={"grant_type": "refresh_token", "refresh_token": api.login["refresh_token"]},
                         timeout=10)
    assert resp.status_code == 200 and "access_token" in resp.json() and "data" not in resp.json()


def test_wrong_client_credentials_are_refused(sandbox):
    resp = requests.post(f"{sandbox.url}/api/v3/ua/login", auth=("x", "y"),
                         json={"grantType": "password", "email": "a", "password": "b"}, timeout=10)
    assert resp.status_code == 401 and resp.json()["errorObjects"][0]["error"]


def test_headers_required_as_documented(api):
    assert api("GET", "/api/v2/cmp/campaign/537599", {"Authorization": None}).status_code == 401
    assert api("GET", "/api/v2/cmp/campaign/537599", {"X-IAA-OW-ID": "1"}).status_code == 403
    # get one campaign needs only X-IAA-OW-ID; "More Campaign Details" also need X-IAA-HOST
    assert api("GET", "/api/v2/cmp/campaign/537599", {"X-IAA-HOST": None}).status_code == 200
    assert api("GET", "/api/v2/cmp/campaigns/list", {"X-IAA-HOST": None}).status_code == 400
    assert api("POST", "/api/v3/cmp/io/add", {"X-IAA-HOST": None}, json={}).status_code == 400


def test_get_campaign_matches_the_document_sample(api):
    body = api("GET", "/api/v2/cmp/campaign/537599").json()
    assert body["statusCode"] == 200
    obj = body["responseObject"]
    assert (obj["campaignName"], obj["budgetTotal"], obj["maxBid"], obj["ioId"], obj["ioName"]) == (
        "TestCampaign", 50000.0, 15.0, 15844, "Test2")
    assert not any(k.startswith("_") for k in obj)


def test_paging_limits_and_offset_wins(api, sandbox):
    assert api("POST", "/api/v3/cmp/io/basic/list", json={"noOfEntries": 1001}).status_code == 400
    by_page = api("POST", "/api/v3/cmp/io/basic/list", json={"pageNo": 2, "noOfEntries": 3}).json()["data"]
    by_offset = api("POST", "/api/v3/cmp/io/basic/list",
                    json={"pageNo": 1, "offset": 3, "noOfEntries": 3}).json()["data"]
    assert by_page["ioBasicDetailsList"] == by_offset["ioBasicDetailsList"]
    assert by_page["totalRecords"] == 9 and len(by_page["ioBasicDetailsList"]) == 3
    v2 = api("GET", "/api/v2/cmp/campaigns/list", params={"pgno": 2, "no_of_entries": 4}).json()
    assert (v2["pageNumber"], v2["pageSize"], len(v2["data"]), v2["recordsTotal"]) == (2, 4, 4, 10)


def test_budget_update_reasons_as_in_the_document(api, sandbox):
    resp = api("PUT", "/api/v2/cmp/campaigns/update_budget",
               json={"campaignIds": "4120,4121,20731", "maxBid": 0.5,
                     "totalBudgetUpdateType": "change"}).json()
    obj = resp["responseObject"]
    assert obj["status"] is False
    assert obj["reason"] == [
        {"errorMessage": "max bid cannot be less than minimum bid 3.0", "id": "4120",
         "campaignName": "test cust aud dev"},
        {"errorMessage": "For given campaign_type max bid cannot be less than 1.00 or greater than 1000.",
         "id": "4121", "campaignName": "Vast copy"},
    ]
    assert [m["campaingId"] for m in obj["modified_data"]] == [20731]
    bad_type = api("PUT", "/api/v2/cmp/campaigns/update_budget",
                   json={"campaignIds": 20731, "totalBudget": 5, "totalBudgetUpdateType": "add"})
    assert bad_type.status_code == 400
    assert bad_type.json()["errorObjects"][0]["field"] == "totalBudgetUpdateType"


def test_rate_limit_can_be_switched_on(api, sandbox):
    sandbox.configure("iqm", rate_limit=2)
    codes = [api("GET", "/api/v2/cmp/campaign/537599") for _ in range(3)]
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert 1 <= int(codes[2].headers["Retry-After"]) <= 60


def test_delete_removes_ios_and_their_campaigns(api, sandbox):
    assert api("POST", "/api/v3/cmp/io/delete", json={"ioIdsList": [48]}).json() == {
        "success": True, "data": "1 Insertion Orders deleted successfully"}
    counts = {r["status_key"]: r["status_count"]
              for r in api("POST", "/api/v3/cmp/campaigns/count", json={"owIds": "all"}).json()["data"]}
    assert counts["deleted"] == 3 and counts["running"] == 3
    assert sandbox.state()["iqm"]["changes"] == [{"kind": "io_delete", "ioIds": [48]}]
    again = api("POST", "/api/v3/cmp/io/delete", json={"ioIdsList": [48]})
    assert again.status_code == 400


def test_create_io_requires_the_documented_values(api):
    resp = api("POST", "/api/v3/cmp/io/add", json={"ioName": "x", "ioBudgetTypeId": 1})
    fields = {e["field"] for e in resp.json()["errorObjects"]}
    assert resp.status_code == 400
    assert fields == {"ioStartTime", "ioEndTime", "ioTimeZoneId", "isAutoSumIoTotalBudget",
                      "ioBudgetDistributionMethodId", "ioTotalBudget"}
