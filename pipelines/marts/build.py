"""The marts the dashboards and analysts read: daily spend, drivers and distributions, rebuilt
for the days a run changed (every day after a full re-pricing); then the spend-at-risk
estimates, which read their reference from the drivers mart."""

from __future__ import annotations

from pipelines.pricing import costs
from pipelines.warehouse.sql import read_sql, run_sql


def build_marts(conn) -> int:
    """Rebuild the marts for what cost_calls just changed (all of it after a full re-pricing),
    then the estimates of the calls without usage; returns mart_daily_spend's rows."""
    full = conn.execute("SELECT repriced_all FROM cost_run").fetchone()[0]
    for mart in ("mart_daily_spend", "mart_daily_drivers", "mart_daily_distribution"):
        run_sql(conn, read_sql(f"marts/{mart}.sql"), {"full": full})
    costs.estimate_unknown_usage(conn, full)
    return conn.execute("SELECT count(*) FROM mart_daily_spend").fetchone()[0]
