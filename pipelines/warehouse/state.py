"""What each derived table was built from, kept in warehouse_meta, so that every asset can tell
from the warehouse alone whether it is current: `<asset>.built` names the run that last wrote it,
`<asset>.from` what it was last built from whole."""

from __future__ import annotations

import duckdb

from pipelines.warehouse.sql import scalar


class RunState:
    """warehouse_meta as one run sees it: read in one statement when the run begins and written
    in two when it commits. Every statement on the lake costs milliseconds of catalog work, and
    the assets ask and record about thirty times a run. Only runs write warehouse_meta (the
    schema key aside, written by apply_schema before this is loaded)."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values
        self._changed: set[str] = set()

    @classmethod
    def load(cls, conn: duckdb.DuckDBPyConnection) -> RunState:
        try:
            rows = conn.execute("SELECT key, max(value) FROM warehouse_meta GROUP BY key"
                                ).fetchall()
        except duckdb.CatalogException:  # a new lake: the schema is not applied yet
            rows = []
        return cls(dict(rows))

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def put(self, key: str, value: str) -> None:
        self._values[key] = value
        self._changed.add(key)

    def write(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Replace the rows of the keys this run put."""
        if not self._changed:
            return
        keys = sorted(self._changed)
        conn.execute("DELETE FROM warehouse_meta WHERE list_contains(?, key)", [keys])
        conn.execute("INSERT INTO warehouse_meta SELECT unnest(?), unnest(?)",
                     [keys, [self._values[key] for key in keys]])
        self._changed.clear()


def run_changed(conn: duckdb.DuckDBPyConnection, table: str, run_id: str) -> bool:
    """Whether the run's scratch table `table` has rows of this run (it may not exist yet)."""
    try:
        return scalar(conn, f"SELECT count(*) FROM {table} WHERE run_id = ?", [run_id]) > 0
    except duckdb.CatalogException:
        return False
