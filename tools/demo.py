"""Run every example DAG against the sandbox and moto S3, and print what happened.

Used by ``make demo``. Starts the sandbox (the five vendor APIs) and moto (S3/STS) on
127.0.0.1, points the Airflow connections at them through ``AIRFLOW_CONN_...``
variables, runs each DAG of ``example_dags/`` with ``airflow dags test`` in a fresh
``AIRFLOW_HOME`` (``.demo/``), prints a summary per DAG (its tasks and their states,
what the vendors received), stops both servers and exits non-zero if anything failed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "example_dags"
WORK = ROOT / ".demo"
#: yesterday (UTC) from the clock, unless DEMO_LOGICAL_DATE says otherwise: the vendors' date
#: rules (iSpot's reprocessing window, IQM end dates in the future) are checked against now
LOGICAL_DATE = os.environ.get("DEMO_LOGICAL_DATE") or (
    dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)).isoformat()
#: vendor DAGs first, the daily pipeline (which uses all of them) last
ORDER = ["oi_reports", "ispot_conversions", "bidswitch_discrepancy", "freewheel_orders", "iqm_campaigns",
         "adtech_daily_pipeline"]


def discover_dags() -> list[str]:
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    if bag.import_errors:
        for path, err in bag.import_errors.items():
            print(f"IMPORT ERROR {path}:\n{err}", file=sys.stderr)
        raise SystemExit(1)
    ids = sorted(bag.dag_ids, key=lambda d: (ORDER.index(d) if d in ORDER else len(ORDER), d))
    return ids


def short(value: object, limit: int = 300) -> str:
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def main() -> int:
    if WORK.exists():
        shutil.rmtree(WORK)
    (WORK / "airflow").mkdir(parents=True)
    os.environ["AIRFLOW_HOME"] = str(WORK / "airflow")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
    os.environ["ADTECH_TOKEN_CACHE_DIR"] = str(WORK / "token-cache")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")

    from airflow_provider_adtech.sandbox.core import SandboxServer
    from airflow_provider_adtech.sandbox.dagrun import run_dag
    from airflow_provider_adtech.sandbox.s3 import start_moto

    started = time.monotonic()
    sandbox = SandboxServer().start()
    moto, s3_env = start_moto("127.0.0.1")
    os.environ.update(sandbox.connection_env())
    os.environ.update(s3_env)
    print(f"sandbox on {sandbox.url}; moto S3 on {s3_env.get('ADTECH_SANDBOX_S3_URL', '?')}")
    failures = 0
    try:
        dag_ids = discover_dags()
        print(f"example DAGs: {', '.join(dag_ids)}\n")
        for dag_id in dag_ids:
            before = len(sandbox.journal.entries())
            t0 = time.monotonic()
            result = run_dag(dag_id, DAGS, logical_date=LOGICAL_DATE, output_dir=WORK / "logs")
            took = time.monotonic() - t0
            ok = result.state == "success" and all(s == "success" for s in result.task_states.values())
            failures += not ok
            print(f"== {dag_id}: {result.state} ({took:.1f} s){'' if ok else '  <-- FAILED'}")
            for task_id, state in sorted(result.task_states.items()):
                print(f"   {task_id:40} {state}")
                if task_id in result.xcoms and result.xcoms[task_id] is not None:
                    print(f"   {'':40} -> {short(result.xcoms[task_id])}")
            received = Counter(f"{e.route} {e.status}" for e in sandbox.journal.entries()[before:])
            if received:
                print("   vendors received: " + ", ".join(f"{k} x{v}" for k, v in sorted(received.items())))
            if not ok:
                print(f"   output: {WORK / 'logs'}/{dag_id}-*.log; last lines:")
                for line in result.output.strip().splitlines()[-25:]:
                    print("   | " + line[:200])
            print()
        print("== what the sandbox holds now")
        for vendor, state in sandbox.state().items():
            print(f"   {vendor:10} {short(state, 400)}")
        leaked = [s for s in sandbox.secrets() if any(s in p.read_text(errors="replace")
                                                      for p in (WORK / "logs").glob("*.log"))]
        print(f"\nsecrets (credentials and issued tokens) found in the DAG outputs: {len(leaked)}")
        failures += bool(leaked)
        print("token requests: " + ", ".join(
            f"{r} x{sandbox.journal.count(r)}" for r in sorted({e.route for e in sandbox.journal.entries()})
            if r.endswith("token") or r.endswith("login")))
    finally:
        sandbox.stop()
        moto.stop()
    print(f"\n{len(dag_ids) - failures if failures <= len(dag_ids) else 0} of {len(dag_ids)} DAGs succeeded "
          f"in {time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
