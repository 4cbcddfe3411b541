"""Costing: every call at the price in force that day (sql/pricing/fct_costs.sql), and the
spend-at-risk estimate of the calls whose usage was never logged (fct_cost_estimates.sql, run
after the marts it reads its reference from)."""

from __future__ import annotations

from pipelines.warehouse.sql import read_sql, run_sql


def cost_calls(conn, version: str, run_id: str | None = None) -> bool:
    """Cost the calls run `run_id` touched, or every call when the price book changed since the
    costs were made (or no run is named). Returns whether everything was re-priced."""
    previous = conn.execute("SELECT DISTINCT pricebook_version FROM fct_costs").fetchall()
    full = run_id is None or previous != [(version,)]
    run_sql(conn, read_sql("warehouse/run_tables.sql"))
    run_sql(conn, read_sql("pricing/cost_scope.sql"), {"run_id": run_id or ""})
    run_sql(conn, read_sql("pricing/fct_costs.sql"), {"pricebook_version": version, "full": full})
    conn.execute("INSERT INTO affected_days SELECT DISTINCT event_day FROM fct_costs "
                 "WHERE call_id IN (SELECT call_id FROM cost_scope)")
    conn.execute("CREATE OR REPLACE TEMP TABLE cost_run AS SELECT ? AS repriced_all", [full])
    return full


# Spend at risk, after the marts: which calls without usage to (re-)estimate, the reference
# calls around them (from the drivers mart), the estimates, their sums in the spend mart. The
# backtest measures the same estimate on calls whose cost is known.
ESTIMATE_STEPS = ("pricing/estimate_calls.sql", "pricing/estimate_windows.sql",
                  "pricing/fct_cost_estimates.sql", "marts/mart_daily_spend_at_risk.sql")
BACKTEST_STEPS = ("pricing/estimate_backtest_calls.sql", "pricing/estimate_windows.sql")


def estimate_unknown_usage(conn, full: bool) -> None:
    """Re-estimate the calls without usage whose 30-day window this run changed, and their sums
    in mart_daily_spend (after the marts)."""
    for step in ESTIMATE_STEPS:
        run_sql(conn, read_sql(step), {"full": full})


def estimate_backtest(conn) -> list[dict]:
    """The estimate's relative error on the calls whose cost is known (leave one out): one row
    per grain (call; day, provider and model) and method, with the median and 90th
    percentile."""
    for step in BACKTEST_STEPS:
        run_sql(conn, read_sql(step))
    cursor = conn.execute(read_sql("pricing/estimate_backtest.sql"))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
