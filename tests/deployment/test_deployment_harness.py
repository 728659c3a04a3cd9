"""The deployment harness's own helpers (no deployment started: runs on both Airflow lines)."""

from __future__ import annotations

import json

import pytest

from deployment_harness import (
    EXAMPLE_DAGS,
    AirflowDeployment,
    DeploymentRun,
    RunOutcome,
    dag_files,
    dags_folder_with,
    readable_log,
    scan_for_secrets,
)


def test_secret_scan_finds_every_planted_secret_and_names_file_and_line(tmp_path):
    clean = tmp_path / "clean.log"
    clean.write_text("nothing to see\n")
    leaky = tmp_path / "sub" / "attempt=1.log"
    leaky.parent.mkdir()
    leaky.write_text('{"event": "ok"}\n{"event": "token eyJhbGciOi.secretpart"}\nfine\npw=hunter2hunter2\n')
    secrets = ["eyJhbGciOi.secretpart", "hunter2hunter2", "absentabsent"]
    scanned, hits = scan_for_secrets([clean, leaky], secrets)
    assert scanned == 2
    assert [(h.path, h.secret_index, h.line) for h in hits] == [(str(leaky), 0, 2), (str(leaky), 1, 4)]
    assert "secretpart" not in repr(hits)


def test_secret_scan_refuses_secrets_too_short_to_mean_anything(tmp_path):
    (tmp_path / "a.log").write_text("abc")
    with pytest.raises(ValueError, match="shorter than 8"):
        scan_for_secrets([tmp_path / "a.log"], ["long-enough-secret", "abc"])


def test_a_dags_folder_with_some_example_dags_gets_their_helpers_too(tmp_path):
    chosen = [EXAMPLE_DAGS / "oi_reports.py"]
    folder = dags_folder_with(chosen, tmp_path / "dags")
    assert [p.name for p in dag_files(folder)] == ["oi_reports.py"]
    assert (folder / "_sample_data.py").read_bytes() == (EXAMPLE_DAGS / "_sample_data.py").read_bytes()
    assert (folder / ".airflowignore").exists()


def test_dag_files_are_the_python_files_of_example_dags_except_helpers(tmp_path):
    (tmp_path / "a_dag.py").write_text("")
    (tmp_path / "_helpers.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert [p.name for p in dag_files(tmp_path)] == ["a_dag.py"]
    assert all(p.suffix == ".py" for p in dag_files(EXAMPLE_DAGS))


def test_readable_log_keeps_event_and_exception_of_json_lines():
    lines = [
        json.dumps({"timestamp": "t1", "level": "info", "event": "hello"}),
        json.dumps({"timestamp": "t2", "level": "error", "event": "Task failed with exception",
                    "error_detail": [{"exc_type": "VendorApiError", "exc_value": "iSpot said 400",
                                      "frames": [{"filename": "x.py", "lineno": 3, "name": "execute"}]}]}),
        "plain line",
    ]
    text = readable_log("\n".join(lines))
    assert "t1 info    hello" in text
    assert "x.py:3 in execute" in text and "VendorApiError: iSpot said 400" in text
    assert text.endswith("plain line")


def test_deployment_environment_is_isolated_from_the_test_process(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
    monkeypatch.setenv("AIRFLOW_CONN_STRAY", "http://example.invalid")
    dep = AirflowDeployment(tmp_path / "home", EXAMPLE_DAGS, {"AIRFLOW_CONN_ISPOT_DEFAULT": "{}"})
    env = dep.env
    assert "AIRFLOW__CORE__UNIT_TEST_MODE" not in env and "AIRFLOW_CONN_STRAY" not in env
    assert env["AIRFLOW_CONN_ISPOT_DEFAULT"] == "{}"
    assert env["AIRFLOW_HOME"] == str(tmp_path / "home")
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"http://127.0.0.1:{dep.port}/execution/"
    assert env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] == "False"


def test_failure_report_shows_the_failing_task_log(tmp_path):
    dep = AirflowDeployment(tmp_path, EXAMPLE_DAGS, {})
    log = tmp_path / "logs" / "dag_id=d" / "run_id=r" / "task_id=upload" / "attempt=1.log"
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps({"timestamp": "t", "level": "error", "event": "upload refused: 422"}) + "\n")
    run = DeploymentRun(dep, {"d.py": ["d"]}, {"d": RunOutcome("d", "r", "failed", {"upload": "failed",
                                                                                      "prep": "success"})},
                        {"d": {}}, "2026-11-20T00:00:00Z")
    report = run.failure_report()
    assert "d run r: failed" in report and "'upload': 'failed'" in report
    assert "upload refused: 422" in report
    assert "prep" not in report.split("unsuccessful tasks")[1].split("\n")[0]
