"""The ledger: fct_requests is the view of each call's canonical occurrence in staging."""

from __future__ import annotations

import duckdb

from pipelines.warehouse import state
from pipelines.warehouse.sql import read_sql, run_sql, scalar


def keys_to_refresh(conn: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Whether run `run_id` staged or removed occurrences."""
    staged = scalar(conn, "SELECT count(*) FROM stg_calls WHERE run_id = ?", [run_id])
    return staged > 0 or state.run_changed(conn, "run_removed_keys", run_id)


def refresh_fct(conn: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Re-choose the canonical occurrence (the fct_requests row) of every key this run
    touched, and give new keys their call id; returns how many keys that was."""
    run_sql(conn, read_sql("warehouse/run_tables.sql"))
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE touched_keys AS "
        "SELECT DISTINCT dedup_key, NULL::BIGINT AS call_id FROM stg_calls "
        "WHERE run_id = ? "
        "UNION ALL SELECT dedup_key, call_id FROM run_removed_keys WHERE run_id = ?",
        [run_id, run_id])
    run_sql(conn, read_sql("ledger/fct_requests_refresh.sql"))
    touched = scalar(conn, "SELECT count(*) FROM touched_ids")
    conn.execute("DROP TABLE touched_keys")
    conn.execute("DROP TABLE touched_ids")
    conn.execute("DROP TABLE touched_occurrences")
    return touched
