"""How writers and readers share the warehouse: one DuckLake transaction per run.

- Readers (dashboards, `tokenworks sql`, analysts) attach the lake read-only and see the last
  committed run, never waiting for a writer.
- An ingest run opens one transaction when it starts: everything it reads is one snapshot, and
  everything it writes (ledger, costs, marts, scenarios, its ingest_runs row) becomes visible in
  one commit, or not at all. The blocking checks run before the commit, so a failed check
  commits nothing.
- Several runs may write at once (one per landing folder, on one machine or several). Each
  committing run replaces the same row of warehouse_meta, so DuckLake refuses to commit a run
  that overlapped another's commit: runs are serializable, and the loser is re-run whole
  (pipelines/jobs.py), which is what keeps one call arriving through two writers one call.
- A run that dies (even kill -9) commits nothing; the Parquet files it had written belong to no
  snapshot and are deleted after a later run's commit once they are ORPHAN_GRACE old (younger
  ones may be another writer's, not yet committed).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import duckdb

from pipelines.warehouse.lake import CATALOG, Lake, WarehouseMissing, is_commit_conflict
from pipelines.warehouse.sql import apply_schema, scalar, schema_digest
from pipelines.warehouse.state import RunState

WRITER_MEMORY = "768MB"  # DuckDB's share of an ingest's memory; it spills beyond
ORPHAN_GRACE = timedelta(hours=12)  # longer than any run; shorter than a night between runs

__all__ = ["CommitConflict", "Lake", "RunTransaction", "WarehouseMissing", "connect_reader",
           "scratch_lake"]


class CommitConflict(RuntimeError):
    """Another writer committed while this run worked: nothing was committed; run it again."""


def connect_reader(lake: Lake) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the last committed run."""
    conn = lake.connect(read_only=True)
    try:
        scalar(conn, "SELECT count(*) FROM warehouse_meta")
    except duckdb.CatalogException:
        conn.close()
        raise WarehouseMissing(f"the warehouse at {lake} holds no run yet: run `tokenworks "
                               "ingest` (or `tokenworks demo`) first") from None
    return conn


@contextmanager
def scratch_lake() -> Iterator[duckdb.DuckDBPyConnection]:
    """A new lake in a temporary folder, the schema applied, inside a transaction that is never
    committed: for working out what the pipeline would do (the inspector, the catalog's docs).
    One transaction, because each statement outside one is a commit of its own (18 s for the
    schema files, against 0.6 s)."""
    with tempfile.TemporaryDirectory(prefix="tokenworks-scratch-") as folder:
        conn = Lake.locate(Path(folder) / "scratch.ducklake").connect()
        try:
            conn.execute("BEGIN TRANSACTION")
            apply_schema(conn)
            yield conn
        finally:
            conn.close()


@dataclass
class RunTransaction:
    """One run's connection and its transaction on the lake."""

    lake: Lake
    run_id: str
    has_work: bool = False
    is_committed: bool = False
    derived_dropped: bool = False  # made with other schema files: costs and marts made anew
    _conn: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)
    _state: RunState | None = field(default=None, repr=False)

    def begin(self) -> None:
        conn = self.lake.connect(memory_limit=WRITER_MEMORY)
        self._conn = conn
        conn.execute("BEGIN TRANSACTION")

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The run's connection: the snapshot the run started from, plus what it wrote. The
        schema files are applied first when the lake was made with others (or is new)."""
        assert self._conn is not None, "the run's transaction has not begun"
        if self._state is None:
            self._state = RunState.load(self._conn)
            if self._state.get("schema") != schema_digest():
                self.has_work = True
                self.derived_dropped = apply_schema(self._conn)
                self._state = RunState.load(self._conn)
        return self._conn

    @property
    def state(self) -> RunState:
        """warehouse_meta as this run sees it (what it put is written when it commits)."""
        self.connection()
        assert self._state is not None
        return self._state

    def mark_work(self) -> None:
        self.has_work = True

    def commit(self) -> None:
        """Commit the run. Every committing run replaces the row `last_commit`, so two runs that
        overlapped cannot both commit (store.py's docstring)."""
        if not self.has_work or self.is_committed:
            return
        conn = self.connection()
        self.state.put("last_commit", self.run_id)
        self.state.write(conn)
        conn.execute(f"CALL {CATALOG}.set_commit_message('tokenworks', ?, extra_info => ?)",
                     [f"ingest run {self.run_id}", json.dumps({"run_id": self.run_id})])
        try:
            conn.execute("COMMIT")
        except duckdb.Error as error:
            if is_commit_conflict(str(error)):
                raise CommitConflict(
                    f"another writer committed to {self.lake} while this run worked: nothing "
                    f"was committed; the run is to be made again ({error})") from error
            raise
        self.is_committed = True
        # After the commit, so a run with nothing to do lists no files; a failure here changes
        # nothing committed, and the next run tries again.
        with contextlib.suppress(duckdb.Error):
            delete_orphaned_files(conn)

    def close(self) -> None:
        """Roll back what was not committed and close the connection."""
        if self._conn is None:
            return
        try:
            if not self.is_committed:
                # a failed commit has ended the transaction already
                with contextlib.suppress(duckdb.Error):
                    self._conn.execute("ROLLBACK")
        finally:
            self._conn.close()
            self._conn = None


def delete_orphaned_files(conn: duckdb.DuckDBPyConnection) -> int:
    """Delete the data files no snapshot knows that are older than ORPHAN_GRACE: what runs that
    died had written. Returns how many."""
    hours = int(ORPHAN_GRACE.total_seconds() // 3600)
    return len(conn.execute(f"CALL ducklake_delete_orphaned_files('{CATALOG}', older_than => "
                            f"now() - INTERVAL {hours} HOUR)").fetchall())
