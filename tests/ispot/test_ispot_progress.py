"""Long iSpot work shows progress in the task log: validation and splitting (bytes, rows,
rate, time left) and uploads (part k/n), on a clock the test drives; small inputs stay quiet."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from airflow_provider_adtech.operators.ispot import IspotConversionUploadOperator
from ispot_helpers import DOC_HEADER, csv_text, rows, write

pytestmark = pytest.mark.integration

DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
CONTEXT = {"data_interval_start": DAY, "data_interval_end": DAY + dt.timedelta(days=1), "logical_date": DAY}


@pytest.fixture
def operator(monkeypatch, sandbox):
    """The operator with its clocks fixed: the date rules at the morning after the data day,
    the progress clock as given by each test."""
    sandbox.configure("ispot", min_bytes=0)
    monkeypatch.setattr(IspotConversionUploadOperator, "_now",
                        staticmethod(lambda: dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.timezone.utc)))

    def make(seconds_per_tick: float, **kw):
        ticks = itertools.count()
        monkeypatch.setattr(IspotConversionUploadOperator, "_monotonic",
                            staticmethod(lambda: next(ticks) * seconds_per_tick))
        op = IspotConversionUploadOperator(task_id="upload", min_file_size=0, **kw)
        op.hook.sleep = lambda s: None
        return op

    return make




def progress_lines(written: list[str], what: str) -> list[str]:
    return [line for line in written if line.startswith(what + ":")]


def test_slow_validation_and_uploads_log_progress_lines(operator, tmp_path, written):
    # about 3 MB: several 1 MB blocks, each taking "4 s" on the test's clock
    src = write(tmp_path / "export.csv", csv_text(rows(24_000), DOC_HEADER))
    op = operator(4.0, source=src, max_file_size=1_200_000)
    summary = op.execute(dict(CONTEXT))
    assert summary["rows"] == 24_000 and len(summary["parts"]) >= 3

    validated = progress_lines(written, "iSpot input")
    assert len(validated) >= 2, written
    assert any("%" in line and "rows" in line and "left" in line for line in validated[:-1]), validated
    assert "24,000 rows" in validated[-1]  # the closing line counts every row
    uploaded = progress_lines(written, "iSpot upload")
    n = len(summary["parts"])
    assert uploaded and f"part {n}/{n}" in uploaded[-1], uploaded


def test_quick_work_writes_no_progress_line(operator, tmp_path, written):
    src = write(tmp_path / "export.csv", csv_text(rows(2_000), DOC_HEADER))
    op = operator(0.01, source=src)
    summary = op.execute(dict(CONTEXT))
    assert summary["rows"] == 2_000
    assert progress_lines(written, "iSpot input") == [] and progress_lines(written, "iSpot upload") == []
