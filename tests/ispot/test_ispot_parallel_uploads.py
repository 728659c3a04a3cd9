"""``max_parallel_uploads``: parts go up several at a time, with the guarantees of one at a time
(each part accepted once, ``409`` reported ``already_uploaded``, a failure reported with every
part's status). The sandbox limits each connection's bandwidth so that uploads overlap for sure;
what is checked is how many were under way together, never how long they took (the speed-up is
measured by ``benchmarks/ispot_pipeline.py --uploads``)."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest

from airflow_provider_adtech.exceptions import AdtechValidationError, VendorTransportError
from airflow_provider_adtech.hooks.ispot import IspotHook, IspotUploadRejected
from airflow_provider_adtech.operators.ispot import IspotConversionUploadOperator
from ispot_helpers import rows

DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
CONTEXT = {"data_interval_start": DAY, "data_interval_end": DAY + dt.timedelta(days=1), "logical_date": DAY}
NOW = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.timezone.utc)
UPLOAD = "ispot.upload"


@pytest.fixture(autouse=True)
def setup(sandbox, monkeypatch):
    # small parts; iSpot's 10 requests per 10 s is not what is tested here
    sandbox.configure("ispot", min_bytes=0, rate_limit=1000)
    monkeypatch.setattr(IspotConversionUploadOperator, "_now", staticmethod(lambda: NOW))


@pytest.fixture
def in_flight(monkeypatch):
    """Counts uploads under way at the same time (``peak``) on the client side."""
    state = {"now": 0, "peak": 0, "threads": set()}
    lock = threading.Lock()
    original = IspotHook.upload_conversions

    def counted(self, *args, **kwargs):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            state["threads"].add(threading.current_thread().name)
        try:
            return original(self, *args, **kwargs)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(IspotHook, "upload_conversions", counted)
    return state


def run(n_rows: int = 300, **kw):
    kw.setdefault("task_id", "upload")
    kw.setdefault("min_file_size", 0)
    kw.setdefault("max_file_size", 9_000)
    op = IspotConversionUploadOperator(rows=rows(n_rows), **kw)
    op.hook.sleep = lambda s: None
    return op.execute(dict(CONTEXT))


def test_four_parallel_uploads_under_a_bandwidth_limit_overlap_and_keep_part_order(sandbox, in_flight):
    sandbox.inject("*", "bandwidth", rate=40_000)  # bytes per second and connection: ~0.3 s a part
    summary = run(max_parallel_uploads=4)
    names = [p["name"] for p in summary["parts"]]
    assert len(names) >= 6
    assert names == sorted(names) and [p["status"] for p in summary["parts"]] == ["uploaded"] * len(names)
    assert in_flight["peak"] == 4 and len(in_flight["threads"]) == 4
    state = sandbox.state()["ispot"]
    assert sorted(f["file"] for f in state["files"]) == names and state["duplicates"] == []
    assert sum(f["rows"] for f in state["files"]) == 300
    assert sandbox.journal.count("ispot.token") == 1, "one token shared by every upload"


def test_one_upload_at_a_time_is_the_default(sandbox, in_flight):
    sandbox.inject("*", "bandwidth", rate=40_000)
    summary = run()
    assert in_flight["peak"] == 1 and summary["uploaded"] == len(summary["parts"]) >= 6


def test_parallel_repeat_of_a_run_reports_every_part_already_uploaded(sandbox):
    first = run(max_parallel_uploads=3)
    again = run(max_parallel_uploads=3)
    assert again["already_uploaded"] == len(again["parts"]) == first["uploaded"]
    assert {p["status"] for p in again["parts"]} == {"already_uploaded"}
    assert len(sandbox.state()["ispot"]["files"]) == len(first["parts"])


@pytest.mark.parametrize("parallel", [1, 3])
def test_a_part_refused_for_good_is_reported_with_every_parts_status(sandbox, parallel):
    # the third upload request is refused (400): not retried; no new part starts afterwards
    sandbox.inject(UPLOAD, status=400, skip=2, times=1,
                   body={"message": "The file cannot be processed because it is not in the required CSV file "
                                    "format."})
    with pytest.raises(IspotUploadRejected) as err:
        run(max_parallel_uploads=parallel)
    text = str(err.value)
    statuses = dict(re.findall(r"(conversions_2026-11-20_\d+\.csv): (\w+)", text.split("; parts: ", 1)[1]))
    assert len(statuses) >= 6 and set(statuses.values()) <= {"uploaded", "failed", "not_sent"}
    accepted = {f["file"] for f in sandbox.state()["ispot"]["files"]}
    assert {n for n, st in statuses.items() if st == "uploaded"} == accepted
    failed = [n for n, st in statuses.items() if st == "failed"]
    assert len(failed) == 1 and failed[0] not in accepted and f"{failed[0]} failed" in text
    assert "not_sent" in statuses.values(), "no new part starts after a failure"
    assert sandbox.journal.count(UPLOAD) == len(accepted) + 1
    if parallel == 1:
        assert list(statuses.values())[:3] == ["uploaded", "uploaded", "failed"]


def test_transport_failure_keeps_its_type_and_lists_the_parts(sandbox, monkeypatch):
    env = sandbox.connection_env(ispot_default={"max_retries": 0})
    monkeypatch.setenv("AIRFLOW_CONN_ISPOT_DEFAULT", env["AIRFLOW_CONN_ISPOT_DEFAULT"])
    sandbox.inject(UPLOAD, kind="drop", skip=1, times=-1)
    with pytest.raises(VendorTransportError) as err:
        run(max_parallel_uploads=2)
    assert "retries exhausted" in str(err.value) and "; parts: conversions_2026-11-20_001.csv: " in str(err.value)
    assert err.value.__cause__ is not None


@pytest.mark.parametrize("value", [0, 11, "x"])
def test_max_parallel_uploads_is_checked_before_anything_is_sent(sandbox, value):
    with pytest.raises(AdtechValidationError, match="max_parallel_uploads"):
        run(max_parallel_uploads=value)
    assert sandbox.journal.count() == 0
