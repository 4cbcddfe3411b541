"""Ingestion benchmark: prints figures, asserts nothing (targets are in the issues).

    make bench                       # 1,000,000 calls, a year of logs
    python bench/ingest_bench.py --requests 100000   # a quicker look
    python bench/ingest_bench.py --baseline 4d8ebd8  # the code of that commit, side by side

Measures, on the same generated landing folder in the same run:
  - DuckDB's own typed read_ndjson of the .jsonl/.jsonl.gz files (the reference), and the same
    read with the bodies typed too (envelope and body STRUCT, usage counts as JSON, as the
    rules need them): what reading alone costs before any rule,
  - the end-to-end `tokenworks ingest` (all shapes, dedup, quarantine, load, checks, commit):
    calls/s, MB/s, and the peak RSS of its whole process tree,
  - where that ingest's time goes (bench/ingest_steps.py: one more run, its steps' seconds),
    and so its time without costing (the ledger alone) and with it,
  - an unchanged landing folder re-ingested (the `tokenworks ingest` command, wall time),
  - one new day ingested into a warehouse holding one day, a year, and ten times the year's
    calls (the year's ledger replayed, as bench/cost_bench.py does): the nightly cost should
    follow the new data, not the history. Each warehouse gets --nights successive new days,
    measured in turn with the other code and sizes; the medians are compared,
  - with --baseline REF, the same measurements with the code of commit REF (a git worktree
    under --out, run by this interpreter), each right before the current code's.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import psutil

from pipelines.samples import generate
from pipelines.warehouse.lake import Lake

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
        # API logs only: a baseline from before #19 cannot read agents' transcripts (their
        # ingest is measured by bench/agent_bench.py)
        summary = generate(landing, requests=requests, days=days, seed=seed, end_date=END_DATE,
                           agent_logs=False)
        marker.write_text("ok")
        print(f"generated {summary['records']:,} records, {summary['bytes'] / 1e6:,.0f} MB in "
              f"{time.perf_counter() - started:.0f} s")
    return landing


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


ENVELOPE = {"timestamp": "VARCHAR", "provider": "VARCHAR", "project": "VARCHAR",
            "user": "VARCHAR", "api_key_id": "VARCHAR", "latency_ms": "DOUBLE",
            "metadata": "JSON", "request": "JSON", "response": "JSON", "stream": "JSON",
            "custom_id": "VARCHAR", "result": "JSON", "error": "JSON"}

# A body of any family, as far as the token rules read it; counts stay JSON so that 12.5 and
# "12" can still be told from 12.
_COUNT = "JSON"
_CACHE = f"STRUCT(ephemeral_5m_input_tokens {_COUNT}, ephemeral_1h_input_tokens {_COUNT})"
_USAGE = (
    f"STRUCT(prompt_tokens {_COUNT}, completion_tokens {_COUNT}, total_tokens {_COUNT}, "
    f"prompt_tokens_details STRUCT(cached_tokens {_COUNT}, cache_write_tokens {_COUNT}), "
    f"completion_tokens_details STRUCT(reasoning_tokens {_COUNT}), "
    f"prompt_cache_hit_tokens {_COUNT}, cost JSON, input_tokens {_COUNT}, "
    f"output_tokens {_COUNT}, input_tokens_details STRUCT(cached_tokens {_COUNT}), "
    f"output_tokens_details STRUCT(reasoning_tokens {_COUNT}), "
    f"cache_read_input_tokens {_COUNT}, cache_creation_input_tokens {_COUNT}, "
    f"cache_creation {_CACHE}, server_tool_use STRUCT(web_search_requests {_COUNT}), "
    f"service_tier VARCHAR, \"inputTokens\" {_COUNT}, \"outputTokens\" {_COUNT}, "
    f"\"totalTokens\" {_COUNT}, \"cacheReadInputTokens\" {_COUNT}, "
    f"\"cacheWriteInputTokens\" {_COUNT}, billed_units STRUCT(input_tokens {_COUNT}, "
    f"output_tokens {_COUNT}))")
_GEMINI_USAGE = (
    f"STRUCT(\"promptTokenCount\" {_COUNT}, \"cachedContentTokenCount\" {_COUNT}, "
    f"\"candidatesTokenCount\" {_COUNT}, \"thoughtsTokenCount\" {_COUNT}, "
    f"\"toolUsePromptTokenCount\" {_COUNT}, \"totalTokenCount\" {_COUNT})")
_BODY_FIELDS = (
    "object VARCHAR, type VARCHAR, id VARCHAR, model VARCHAR, created JSON, created_at JSON, "
    "service_tier VARCHAR, choices STRUCT(finish_reason VARCHAR)[], "
    f"usage {_USAGE}, x_groq STRUCT(usage {_USAGE}), status VARCHAR, "
    "stop_reason VARCHAR, candidates STRUCT(\"finishReason\" VARCHAR)[], "
    f"\"usageMetadata\" {_GEMINI_USAGE}, \"modelVersion\" VARCHAR, \"responseId\" VARCHAR, "
    "\"stopReason\" VARCHAR, error JSON")
ENVELOPE_AND_BODY = {**ENVELOPE, "response": (
    f"STRUCT({_BODY_FIELDS}, status_code JSON, request_id VARCHAR, body STRUCT({_BODY_FIELDS}))")}


def duckdb_reference(landing: Path, typed: dict = ENVELOPE) -> tuple[float, int, float]:
    """DuckDB's typed read_ndjson of every line-delimited file: the envelope's fields typed,
    bodies as JSON (or as `typed` says), malformed lines skipped, every column consumed (so
    none is skipped)."""
    conn = duckdb.connect()
    conn.execute("SET threads = 2")
    pattern = [str(landing / "**" / "*.jsonl"), str(landing / "**" / "*.jsonl.gz")]
    consumed = ", ".join(f"count({name})" for name in typed)
    cpu = own_cpu_seconds()
    started = time.perf_counter()
    rows = conn.execute(
        f"SELECT count(*), {consumed} FROM read_ndjson({pattern}, columns = {typed}, "
        "ignore_errors = true, maximum_object_size = 67108864)").fetchone()[0]
    seconds = time.perf_counter() - started
    cpu = own_cpu_seconds() - cpu
    conn.close()
    return seconds, rows, cpu / seconds


class TreeRss:
    """Peak summed RSS of a process and all its children, and the CPU time they used, sampled
    every 20 ms (a worker's CPU time counts up to its last sample)."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.peak = 0
        self.cpu: dict[int, float] = {}
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
                        times = proc.cpu_times()
                        self.cpu[proc.pid] = times.user + times.system
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak

    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


class Code:
    """The code that ingests: this checkout, or a git worktree of another commit."""

    def __init__(self, name: str, root: Path, suffix: str):
        self.name, self.root, self.suffix = name, root, suffix

    @classmethod
    def baseline(cls, ref: str, out: Path) -> Code:
        sha = subprocess.run(["git", "rev-parse", "--short", ref], cwd=REPO, check=True,
                             capture_output=True, text=True).stdout.strip()
        root = out / f"baseline-{sha}"
        if not root.exists():
            subprocess.run(["git", "worktree", "add", "--detach", str(root), sha], cwd=REPO,
                           check=True, capture_output=True)
        # Before the lake, a warehouse was one DuckDB file.
        suffix = ".ducklake" if (root / "pipelines/warehouse/lake.py").exists() else ".duckdb"
        return cls(f"baseline {sha}", root, suffix)

    def warehouse(self, out: Path, name: str) -> Path:
        return out / f"{name}-{self.name.replace(' ', '-')}{self.suffix}"

    def ingest(self, landing: Path, warehouse: Path) -> tuple[float, int, float]:
        """Wall seconds, peak RSS of the process tree, and CPU use (1.0 = one core busy)."""
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "ingest", "--landing", str(landing),
             "--warehouse", str(warehouse)], cwd=self.root, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(self.root)})
        rss = TreeRss(proc.pid)
        out, err = proc.communicate()
        peak = rss.stop()
        seconds = time.perf_counter() - started
        if proc.returncode:
            raise SystemExit(f"{self.name}: ingest failed:\n{out}\n{err}")
        return seconds, peak, rss.cpu_seconds() / seconds

    def calls_in(self, warehouse: Path) -> int:
        conn = (duckdb.connect(str(warehouse), read_only=True) if self.suffix == ".duckdb"
                else Lake.locate(warehouse).connect(read_only=True))
        try:
            return conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0]
        finally:
            conn.close()


# The steps that make the ledger; the others price it and build the marts and scenarios.
LEDGER_STEPS = ("staging", "fct_requests", "ingest_runs")


def print_steps(code: Code, landing: Path, out: Path, total_mb: float, ref_rate: float,
                ref_seconds: float, typed_read_seconds: float) -> None:
    """One more full ingest (in-process, bench/ingest_steps.py), its steps' seconds, its time
    without costing (the ledger's steps and their checks alone), and the least a run could
    take if staging were nothing but the typed read of the bodies: that read and the other
    steps as they are."""
    warehouse = code.warehouse(out, "steps")
    fresh(warehouse)
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "ingest_steps.py"), str(landing), str(warehouse)],
        cwd=code.root, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(code.root)})
    if run.returncode:
        raise SystemExit(f"{code.name}: ingest_steps failed:\n{run.stderr[-3000:]}")
    timing = json.loads(run.stdout.strip().splitlines()[-1])
    steps, total = timing["steps"], timing["total"]
    ledger = sum(seconds for step, seconds in steps.items()
                 if step.startswith(LEDGER_STEPS))
    slowest = sorted(steps.items(), key=lambda item: -item[1])
    print(f"[{code.name}] where an ingest's time goes ({total:.1f} s in-process; "
          f"{total - sum(steps.values()):.1f} s between steps): " + ", ".join(
              f"{step} {seconds:.2f}" for step, seconds in slowest if seconds >= 0.1))
    for label, seconds in (("without costing (the ledger's steps and checks)", ledger),
                           ("with costing (the whole run)", total)):
        rate = total_mb / seconds
        print(f"[{code.name}]   {label}: {seconds:.1f} s = {rate:,.0f} MB/s "
              f"({rate / ref_rate:.0%} of DuckDB's read)")
    rest = sum(steps.values()) - steps.get("staging", 0)
    floor = typed_read_seconds + rest
    print(f"[{code.name}]   25% of DuckDB's read allows {4 * ref_seconds:.1f} s in all. Staging "
          f"took {steps.get('staging', 0):.1f} s, the other steps {rest:.1f} s: with staging "
          f"no more than the typed read of the bodies, a run would take {floor:.1f} s = "
          f"{total_mb / floor / ref_rate:.0%} of DuckDB's read")


def fresh(warehouse: Path) -> None:
    for path in warehouse.parent.glob(warehouse.name + "*"):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def new_day_landings(out: Path, seed: int, nights: int) -> list[Path]:
    """One landing folder per night after the landing's last day: 4,000 calls each."""
    days = []
    for night in range(nights):
        day = out / f"new-day-{night + 1}"
        if not (day / ".complete").exists():
            shutil.rmtree(day, ignore_errors=True)
            generate(day, requests=4_000, days=1, seed=seed + 1 + night,
                     end_date=END_DATE + dt.timedelta(days=1 + night), agent_logs=False)
            (day / ".complete").write_text("ok")
        days.append(day)
    return days


@contextlib.contextmanager
def with_new_day(landing: Path, new_day: Path):
    """The new day's files in the landing folder, for one ingest (then taken away again, as
    the landing folder of a bench run is shared)."""
    target = landing / f"zz-{new_day.name}"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(new_day, target, ignore=shutil.ignore_patterns(".complete"))
    try:
        yield
    finally:
        shutil.rmtree(target)


def new_night(code: Code, landing: Path, warehouse: Path, new_day: Path) -> float:
    with with_new_day(landing, new_day):
        seconds, _, _ = code.ingest(landing, warehouse)
    return seconds


def seconds_list(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def replay_history(warehouse: Path, copies: int) -> None:
    """Ten times the ledger: the year's calls replayed with their own keys and ids, each copy
    shifted back by 37 days; the next run re-prices every call and rebuilds the marts."""
    conn = Lake.locate(warehouse).connect()
    try:
        conn.execute("BEGIN TRANSACTION")
        conn.execute(
            "INSERT INTO stg_calls BY NAME SELECT s.* REPLACE ("
            "dedup_key || '#' || k AS dedup_key, request_id || '#' || k AS request_id, "
            "call_id + k * (SELECT max(call_id) FROM stg_calls) AS call_id, "
            "event_at - INTERVAL (k * 37) DAY AS event_at) "
            f"FROM stg_calls s, range(1, {copies}) t(k)")
        conn.execute("DELETE FROM fct_costs")
        conn.execute("COMMIT")
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=REPO / "bench-output")
    parser.add_argument("--baseline", help="a commit whose code to measure side by side")
    parser.add_argument("--history-copies", type=int, default=10)
    parser.add_argument("--nights", type=int, default=3,
                        help="new days measured on each warehouse, in turn")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    landing = ensure_landing(args.out, args.requests, args.days, args.seed)
    total_mb = landing_bytes(landing) / 1e6
    ndjson_mb = landing_bytes(landing, (".jsonl", ".jsonl.gz")) / 1e6
    print(f"landing: {landing}  {total_mb:,.0f} MB on disk ({ndjson_mb:,.0f} MB line-delimited)")
    print(f"machine: {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, duckdb {duckdb.__version__}")

    ref_seconds, ref_rows, ref_cpu = duckdb_reference(landing)
    ref_rate = ndjson_mb / ref_seconds
    print(f"\nDuckDB typed read_ndjson (reference): {ref_rows:,} rows in {ref_seconds:.1f} s = "
          f"{ref_rate:,.0f} MB/s; CPU {ref_cpu:.0%} of one core")
    body_seconds, _, body_cpu = duckdb_reference(landing, ENVELOPE_AND_BODY)
    print(f"the same read with the bodies typed (no rule yet): {body_seconds:.1f} s = "
          f"{ndjson_mb / body_seconds:,.0f} MB/s ({ref_seconds / body_seconds:.0%} of the "
          f"reference); CPU {body_cpu:.0%} of one core")

    codes = [Code("current", REPO, ".ducklake")]
    if args.baseline:
        codes.insert(0, Code.baseline(args.baseline, args.out))
    for code in codes:
        fresh(code.warehouse(args.out, "full"))
    for code in codes:  # each baseline measurement right before the current one
        warehouse = code.warehouse(args.out, "full")
        seconds, peak, cpu = code.ingest(landing, warehouse)
        calls = code.calls_in(warehouse)
        rate = total_mb / seconds
        print(f"[{code.name}] tokenworks ingest (end to end, CLI): {calls:,} calls in "
              f"{seconds:.1f} s = {calls / seconds:,.0f} calls/s, {rate:,.0f} MB/s "
              f"({rate / ref_rate:.0%} of DuckDB's read); peak RSS {peak / 2**20:,.0f} MiB; "
              f"CPU {cpu:.0%} of one core ({os.cpu_count()} cores)")
    for code in codes:
        seconds, _, _ = code.ingest(landing, code.warehouse(args.out, "full"))
        print(f"[{code.name}] unchanged landing re-ingest (CLI wall time): {seconds:.2f} s")
    for code in codes:
        print_steps(code, landing, args.out, total_mb, ref_rate, ref_seconds,
                    body_seconds)

    # Nights are measured in turn (baseline, current; one day, a year, 10x), each code and
    # size a new night in each round, so drift hits them all alike; medians are compared.
    new_days = new_day_landings(args.out, args.seed, args.nights)
    one_day = args.out / "one-day-landing"
    shutil.rmtree(one_day, ignore_errors=True)
    last_day = END_DATE.strftime("%Y/%m/%d")
    shutil.copytree(landing / last_day, one_day / last_day)
    for code in codes:
        base = code.warehouse(args.out, "one-day")
        fresh(base)
        code.ingest(one_day, base)

    current = codes[-1]
    big = current.warehouse(args.out, f"history-{args.history_copies}x")
    fresh(big)
    current.ingest(landing, big)
    replay_history(big, args.history_copies)
    seconds, _, _ = current.ingest(landing, big)  # re-prices all, rebuilds the marts
    calls = current.calls_in(big)
    print(f"[{current.name}] {calls:,} calls of history: re-priced and marts rebuilt in "
          f"{seconds:.1f} s")

    nights: dict[tuple[str, str], list[float]] = {}
    for new_day in new_days:
        for code in codes:
            for size, folder, warehouse in (
                    ("one day", one_day, code.warehouse(args.out, "one-day")),
                    (f"{args.days} days", landing, code.warehouse(args.out, "full"))):
                nights.setdefault((code.name, size), []).append(
                    new_night(code, folder, warehouse, new_day))
        nights.setdefault((current.name, "10x"), []).append(
            new_night(current, landing, big, new_day))
    for code in codes:
        small = statistics.median(nights[code.name, "one day"])
        year = statistics.median(nights[code.name, f"{args.days} days"])
        print(f"[{code.name}] one new day on 1 day of history: {small:.2f} s "
              f"({seconds_list(nights[code.name, 'one day'])}); on {args.days} days: "
              f"{year:.2f} s ({seconds_list(nights[code.name, f'{args.days} days'])}); "
              f"ratio {year / small:.2f} (medians of {len(new_days)} nights)")
    small = statistics.median(nights[current.name, "one day"])
    tenfold = statistics.median(nights[current.name, "10x"])
    per_night = statistics.median(
        big_night / small_night for big_night, small_night in zip(
            nights[current.name, "10x"], nights[current.name, "one day"], strict=True))
    print(f"[{current.name}] one new day on {calls:,} calls of history: {tenfold:.2f} s "
          f"({seconds_list(nights[current.name, '10x'])}); ratio to one day of history "
          f"{tenfold / small:.2f} (median of the nights' own ratios {per_night:.2f})")


if __name__ == "__main__":
    main()
