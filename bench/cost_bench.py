"""Costing benchmark (issue #3): prints figures, asserts nothing.

Costs 10,000,000 calls in SQL and compares with genai_prices.calc_price called per row on a
10,000-call sample. The 10M ledger is the lake bench/ingest_bench.py leaves: the 1M benchmark
ledger replayed ten times, each copy shifted by 37 days and given its own keys, so the calls
keep realistic shapes and span dates where prices differ. Everything here runs in one
transaction that is rolled back: the lake is left as it was.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC
from pathlib import Path

from genai_prices import Usage, calc_price

from pipelines.marts.build import build_marts, build_spend
from pipelines.pricing import costs, pricebook
from pipelines.warehouse.lake import Lake
from pipelines.warehouse.sql import insert_rows

REPO = Path(__file__).resolve().parent.parent


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
    insert_rows(conn, "price_discounts", [
        (10_000 + ordinal, provider, model, project, percent, start, until, version)
        for ordinal, (provider, model, project, percent, start, until) in enumerate(DISCOUNTS)])
    try:
        started = time.perf_counter()
        costs.cost_calls(conn, version)
        return time.perf_counter() - started
    finally:
        conn.execute("DELETE FROM price_discounts WHERE ordinal >= 10000")
        costs.cost_calls(conn, version)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path,
                        default=REPO / "bench-output" / "history-10x-current.ducklake",
                        help="the 10M-call lake bench/ingest_bench.py leaves")
    args = parser.parse_args()
    if not args.warehouse.exists():
        raise SystemExit(f"{args.warehouse} is missing: run bench/ingest_bench.py first")
    conn = Lake.locate(args.warehouse).connect(memory_limit="768MB")
    conn.execute("SET enable_progress_bar = false")
    conn.execute("BEGIN TRANSACTION")  # rolled back at the end
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
    conn.execute("ROLLBACK")
    conn.close()


if __name__ == "__main__":
    main()
