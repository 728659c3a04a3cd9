"""Throughput and memory of the iSpot conversion pipeline (run by hand, not a test).

    python benchmarks/ispot_pipeline.py --gb 1
    python benchmarks/ispot_pipeline.py --gb 4 --skip-upload

Generates an iSpot-shaped CSV of ``--gb`` GB twice (every value quoted, as the document
asks, and the same rows as a warehouse exports them: quoted only where needed) in a
temporary folder, then runs each measured step in a fresh process and prints its MB/s and
peak RSS:

* ``reference``: the document's own Python split snippet ("Splitting your Files", no
  validation) on the compliant file, cutting at 200 MB;
* ``ours``: validate + normalize + split (``prepare_conversions``) of the compliant file;
* ``ours-zip``: the same, writing ``.zip`` parts sized by their compressed size;
* ``plain-csv``: ``csv.reader`` -> ``csv.writer(QUOTE_ALL)`` over the file that needs quoting;
* ``ours-quoting``: validate + normalize + split of that file;
* ``upload``: ``IspotHook.upload_conversions`` of a 200 MB part to a sandbox running in
  another process; prints how much the client's peak RSS grew.

Targets: ``ours`` >= 0.5x ``reference``; ``ours-quoting`` >= 1.0x ``plain-csv``; peak RSS
< 150 MB; upload RSS growth < 64 MB. Every generated file is deleted at the end.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from itertools import chain

HEADER = "ip,datetime,siteid,app,type,customdata,passthru,useragent\n"
DAY = dt.date(2026, 11, 20)
AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
    "Safari/537.36 Edg/119.0.0.0",
    "Roku/DVP-12.5 (12.5.0.4178-88)",
]


# --------------------------------------------------------------------------- data
def _base_blocks(n_rows: int = 20_000) -> tuple[bytes, bytes]:
    """One block of distinct rows, every value quoted / quoted only where needed. IPs start
    with "10." so that each repetition can move them to another first octet."""
    rnd = random.Random(20261120)
    all_q, minimal = io.StringIO(), io.StringIO()
    wa = csv.writer(all_q, quoting=csv.QUOTE_ALL, lineterminator="\n")
    wm = csv.writer(minimal, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    for _ in range(n_rows):
        app = rnd.random() < 0.3
        row = [
            f"10.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
            f"{DAY.isoformat()} {rnd.randrange(24):02d}:{rnd.randrange(60):02d}:{rnd.randrange(60):02d}",
            "TC-1234-5",
            "app" if app else "web",
            rnd.choice(["purchase", "signup", "add_to_cart", "visit"]),
            rnd.choice(["customer_new,channel_paid-search", "customer_returning,channel_email", "",
                        "plan_annual"]),
            "1",
            AGENTS[3] if app else rnd.choice(AGENTS[:3]),
        ]
        wa.writerow(row)
        wm.writerow(row)
    return all_q.getvalue().encode(), minimal.getvalue().encode()


def generate(folder: str, size: int) -> tuple[str, str]:
    """Two files of about ``size`` bytes each: compliant, and needing quotes."""
    block_all, block_min = _base_blocks()
    paths = os.path.join(folder, "compliant.csv"), os.path.join(folder, "needs-quoting.csv")
    with open(paths[0], "wb") as fa, open(paths[1], "wb") as fm:
        fa.write(HEADER.encode())
        fm.write(HEADER.encode())
        k = 0
        written = 0
        while written < size:
            first = f"{k % 223 + 1}.".encode()
            fa.write(block_all.replace(b'"10.', b'"' + first))
            fm.write(first + block_min[3:].replace(b"\n10.", b"\n" + first))
            written += len(block_all)
            k += 1
    return paths


# --------------------------------------------------------------------------- phases (each in its own process)
def phase_reference(src: str, out: str) -> None:
    """The document's snippet, as printed in "Splitting your Files" (200 MB parts)."""

    def split_file(filename, pattern, size):
        with open(filename, "rb") as f:
            header = next(f)
            for index, line in enumerate(f, start=100):
                with open(pattern.format(index), "wb") as out_file:
                    out_file.write(header)
                    n = 0
                    for line in chain([line], f):
                        out_file.write(line)
                        n += len(line)
                        if n >= size:
                            break

    split_file(src, os.path.join(out, "file{0:03d}.csv"), 200_000_000)


def phase_plain_csv(src: str, out: str) -> None:
    with open(src, newline="", encoding="utf-8") as fin, \
            open(os.path.join(out, "plain.csv"), "w", newline="", encoding="utf-8") as fout:
        csv.writer(fout, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(csv.reader(fin))


def phase_ours(src: str, out: str, compress: bool = False) -> dict:
    from airflow_provider_adtech.formats.ispot import (
        ConversionRules,
        SplitOptions,
        local_file,
        prepare_conversions,
    )

    prepared = prepare_conversions([local_file(src)], ConversionRules(dates=(DAY,)),
                                   SplitOptions(day=DAY, compress=compress), out)
    return {"parts": len(prepared.parts), "rows": prepared.rows,
            "max_part": max(p.bytes for p in prepared.parts)}


def _rss_now_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _rss_peak_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def phase_upload(src: str, out: str) -> dict:
    """Upload a ~200 MB part; the sandbox runs in another process (see main)."""
    from airflow_provider_adtech.hooks.ispot import IspotHook

    hook = IspotHook()
    hook.get_token()  # imports and the token exchange happen before the measurement
    import requests_toolbelt  # noqa: F401

    before = _rss_now_kb()
    try:
        with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (VmHWM) to the current RSS
            fh.write("5")
        reset = True
    except OSError:
        reset = False
    result = hook.upload_conversions(src, "conversions_2026-11-20_001.csv")
    peak = _rss_peak_kb()
    return {"status": result.status, "bytes": result.bytes, "rss_before_mb": round(before / 1024, 1),
            "rss_peak_mb": round(peak / 1024, 1), "growth_mb": round((peak - before) / 1024, 1),
            "peak_reset": reset}


def run_phase(name: str, src: str, out: str) -> dict:
    started = time.perf_counter()
    extra = {}
    if name == "reference":
        phase_reference(src, out)
    elif name == "plain-csv":
        phase_plain_csv(src, out)
    elif name == "ours":
        extra = phase_ours(src, out)
    elif name == "ours-zip":
        extra = phase_ours(src, out, compress=True)
    elif name == "ours-quoting":
        extra = phase_ours(src, out)
    elif name == "upload":
        extra = phase_upload(src, out)
    else:
        raise SystemExit(f"unknown phase {name}")
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec(), so a child would report its parent's peak
    peak_mb = _rss_peak_kb() / 1024
    return {"phase": name, "seconds": seconds, "bytes": os.path.getsize(src), "peak_rss_mb": peak_mb, **extra}


# --------------------------------------------------------------------------- driver
def spawn(name: str, src: str, folder: str, env: dict | None = None) -> dict:
    out = tempfile.mkdtemp(prefix=f"out-{name}-", dir=folder)
    try:
        cmd = [sys.executable, os.path.abspath(__file__), "--phase", name, "--src", src, "--out", out]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            raise SystemExit(f"phase {name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def start_sandbox(folder: str) -> tuple[subprocess.Popen, dict]:
    env_file = os.path.join(folder, "sandbox.env")
    proc = subprocess.Popen([sys.executable, "-m", "airflow_provider_adtech.sandbox", "--env-file", env_file],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        if os.path.exists(env_file) and os.path.getsize(env_file) > 0:
            break
        time.sleep(0.1)
    env = dict(os.environ)
    with open(env_file) as fh:
        for line in fh:
            key, _, value = line.removeprefix("export ").rstrip("\n").partition("=")
            env[key] = shlex.split(value)[0]
    env["ADTECH_TOKEN_CACHE_DIR"] = os.path.join(folder, "tokens")
    env.setdefault("AIRFLOW_HOME", os.path.join(folder, "airflow-home"))
    return proc, env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0, help="size of the generated input (GB)")
    parser.add_argument("--tmp", default=None, help="folder for the generated files (default: system temp)")
    parser.add_argument("--repeat", type=int, default=1, help="run each timed step this often, keep the best")
    parser.add_argument("--skip-upload", action="store_true", help="leave out the 200 MB upload step")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.src, args.out)))
        return 0

    folder = tempfile.mkdtemp(prefix="ispot-bench-", dir=args.tmp)
    sandbox = None
    try:
        size = int(args.gb * 1e9)
        print(f"# generating 2 x {size / 1e9:.1f} GB in {folder} ...", flush=True)
        t0 = time.perf_counter()
        compliant, quoting = generate(folder, size)
        print(f"# generated in {time.perf_counter() - t0:.0f} s; cpus={os.cpu_count()} "
              f"load={os.getloadavg()[0]:.1f}", flush=True)
        results: dict[str, dict] = {}
        plan = [("reference", compliant), ("ours", compliant), ("ours-zip", compliant),
                ("plain-csv", quoting), ("ours-quoting", quoting)]
        for _ in range(max(1, args.repeat)):
            for name, src in plan:
                r = spawn(name, src, folder)
                if name not in results or r["seconds"] < results[name]["seconds"]:
                    results[name] = r
                print(f"  {name:13s} {r['bytes'] / 1e6 / r['seconds']:8.1f} MB/s  {r['seconds']:7.1f} s  "
                      f"peak RSS {r['peak_rss_mb']:6.1f} MB", flush=True)
        if not args.skip_upload:
            part = os.path.join(folder, "part200.csv")
            with open(compliant, "rb") as fin, open(part, "wb") as fout:
                fout.write(fin.readline())
                remaining = 199_000_000
                for line in fin:
                    if len(line) > remaining:
                        break
                    fout.write(line)
                    remaining -= len(line)
            sandbox, env = start_sandbox(folder)
            results["upload"] = spawn("upload", part, folder, env)

        mb = lambda r: r["bytes"] / 1e6 / r["seconds"]  # noqa: E731
        ref, ours, plain, quot = (results[k] for k in ("reference", "ours", "plain-csv", "ours-quoting"))
        print()
        print(f"input: {ref['bytes'] / 1e9:.2f} GB compliant, {quot['bytes'] / 1e9:.2f} GB needing quotes "
              f"(best of {max(1, args.repeat)})")
        print(f"{'step':14s} {'MB/s':>8s} {'seconds':>8s} {'peak RSS MB':>12s}  notes")
        for name in ("reference", "ours", "ours-zip", "plain-csv", "ours-quoting"):
            r = results[name]
            note = f"{r['parts']} parts, largest {r['max_part'] / 1e6:.1f} MB" if "parts" in r else ""
            print(f"{name:14s} {mb(r):8.1f} {r['seconds']:8.1f} {r['peak_rss_mb']:12.1f}  {note}")
        print()
        print(f"validate+normalize+split vs document snippet: {mb(ours) / mb(ref):.2f}x (target >= 0.5)")
        print(f"same with zip vs document snippet:           {mb(results['ours-zip']) / mb(ref):.2f}x")
        print(f"input needing quotes vs plain csv pass:      {mb(quot) / mb(plain):.2f}x (target >= 1.0)")
        peak = max(results[k]["peak_rss_mb"] for k in ("ours", "ours-zip", "ours-quoting"))
        print(f"peak RSS of our steps:                       {peak:.1f} MB (target < 150)")
        if "upload" in results:
            up = results["upload"]
            print(f"upload of a {up['bytes'] / 1e6:.0f} MB part: {up['status']} in {up['seconds']:.1f} s, "
                  f"client RSS {up['rss_before_mb']} -> peak {up['rss_peak_mb']} MB, "
                  f"growth {up['growth_mb']} MB (target < 64)"
                  + ("" if up["peak_reset"] else " [peak not reset: includes start-up]"))
        return 0
    finally:
        if sandbox is not None:
            os.killpg(sandbox.pid, 15)
            sandbox.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
