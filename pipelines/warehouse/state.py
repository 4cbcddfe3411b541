"""What each derived table was built from, kept in warehouse_meta, so that every asset can tell
from the warehouse alone whether it is current: `<asset>.built` names the run that last wrote it,
`<asset>.from` what it was last built from whole."""

from __future__ import annotations

import duckdb

from pipelines.warehouse.sql import scalar


def get(conn: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = conn.execute("SELECT max(value) FROM warehouse_meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def put(conn: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    conn.execute("DELETE FROM warehouse_meta WHERE key = ?", [key])
    conn.execute("INSERT INTO warehouse_meta VALUES (?, ?)", [key, value])


def run_changed(conn: duckdb.DuckDBPyConnection, table: str, run_id: str) -> bool:
    """Whether the run's scratch table `table` has rows of this run (it may not exist yet)."""
    try:
        return scalar(conn, f"SELECT count(*) FROM {table} WHERE run_id = ?", [run_id]) > 0
    except duckdb.CatalogException:
        return False
