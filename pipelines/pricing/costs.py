"""Costing: every call at the price in force that day (sql/pricing/fct_costs.sql), and the
spend-at-risk estimate of the calls whose usage was never logged (fct_cost_estimates.sql, run
after the marts it reads its reference from)."""

from __future__ import annotations

import duckdb

from pipelines.warehouse import state
from pipelines.warehouse.sql import read_sql, run_sql


def costs_current(conn, version: str) -> bool:
    """Every cost row was made with this price-book version (or there are no calls at all)."""
    versions = conn.execute("SELECT DISTINCT pricebook_version FROM fct_costs").fetchall()
    if not versions:
        return conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0] == 0
    return versions == [(version,)]


def calls_changed(conn, run_id: str) -> bool:
    """Whether run `run_id` staged or removed calls (whose costs are then to be made)."""
    staged = conn.execute("SELECT count(*) FROM stg_calls WHERE run_id = ?",
                          [run_id]).fetchone()[0]
    return staged > 0 or state.run_changed(conn, "run_removed_keys", run_id)


def cost_calls(conn, version: str, run_id: str = "", full: bool = True) -> None:
    """Cost every call (full), or the calls run `run_id` added, changed or removed; the days
    whose costs changed go to run_changed_days for the marts and estimates of the same run."""
    run_sql(conn, read_sql("warehouse/run_tables.sql"))
    run_sql(conn, read_sql("pricing/cost_scope.sql"), {"run_id": run_id, "full": full})
    if full:
        conn.execute("CREATE OR REPLACE TEMP VIEW calls_to_cost AS SELECT * FROM fct_requests")
    run_sql(conn, read_sql("pricing/fct_costs.sql"), {"pricebook_version": version, "full": full})
    conn.execute("INSERT INTO run_changed_days SELECT DISTINCT ?, event_day FROM fct_costs "
                 "WHERE call_id IN (SELECT call_id FROM cost_scope)", [run_id])


def among_costed_calls(conn, sql: str) -> list[tuple] | None:
    """Rows of `sql`, which reads the temp view calls_to_cost: the calls this run's connection
    costed (cost_calls). None when it costed none."""
    try:
        return conn.execute(sql).fetchall()
    except duckdb.CatalogException as error:
        if "calls_to_cost" not in str(error):
            raise
        return None


# Spend at risk, after the drivers mart: the days to redo, which calls without usage to
# (re-)estimate, the reference calls around them (from the drivers mart), the estimates. The
# backtest measures the same estimate on calls whose cost is known.
ESTIMATE_STEPS = ("pricing/estimate_days.sql", "pricing/estimate_calls.sql",
                  "pricing/estimate_windows.sql", "pricing/fct_cost_estimates.sql")
BACKTEST_STEPS = ("pricing/estimate_backtest_calls.sql", "pricing/estimate_windows.sql")


def estimate_unknown_usage(conn, run_id: str, full: bool) -> int:
    """Re-estimate the calls without usage whose 30-day window run `run_id` changed (every one
    when full); returns how many were estimated."""
    run_sql(conn, read_sql("warehouse/run_tables.sql"))
    for step in ESTIMATE_STEPS:
        run_sql(conn, read_sql(step), {"run_id": run_id, "full": full})
    return conn.execute("SELECT count(*) FROM estimate_calls").fetchone()[0]


def estimate_backtest(conn) -> list[dict]:
    """The estimate's relative error on the calls whose cost is known (leave one out): one row
    per grain (call; day, provider and model) and method, with the median and 90th
    percentile."""
    for step in BACKTEST_STEPS:
        run_sql(conn, read_sql(step))
    cursor = conn.execute(read_sql("pricing/estimate_backtest.sql"))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
