"""The IQM request rules (pure Python): each quotes or follows the Campaign API guide."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_adtech.formats.errors import ValidationFailed
from airflow_provider_adtech.formats.iqm import (
    ACTIONS,
    ALL_PARAMS,
    check_action_at_parse,
    read_changes,
    validate_action,
)

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone.utc)


def rules(exc: ValidationFailed) -> list[str]:
    return [p.rule for p in exc.problems]


def test_action_table_is_consistent():
    for spec in ACTIONS.values():
        assert spec.accepted <= set(ALL_PARAMS), spec.name
        assert spec.kind in ("read", "list", "write")


@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=30, unique=True))
def test_ids_in_every_accepted_form(ids):
    forms = [ids, ",".join(map(str, ids)), json.dumps(ids), [str(i) for i in ids]]
    for form in forms:
        va = validate_action("delete_insertion_orders", {"io_ids": form}, now=NOW)
        assert va.values["io_ids"] == ids


def test_one_id_as_int_or_text():
    assert validate_action("update_io_budget", {"io_ids": 7, "budget": "1.5", "budget_update_type": "add"},
                           now=NOW).values == {"io_ids": [7], "budget": 1.5, "budget_update_type": "add"}


def test_campaign_end_date_forms_in_seconds():
    """Campaign times are Unix seconds ("endDate": 1632132540); a plain date means its last second."""
    day_end = int(dt.datetime(2027, 1, 31, 23, 59, 59, tzinfo=dt.timezone.utc).timestamp())
    for value, expected in [("2027-01-31", day_end), (dt.date(2027, 1, 31), day_end), (day_end, day_end),
                            (str(day_end), day_end), ("2027-01-31T10:00:00Z", day_end - 13 * 3600 - 3599),
                            ("2027-01-31T12:00:00+02:00", day_end - 13 * 3600 - 3599)]:
        va = validate_action("update_end_date", {"campaign_ids": [1], "end_time": value}, now=NOW)
        assert va.values["end_time"] == expected, value


def test_io_times_in_milliseconds():
    """Insertion-order times are Unix milliseconds ("ioStartTime": 1690898148000)."""
    va = validate_action("duplicate_insertion_order", {"io_id": 1, "start_time": "2027-01-01",
                                                       "end_time": "2027-01-31", "time_zone_id": 29}, now=NOW)
    assert va.values["start_time"] == 1798761600000
    assert va.values["end_time"] == 1801439999000


@pytest.mark.parametrize("value,rule", [
    (1893456000000, "iqm.date.unit"), ("2027-13-01", "iqm.date.format"), ("tomorrow", "iqm.date.format"),
    ("2026-11-19", "iqm.date.past"), (0, "iqm.date.format"), (1.5, "iqm.date.format"),
])
def test_bad_campaign_end_dates(value, rule):
    with pytest.raises(ValidationFailed) as err:
        validate_action("update_end_date", {"campaign_ids": [1], "end_time": value}, now=NOW)
    assert rules(err.value) == [rule]
    assert err.value.problems[0].column == "end_time"


@pytest.mark.parametrize("kind", ["change", "addition", "distribution"])
def test_documented_total_budget_update_types(kind):
    va = validate_action("update_budget", {"campaign_ids": "1,2", "total_budget": 10,
                                           "total_budget_update_type": kind}, now=NOW)
    assert va.values["total_budget_update_type"] == kind


def test_update_type_defaults_to_change():
    """"Default value: change"."""
    va = validate_action("update_budget", {"campaign_ids": [1], "daily_budget": 3}, now=NOW)
    assert va.values["total_budget_update_type"] == "change"


def test_many_problems_collected_at_once():
    with pytest.raises(ValidationFailed) as err:
        validate_action("update_budget", {"campaign_ids": "1,x,1,0", "total_budget": "-3", "max_bid": "nan",
                                          "daily_budget": 0, "total_budget_update_type": "replace"}, now=NOW)
    assert rules(err.value) == ["iqm.ids.integer", "iqm.ids.positive", "iqm.ids.duplicate",
                                "iqm.budget.negative",
                                "iqm.budget.zero", "iqm.number.format", "iqm.budget.update_type"]
    assert "nothing was sent" in str(err.value)


def test_parse_time_checks_skip_templates():
    assert check_action_at_parse("{{ params.action }}", {}) == []
    assert [p.rule for p in check_action_at_parse("update_name", {"campaign_id": "{{ x }}"})] == [
        "iqm.param.missing"]


def test_create_io_required_values_by_budget_type():
    """ioTotalBudget is required for a budget-based IO, ioStatusId for an impression-based one."""
    base = {"ioName": "n", "ioStartTime": 4070908800000, "ioEndTime": 4071908800000, "ioTimeZoneId": 29,
            "isAutoSumIoTotalBudget": True, "ioBudgetDistributionMethodId": 1}
    with pytest.raises(ValidationFailed, match=r"fields.ioTotalBudget: \[iqm.io.required\]"):
        validate_action("create_insertion_order", {"fields": {**base, "ioBudgetTypeId": 1}}, now=NOW)
    with pytest.raises(ValidationFailed, match=r"fields.ioStatusId: \[iqm.io.required\]"):
        validate_action("create_insertion_order", {"fields": {**base, "ioBudgetTypeId": 2}}, now=NOW)
    ok = validate_action("create_insertion_order", {"fields": {**base, "ioBudgetTypeId": 2, "ioStatusId": 1}},
                         now=NOW)
    assert ok.values["fields"]["ioBudgetTypeId"] == 2


def test_changes_file_json_array_lines_are_the_records_lines():
    text = '[\n  {"campaignId": 1,\n   "maxBid": 2},\n\n  {"campaignId": 2, "maxBid": -1}\n]\n'
    with pytest.raises(ValidationFailed) as err:
        read_changes(text, "plan.json", now=NOW)
    (problem,) = err.value.problems
    assert (problem.source, problem.line, problem.column, problem.rule) == ("plan.json", 5, "maxBid",
                                                                            "iqm.budget.negative")


def test_changes_file_json_lines_and_grouping_keys():
    text = ('{"campaignId": 1, "endDate": "2027-01-01", "dailyBudget": 5}\n'
            '{"campaignId": 2, "totalBudget": 9, "totalBudgetUpdateType": "addition"}\n')
    one, two = read_changes(text, "plan.jsonl", now=NOW)
    assert (one.line, one.end_date, one.budget_key) == (1, 1798847999, ("change", None, 5, None))
    assert two.budget_key == ("addition", 9, None, None)


def test_changes_file_syntax_error_names_line_and_char():
    with pytest.raises(ValidationFailed) as err:
        read_changes('{"campaignId": 1, "maxBid": 2}\n{"campaignId": 2 "maxBid": 2}\n', "p.jsonl", now=NOW)
    (problem,) = err.value.problems
    assert (problem.line, problem.column, problem.rule) == (2, "char 18", "iqm.changes.json")


def test_request_summary_names_every_write_action_under_the_guides_request_keys():
    from airflow_provider_adtech.formats.iqm.actions import request_summary

    v = {"campaign_id": 7, "campaign_ids": [7, 8], "campaign_name": "Spring", "end_time": 1_900_000_000,
         "total_budget_update_type": "change", "total_budget": 100.0, "daily_budget": None, "max_bid": 2.5,
         "fields": {"ioName": "Q4"}, "io_id": 3, "io_ids": [3, 4], "start_time": 1_800_000_000_000,
         "time_zone_id": 29, "budget": 50.0, "budget_update_type": "change"}
    writes = {name for name, spec in ACTIONS.items() if spec.kind == "write"} - {"apply_changes"}
    summaries = {name: request_summary(name, v) for name in writes}
    assert summaries["update_budget"] == {"campaignIds": [7, 8], "totalBudgetUpdateType": "change",
                                          "totalBudget": 100.0, "maxBid": 2.5}  # no dailyBudget: not given
    assert summaries["duplicate_insertion_order"] == {"ioId": 3, "ioStartTime": 1_800_000_000_000,
                                                      "ioEndTime": 1_900_000_000, "ioTimeZoneId": 29,
                                                      "ioExistingCampaignIds": [7, 8]}
    assert summaries["update_io_budget"]["ioIdsList"] == [3, 4]
    assert summaries["patch_campaign"] == {"campaignId": 7, "ioName": "Q4"}
    for name in ("get_campaign", "list_campaigns", "apply_changes"):
        with pytest.raises(ValueError, match="not a write action"):
            request_summary(name, v)
