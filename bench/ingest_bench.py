"""Ingestion benchmark: prints figures, asserts nothing (targets are in issue #2).

    make bench                       # 1,000,000 calls, a year of logs
    python bench/ingest_bench.py --requests 100000   # a quicker look

Measures, on the same generated landing folder in the same run:
  - DuckDB's own typed read_ndjson of the .jsonl/.jsonl.gz files (the reference),
  - the end-to-end `tokenworks ingest` (all shapes, dedup, quarantine, load, checks, publish):
    calls/s, MB/s, and the peak RSS of its whole process tree,
  - an unchanged landing folder re-ingested (the `tokenworks ingest` command, wall time),
  - one new day ingested into a warehouse holding one day versus a year of history.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import psutil

from pipelines.jobs import run_ingest
from pipelines.samples import generate

REPO = Path(__file__).resolve().parent.parent

END_DATE = dt.date(2026, 11, 27)


def landing_bytes(landing: Path, suffixes=None) -> int:
    return sum(p.stat().st_size for p in landing.rglob("*")
               if p.is_file() and (suffixes is None or p.name.endswith(suffixes)))


def ensure_landing(out: Path, requests: int, days: int, seed: int) -> Path:
    landing = out / f"landing-{requests}-{days}-{seed}"
    marker = landing / ".complete"
    if not marker.exists():
        shutil.rmtree(landing, ignore_errors=True)
        started = time.perf_counter()
        summary = generate(landing, requests=requests, days=days, seed=seed, end_date=END_DATE)
        marker.write_text("ok")
        print(f"generated {summary['records']:,} records, {summary['bytes'] / 1e6:,.0f} MB in "
              f"{time.perf_counter() - started:.0f} s")
    return landing


def duckdb_reference(landing: Path) -> tuple[float, int]:
    """DuckDB's typed read_ndjson of every line-delimited file: the envelope's fields typed,
    bodies as JSON, malformed lines skipped, every column consumed (so none is skipped)."""
    conn = duckdb.connect()
    conn.execute("SET threads = 2")
    typed = {"timestamp": "VARCHAR", "provider": "VARCHAR", "project": "VARCHAR",
             "user": "VARCHAR", "api_key_id": "VARCHAR", "latency_ms": "DOUBLE",
             "metadata": "JSON", "request": "JSON", "response": "JSON", "stream": "JSON",
             "custom_id": "VARCHAR", "result": "JSON", "error": "JSON"}
    pattern = [str(landing / "**" / "*.jsonl"), str(landing / "**" / "*.jsonl.gz")]
    consumed = ", ".join(f"count({name})" for name in typed)
    started = time.perf_counter()
    rows = conn.execute(
        f"SELECT count(*), {consumed} FROM read_ndjson({pattern}, columns = {typed}, "
        "ignore_errors = true, maximum_object_size = 67108864)").fetchone()[0]
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, rows


class TreeRss:
    """Peak summed RSS of a process and all its children, sampled every 20 ms."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                total = 0
                for proc in procs:
                    with contextlib.suppress(psutil.Error):
                        total += proc.memory_info().rss
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def cli_ingest(landing: Path, warehouse: Path) -> tuple[float, int, str]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "ingest", "--landing", str(landing),
         "--warehouse", str(warehouse)], cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    rss = TreeRss(proc.pid)
    out, err = proc.communicate()
    peak = rss.stop()
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"ingest failed:\n{out}\n{err}")
    return seconds, peak, out


def calls_in(warehouse: Path) -> int:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0]
    finally:
        conn.close()


def new_day_cost(out: Path, full_landing: Path, full_warehouse: Path, seed: int
                 ) -> tuple[float, float]:
    """Seconds to ingest the same new day on top of one day versus all the history. Each case
    starts from a copy of a warehouse that has never seen the new day."""
    new_day = out / "new-day"
    if not (new_day / ".complete").exists():
        shutil.rmtree(new_day, ignore_errors=True)
        generate(new_day, requests=4_000, days=1, seed=seed + 1,
                 end_date=END_DATE + dt.timedelta(days=1))
        (new_day / ".complete").write_text("ok")
    one_day = out / "one-day-landing"
    shutil.rmtree(one_day, ignore_errors=True)
    last_day = END_DATE.strftime("%Y/%m/%d")
    shutil.copytree(full_landing / last_day, one_day / last_day)
    one_day_base = out / "one-day-base.duckdb"
    fresh(one_day_base)
    run_ingest(one_day, one_day_base)
    results = []
    for landing, base in ((one_day, one_day_base), (full_landing, full_warehouse)):
        scratch = out / "new-day-scratch.duckdb"
        fresh(scratch)
        shutil.copy(base, scratch)
        target = landing / "zz-new-day"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(new_day, target, ignore=shutil.ignore_patterns(".complete"))
        try:
            started = time.perf_counter()
            summary = run_ingest(landing, scratch)
            results.append(time.perf_counter() - started)
            assert summary.files_new == sum(1 for p in target.rglob("*") if p.is_file())
        finally:
            shutil.rmtree(target)
    return results[0], results[1]


def fresh(warehouse: Path) -> None:
    shutil.rmtree(str(warehouse) + ".runs", ignore_errors=True)
    warehouse.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=REPO / "bench-output")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    landing = ensure_landing(args.out, args.requests, args.days, args.seed)
    total_mb = landing_bytes(landing) / 1e6
    ndjson_mb = landing_bytes(landing, (".jsonl", ".jsonl.gz")) / 1e6
    print(f"landing: {landing}  {total_mb:,.0f} MB on disk ({ndjson_mb:,.0f} MB line-delimited)")
    print(f"machine: {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, duckdb {duckdb.__version__}")

    ref_seconds, ref_rows = duckdb_reference(landing)
    ref_rate = ndjson_mb / ref_seconds
    print(f"\nDuckDB typed read_ndjson (reference): {ref_rows:,} rows in {ref_seconds:.1f} s = "
          f"{ref_rate:,.0f} MB/s")

    warehouse = args.out / "full.duckdb"
    fresh(warehouse)
    seconds, peak, _ = cli_ingest(landing, warehouse)
    calls = calls_in(warehouse)
    rate = total_mb / seconds
    print(f"tokenworks ingest (end to end, CLI): {calls:,} calls in {seconds:.1f} s = "
          f"{calls / seconds:,.0f} calls/s, {rate:,.0f} MB/s "
          f"({rate / ref_rate:.0%} of DuckDB's read; target >= 40%)")
    print(f"  peak RSS, whole process tree: {peak / 2**20:,.0f} MiB (target < 1536 MiB)")

    seconds, _, _ = cli_ingest(landing, warehouse)
    print(f"unchanged landing re-ingest (CLI wall time): {seconds:.2f} s (target < 3 s)")

    one_day, full_year = new_day_cost(args.out, landing, warehouse, args.seed)
    print(f"one new day on 1 day of history: {one_day:.2f} s; on {args.days} days: "
          f"{full_year:.2f} s (ratio {full_year / one_day:.2f})")


if __name__ == "__main__":
    main()
