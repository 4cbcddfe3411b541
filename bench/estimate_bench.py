"""The spend-at-risk estimate's error (issue #13): prints figures, asserts nothing.

Every successful priced call of the 1M benchmark warehouse (bench/ingest_bench.py builds it) is
estimated as if its usage were unknown, from the same 30-day windows less the call itself, and
compared with its exact cost (costs.estimate_backtest). docs/pricing.md quotes the figures.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipelines.pricing import costs
from pipelines.warehouse.lake import Lake

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path,
                        default=REPO / "bench-output" / "full-current.ducklake",
                        help="the 1M-call lake bench/ingest_bench.py leaves")
    args = parser.parse_args()
    if not args.warehouse.exists():
        raise SystemExit(f"{args.warehouse} is missing: run bench/ingest_bench.py first")
    conn = Lake.locate(args.warehouse).connect(read_only=True)
    conn.execute("SET enable_progress_bar = false")
    unknown, at_risk, spend = conn.execute(
        "SELECT count(*) FILTER (cost_status = 'usage_unknown'), sum(estimated_cost), "
        "sum(total_cost) FROM fct_request_costs").fetchone()
    print(f"calls without usage: {unknown:,}; spend at risk (estimated) ${at_risk:,.2f} beside "
          f"${spend:,.2f} of known spend")
    started = time.perf_counter()
    rows = costs.estimate_backtest(conn)
    print(f"backtest (leave one out) in {time.perf_counter() - started:.1f} s; relative error "
          "|estimate - cost| / cost:")
    print(f"  {'grain':<26}{'method':<25}{'estimates':>11}{'median':>9}{'p90':>9}")
    for r in rows:
        median, p90 = (f"{r[k]:.1%}" if r[k] is not None else "—"
                       for k in ("median_relative_error", "p90_relative_error"))
        print(f"  {r['grain']:<26}{r['estimate_method']:<25}{r['estimates']:>11,}{median:>9}"
              f"{p90:>9}")
    conn.close()


if __name__ == "__main__":
    main()
