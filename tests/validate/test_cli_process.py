"""``adtech-validate`` as users run it: its own process without Airflow, the console script,
progress lines on long files, and the cross-vendor corpus of bad inputs."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cli_helpers import ispot_row, order_row, problems_of, run, write_csv, write_jsonl, yesterday

from airflow_provider_adtech.validate import cli

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "bad_inputs"


def sample_files(tmp_path: Path) -> dict[str, Path]:
    return {
        "ispot": write_csv(tmp_path / "conv.csv", [ispot_row(yesterday(), n) for n in range(5)]),
        "bidswitch": ROOT / "tests" / "bidswitch" / "data" / "hourly_report.json",
        "freewheel": write_csv(tmp_path / "orders.csv", [order_row(n) for n in range(1, 3)]),
        "iqm": write_jsonl(tmp_path / "changes.jsonl", [{"campaignId": 5, "maxBid": 1.5}]),
    }


@pytest.mark.parametrize("vendor", ["ispot", "bidswitch", "freewheel", "iqm"])
def test_the_command_runs_without_importing_airflow(tmp_path, vendor):
    path = sample_files(tmp_path)[vendor]
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "airflow_provider_adtech.validate", vendor,
                           str(path)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].endswith("checked: valid")
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "airflow_provider_adtech.validate.cli" in imported  # the import log is complete
    assert not {m for m in imported if m == "airflow" or m.startswith("airflow.")}
    assert not {m for m in imported if m.split(".")[0] in ("requests", "boto3", "botocore")}


def test_sys_modules_hold_no_airflow_after_a_run(tmp_path):
    files = sample_files(tmp_path)
    code = ("import sys\nfrom airflow_provider_adtech.validate.cli import main\n"
            f"codes = [main([v, p]) for v, p in {[(v, str(p)) for v, p in files.items()]!r}]\n"
            "print(codes, sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[0, 0, 0, 0] []"


def test_console_script_points_at_main(capsys, tmp_path):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, attr = scripts["adtech-validate"].partition(":")
    entry = getattr(__import__(module, fromlist=[attr]), attr)
    assert entry is cli.main
    assert entry([ "iqm", str(sample_files(tmp_path)["iqm"])]) == 0


def test_a_long_validation_logs_progress_lines(tmp_path, capsys, monkeypatch):
    """Every clock reading is 4 s later than the previous: the work looks long without sleeping."""
    ticks = itertools.count()
    monkeypatch.setattr(cli, "CLOCK", lambda: 4.0 * next(ticks))
    path = write_csv(tmp_path / "conv.csv", [ispot_row(yesterday(), n) for n in range(30_000)])
    code, lines, err = run(capsys, "ispot", path)
    assert code == 0 and lines == ["ispot: 1 file, 30,000 rows checked: valid"]
    progress = [line for line in err.splitlines() if line.startswith("iSpot conv.csv: ")]
    middle = re.compile(r"^iSpot conv\.csv: [\d.]+ [kMG]?B of [\d.]+ MB \((\d+)%\), [\d.]+ [kMG]?B/s, about .+ left$")
    assert len(progress) >= 2
    shares = [int(middle.match(line).group(1)) for line in progress[:-1]]
    assert shares == sorted(shares) and all(b - a >= 10 for a, b in zip([0] + shares, shares))
    assert re.match(r"^iSpot conv\.csv: ([\d.]+ MB) of \1 \(100%\), .+, done in .+$", progress[-1])


def test_short_work_prints_no_progress(tmp_path, capsys):
    path = write_csv(tmp_path / "conv.csv", [ispot_row(yesterday(), n) for n in range(30)])
    _, _, err = run(capsys, "ispot", path)
    assert "iSpot conv.csv" not in err


# --------------------------------------------------------------------------- corpus
def _corpus_cases() -> list:
    out = []
    for vendor in ("ispot", "bidswitch", "freewheel", "iqm"):
        spec = json.loads((CORPUS / vendor / "cases.json").read_text())
        for case in spec["cases"]:
            # the zip size limit is the delivery's, not the order lines' (the command builds no zip)
            if case.get("file") and "max_zip_bytes" not in case.get("kwargs", {}):
                out.append(pytest.param(vendor, case, id=f"{vendor}-{case['name']}"))
    return out


def _argv(vendor: str, case: dict, tmp_path: Path) -> list[str]:
    """The operator arguments of a corpus case as the command's options."""
    argv = [vendor]
    if vendor == "ispot":  # the corpus's run: data day 2026-11-20, reprocessing allowed
        argv += ["--data-date", "2026-11-20", "--allow-reprocessing", "--now", "2026-11-21T03:00:00"]
    for key, value in case.get("kwargs", {}).items():
        if key == "normalize" and value is False:
            argv.append("--no-normalize")
        elif key == "column_mapping":
            argv += ["--column-mapping", json.dumps(value)]
        elif key == "max_problems":
            argv += ["--max-problems", str(value)]
        elif key == "regional_syscodes":
            table = tmp_path / "regional.json"
            table.write_text(json.dumps(value))
            argv += ["--regional-syscodes", str(table)]
        elif key == "action":
            assert value == "apply_changes"
        else:
            raise AssertionError(f"no option for {key}")
    return argv + [str(CORPUS / vendor / case["file"])]


CASES = _corpus_cases()


def test_the_corpus_reaches_every_vendor():
    assert {p.values[0] for p in CASES} == {"ispot", "bidswitch", "freewheel", "iqm"}
    assert len(CASES) >= 50


@pytest.mark.parametrize(("vendor", "case"), CASES)
def test_every_bad_input_of_the_corpus_is_rejected(tmp_path, capsys, vendor, case):
    code, lines, _ = run(capsys, *_argv(vendor, case, tmp_path))
    assert code == 1, lines
    found = problems_of(lines)
    assert all(Path(m["file"]).name == case["file"] or m["file"].startswith("argument") for m in found)
    text = "\n".join(lines)
    for expect in case["expect"]:
        assert _found(expect, found, text, lines[-1]), (expect, text)


def _found(expect: str, found: list, text: str, summary: str) -> bool:
    """An expectation of the corpus (written for the operator's message) in the command's output."""
    if m := re.fullmatch(r"(\S+), line (\d+), column (\S+)", expect):
        return f"{m[1]}:{m[2]}:{m[3]}:" in text
    if m := re.fullmatch(r"line (\d+), column (\S+): (\[.+\])", expect):
        return f":{m[1]}:{m[2]}: {m[3]}" in text
    if m := re.fullmatch(r"line (\d+): (\[.+\])", expect):
        return f":{m[1]}: {m[2]}" in text
    if m := re.fullmatch(r"line (\d+)", expect):
        return any(p["line"] == m[1] for p in found) or expect in text
    if m := re.fullmatch(r"column (.+)", expect):
        return any(p["column"] == m[1] for p in found)
    if m := re.fullmatch(r"(\d+) problem\(s\)", expect):
        return f"checked: {m[1]} problem" in summary
    if m := re.fullmatch(r"and (\d+) more problem\(s\) not listed", expect):
        return f"({m[1]} not listed" in summary
    return expect in text
