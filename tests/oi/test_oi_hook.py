"""OiHook against the sandbox over loopback HTTP: publishers, placements, paged reports, errors."""

from __future__ import annotations

import json

import pytest

from airflow_provider_adtech.exceptions import VendorApiError, VendorAuthError
from airflow_provider_adtech.formats.errors import ValidationFailed
from airflow_provider_adtech.hooks.oi import OiHook, OiNotFoundError

pytestmark = pytest.mark.integration

PLACEMENT = {
    "name": "My Website Placement 1", "status_id": 9, "category_id": 1010, "layout_id": 1,
    "offer_format_id": 2607, "max_offers": 4, "parameter_share": True,
}


@pytest.fixture
def hook(sandbox):
    h = OiHook()
    h.sleep = lambda s: None  # retries without waiting
    yield h
    h.close()


def make_publisher(hook, name="Some Name"):
    return hook.create_publisher({"name": name, "status_id": 1, "category_id": 1010})["id"]


def test_basic_auth_and_trailing_slash_paths(hook, sandbox):
    assert hook.list_publishers() == []
    entry = sandbox.journal.entries("oi.publishers.list")[0]
    assert entry.path == "/v1/publishers/" and entry.status == 200


def test_wrong_credentials_give_a_clear_auth_error_without_the_password(sandbox, monkeypatch):
    conn = json.loads(sandbox.connection_env()["AIRFLOW_CONN_OI_DEFAULT"])
    conn["password"] = "not-the-password-123"
    monkeypatch.setenv("AIRFLOW_CONN_OI_DEFAULT", json.dumps(conn))
    hook = OiHook()
    with pytest.raises(VendorAuthError) as err:
        hook.list_publishers()
    text = str(err.value)
    assert "HTTP 401" in text and "oi_default" in text and "were refused" in text
    assert "not-the-password-123" not in text
    assert sandbox.journal.count("oi.*") == 1  # a refused password is not retried
    ok, message = hook.test_connection()
    assert ok is False and "401" in message


def test_test_connection_authenticates_for_real(hook, sandbox):
    assert hook.test_connection()[0] is True
    assert sandbox.journal.count("oi.publishers.list", status=200) == 1


def test_publisher_lifecycle_and_soft_delete(hook, sandbox):
    pid = make_publisher(hook)
    assert hook.get_publisher(pid)["name"] == "Some Name"
    hook.update_publisher(pid, {"status_id": 2})  # the document's PUT example: make it inactive
    assert hook.get_publisher(pid)["status_id"] == 2
    hook.delete_publisher(pid)
    assert hook.list_publishers() == []
    with pytest.raises(OiNotFoundError) as gone:
        hook.get_publisher(pid)
    assert gone.value.status == 400 and "Retrieve Failed" in gone.value.hint
    # deletes are soft: the name cannot be used again
    with pytest.raises(VendorApiError) as reuse:
        make_publisher(hook)
    assert reuse.value.status == 400 and "already in use" in reuse.value.vendor_message
    assert sandbox.state()["oi"]["deleted_publishers"][0]["id"] == pid


def test_missing_id_answers_400_retrieve_failed(hook):
    with pytest.raises(OiNotFoundError) as err:
        hook.get_placement(123)
    assert err.value.status == 400
    assert err.value.body == {"status": "Retrieve Failed", "message": "Placement 123 could not be found"}


def test_deleting_a_missing_publisher_answers_403_and_is_not_retried(hook, sandbox):
    with pytest.raises(OiNotFoundError) as err:
        hook.delete_publisher(4242)
    assert err.value.status == 403 and "does not exist or was already deleted" in str(err.value)
    assert sandbox.journal.count("oi.publishers.delete") == 1


def test_placement_create_get_update(hook, sandbox):
    pub = make_publisher(hook)
    answer = hook.create_placement({**PLACEMENT, "publisher_id": pub})
    assert answer["status"] == "Save Successful" and answer["message"] == "Placement successfully saved"
    got = hook.get_placement(answer["id"])
    assert got["id"] == str(answer["id"])  # the vendor answers the id as a string
    hook.update_placement(answer["id"], {"max_impressions": 2, "time_period": 7})
    assert hook.get_placement(answer["id"])["max_impressions"] == 2
    assert [p["id"] for p in hook.list_placements()] == [str(answer["id"])]


def test_placement_rules_checked_before_any_request(hook, sandbox):
    with pytest.raises(ValidationFailed) as err:
        hook.create_placement({**PLACEMENT, "status_id": 1, "max_impressions_offer": 3})
    assert {p.rule for p in err.value.problems} == {
        "oi.placement.status_id.system_only", "oi.placement.publisher_id.required",
        "oi.placement.time_period_offer.required"}
    assert sandbox.journal.count("oi.*") == 0


def test_update_reads_the_current_placement_for_the_time_period_rule(hook, sandbox):
    pub = make_publisher(hook)
    pid = hook.create_placement({**PLACEMENT, "publisher_id": pub, "max_impressions": 1, "time_period": 3})["id"]
    hook.update_placement(pid, {"max_impressions": 5})  # time_period already held by the vendor
    assert sandbox.journal.count("oi.placements.get") == 1
    other = hook.create_placement({**PLACEMENT, "publisher_id": pub, "name": "Second"})["id"]
    with pytest.raises(ValidationFailed, match="oi.placement.time_period.required"):
        hook.update_placement(other, {"max_impressions": 5})
    assert sandbox.journal.count("oi.placements.update") == 1


def test_vendor_refusal_of_a_save_is_explained(hook, sandbox):
    with pytest.raises(VendorApiError) as err:
        hook.create_placement({**PLACEMENT, "publisher_id": 999})  # no such publisher
    assert err.value.status == 400 and "does not exist" in err.value.vendor_message


def test_creates_are_not_retried_but_updates_are(hook, sandbox):
    sandbox.inject("oi.publishers.create", status=503)
    with pytest.raises(VendorApiError) as err:
        make_publisher(hook)
    assert "not retried automatically" in str(err.value)
    assert sandbox.journal.count("oi.publishers.create") == 1
    pid = make_publisher(hook, "Other")
    sandbox.inject("oi.publishers.update", status=503, retry_after=0)
    hook.update_publisher(pid, {"status_id": 2})
    assert [e.status for e in sandbox.journal.entries("oi.publishers.update")] == [503, 200]


# ---------------------------------------------------------------- reports
def walk(hook, sandbox, rows, **kw):
    sandbox.configure("oi", report_rows=rows)
    query = hook.report_query("2026-11-20", "2026-11-20", groupby="placement")
    got = list(hook.iter_report_rows(query, **kw))
    pages = [(e.meta["row_start"], e.meta["row_limit"], e.meta["rows"])
             for e in sandbox.journal.entries("oi.reports.publishers")]
    return got, pages


def test_4500_rows_are_exactly_three_pages(hook, sandbox):
    rows, pages = walk(hook, sandbox, 4500)
    assert pages == [(1, 2000, 2000), (2001, 2000, 2000), (4001, 2000, 500)]
    assert len(rows) == 4500 and len({r["PLACEMENT_ID"] for r in rows}) == 4500


@pytest.mark.parametrize("n, expected_requests", [(0, 1), (1, 1), (1999, 1), (2000, 2), (2001, 2), (6000, 4)])
def test_no_request_past_the_end_unless_the_size_is_a_multiple_of_the_page(hook, sandbox, n, expected_requests):
    rows, pages = walk(hook, sandbox, n)
    assert len(rows) == n and len(pages) == expected_requests


def test_max_rows_stops_early_with_a_smaller_last_page(hook, sandbox):
    rows, pages = walk(hook, sandbox, 4500, max_rows=2500)
    assert len(rows) == 2500 and pages == [(1, 2000, 2000), (2001, 500, 500)]


def test_page_size_over_2000_is_refused_before_any_request(hook, sandbox):
    query = hook.report_query("2026-11-20")
    with pytest.raises(ValidationFailed, match="oi.report.row_limit"):
        next(hook.report_pages(query, page_size=5000))
    assert sandbox.journal.count("oi.*") == 0


def test_report_filters_fields_and_grouping(hook, sandbox):
    sandbox.configure("oi", report_rows=30, report_publishers=3)
    by_pub = hook.custom_report("2026-11-01", "2026-11-05", groupby="publisher", fields="rpm")
    assert [set(r) for r in by_pub] == [{"PUB_ID", "PUB", "RPM"}] * 3
    one = hook.custom_report("2026-11-01", "2026-11-05", id_type="publisher", ids=[by_pub[0]["PUB_ID"]],
                             groupby="placement", fields=["impressions", "revenue"])
    assert len(one) == 10 and {r["PUB_ID"] for r in one} == {by_pub[0]["PUB_ID"]}
    total = hook.custom_report("2026-11-01", "2026-11-05")
    assert len(total) == 1 and set(total[0]) == {"IMPRESSIONS", "REVENUE", "RPM"}
    entry = sandbox.journal.entries("oi.reports.publishers")[1]
    assert entry.meta["id_type"] == "publisher" and entry.meta["fields"] == ["impressions", "revenue"]


def test_subid_grouping_warns_and_the_vendor_has_no_data_before_2017_09_29(hook, sandbox, caplog, capsys):
    rows = hook.custom_report("2017-09-20", "2017-09-28", groupby="subid")
    assert rows == []
    logged = caplog.text + capsys.readouterr().out  # Airflow 2 logs through logging, 3 through structlog
    assert "will only return data starting from September 29th, 2017" in logged
    assert len(hook.custom_report("2017-09-25", "2017-09-29", groupby="subid")) == 7


def test_report_pages_retry_a_503_with_retry_after(hook, sandbox):
    sandbox.configure("oi", report_rows=2500)
    delays = []
    hook.sleep = delays.append
    sandbox.inject("oi.reports.publishers", status=503, retry_after=3, skip=1)
    rows = hook.custom_report("2026-11-20", "2026-11-20", groupby="placement")
    assert len(rows) == 2500 and delays == [3.0]
    assert [e.status for e in sandbox.journal.entries("oi.reports.publishers")] == [200, 503, 200]


def test_summary_mode(hook, sandbox):
    sandbox.configure("oi", report_rows=5, today="2026-11-20")
    data = hook.summary_report(groupby="placement", page_size=3)
    assert set(data) == {"today", "yesterday", "mtd"}
    assert [len(v) for v in data.values()] == [5, 5, 5]
    entries = sandbox.journal.entries("oi.reports.publishers")
    assert [(e.meta["row_start"], e.meta["row_limit"]) for e in entries] == [(1, 3), (4, 3)]
    mtd = sum(r["IMPRESSIONS"] for r in data["mtd"])
    assert mtd > sum(r["IMPRESSIONS"] for r in data["today"])


def test_report_figures_do_not_keep_rows_and_fingerprint_changes_with_data(hook, sandbox):
    sandbox.configure("oi", report_rows=10, report_settle_after=1)
    q = hook.report_query("2026-11-20", groupby="placement")
    first, second, third = (hook.report_figures(q) for _ in range(3))
    assert first.rows == second.rows == third.rows == 10
    assert first.impressions < second.impressions == third.impressions
    assert first.fingerprint != second.fingerprint == third.fingerprint
