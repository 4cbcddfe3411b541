"""The marts the dashboards and analysts read, rebuilt for the days a run's costing changed
(run_changed_days), or whole after a full re-pricing."""

from __future__ import annotations

from pipelines.warehouse.sql import read_sql, run_sql


def build_marts(conn, run_id: str, full: bool) -> int:
    """mart_daily_drivers and mart_daily_distribution; returns the drivers mart's rows."""
    run_sql(conn, read_sql("warehouse/run_tables.sql"))
    for mart in ("mart_daily_drivers", "mart_daily_distribution"):
        run_sql(conn, read_sql(f"marts/{mart}.sql"), {"run_id": run_id, "full": full})
    return conn.execute("SELECT count(*) FROM mart_daily_drivers").fetchone()[0]


def build_spend(conn, run_id: str, full: bool) -> int:
    """mart_daily_spend, then the spend at risk of the days whose estimates were made again;
    returns its rows."""
    run_sql(conn, read_sql("warehouse/run_tables.sql"))
    run_sql(conn, read_sql("marts/mart_daily_spend.sql"), {"run_id": run_id, "full": full})
    run_sql(conn, read_sql("pricing/estimate_days.sql"), {"run_id": run_id, "full": full})
    run_sql(conn, read_sql("marts/mart_daily_spend_at_risk.sql"))
    return conn.execute("SELECT count(*) FROM mart_daily_spend").fetchone()[0]
