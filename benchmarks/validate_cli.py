"""Start-up time and peak memory of ``adtech-validate`` (run by hand, not a test).

    python benchmarks/validate_cli.py --gb 1

Prints, each from fresh processes:

* start-up: wall time of ``python -m airflow_provider_adtech.validate ispot`` on a 5-row file
  (median of ``--runs``), next to ``python -c pass`` and ``python -c "import airflow"``;
* a ``--gb`` GB iSpot file (generated in a temporary folder, deleted at the end): wall time,
  throughput and peak RSS of the command validating it, and the progress lines it printed.

Targets: start-up well under a second; peak RSS flat in the file size (< 150 MB for 1 GB).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ispot_pipeline import DAY, HEADER, _base_blocks  # noqa: E402  (the iSpot benchmark's rows)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND = [sys.executable, "-m", "airflow_provider_adtech.validate", "ispot", "--data-date", DAY.isoformat(),
           "--now", f"{DAY.isoformat()}T23:00:00"]


def generate(path: str, size: int, rows: int = 20_000) -> int:
    """An iSpot file of about ``size`` bytes, every value quoted; returns its size."""
    block = _base_blocks(rows)[0]
    with open(path, "wb") as fh:
        fh.write(HEADER.encode())
        k = written = 0
        while written < size:
            fh.write(block.replace(b'"10.', f'"{k % 223 + 1}.'.encode()))
            written += len(block)
            k += 1
    return os.path.getsize(path)


def timed(cmd: list[str]) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall seconds and peak RSS (kB, from GNU time's %M) of ``cmd``."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%M", *cmd], capture_output=True, text=True,
                              cwd=ROOT)
        wall = time.perf_counter() - start
        rss = int(tf.read().strip().splitlines()[-1])
    return wall, rss, proc


def median_wall(cmd: list[str], runs: int) -> float:
    return statistics.median(timed(cmd)[0] for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="adtech-validate-bench-")
    try:
        small = os.path.join(folder, "small.csv")
        with open(small, "wb") as fh:
            fh.write(HEADER.encode() + b"".join(_base_blocks(5)[0].splitlines(keepends=True)[:5]))
        wall, rss, proc = timed(COMMAND + [small])
        assert proc.returncode == 0, proc.stdout + proc.stderr
        start_up = median_wall(COMMAND + [small], args.runs)
        bare = median_wall([sys.executable, "-c", "pass"], args.runs)
        airflow = median_wall([sys.executable, "-c", "import airflow"], min(args.runs, 3))
        print(f"start-up (5-row file, median of {args.runs}): {start_up * 1000:.0f} ms, peak RSS {rss / 1024:.1f} MB "
              f"(python -c pass: {bare * 1000:.0f} ms; python -c 'import airflow': {airflow * 1000:.0f} ms)")

        big = os.path.join(folder, "big.csv")
        size = generate(big, int(args.gb * 1e9))
        wall, rss, proc = timed(COMMAND + [big])
        summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr
        progress = [line for line in proc.stderr.splitlines() if line.startswith("iSpot big.csv: ")]
        print(f"{size / 1e9:.2f} GB file: exit {proc.returncode}, {wall:.1f} s, {size / 1e6 / wall:.0f} MB/s, "
              f"peak RSS {rss / 1024:.1f} MB")
        print(f"  {summary}")
        print(f"  {len(progress)} progress line(s)" + (", first and last:" if len(progress) > 1 else ":"))
        for line in (progress[:1] + progress[-1:] if len(progress) > 1 else progress):
            print(f"    {line}")
        return 0 if proc.returncode == 0 else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
