"""Token economy: the iSpot example DAG run three times, each in its own process, against
the sandbox; prints how many tokens the sandbox issued (target: 1, as iSpot asks callers
not to mint a new 24-hour token before the current one expires).

    python benchmarks/token_economy.py [--dag ispot_conversions] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dag", default="ispot_conversions")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="adtech-token-economy-")
    os.environ["AIRFLOW_HOME"] = home
    os.environ["ADTECH_TOKEN_CACHE_DIR"] = os.path.join(home, "token-cache")

    from airflow_provider_adtech.sandbox.core import SandboxServer
    from airflow_provider_adtech.sandbox.dagrun import run_dag

    with SandboxServer() as sandbox:
        os.environ.update(sandbox.connection_env())
        for i in range(args.runs):
            day = f"2026-11-{18 + i:02d}"
            t0 = time.monotonic()
            result = run_dag(args.dag, ROOT / "example_dags", logical_date=day)
            print(f"run {i + 1} ({day}, separate process): {result.state} in {time.monotonic() - t0:.1f} s")
            if result.state != "success":
                print(result.output[-3000:])
                return 1
        routes = Counter(f"{e.route} {e.status}" for e in sandbox.journal.entries())
        tokens = sandbox.journal.count("ispot.token")
    print("requests the sandbox saw: " + ", ".join(f"{k} x{v}" for k, v in sorted(routes.items())))
    print(f"token requests for {args.runs} runs: {tokens} (target 1)")
    return 0 if tokens == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
