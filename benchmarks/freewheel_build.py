"""FreeWheel delivery build: CSV in -> validated, written, zipped linear-orders file.

Writes an input CSV of order lines (delivery schema, 1-3 syscodes a line), then builds
``linear_orders_{date}_{timestamp}.zip`` from it in a fresh process per size, the way
``FreeWheelS3OrderOperator`` does before uploading (read, validate every rule including
the uniqueness of contractid+tb_system_id+order_line, write the quoted CSV, zip).
Prints wall and CPU time, input MB/s and lines/s (per CPU second: the machine may be
shared), output sizes and the process's peak RSS above its RSS after imports: flat
memory means the peak barely moves with the number of lines (the key index for the
uniqueness rule costs ~12-36 bytes a line).

    python benchmarks/freewheel_build.py [--sizes 100000,1000000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

COLUMNS = ["contractid", "tb_system_id", "order_start_date", "order_end_date", "advertiser_name",
           "advertiser_code", "order_line", "spot_length", "prioritycode", "broadcast_week", "bookingdesc",
           "orbits", "syscode", "gross_dollars", "buget_units", "duration", "networkname", "networkcode", "marketname"]

CHILD = r"""
import datetime as dt, json, os, resource, sys, tempfile, time
from airflow_provider_adtech.formats import freewheel as fwf
from airflow_provider_adtech.formats.errors import ProblemCollector

def rss_kb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

path = sys.argv[1]
base = rss_kb()
out = tempfile.mkdtemp(prefix="fw-bench-out-")
t0 = time.perf_counter()
c0 = time.process_time()
problems = ProblemCollector()
stats = {}
with open(path, encoding="utf-8", newline="") as fh:
    res = fwf.build_delivery([("orders.csv", fwf.iter_csv_records(fh, "orders.csv", problems, stats))], out,
                             orders_date=dt.date(2026, 11, 20), timestamp="20261120000000",
                             problems=problems, stats=stats)
elapsed = time.perf_counter() - t0
cpu = time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
os.unlink(res.zip_path)
os.rmdir(out)
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "lines": res.lines, "csv_bytes": res.csv_bytes,
                  "zip_bytes": res.zip_bytes, "rss_after_imports_kb": base, "peak_rss_kb": peak}))
"""


def write_input(path: str, lines: int) -> int:
    rnd = random.Random(7)
    nets = ["ESPN", "CNN", "TNT", "HGTV", "FOOD", "AMC", "USA", "TBS"]
    markets = ["New York", "Boston", "Chicago", "Los Angeles", "Denver", "Miami"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for i in range(lines):
            k = rnd.randint(1, 3)
            length = rnd.choice((15, 30, 60))
            w.writerow([
                100000 + i // 1000, 7, "20261123", "20261129", f"Advertiser {i % 997}, Inc.",
                str(5000 + i % 997),
                i % 1000 + 1, length, rnd.randint(1, 9), "202648", "16:00-20:00", rnd.choice("YN"),
                ",".join(str(rnd.randint(1000, 9999)) for _ in range(k)),
                ",".join(f"{rnd.uniform(10, 5000):.2f}" for _ in range(k)),
                ",".join(str(rnd.randint(1, 40)) for _ in range(k)),
                ",".join([str(length)] * k),
                ",".join(rnd.choice(nets) for _ in range(k)), ",".join(rnd.choice(nets) for _ in range(k)),
                ",".join(rnd.choice(markets) for _ in range(k)),
            ])
    return os.path.getsize(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated numbers of order lines")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    tmp = tempfile.mkdtemp(prefix="fw-bench-")
    try:
        print(f"{'lines':>10} {'input MB':>9} {'wall s':>7} {'CPU s':>7} {'MB/s':>7} {'lines/s':>9} "
              f"{'csv MB':>8} {'zip MB':>7} {'RSS base MB':>11} {'peak RSS MB':>11} {'peak-base':>9}")
        for n in sizes:
            path = os.path.join(tmp, f"orders_{n}.csv")
            size = write_input(path, n)
            proc = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True)
            os.unlink(path)
            if proc.returncode != 0:
                print(proc.stderr[-3000:], file=sys.stderr)
                return 1
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            assert r["lines"] == n, r
            mb = size / 1e6
            base, peak = r["rss_after_imports_kb"] / 1024, r["peak_rss_kb"] / 1024
            cpu = r["cpu_seconds"]
            print(f"{n:>10} {mb:>9.1f} {r['seconds']:>7.1f} {cpu:>7.1f} {mb / cpu:>7.1f} {n / cpu:>9.0f} "
                  f"{r['csv_bytes'] / 1e6:>8.1f} {r['zip_bytes'] / 1e6:>7.1f} {base:>11.1f} {peak:>11.1f} "
                  f"{peak - base:>9.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
