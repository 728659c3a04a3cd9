"""Throughput and memory of the iSpot conversion pipeline (run by hand, not a test).

    python benchmarks/ispot_pipeline.py --sizes 0.213,1 --pairs 5 --rss-gb 4 --uploads

For each size in ``--sizes`` (GB) an iSpot-shaped CSV is generated twice in a temporary
folder (every value quoted, as the document asks; and the same rows quoted only where
needed, as warehouses export them). Each measured step runs in a fresh process; wall
time, CPU time (user + system, all threads) and peak RSS are recorded.

Paired figures: every run of a project step is paired with a run of the document's own
split snippet ("Splitting your Files", no validation) on the same file, just before it, and
the ratio is taken within the pair (the machine's load moves both alike). Printed: min and
median over ``--pairs`` pairs of the snippet's and the project's MB/s, their ratio, and the
CPU seconds of each.

* ``ours``: validate + normalize + split (``prepare_conversions``) of the compliant file, CSV parts;
* ``ours-zip``: the same, writing ``.zip`` parts sized by their compressed size;
* ``plain-csv`` / ``ours-quoting``: ``csv.reader`` -> ``csv.writer(QUOTE_ALL)`` over the file
  that needs quoting, and ours on it (``--quoting-pairs`` pairs, first size only);
* ``--rss-gb N``: ours and ours-zip once on an N GB file, for their peak RSS;
* ``upload`` (unless ``--skip-upload``): ``IspotHook.upload_conversions`` of a 200 MB part to a
  sandbox in another process; how much the client's peak RSS grew;
* ``--uploads``: ``IspotConversionUploadOperator`` uploading 8 parts of 2 MB with
  ``max_parallel_uploads`` 1 and 4 while the sandbox reads every connection at
  ``--bandwidth`` bytes per second (its ``bandwidth`` fault).

Targets: ``ours`` >= 1.0x the snippet, ``ours-zip`` >= 0.5x; ``ours-quoting`` >= 1.0x
``plain-csv``; peak RSS < 150 MB; upload RSS growth < 64 MB. Every generated file is
deleted at the end.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import resource
import statistics
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


def phase_uploads(src: str, out: str, parallel: int) -> dict:
    """The operator uploading ``src`` in 2 MB parts, ``parallel`` at a time (sandbox in another process)."""
    from airflow_provider_adtech.operators.ispot import IspotConversionUploadOperator

    op = IspotConversionUploadOperator(
        task_id="bench", source=src, data_date=DAY.isoformat(), allow_reprocessing=True, max_file_size=2_000_000,
        min_file_size=0, file_prefix=f"bench{parallel}x{os.getpid()}", max_parallel_uploads=parallel,
        work_dir=out)
    op.hook.get_token()  # the token exchange is not what is measured
    started = time.perf_counter()
    summary = op.execute({})
    return {"upload_seconds": time.perf_counter() - started, "parts": len(summary["parts"]),
            "uploaded": summary["uploaded"], "parallel": parallel}


def run_phase(name: str, src: str, out: str, parallel: int = 1) -> dict:
    if name.startswith("ours"):
        import airflow_provider_adtech.formats.ispot  # noqa: F401  (imports are not what is measured)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
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
    elif name == "uploads":
        extra = phase_uploads(src, out, parallel)
    else:
        raise SystemExit(f"unknown phase {name}")
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec(), so a child would report its parent's peak
    peak_mb = _rss_peak_kb() / 1024
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"phase": name, "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime - cpu_before,
            "bytes": os.path.getsize(src), "peak_rss_mb": peak_mb, **extra}


# --------------------------------------------------------------------------- driver
def spawn(name: str, src: str, folder: str, env: dict | None = None, parallel: int = 1) -> dict:
    out = tempfile.mkdtemp(prefix=f"out-{name}-", dir=folder)
    try:
        cmd = [sys.executable, os.path.abspath(__file__), "--phase", name, "--src", src, "--out", out,
               "--parallel", str(parallel)]
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


def _mbs(r: dict) -> float:
    return r["bytes"] / 1e6 / r["seconds"]


def paired(step: str, src: str, folder: str, pairs: int, reference: str = "reference") -> list[tuple[dict, dict]]:
    """``pairs`` x (the reference run, then the step), same file."""
    out = []
    for i in range(pairs):
        ref = spawn(reference, src, folder)
        ours = spawn(step, src, folder)
        print(f"  pair {i + 1}: {reference} {_mbs(ref):6.1f} MB/s  {step} {_mbs(ours):6.1f} MB/s  "
              f"ratio {_mbs(ours) / _mbs(ref):.2f}  cpu {ref['cpu']:.2f} / {ours['cpu']:.2f} s  "
              f"peak RSS {ours['peak_rss_mb']:.0f} MB", flush=True)
        out.append((ref, ours))
    return out


def summarize(label: str, step: str, runs: list[tuple[dict, dict]], reference: str = "snippet") -> str:
    ratios = [_mbs(o) / _mbs(r) for r, o in runs]
    ref_mbs = [_mbs(r) for r, _ in runs]
    our_mbs = [_mbs(o) for _, o in runs]
    med = statistics.median
    return (f"{label:8s} {step:13s} {reference} {med(ref_mbs):6.1f} MB/s, ours {med(our_mbs):6.1f} MB/s; ratio "
            f"median {med(ratios):.2f}x min {min(ratios):.2f}x max {max(ratios):.2f}x; CPU s median "
            f"{med(r['cpu'] for r, _ in runs):.2f} vs {med(o['cpu'] for _, o in runs):.2f}; "
            f"peak RSS {max(o['peak_rss_mb'] for _, o in runs):.0f} MB ({len(runs)} pairs)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.213,1", help="sizes of the generated inputs, GB, comma-separated")
    parser.add_argument("--pairs", type=int, default=5, help="paired runs per step and size")
    parser.add_argument("--quoting-pairs", type=int, default=1, help="pairs of plain-csv / ours-quoting")
    parser.add_argument("--rss-gb", type=float, default=0, help="also run ours and ours-zip once at this size")
    parser.add_argument("--tmp", default=None, help="folder for the generated files (default: system temp)")
    parser.add_argument("--skip-upload", action="store_true", help="leave out the 200 MB upload step")
    parser.add_argument("--uploads", action="store_true", help="parallel uploads under a bandwidth limit")
    parser.add_argument("--bandwidth", type=int, default=1_000_000, help="bytes/s per connection (--uploads)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--parallel", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.src, args.out, args.parallel)))
        return 0

    folder = tempfile.mkdtemp(prefix="ispot-bench-", dir=args.tmp)
    sandbox = None
    lines: list[str] = []
    try:
        print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; cpus={os.cpu_count()} "
              f"load={os.getloadavg()[0]:.1f}; python {sys.version.split()[0]}", flush=True)
        from airflow_provider_adtech.formats.ispot.parts import deflate_engine

        print(f"# deflate: {deflate_engine()[0]}", flush=True)
        compliant = ""
        for k, gb in enumerate(float(x) for x in args.sizes.split(",")):
            size = int(gb * 1e9)
            compliant, quoting = generate(folder, size)
            label = f"{os.path.getsize(compliant) / 1e6:.0f} MB"
            print(f"# {label} (load {os.getloadavg()[0]:.1f})", flush=True)
            for step in ("ours", "ours-zip"):
                lines.append(summarize(label, step, paired(step, compliant, folder, args.pairs)))
            if k == 0 and args.quoting_pairs:
                runs = paired("ours-quoting", quoting, folder, args.quoting_pairs, reference="plain-csv")
                lines.append(summarize(label, "ours-quoting", runs, reference="plain-csv"))
            os.remove(quoting)
            if gb != float(args.sizes.split(",")[-1]) or args.rss_gb:
                os.remove(compliant)
        if args.rss_gb:
            compliant, quoting = generate(folder, int(args.rss_gb * 1e9))
            os.remove(quoting)
            for step in ("ours", "ours-zip"):
                r = spawn(step, compliant, folder)
                lines.append(f"{r['bytes'] / 1e9:.1f} GB  {step:13s} {_mbs(r):6.1f} MB/s, CPU {r['cpu']:.1f} s, "
                             f"peak RSS {r['peak_rss_mb']:.0f} MB (one run)")
                print(lines[-1], flush=True)
        if not args.skip_upload or args.uploads:
            sandbox, env = start_sandbox(folder)
        if not args.skip_upload:
            if not compliant or not os.path.exists(compliant):
                compliant, quoting = generate(folder, 210_000_000)
                os.remove(quoting)
            part = os.path.join(folder, "part200.csv")
            with open(compliant, "rb") as fin, open(part, "wb") as fout:
                fout.write(fin.readline())
                remaining = 199_000_000
                for line in fin:
                    if len(line) > remaining:
                        break
                    fout.write(line)
                    remaining -= len(line)
            up = spawn("upload", part, folder, env)
            os.remove(part)
            lines.append(f"upload of a {up['bytes'] / 1e6:.0f} MB part: {up['status']} in {up['seconds']:.1f} s, "
                         f"client RSS {up['rss_before_mb']} -> peak {up['rss_peak_mb']} MB, growth "
                         f"{up['growth_mb']} MB" + ("" if up["peak_reset"] else " [peak not reset]"))
        if args.uploads:
            from airflow_provider_adtech.sandbox.core import SandboxClient

            src = os.path.join(folder, "uploads.csv")
            with open(src, "wb") as fh:
                fh.write(HEADER.encode())
                fh.write(_base_blocks(72_000)[0])  # ~15.5 MB: 8 parts of 2 MB
            conn = json.loads(env["AIRFLOW_CONN_ISPOT_DEFAULT"])
            host = conn["host"] if "://" in conn["host"] else f"http://{conn['host']}:{conn['port']}"
            client = SandboxClient(host)
            client.configure("ispot", min_bytes=0, rate_limit=1000)
            client.inject("*", "bandwidth", rate=args.bandwidth)
            times = {}
            for n in (1, 4):
                r = spawn("uploads", src, folder, env, parallel=n)
                times[n] = r["upload_seconds"]
                print(f"  {r['parts']} parts, max_parallel_uploads={n}: {r['upload_seconds']:.1f} s", flush=True)
            lines.append(f"uploads of {r['parts']} parts of 2 MB at {args.bandwidth / 1e6:.1f} MB/s per connection: "
                         f"1 at a time {times[1]:.1f} s, 4 in parallel {times[4]:.1f} s: "
                         f"{times[1] / times[4]:.2f}x faster")
        print()
        print("\n".join(lines))
        return 0
    finally:
        if sandbox is not None:
            os.killpg(sandbox.pid, 15)
            sandbox.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
