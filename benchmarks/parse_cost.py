"""DAG-parse cost of this provider's operators and sensor, next to the HTTP provider's HttpOperator.

Every figure comes from fresh interpreter processes: each process first imports
``airflow`` and the compat SDK (what any DAG file pays anyway), then times the import of
one module and lists the heavy modules that import pulled in. Median of ``--runs``.

    python benchmarks/parse_cost.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

MODULES = {
    "HttpOperator (reference)": "airflow.providers.http.operators.http",
    "IspotConversionUploadOperator": "airflow_provider_adtech.operators.ispot",
    "BidSwitchDiscrepancyOperator": "airflow_provider_adtech.operators.bidswitch",
    "FreeWheelS3OrderOperator": "airflow_provider_adtech.operators.freewheel",
    "IqmCampaignOperator": "airflow_provider_adtech.operators.iqm",
    "OiReportSensor": "airflow_provider_adtech.sensors.oi",
}
#: modules a DAG file should not pay for: loaded only when a task executes
HEAVY = ["boto3", "botocore", "pytz", "requests_toolbelt", "zipfile", "csv", "tenacity", "requests"]
OWN_HEAVY_PREFIXES = ["airflow_provider_adtech.formats", "airflow_provider_adtech.hooks",
                      "airflow_provider_adtech.sandbox"]

CHILD = r"""
import sys, time
t0 = time.perf_counter()
import airflow
import airflow.providers.common.compat.sdk as sdk
sdk.BaseOperator, sdk.BaseSensorOperator  # resolve the lazy names, as a DAG file does
t1 = time.perf_counter()
before = set(sys.modules)
import importlib
importlib.import_module(sys.argv[1])
t2 = time.perf_counter()
new = sorted(set(sys.modules) - before)
print(json.dumps({"airflow": t1 - t0, "module": t2 - t1, "new": new}))
""".replace("import sys, time", "import sys, time, json")


def measure(module: str, runs: int) -> dict:
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", CHILD, module], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"importing {module} failed:\n{out.stderr[-2000:]}")
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    new = samples[-1]["new"]
    heavy = [m for m in HEAVY if m in new]
    own = sorted({p for p in OWN_HEAVY_PREFIXES for m in new if m == p or m.startswith(p + ".")})
    return {
        "module_ms": statistics.median(s["module"] for s in samples) * 1000,
        "airflow_ms": statistics.median(s["airflow"] for s in samples) * 1000,
        "new_modules": len(new),
        "heavy": heavy,
        "own": own,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    results = {name: measure(mod, args.runs) for name, mod in MODULES.items()}
    ref = results["HttpOperator (reference)"]["module_ms"]
    print(f"import cost after `import airflow` (median of {args.runs} fresh processes)")
    print(f"{'module':32} {'ms':>8} {'x Http':>7} {'new mods':>9}  heavy modules loaded")
    for name, r in results.items():
        heavy = ", ".join(r["heavy"] + r["own"]) or "-"
        print(f"{name:32} {r['module_ms']:8.1f} {r['module_ms'] / ref:7.2f} {r['new_modules']:9d}  {heavy}")
    print(f"(cold `import airflow` + compat SDK in the same processes: "
          f"{statistics.median(r['airflow_ms'] for r in results.values()):.0f} ms)")
    worst = max(r["module_ms"] for n, r in results.items() if n != "HttpOperator (reference)")
    print(f"target: ours <= HttpOperator: {'met' if worst <= ref else 'NOT met'} "
          f"(worst {worst:.1f} ms vs {ref:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
