"""IqmHook against the sandbox over real HTTP: every endpoint, paging, envelopes, partial
failures, 429, token refresh and the calls that must never be repeated."""

from __future__ import annotations

import time

import pytest

from airflow_provider_adtech.exceptions import VendorApiError, VendorAuthError, VendorTransportError
from airflow_provider_adtech.hooks.iqm import IqmHook, IqmPartialFailure, rows_and_total

FUTURE_S = int(time.time()) + 40 * 86400          # campaign times: Unix seconds
FUTURE_MS = FUTURE_S * 1000                        # insertion-order times: Unix milliseconds


# --------------------------------------------------------------------------- campaigns: reads
def test_get_campaign_with_and_without_spent(hook, sandbox):
    plain = hook.get_campaign(537599)
    spent = hook.get_campaign(537599, is_spent_required=True)
    assert plain["campaignName"] == "TestCampaign" and plain["ioName"] == "Test2"
    assert "spent" not in plain and spent["spent"] == 0.0
    assert sandbox.journal.count("iqm.campaign_get") == 2


def test_every_call_carries_workspace_headers(hook, sandbox, monkeypatch):
    """``X-IAA-OW-ID`` comes from the login's owId; the sandbox answers 403/400 without them."""
    hook.get_budget_info(537599)  # X-IAA-HOST required on this endpoint
    assert hook.get_token().extra["owId"] == 203578
    import requests

    tok = hook.get_token().access_token
    bare = requests.get(hook.url("/api/v2/cmp/campaign/budgetInfo"), params={"campaignId": 537599},
                        headers={"Authorization": f"Bearer {tok}", "X-IAA-OW-ID": "203578"}, timeout=10)
    assert bare.status_code == 400 and "X-IAA-HOST" in bare.text


def test_campaign_reads_budget_info_start_groups_data(hook):
    info = hook.get_budget_info(537599)
    assert info["budgetTotal"] == 50000.0 and info["remainingBudget"] == 50000.0
    assert hook.get_campaign_start(537599) == {"campaignId": 537599, "startTime": 1726518001}
    groups = list(hook.iter_campaign_groups(page_size=1))
    assert [g["campaignGroupId"] for g in groups] == [1, 2]
    assert {c["id"] for c in groups[0]["campaigns"]} == {20731, 4120, 4121}
    running = hook.get_campaigns_data({"status": "running"})
    assert {c["id"] for c in running} == {450700, 451031, 450277, 20731, 4120, 4121}


def test_count_by_status_counts_the_store(hook, iqm):
    counts = {r["status_key"]: r["status_count"] for r in hook.count_campaigns_by_status({"owIds": "all"})}
    assert counts["running"] == 6 and counts["pending"] == 3 and counts["paused"] == 1
    assert counts["all"] == len(iqm.campaigns)
    io48 = {r["status_key"]: r["status_count"] for r in hook.count_campaigns_by_status({"ioIds": "48"})}
    assert io48["running"] == 3 and io48["all"] == 3


# --------------------------------------------------------------------------- paging
def test_campaign_list_spans_three_pages_with_pgno(hook, sandbox, iqm):
    """``/api/v2/cmp/campaigns/list`` pages with ``pgno``/``no_of_entries``; the generator walks them all."""
    iqm.add_campaigns(15, io_id=777)
    rows = list(hook.iter_campaigns({"ioIds": "777"}, page_size=6))
    assert len(rows) == 15 and len({r["id"] for r in rows}) == 15
    pages = sandbox.journal.entries("iqm.campaigns_list")
    assert [e.meta["rows"] for e in pages] == [6, 6, 3]


@pytest.mark.parametrize("paging", ["page", "offset"])
def test_io_lists_walk_every_page_by_page_number_or_offset(hook, sandbox, iqm, paging):
    for n in range(10):
        iqm.add_campaigns(1, io_id=30000 + n)
    ios = list(hook.iter_insertion_orders(page_size=4, paging=paging))
    assert len(ios) == len(iqm.ios) == 19
    assert len({r["ioId"] for r in ios}) == 19
    entries = sandbox.journal.entries("iqm.io_basic_list")
    assert len(entries) == 5 and [e.meta["start"] for e in entries] == [0, 4, 8, 12, 16]


def test_page_exactly_full_stops_at_the_reported_total(hook, sandbox, iqm):
    iqm.add_campaigns(8, io_id=888, status="paused")
    rows = list(hook.iter_io_campaign_reports({"campaignStatusList": ["paused"]}, page_size=3))
    assert len(rows) == 9  # 8 + the paused sample campaign
    assert sandbox.journal.count("iqm.io_campaigns_list") == 3  # no fourth, empty page


def test_grouped_list_and_report_list(hook, iqm):
    groups = list(hook.iter_io_campaigns({"ioIds": [48], "status": ["running"]}, page_size=1))
    assert [g["ioId"] for g in groups] == [48]
    assert sorted(c["id"] for c in groups[0]["campaigns"]) == [4120, 4121, 20731]
    reports = list(hook.iter_io_campaign_reports({"campaignStatusList": ["pending"]}))
    assert {r["campaignId"] for r in reports} == {537599, 537123, 445615}


def test_page_size_is_capped_at_1000(hook, sandbox):
    list(hook.iter_insertion_orders(page_size=5000))
    body = sandbox.journal.entries("iqm.io_basic_list")[0]
    assert body.status == 200  # the sandbox refuses noOfEntries > 1000 with 400


def test_a_repeated_page_is_an_error_not_an_endless_loop(hook):
    from airflow_provider_adtech.hooks.iqm import Page

    rows = [{"id": 1}, {"id": 2}]
    with pytest.raises(VendorApiError, match="ignored the paging"):
        list(hook.walk(lambda n, o, size: Page(rows, None, None), page_size=2))


# --------------------------------------------------------------------------- envelopes
def test_envelopes_unwrapped_in_one_place(hook):
    assert hook.unwrap({"success": True, "data": {"a": 1}}, "x") == {"a": 1}
    assert hook.unwrap({"statusCode": 200, "responseObject": {"b": 2}}, "x") == {"b": 2}
    listing = {"statusCode": 200, "recordsTotal": 2, "data": [{"id": "1"}, {"id": "2"}]}
    assert rows_and_total(hook.unwrap(listing, "x")) == (listing["data"], 2)
    report = {"totalRecords": 2, "filteredRecords": 2, "recordsTotal": {"clicks": 0}, "recordsList": [{}, {}]}
    assert rows_and_total(report) == ([{}, {}], 2)
    assert rows_and_total([{"id": 1}]) == ([{"id": 1}], None), "a bare list is its own rows, no total"
    assert rows_and_total("no rows") == ([], None)
    with pytest.raises(VendorApiError, match="ioName: ioName is required; bad date"):
        hook.unwrap({"success": False, "errorObjects": [{"error": "ioName is required", "field": "ioName"},
                                                        {"error": "bad date"}]}, "x")
    with pytest.raises(VendorApiError, match="HTTP 404"):
        hook.unwrap({"statusCode": 404, "responseObject": {"message": "gone"}}, "x")


def test_error_objects_are_raised_with_their_text(hook):
    with pytest.raises(VendorApiError) as err:
        hook.get_campaign(999)
    assert err.value.status == 404 and "Campaign not found" in str(err.value)
    with pytest.raises(VendorApiError) as err:
        hook.create_insertion_order({"ioName": "incomplete"})
    assert "ioStartTime: ioStartTime is required" in str(err.value)


# --------------------------------------------------------------------------- campaigns: changes
def test_update_name_end_date_and_patch(hook, sandbox, iqm):
    assert hook.update_campaign_name(537599, "Renamed")["message"] == "campaignName updated successfully"
    assert hook.update_campaigns_end_date([537599, 537123], FUTURE_S) == {"status": True}
    out = hook.patch_campaign(537123, {"budgetDay": 42.5})
    assert out["id"] == 537123
    assert iqm.campaigns[537599]["campaignName"] == "Renamed"
    assert iqm.campaigns[537599]["endTime"] == iqm.campaigns[537123]["endTime"] == FUTURE_S
    assert iqm.campaigns[537123]["budgetDay"] == 42.5
    entry = sandbox.journal.entries("iqm.campaigns_update_end_date")[0]
    assert entry.meta["campaignIds"] == [537599, 537123] and entry.meta["endDate"] == FUTURE_S


def test_patch_moves_a_draft_campaign_to_pending(hook, iqm):
    """"If campaign is in DRAFT status, this API will automatically update status from DRAFT to PENDING"."""
    (cid,) = iqm.add_campaigns(1, io_id=48, status="draft")
    assert hook.patch_campaign(cid, {"maxBid": 6})["status"] == "pending"


@pytest.mark.parametrize("kind,expected", [("change", 500.0), ("addition", 1500.0), ("distribution", 250.0)])
def test_total_budget_update_types(hook, iqm, kind, expected):
    """change replaces, addition adds, distribution splits the total equally over the campaigns."""
    hook.update_campaigns_budget([20731, 450277], total_budget=500, total_budget_update_type=kind)
    assert iqm.campaigns[20731]["budgetTotal"] == expected == iqm.campaigns[450277]["budgetTotal"]


def test_budget_partial_failure_names_each_campaign_and_reason(hook, iqm):
    """The document's sample reasons: "max bid cannot be less than minimum bid 3.0" and "For given
    campaign_type max bid cannot be less than 1.00 or greater than 1000."."""
    with pytest.raises(IqmPartialFailure) as err:
        hook.update_campaigns_budget([20731, 4120, 4121], max_bid=0.5)
    msg = str(err.value)
    assert "campaign 4120 (test cust aud dev): max bid cannot be less than minimum bid 3.0" in msg
    assert "campaign 4121 (Vast copy): For given campaign_type max bid cannot be less than 1.00" in msg
    assert "2 of 3 campaign(s) were refused; the other 1 were changed" in msg
    assert [f["id"] for f in err.value.failures] == ["4120", "4121"]
    assert [a["campaingId"] for a in err.value.applied] == [20731]
    assert iqm.campaigns[20731]["maxBid"] == 0.5 and iqm.campaigns[4120]["maxBid"] == 5.0


def test_budget_partial_failure_returned_with_allow_partial(hook, caplog, capsys):
    out = hook.update_campaigns_budget([20731, 4120], max_bid=2, allow_partial=True)
    assert out["status"] is False and [r["id"] for r in out["reason"]] == ["4120"]
    logged = caplog.text + capsys.readouterr().out  # Airflow 3 logs through structlog to stdout
    assert "1 of 2 campaign(s) were refused; the other 1 were changed (allow_partial)" in logged and "campaign 4120 (test cust aud dev)" in logged


def test_end_date_partial_failure(hook, iqm):
    (late,) = iqm.add_campaigns(1, io_id=48, startTime=FUTURE_S + 86400)
    with pytest.raises(IqmPartialFailure, match=f"campaign {late} .*before the campaign start date"):
        hook.update_campaigns_end_date([20731, late], FUTURE_S)


# --------------------------------------------------------------------------- insertion orders
def _io(**kw):
    return {"ioName": "IO Name 1", "ioStartTime": FUTURE_MS, "ioEndTime": FUTURE_MS + 86400_000,
            "ioTotalBudget": 1000, "ioTimeZoneId": 29, "isAutoSumIoTotalBudget": False, "ioBudgetTypeId": 1,
            "ioBudgetDistributionMethodId": 1, **kw}


def test_insertion_order_lifecycle(hook, iqm, sandbox):
    created = hook.create_insertion_order(_io())
    io_id = created["ioId"]
    assert iqm.ios[io_id]["ioName"] == "IO Name 1"
    dup = hook.duplicate_insertion_order(48, start_time=FUTURE_MS, end_time=FUTURE_MS + 86400_000,
                                         time_zone_id=29, campaign_ids=[4120, 20731])
    assert len(dup["duplicatedCampaignIds"]) == 2
    assert {iqm.campaigns[c]["ioId"] for c in dup["duplicatedCampaignIds"]} == {dup["duplicatedIOId"]}
    assert hook.update_insertion_order(io_id, {"ioName": "Renamed IO"}) == "Renamed IO saved successfully."
    hook.update_insertion_orders_end_date([io_id], FUTURE_MS + 2 * 86400_000)
    hook.update_insertion_orders_budget([io_id], 250, "add")
    hook.update_insertion_orders_budget([io_id], 300, "change")
    assert iqm.ios[io_id]["ioEndTime"] == FUTURE_MS + 2 * 86400_000 and iqm.ios[io_id]["ioTotalBudget"] == 300
    assert hook.delete_insertion_orders([dup["duplicatedIOId"]]) == "1 Insertion Orders deleted successfully"
    assert {iqm.campaigns[c]["status"] for c in dup["duplicatedCampaignIds"]} == {"deleted"}
    kinds = [c["kind"] for c in iqm.state()["changes"]]
    assert kinds == ["io_add", "io_duplicate", "io_update", "io_end_date", "io_budget", "io_budget",
                     "io_delete"]
    budget_adds = [e for e in sandbox.journal.entries("iqm.io_update_budget")
                   if e.meta["budgetUpdateType"] == "add"]
    assert len(budget_adds) == 1


# --------------------------------------------------------------------------- never repeated
NOT_REPEATED_CALLS = {
    "create": ("iqm.io_add", lambda h: h.create_insertion_order(_io())),
    "duplicate": ("iqm.io_duplicate", lambda h: h.duplicate_insertion_order(
        48, start_time=FUTURE_MS, end_time=FUTURE_MS + 1000, time_zone_id=29)),
    "delete": ("iqm.io_delete", lambda h: h.delete_insertion_orders([738])),
    "campaign budget addition": ("iqm.campaigns_update_budget", lambda h: h.update_campaigns_budget(
        [20731], total_budget=10, total_budget_update_type="addition")),
    "io budget add": ("iqm.io_update_budget", lambda h: h.update_insertion_orders_budget([741], 10, "add")),
}


@pytest.mark.parametrize("name", list(NOT_REPEATED_CALLS))
def test_non_idempotent_call_meeting_500_is_not_repeated(hook, sandbox, iqm, name):
    route, call = NOT_REPEATED_CALLS[name]
    before = iqm.state()["changes"]
    sandbox.inject(route, status=500, times=1)
    with pytest.raises(VendorApiError) as err:
        call(hook)
    assert sandbox.journal.count(route) == 1 and hook.sleeps == []
    assert err.value.status == 500
    assert "may or may not have been applied" in str(err.value)
    assert iqm.state()["changes"] == before


def test_create_with_dropped_connection_is_not_repeated(hook, sandbox):
    sandbox.inject("iqm.io_add", kind="drop", times=1)
    with pytest.raises(VendorTransportError, match="may or may not have been applied"):
        hook.create_insertion_order(_io())
    assert sandbox.journal.count("iqm.io_add") == 1


def test_create_meeting_429_is_not_repeated_either(hook, sandbox):
    sandbox.inject("iqm.io_add", status=429, retry_after=1, times=1)
    with pytest.raises(VendorApiError) as err:
        hook.create_insertion_order(_io())
    assert sandbox.journal.count("iqm.io_add") == 1 and hook.sleeps == []
    # a 429 is a refusal: the create was not applied (and it is not repeated automatically)
    assert "20 requests a minute" in str(err.value) and "refused, not applied" in str(err.value)
    assert "may or may not" not in str(err.value)


def test_absolute_budget_change_meeting_500_is_retried(hook, sandbox, iqm):
    sandbox.inject("iqm.campaigns_update_budget", status=500, times=1)
    hook.update_campaigns_budget([20731], total_budget=700, total_budget_update_type="change")
    assert sandbox.journal.count("iqm.campaigns_update_budget") == 2 and len(hook.sleeps) == 1
    assert iqm.campaigns[20731]["budgetTotal"] == 700


# --------------------------------------------------------------------------- 429 and pacing
def test_429_honours_retry_after(hook, sandbox):
    sandbox.inject("iqm.campaign_get", status=429, retry_after=7, times=2)
    assert hook.get_campaign(537599)["id"] == 537599
    assert hook.sleeps == [7.0, 7.0]
    assert [e.status for e in sandbox.journal.entries("iqm.campaign_get")] == [429, 429, 200]


def test_sandbox_rate_limit_then_retry_after(sandbox, iqm, monkeypatch):
    """The switchable limit (here 3 a second instead of 20 a minute) answers 429 with Retry-After;
    the hook waits that long and succeeds."""
    env = sandbox.connection_env(iqm_default={"requests_per_minute": 0})
    monkeypatch.setenv("AIRFLOW_CONN_IQM_DEFAULT", env["AIRFLOW_CONN_IQM_DEFAULT"])
    sandbox.configure("iqm", rate_limit=3, rate_window=1.0)
    h = IqmHook()
    waits = []
    h.sleep = lambda s: (waits.append(s), time.sleep(s))
    for _ in range(4):
        h.get_campaign(537599)
    statuses = [e.status for e in sandbox.journal.entries("iqm.campaign_get")]
    assert statuses.count(200) == 4 and statuses.count(429) >= 1
    assert waits and all(w == 1.0 for w in waits)
    assert any(e.meta.get("rate_limited") for e in sandbox.journal.entries("iqm.campaign_get"))


def test_client_paces_itself_under_20_requests_a_minute(sandbox):
    """Without the test override the hook keeps to IQM's 20 requests a minute: the 21st request
    (the login counts) waits for the window instead of drawing a 429."""
    h = IqmHook()
    waits = []
    h.sleep = waits.append
    for _ in range(20):
        h.get_campaign(537599)
    assert len(waits) == 1 and 55 < waits[0] <= 60
    assert sandbox.journal.count("iqm.*") == 21


# --------------------------------------------------------------------------- tokens
def test_refused_access_token_is_renewed_with_the_refresh_token(hook, sandbox):
    hook.get_campaign(537599)
    sandbox.tokens.expire("iqm")  # the access token is no longer accepted; the refresh token is
    assert hook.get_campaign(537599)["id"] == 537599
    assert sandbox.journal.count("iqm.login") == 1
    refreshes = sandbox.journal.entries("iqm.oauth_token")
    assert [e.meta["grant_type"] for e in refreshes] == ["refresh_token"]
    assert [e.status for e in sandbox.journal.entries("iqm.campaign_get")] == [200, 401, 200]
    # the refreshed token keeps the workspace of the login
    assert hook.get_token().extra["owId"] == 203578


def test_expired_access_token_is_refreshed_before_use(sandbox, unpaced):
    """A cached token past its ``expires_in`` is refreshed (no 401, no second login), also by
    another task's hook sharing the token cache."""
    sandbox.configure("iqm", token_ttl=1)
    first = IqmHook()
    first.get_campaign(537599)
    time.sleep(1.2)
    second = IqmHook()
    second.get_campaign(537599)
    assert sandbox.journal.count("iqm.login") == 1
    assert [e.meta["grant_type"] for e in sandbox.journal.entries("iqm.oauth_token")] == ["refresh_token"]
    assert sandbox.journal.count("iqm.campaign_get", status=401) == 0


def test_refused_refresh_token_falls_back_to_login(hook, sandbox):
    hook.get_campaign(537599)
    sandbox.tokens.expire("iqm")
    sandbox.tokens.expire("iqm", kind="refresh")
    hook.get_campaign(537599)
    assert sandbox.journal.count("iqm.login") == 2
    assert [e.status for e in sandbox.journal.entries("iqm.oauth_token")] == [401]


def test_form_login_style(sandbox, monkeypatch):
    """The guide's curl form: ``grant_type=password&username&password`` to ``/api/v3/ua/oauth/token``."""
    env = sandbox.connection_env(iqm_default={"login_style": "form"})
    monkeypatch.setenv("AIRFLOW_CONN_IQM_DEFAULT", env["AIRFLOW_CONN_IQM_DEFAULT"])
    h = IqmHook()
    assert h.get_campaign(537599)["id"] == 537599
    assert sandbox.journal.count("iqm.login") == 0
    assert [e.meta["grant_type"] for e in sandbox.journal.entries("iqm.oauth_token")] == ["password"]


def test_wrong_workspace_is_an_auth_error_with_a_hint(sandbox, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_IQM_DEFAULT",
                       sandbox.connection_env(iqm_default={"ow_id": "1"})["AIRFLOW_CONN_IQM_DEFAULT"])
    with pytest.raises(VendorAuthError, match="X-IAA-OW-ID"):
        IqmHook().get_campaign(537599)


def test_logout(hook, sandbox):
    hook.get_campaign(537599)
    assert hook.logout() == "Logged out successfully"
    assert sandbox.journal.count("iqm.logout", status=200) == 1


def test_no_secret_in_errors(hook, sandbox):
    sandbox.inject("iqm.io_add", status=500, times=1)
    with pytest.raises(VendorApiError) as err:
        hook.create_insertion_order(_io())
    text = str(err.value) + repr(err.value.body)
    assert not any(s in text for s in sandbox.secrets())
