"""OiPlacementOperator / OiPublisherOperator against the sandbox: payload files in, records
created or updated, a small summary out; a refusal mid-way names what was already created."""

from __future__ import annotations

import json

import pytest

from airflow.providers.common.compat.sdk import AirflowFailException
from airflow_provider_adtech.exceptions import VendorApiError
from airflow_provider_adtech.operators.oi import OiPlacementOperator, OiPublisherOperator

pytestmark = pytest.mark.integration

PLACEMENT = {"status_id": 9, "layout_id": 1, "offer_format_id": 2607, "max_offers": 4, "parameter_share": True}


def test_publishers_from_csv_then_placements_from_json(sandbox, tmp_path):
    pubs = tmp_path / "publishers.csv"
    pubs.write_text("name,status_id,category_id\nNews Site,1,1010\nRecipes,2,\n")
    summary = OiPublisherOperator(task_id="pubs", payload_path=str(pubs)).execute({})
    assert summary == {"kind": "publisher", "action": "create", "source": str(pubs), "records": 2, "ids": [59, 60]}
    stored = sandbox.state()["oi"]["publishers"]
    assert [(p["name"], p["status_id"]) for p in stored] == [("News Site", 1), ("Recipes", 2)]

    places = tmp_path / "placements.json"
    places.write_text(json.dumps([{**PLACEMENT, "publisher_id": 59, "name": "Home"},
                                  {**PLACEMENT, "publisher_id": 60, "name": "Side", "max_impressions": 2,
                                   "time_period": 7}], indent=1))
    summary = OiPlacementOperator(task_id="places", payload_path=str(places)).execute({})
    assert summary["records"] == 2 and summary["ids"] == [98987676, 98987677]
    assert [e.meta["name"] for e in sandbox.journal.entries("oi.placements.create")] == ["Home", "Side"]

    updates = tmp_path / "updates.jsonl"
    updates.write_text('{"id": 98987676, "status_id": 2}\n{"id": 98987677, "max_offers": 2}\n')
    summary = OiPlacementOperator(task_id="upd", payload_path=str(updates), action="update").execute({})
    assert summary["ids"] == [98987676, 98987677]
    held = {p["id"]: p for p in sandbox.state()["oi"]["placements"]}
    assert held[98987676]["status_id"] == 2 and held[98987677]["max_offers"] == 2


def test_a_refused_create_after_others_fails_without_retry_and_names_them(sandbox, tmp_path):
    OiPublisherOperator(task_id="p", payload_path=_write(tmp_path, "p.jsonl", [{"name": "A", "status_id": 1}])
                        ).execute({})
    path = _write(tmp_path, "pl.jsonl", [{**PLACEMENT, "publisher_id": 59, "name": "One"},
                                         {**PLACEMENT, "publisher_id": 404, "name": "Two"},
                                         {**PLACEMENT, "publisher_id": 59, "name": "Three"}])
    with pytest.raises(AirflowFailException) as err:
        OiPlacementOperator(task_id="pl", payload_path=path).execute({})
    text = str(err.value)
    assert "line 2" in text and "1 placement(s) were already created (ids [98987676])" in text
    assert "not retried" in text
    assert [e.status for e in sandbox.journal.entries("oi.placements.create")] == [200, 400]


def test_a_refused_first_record_is_a_plain_vendor_error(sandbox, tmp_path):
    path = _write(tmp_path, "pl.jsonl", [{**PLACEMENT, "publisher_id": 404, "name": "Two"}])
    with pytest.raises(VendorApiError) as err:
        OiPlacementOperator(task_id="pl", payload_path=path).execute({})
    assert "line 1" in str(err.value) and "no placement was created" in str(err.value)


def _write(tmp_path, name, records):
    p = tmp_path / name
    p.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(p)
