"""An agency's deployment: CeleryExecutor, Redis, two workers, many advertisers, shared tokens.

The fixture starts Redis and PostgreSQL (``celery_harness.services``), then api-server,
scheduler, dag-processor, triggerer and two Celery workers (``worker-a``, ``worker-b``),
with ``example_dags/adtech_agency_fanout.py`` as the only DAG and every advertiser
connection on ``token_cache=variable``. The sandbox issues iSpot and BidSwitch tokens
that live ``TOKEN_TTL`` seconds. Two runs of the DAG:

1. the first run (each connection's first token request);
2. a second run, triggered once every token of the first run has expired for the hooks:
   each advertiser's uploads start together, on both workers, and find the shared token
   stale at the same moment.

Run it alone with ``python -m pytest -m celery`` (Airflow 3 with
``apache-airflow-providers-celery``, ``redis``, ``psycopg2`` and ``asyncpg`` installed,
and Debian's ``redis-server`` and ``postgresql``: ``make test-celery``).
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from celery_harness import WORKERS, CeleryDeployment, RedisWatch, services
from deployment_harness import EXAMPLE_DAGS, RunOutcome, all_files, dags_folder_with, scan_for_secrets

pytestmark = [pytest.mark.celery, pytest.mark.timeout(1500)]

DAG_FILE = "adtech_agency_fanout.py"
DAG_ID = "adtech_agency_fanout"
#: lifetime of the iSpot and BidSwitch tokens the sandbox issues in this test (seconds)
TOKEN_TTL = 120
#: small files: the sandbox's iSpot takes any size here (its 8 MB rule is tested elsewhere)
CONF = {"rows": 2000, "min_file_size": 0}
SANDBOX_SETTINGS = {
    # each advertiser's report answers no rows for its first two polls: every sensor defers
    "oi": {"report_ready_after": 2},
    "ispot": {"min_bytes": 0, "token_ttl": TOKEN_TTL},
    "bidswitch": {"token_ttl": TOKEN_TTL},
}
DAG_ENV = {"ADTECH_OI_POKE_SECONDS": "12"}  # see conftest.DAG_ENV
TOKEN_VENDORS = ("ispot", "bidswitch")
MAPPED = {"export_conversions": 12, "upload_conversions": 12, "discrepancy_rows": 12,
          "upload_discrepancy_report": 12, "wait_for_report": 6}


@dataclass
class AgencyRun:
    logical_date: str
    outcome: RunOutcome
    task_instances: list[dict]
    journal_from: int  # first journal seq of this run
    journal_to: int = 0
    token_requests: dict[str, int] = field(default_factory=dict)


@dataclass
class CeleryRun:
    deployment: CeleryDeployment
    sandbox: object
    runs: list[AgencyRun]
    advertisers: list[str]
    scanned_files: list[Path]
    redis: RedisWatch
    variables: list[tuple[str, bool]]
    wall_seconds: float
    waited_for_expiry: float


def _day(offset: int) -> str:
    """Midnight UTC ``offset`` days before today: the test never depends on the date it was written."""
    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today - datetime.timedelta(days=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _run(dep: CeleryDeployment, sandbox, logical_date: str) -> AgencyRun:
    start = len(sandbox.journal.entries()) + 1
    run_id = dep.trigger(DAG_ID, logical_date, CONF)
    outcome = dep.wait_runs({DAG_ID: run_id}, timeout=600)[DAG_ID]
    run = AgencyRun(logical_date, outcome, dep.task_instances(DAG_ID, run_id), start,
                    len(sandbox.journal.entries()))
    run.token_requests = _token_requests(sandbox, run)
    return run


def _token_requests(sandbox, run: AgencyRun) -> dict[str, int]:
    counts: Counter = Counter()
    for e in sandbox.journal.entries():
        if run.journal_from <= e.seq <= run.journal_to and "token_account" in e.meta:
            counts[f"{e.vendor}_{e.meta['token_account']}"] += 1
    return dict(sorted(counts.items()))


@pytest.fixture(scope="module")
def celery_run(tmp_path_factory, deployment_summaries) -> CeleryRun:
    from airflow_provider_adtech.sandbox.core import SandboxServer

    t0 = time.monotonic()
    sandbox = SandboxServer().start()
    for vendor, settings in SANDBOX_SETTINGS.items():
        sandbox.configure(vendor, **settings)
    advertisers = sorted(next(iter(sandbox.accounts.values())))
    base = tmp_path_factory.mktemp("celery")
    shared = {f"{v}_{a}": {"token_cache": "variable"} for v in sandbox.accounts for a in advertisers}
    env = {**sandbox.connection_env(**shared), **DAG_ENV}
    dags = dags_folder_with([EXAMPLE_DAGS / DAG_FILE], base / "dags")
    try:
        with services() as svc:
            dep = CeleryDeployment(base / "airflow-home", dags, env, svc)
            redis = RedisWatch(svc, base / "redis-keyspace.txt")
            runs: list[AgencyRun] = []
            waited = 0.0
            try:
                with redis:
                    dep.start()
                    dep.wait_parsed([dags / DAG_FILE])
                    runs.append(_run(dep, sandbox, _day(2)))
                    # the hooks treat a token as expired 10 % of its lifetime early
                    issued = [t.expires_at for t in list(sandbox.tokens._tokens.values())
                              if t.vendor in TOKEN_VENDORS]
                    waited = max(0.0, max(issued, default=0) - 0.1 * TOKEN_TTL + 1 - time.time())
                    time.sleep(waited)
                    runs.append(_run(dep, sandbox, _day(1)))
            finally:
                dep.stop()
            with contextlib.closing(dep.db()) as db:
                variables = [(k, bool(enc)) for k, enc in
                             db.execute("SELECT key, is_encrypted FROM variable ORDER BY key").fetchall()]
            dump = svc.pg_dump(base / "metadata-db.sql")
            files = all_files(dep.home / "logs") + all_files(dep.output_dir) + [dump, redis.target]
            run = CeleryRun(dep, sandbox, runs, advertisers, files, redis, variables,
                            time.monotonic() - t0, waited)
            deployment_summaries.append(_figures(run))
            yield run
    finally:
        sandbox.stop()


def _figures(run: CeleryRun) -> str:
    lines = [f"Celery deployment (2 workers x {WORKERS}): wall time {run.wall_seconds:.1f}s, "
             f"waited {run.waited_for_expiry:.1f}s for the first run's tokens to expire; "
             + ", ".join(f"{k} {v:.1f}s" for k, v in run.deployment.timings.items())]
    for i, r in enumerate(run.runs, 1):
        per_worker = Counter(ti.get("hostname") for ti in r.task_instances)
        lines.append(f"  run {i} ({r.logical_date}): {r.outcome.state} in {r.outcome.seconds:.1f}s; "
                     f"task instances per worker {dict(sorted(per_worker.items(), key=str))}")
        lines.append(f"    token requests per connection: {r.token_requests}")
        lines.append("    connections whose two token tasks ran at the same time on both workers: "
                     f"{_overlaps(run.deployment, r)}")
    _, hits = scan_for_secrets(run.scanned_files, run.sandbox.secrets())
    lines.append(f"  secrets searched for: {len(run.sandbox.secrets())} in {len(run.scanned_files)} files "
                 f"(logs, outputs, metadata DB dump, {run.redis.snapshots} Redis keyspace snapshots): "
                 f"{len(hits)} found")
    return "\n".join(lines)


#: mapped task that uses a token -> (upstream task whose XCom holds its arguments, conn id argument)
TOKEN_TASKS = {"upload_conversions": ("export_conversions", "ispot_conn_id"),
               "upload_discrepancy_report": ("discrepancy_rows", "bidswitch_conn_id")}


def _token_tasks(dep: CeleryDeployment, r: AgencyRun) -> dict[str, list[dict]]:
    """Task instances that use a token, by connection (``ispot_adv1`` ...): instance ``i`` of a
    mapped upload got its arguments from instance ``i`` of the task before it."""
    values = dep.return_values(DAG_ID, r.outcome.run_id)
    out: dict[str, list[dict]] = {}
    for ti in r.task_instances:
        if ti["task_id"] in TOKEN_TASKS:
            upstream, arg = TOKEN_TASKS[ti["task_id"]]
            out.setdefault(values[f"{upstream}[{ti['map_index']}]"][arg], []).append(ti)
    return out


def _overlaps(dep: CeleryDeployment, r: AgencyRun) -> int:
    n = 0
    for tis in _token_tasks(dep, r).values():
        if len({ti.get("hostname") for ti in tis}) > 1:
            a, b = sorted(tis, key=lambda t: t["start_date"])[:2]
            if b["start_date"] < a["end_date"]:
                n += 1
    return n


# ---------------------------------------------------------------------------- the checks
def test_every_mapped_task_of_both_runs_succeeded(celery_run):
    assert len(celery_run.runs) == 2
    for r in celery_run.runs:
        bad = {t: s for t, s in r.outcome.tasks.items() if s != "success"}
        assert r.outcome.state == "success" and not bad, (
            f"{r.logical_date}: {r.outcome.state}, {bad}\n"
            + "\n".join(celery_run.deployment.task_log(DAG_ID, r.outcome.run_id, t) for t in bad)
            + celery_run.deployment.output_tail())
        mapped = Counter(ti["task_id"] for ti in r.task_instances if ti["map_index"] >= 0)
        assert mapped == MAPPED
        assert r.outcome.tasks["agency_summary"] == "success"


def test_tasks_ran_on_both_workers(celery_run):
    for r in celery_run.runs:
        hosts = Counter(ti.get("hostname") for ti in r.task_instances)
        assert set(hosts) == set(WORKERS), hosts
        token_hosts = {ti.get("hostname") for tis in _token_tasks(celery_run.deployment, r).values() for ti in tis}
        assert token_hosts == set(WORKERS), token_hosts
    for w in WORKERS:
        assert f"{w}@adtech ready" in celery_run.deployment.output(w)


def test_one_token_request_per_connection_per_run_even_after_expiry(celery_run):
    """One token request per advertiser connection in the first run, and one more in the
    second run, which started after every first-run token had expired: the mapped tasks of a
    connection on both workers shared it through the Variable cache and its lease."""
    expected = {f"{v}_{a}": 1 for v in TOKEN_VENDORS for a in celery_run.advertisers}
    first, second = celery_run.runs
    assert first.token_requests == expected
    assert second.token_requests == expected
    assert sorted(_token_tasks(celery_run.deployment, second)) == sorted(expected)
    assert all(len(tis) == 2 for tis in _token_tasks(celery_run.deployment, second).values())
    # the shared cache: one encrypted Variable per connection; no lease left behind
    tokens = [(k, enc) for k, enc in celery_run.variables if k.startswith("adtech_token__")]
    assert len(tokens) == len(expected) and all(enc for _, enc in tokens), celery_run.variables
    assert not [k for k, _ in celery_run.variables if k.startswith("adtech_lease__")]


def _journal(celery_run, r: AgencyRun, route: str) -> list:
    return [e for e in celery_run.sandbox.journal.entries(route) if r.journal_from <= e.seq <= r.journal_to]


def test_each_vendor_received_each_file_and_report_once_per_advertiser(celery_run):
    run, dep = celery_run, celery_run.deployment
    for r in run.runs:
        values = dep.return_values(DAG_ID, r.outcome.run_id)
        day = values["upload_conversions[0]"]["data_date"]
        uploads = _journal(run, r, "ispot.upload")
        assert all(e.meta.get("outcome") == "accepted" for e in uploads), [e.meta for e in uploads]
        files = Counter((e.meta["account"], e.meta["file"]) for e in uploads)
        assert files == Counter({(a, f"{a}_{ch}_conversions_{day}_001.csv"): 1
                                 for a in run.advertisers for ch in ("web", "app")})
        reports = _journal(run, r, "bidswitch.upload")
        assert all(e.meta.get("accepted") for e in reports), [e.meta for e in reports]
        platforms = Counter((e.meta["account"], e.meta["platform_name"]) for e in reports)
        assert platforms == Counter({(a, p): 1 for a in run.advertisers for p in ("sandbox-ssp", "adrtbdummy")})
        assert {d for e in reports for d in e.meta["days"]} == {day}
        # Opt-Intelligence: per advertiser two empty polls (worker, then trigger), the ready poll
        # of the trigger, and the one export walk after it
        polls = _journal(run, r, "oi.reports.publishers")
        first_pages: dict[str, list[int]] = {}
        for e in polls:
            if e.meta["row_start"] == 1:
                first_pages.setdefault(e.meta["account"], []).append(e.meta["rows"])
        assert sorted(first_pages) == run.advertisers
        for account, rows in first_pages.items():
            assert rows[:2] == [0, 0] and len(rows) == 4 and all(n > 0 for n in rows[2:]), (account, rows)


def test_opt_intelligence_sensors_deferred_in_the_triggerer(celery_run):
    dep = celery_run.deployment
    job_types = dep.job_types()
    for r in celery_run.runs:
        for i in range(MAPPED["wait_for_report"]):
            changes = dep.state_changes(DAG_ID, r.outcome.run_id, "wait_for_report", i)
            assert changes == ["running", "deferred", "running", "success"], (i, changes)
        triggers = dep.trigger_log_files(DAG_ID, r.outcome.run_id, "wait_for_report")
        assert triggers and all(job_types.get(j) == "TriggererJob" for j in triggers), (triggers, job_types)
        trigger_files = [p for p in dep.task_log_files(DAG_ID, r.outcome.run_id, "wait_for_report")
                         if ".log.trigger." in p.name]
        assert len(trigger_files) == MAPPED["wait_for_report"], trigger_files
        fired = dep.trigger_fired(DAG_ID, r.outcome.run_id, "wait_for_report")
        assert sorted(fired) == list(range(MAPPED["wait_for_report"])), fired


def test_no_secret_in_any_log_xcom_database_or_the_redis_keyspace(celery_run):
    run = celery_run
    secrets = run.sandbox.secrets()
    issued = run.sandbox.tokens.all_values()
    assert len(issued) == 2 * 2 * len(run.advertisers)  # two runs x two vendors x advertisers
    assert run.redis.snapshots > 0 and run.redis.keys_seen > 0, "the Redis keyspace was never read"
    xcoms = [v for r in run.runs for v in run.deployment.return_values(DAG_ID, r.outcome.run_id).values()]
    assert len(xcoms) == 2 * (sum(MAPPED.values()) + 1)
    scanned, hits = scan_for_secrets(run.scanned_files, secrets)
    assert scanned == len(run.scanned_files)
    assert not hits, f"{len(hits)} secret occurrences in {dict(Counter(h.path for h in hits))}"
    assert not [s for s in secrets if s in repr(xcoms)]
