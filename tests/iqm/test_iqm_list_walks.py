"""Every IQM list walk is compared with the total IQM reports; a shortfall fails, never a partial list.

The document's ``noOfEntries`` is "The maximum number of returned results per page" and does
not say whether a page of ``/api/v3/cmp/io/campaign/basic/list`` counts insertion orders or
their campaigns: the walk must be right under both readings.
"""

from __future__ import annotations

import pytest

from airflow_provider_adtech.exceptions import VendorApiError
from airflow_provider_adtech.hooks.iqm import IqmHook, IqmListIncomplete, Page
from airflow_provider_adtech.operators.iqm import IqmCampaignOperator

pytestmark = pytest.mark.integration

IO = 15844


def in_io(iqm, io=IO):
    return sorted(cid for cid, c in iqm.campaigns.items() if c["ioId"] == io)


@pytest.fixture
def hook(sandbox):
    h = IqmHook()
    h.sleep = lambda s: None
    return h


@pytest.mark.parametrize("reading", ["ios", "campaigns"])
def test_45_campaigns_in_one_io_arrive_with_page_size_20_under_both_readings(hook, sandbox, iqm, reading):
    sandbox.configure("iqm", io_campaign_page_counts=reading)
    iqm.add_campaigns(45 - len(in_io(iqm)), io_id=IO)
    assert len(in_io(iqm)) == 45
    groups = list(hook.iter_io_campaigns({"ioIds": [IO]}, page_size=20))
    assert [g["ioId"] for g in groups] == [IO]
    assert sorted(c["id"] for c in groups[0]["campaigns"]) == in_io(iqm)
    pages = sandbox.journal.entries("iqm.io_campaign_basic_list")
    if reading == "campaigns":
        assert [e.meta["campaigns"] for e in pages] == [20, 20, 5, 0]  # on to the empty page
    else:
        assert [e.meta["campaigns"] for e in pages] == [45]  # one IO: the reported total is reached


@pytest.mark.parametrize("reading", ["ios", "campaigns"])
def test_the_operator_lists_every_campaign_of_the_io(sandbox, iqm, reading):
    sandbox.configure("iqm", io_campaign_page_counts=reading)
    iqm.add_campaigns(45 - len(in_io(iqm)), io_id=IO)
    op = IqmCampaignOperator(task_id="list", action="list_io_campaigns", filters={"ioIds": [IO]}, page_size=20)
    summary = op.execute({})
    assert summary["count"] == 1 and summary["ids"] == [IO]
    assert sorted(summary["campaign_ids"]) == in_io(iqm) and len(summary["campaign_ids"]) == 45


def test_many_ios_across_pages_under_the_campaign_reading(hook, sandbox, iqm):
    sandbox.configure("iqm", io_campaign_page_counts="campaigns")
    expected = {}
    for n, count in enumerate([7, 1, 13, 3]):
        expected[40000 + n] = sorted(iqm.add_campaigns(count, io_id=40000 + n))
    groups = list(hook.iter_io_campaigns({"ioIds": list(expected)}, page_size=5))
    assert {g["ioId"]: sorted(c["id"] for c in g["campaigns"]) for g in groups} == expected


def test_a_flat_list_shorter_than_its_reported_total_fails(hook, sandbox, iqm):
    for n in range(10):
        iqm.add_campaigns(1, io_id=30000 + n)
    sandbox.configure("iqm", list_serves_at_most=6)
    with pytest.raises(IqmListIncomplete) as err:
        list(hook.iter_insertion_orders(page_size=4))
    text = str(err.value)
    assert "6 of 19 row(s) arrived (IQM reported filteredRecords 19)" in text
    assert "nothing is returned" in text


def test_a_short_page_before_the_total_does_not_end_the_walk():
    """A server that answers fewer rows than asked (its own cap) is asked on until the total."""
    hook = IqmHook()
    data = list(range(25))

    def fetch(page_no, offset, size):
        return Page(data[offset:offset + min(size, 10)], 25, None, "recordsTotal")

    assert list(hook.walk(fetch, page_size=20, what="x")) == data


def test_without_a_total_a_short_page_ends_a_flat_walk():
    hook = IqmHook()
    calls = []

    def fetch(page_no, offset, size):
        calls.append(page_no)
        return Page(list(range(offset, min(offset + size, 7))), None, None)

    assert list(hook.walk(fetch, page_size=5, what="x")) == list(range(7))
    assert calls == [1, 2]


def test_without_a_total_a_grouped_walk_goes_on_to_the_empty_page():
    hook = IqmHook()
    pages = {1: [{"ioId": 1, "campaigns": [{"id": 1}, {"id": 2}]}],
             2: [{"ioId": 1, "campaigns": [{"id": 3}]}, {"ioId": 2, "campaigns": [{"id": 4}]}], 3: []}
    groups = hook.walk_grouped(lambda n, o, s: Page(pages[n], None, None), page_size=2, what="x")
    assert [(g["ioId"], [c["id"] for c in g["campaigns"]]) for g in groups] == [(1, [1, 2, 3]), (2, [4])]


def test_a_grouped_walk_short_of_the_total_fails():
    hook = IqmHook()
    pages = {1: [{"ioId": 1, "campaigns": [{"id": 1}]}], 2: []}
    with pytest.raises(IqmListIncomplete, match="1 group"):
        hook.walk_grouped(lambda n, o, s: Page(pages[n], 5, None, "filteredRecords"), page_size=2, what="x")


def test_a_repeated_page_is_still_an_error():
    hook = IqmHook()
    with pytest.raises(VendorApiError, match="ignored the paging"):
        hook.walk_grouped(lambda n, o, s: Page([{"ioId": 1, "campaigns": []}], None, None), page_size=1)


# --------------------------------------------------------------------------- partial failure messages
def test_all_refused_says_none_was_changed_and_no_none_for_a_missing_name(hook, iqm):
    from airflow_provider_adtech.hooks.iqm import IqmPartialFailure

    with pytest.raises(IqmPartialFailure) as err:
        hook.update_campaigns_end_date([999001, 999002], 4_000_000_000)
    text = str(err.value)
    assert "all 2 campaign(s) were refused; none was changed" in text
    assert "campaign 999001: campaign not found" in text
    assert "(None)" not in text and "the others were changed" not in text


def test_apply_changes_all_refused_says_none_was_applied(sandbox, iqm, tmp_path):
    from airflow_provider_adtech.hooks.iqm import IqmPartialFailure

    path = tmp_path / "changes.jsonl"
    path.write_text('{"campaignId": 999001, "endDate": 4000000000}\n', encoding="utf-8")
    op = IqmCampaignOperator(task_id="apply", action="apply_changes", changes_file=str(path))
    with pytest.raises(IqmPartialFailure) as err:
        op.execute({})
    text = str(err.value)
    assert "1 of 1 change(s)" in text and "none was applied" in text
    assert "line 1: campaign 999001 end_date: campaign not found" in text and "(None)" not in text


# --------------------------------------------------------------------------- no silent rewrite
def test_values_sent_in_another_form_are_listed_in_the_summary(sandbox, iqm, tmp_path):
    path = tmp_path / "changes.jsonl"
    path.write_text('{"campaignId": 20731, "endDate": "2095-12-31", "totalBudget": "500"}\n', encoding="utf-8")
    summary = IqmCampaignOperator(task_id="apply", action="apply_changes", changes_file=str(path)).execute({})
    assert summary["notes"] == ["line 1: endDate '2095-12-31' sent as 3976214399 (2095-12-31T23:59:59Z)",
                                "line 1: totalBudget '500' sent as 500"]
    assert iqm.campaigns[20731]["endTime"] == 3976214399


def test_a_campaign_name_with_a_line_break_is_refused(sandbox):
    from airflow_provider_adtech.exceptions import AdtechValidationError

    op = IqmCampaignOperator(task_id="name", action="update_name", campaign_id=537599, campaign_name="Spring\nsale")
    with pytest.raises(AdtechValidationError) as err:
        op.execute({})
    assert "column campaign_name: [iqm.campaign.name.control]" in str(err.value)
    assert sandbox.journal.entries() == []
