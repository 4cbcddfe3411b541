"""Costing benchmark (issue #3): prints figures, asserts nothing.

Costs 10,000,000 calls in SQL and compares with genai_prices.calc_price called per row on a
10,000-call sample. The 10M ledger is the 1M benchmark ledger (bench/ingest_bench.py builds it)
replayed ten times, each copy shifted by 37 days and given its own keys, so the calls keep
realistic shapes and span dates where prices differ.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC
from pathlib import Path

import duckdb
from genai_prices import Usage, calc_price

from pipelines.marts.build import build_marts, build_spend
from pipelines.pricing import costs, pricebook
from pipelines.warehouse.sql import apply_schema, schema_digest

REPO = Path(__file__).resolve().parent.parent


def built_with_current_schema(path: Path) -> bool:
    """A benchmark warehouse left by an earlier run is reused only if made with today's schema
    files; otherwise it is rebuilt."""
    if not path.exists():
        return False
    conn = duckdb.connect(str(path), read_only=True)
    try:
        row = conn.execute("SELECT value FROM warehouse_meta WHERE key = 'schema'").fetchone()
    finally:
        conn.close()
    return row is not None and row[0] == schema_digest()


def build_ledger(source: Path, target: Path, copies: int) -> None:
    if built_with_current_schema(target):
        return
    target.unlink(missing_ok=True)
    conn = duckdb.connect(str(target))
    apply_schema(conn)
    conn.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
    conn.execute(
        "INSERT INTO stg_calls BY NAME SELECT s.* REPLACE ("
        "dedup_key || '#' || k AS dedup_key, request_id || '#' || k AS request_id, "
        "call_id + k * (SELECT max(call_id) FROM src.stg_calls) AS call_id, "
        "event_at - INTERVAL (k * 37) DAY AS event_at) "
        f"FROM src.stg_calls s, range({copies}) t(k)")
    conn.execute("DETACH src")
    conn.execute("CHECKPOINT")
    conn.close()


def calc_price_per_row(conn, sample_size: int) -> tuple[float, int]:
    rows = conn.execute(
        "SELECT f.provider, f.model, f.event_at, f.is_batch, f.service_tier, f.input_tokens, "
        "f.cache_read_tokens, f.cache_write_tokens, f.cache_write_1h_tokens, f.output_tokens, "
        "f.reasoning_tokens, f.web_search_requests FROM fct_requests f "
        "JOIN fct_costs c USING (call_id) WHERE c.is_priced").fetchall()
    sample = random.Random(1).sample(rows, min(sample_size, len(rows)))
    started = time.perf_counter()
    for (provider, model, event_at, is_batch, tier, inp, read, write, write_1h, out, reasoning,
         searches) in sample:
        usage = Usage(input_tokens=inp + read + write + write_1h, cache_read_tokens=read,
                      cache_write_tokens=write + write_1h, cache_write_5m_tokens=write,
                      cache_write_1h_tokens=write_1h, output_tokens=out,
                      output_reasoning_tokens=reasoning, web_searches=searches)
        context = {**({"service_tier": tier} if tier else {}),
                   **({"processing": "batch"} if is_batch else {})}
        calc_price(usage, model, provider_id=provider,
                   genai_request_timestamp=event_at.replace(tzinfo=UTC),
                   price_context=context or None)
    return time.perf_counter() - started, len(sample)


# Three kinds of negotiated discount, as pricing/overrides.yaml would load them: a whole
# provider, a provider's project from a date, a model for a period.
DISCOUNTS = [("openai", None, None, 10, "2020-01-01", None),
             ("anthropic", None, "support-bot", 15, "2025-06-01", None),
             ("anthropic", "claude-sonnet-4-20250514", None, 7.5, "2025-01-01", "2026-03-31")]


def with_discounts(conn, version: str) -> float:
    """Full re-pricing with discounts in force (about half the calls get one); the costs are
    re-made without them afterwards."""
    for ordinal, (provider, model, project, percent, start, until) in enumerate(DISCOUNTS):
        conn.execute("INSERT INTO price_discounts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [10_000 + ordinal, provider, model, project, percent, start, until, version])
    try:
        started = time.perf_counter()
        costs.cost_calls(conn, version)
        return time.perf_counter() - started
    finally:
        conn.execute("DELETE FROM price_discounts WHERE ordinal >= 10000")
        costs.cost_calls(conn, version)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, default=REPO / "bench-output" / "full.duckdb",
                        help="the 1M-call warehouse bench/ingest_bench.py publishes")
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    if not args.source.exists():
        raise SystemExit(f"{args.source} is missing: run bench/ingest_bench.py first")
    target = args.source.with_name(f"costing-{args.copies}x.duckdb")
    build_ledger(args.source, target, args.copies)
    conn = duckdb.connect(str(target))
    conn.execute("SET enable_progress_bar = false")
    calls = conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0]
    version = pricebook.pricebook_version()
    pricebook.load_prices(conn, version)
    pricebook.match_models(conn, version)
    started = time.perf_counter()
    costs.cost_calls(conn, version)  # no run named: every call
    sql_seconds = time.perf_counter() - started
    print(f"SQL costing: {calls:,} calls in {sql_seconds:.1f} s "
          f"({sql_seconds / calls * 1e6:.2f} µs per call; target: all 10M in < 15 s)")
    started = time.perf_counter()
    build_marts(conn, "", True)  # after a full re-pricing: every day, and every estimate
    costs.estimate_unknown_usage(conn, "", True)
    build_spend(conn, "", True)
    print(f"  marts and spend-at-risk estimates, all days: {time.perf_counter() - started:.1f} s")
    print(f"  with negotiated discounts: {with_discounts(conn, version):.1f} s")
    seconds, sample = calc_price_per_row(conn, 10_000)
    per_row = seconds / sample
    print(f"calc_price per row: {sample:,} calls in {seconds:.1f} s ({per_row * 1e6:.0f} µs per "
          f"call, {per_row * calls / 60:.0f} min for all {calls:,})")
    print(f"ratio: SQL is {per_row / (sql_seconds / calls):,.0f}x faster per call")
    conn.close()


if __name__ == "__main__":
    main()
