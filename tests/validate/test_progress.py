"""``formats.progress``: when lines are written and what they say, driven by a fake clock."""

from __future__ import annotations

import io

import pytest

from airflow_provider_adtech.formats.progress import Progress, format_bytes, format_duration


class FakeClock:
    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


def make(**kwargs):
    clock = FakeClock()
    lines: list[str] = []
    progress = Progress(kwargs.pop("what", "iSpot input day.csv"), log=lines.append, clock=clock, **kwargs)
    return progress, clock, lines


def test_work_under_five_seconds_writes_nothing_at_all():
    progress, clock, lines = make(total=1_000_000)
    for i in range(1, 11):
        clock.tick(0.45)
        progress.update(i * 100_000, rows=i * 1000)
    assert progress.finish() is False
    assert lines == []


def test_work_of_six_seconds_writes_only_the_summary():
    progress, clock, lines = make(total=6_000_000)
    for i in range(1, 7):
        clock.tick(1.0)
        progress.update(i * 1_000_000)
    progress.finish()
    assert lines == ["iSpot input day.csv: 6.0 MB of 6.0 MB (100%), 1.0 MB/s, done in 6 s"]


def test_a_long_validation_logs_bytes_rows_rate_and_time_left_about_every_ten_seconds():
    total = 5_000_000_000
    progress, clock, lines = make(total=total)
    done = 0
    times = []
    for second in range(1, 51):  # 100 MB/s for 50 s: one update a second
        clock.tick(1.0)
        done += 100_000_000
        if progress.update(done, rows=done // 200):
            times.append(second)
    progress.finish()
    assert times == [10, 20, 30, 40]  # 10 s apart; 50 s is the end, written by finish()
    assert lines[0] == ("iSpot input day.csv: 1.0 GB of 5.0 GB (20%), 5,000,000 rows, 100 MB/s, "
                        "about 40 s left")
    assert lines[-1] == "iSpot input day.csv: 5.0 GB of 5.0 GB (100%), 25,000,000 rows, 100 MB/s, done in 50 s"
    assert len(lines) == 5


def test_never_more_often_than_every_tenth_of_a_known_total():
    total = 1_000_000
    progress, clock, lines = make(total=total)
    done = 0
    written_at = []
    for _ in range(600):  # slow: 0.2 % of the total every second
        clock.tick(1.0)
        done += 2_000
        if progress.update(done):
            written_at.append(done)
    assert len(written_at) >= 5
    steps = [b - a for a, b in zip([0] + written_at, written_at)]
    assert min(steps) >= total // 10
    assert lines[0].startswith("iSpot input day.csv: 100 kB of 1.0 MB (10%)")


def test_unknown_total_writes_every_interval_without_a_percentage_or_estimate():
    progress, clock, lines = make(what="rows")
    for i in range(1, 31):
        clock.tick(1.0)
        progress.update(i * 1_000_000)
    assert lines == ["rows: 10.0 MB, 1.0 MB/s", "rows: 20.0 MB, 1.0 MB/s", "rows: 30.0 MB, 1.0 MB/s"]


def test_upload_lines_name_the_part_bytes_and_rate():
    progress, clock, lines = make(what="iSpot upload", parts=5, total=1_000_000_000)
    for k in range(1, 6):
        clock.tick(8.0)  # one 200 MB part every 8 s
        progress.update(k * 200_000_000, part=k)
    progress.finish()
    assert lines == [
        "iSpot upload: part 2/5, 400 MB of 1.0 GB (40%), 25.0 MB/s, about 24 s left",
        "iSpot upload: part 4/5, 800 MB of 1.0 GB (80%), 25.0 MB/s, about 8 s left",
        "iSpot upload: part 5/5, 1.0 GB of 1.0 GB (100%), 25.0 MB/s, done in 40 s",
    ]


def test_page_walk_with_and_without_the_vendors_total():
    progress, clock, lines = make(what="IQM list_campaigns", unit="pages")
    for page in range(1, 8):
        clock.tick(3.0)
        progress.update(page, rows=page * 1000, total=40 if page >= 5 else None)
    progress.finish()
    assert lines == [
        "IQM list_campaigns: page 4, 4,000 rows, 0.3 pages/s",
        "IQM list_campaigns: page 7 of 40, 7,000 rows, 0.3 pages/s, done in 21 s",
    ]


def test_page_walk_estimates_the_time_left_from_the_page_total():
    progress, clock, lines = make(what="OI export", unit="pages", total=100)
    for page in range(1, 21):
        clock.tick(1.0)
        progress.advance()
    assert lines == ["OI export: page 10 of 100, 1.0 pages/s, about 1 min 30 s left",
                     "OI export: page 20 of 100, 1.0 pages/s, about 1 min 20 s left"]


def test_finish_is_written_once_and_not_after_a_failure():
    progress, clock, lines = make(total=10)
    clock.tick(30)
    assert progress.update(5) is True
    assert progress.finish() is True
    assert progress.finish() is False
    assert len(lines) == 2
    with pytest.raises(RuntimeError):
        with make(total=10)[0] as p:
            p.clock.tick(30)
            raise RuntimeError("boom")
    assert p.lines == 0


def test_counting_reader_advances_by_the_bytes_read():
    progress, clock, lines = make(total=30)
    reader = progress.reader(io.BytesIO(b"a,b\n" + b"x" * 20 + b"\n12345"))
    assert reader.readline() == b"a,b\n"
    clock.tick(11)
    reader.read(21)
    assert progress.done == 25
    assert lines == ["iSpot input day.csv: 25 B of 30 B (83%), 2 B/s, about 2 s left"]
    assert reader.read() == b"12345" and progress.done == 30


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="unit must be one of"):
        Progress("x", unit="parts")


@pytest.mark.parametrize(("n", "text"), [(0, "0 B"), (999, "999 B"), (1500, "1.5 kB"), (123_456_789, "123 MB"),
                                          (5_000_000_000, "5.0 GB")])
def test_format_bytes(n, text):
    assert format_bytes(n) == text


@pytest.mark.parametrize(("s", "text"), [(0.4, "0 s"), (59, "59 s"), (75, "1 min 15 s"), (3720, "1 h 02 min")])
def test_format_duration(s, text):
    assert format_duration(s) == text
