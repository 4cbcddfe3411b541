"""One run's bookkeeping: its record in ingest_runs once it has finished (the run's scratch
tables, sql/warehouse/run_tables.sql, are dropped then)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from pipelines.warehouse.sql import one, read_sql, run_sql, scalar


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)



@dataclass
class RunSummary:
    run_id: str
    files_seen: int
    files_new: int
    files_appended: int
    files_rewritten: int
    files_unchanged: int
    bytes_read: int
    records_read: int
    calls_loaded: int
    duplicates: int
    quarantined: int
    seconds: float
    ledger_rows: int  # fct_requests after the run
    without_calls: int = 0  # records read that hold no call (agents' transcripts, spans)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def finish_run(conn: duckdb.DuckDBPyConnection, run_id: str,
               files_seen: int = 0) -> RunSummary:
    """Record the run in ingest_runs and drop its scratch tables. A run that read no file (it
    only rebuilt derived tables) has no plan: `files_seen` is then what its landing folder
    holds, all of it unchanged."""
    run_sql(conn, read_sql("warehouse/run_tables.sql"))
    fct_after = scalar(conn, "SELECT count(*) FROM fct_requests")
    row = conn.execute("SELECT started_at, files_seen, files_unchanged, fct_rows_before "
                       "FROM run_state WHERE run_id = ?", [run_id]).fetchone()
    started_at, seen, unchanged, fct_before = row or (utcnow(), files_seen, files_seen,
                                                      fct_after)
    agg = one(
        conn, "SELECT count(*) FILTER (action = 'new'), count(*) FILTER (action = 'append'), "
        "count(*) FILTER (action = 'rewrite'), coalesce(sum(bytes_read), 0), "
        "coalesce(sum(records), 0), coalesce(sum(staged), 0), coalesce(sum(quarantined), 0), "
        "coalesce(sum(without_calls), 0) FROM run_plan WHERE run_id = ?", [run_id])
    finished_at = utcnow()
    loaded = fct_after - fct_before
    summary = RunSummary(run_id, seen, agg[0], agg[1], agg[2], unchanged, agg[3], agg[4],
                         loaded, max(agg[5] - loaded, 0), agg[6],
                         round((finished_at - started_at).total_seconds(), 3), fct_after,
                         agg[7])
    conn.execute("DELETE FROM ingest_runs WHERE run_id = ?", [run_id])
    conn.execute("INSERT INTO ingest_runs (run_id, started_at, finished_at, files_seen, "
                 "files_new, files_appended, files_rewritten, files_unchanged, bytes_read, "
                 "records_read, calls_loaded, duplicates, quarantined, seconds, without_calls) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 [run_id, started_at, finished_at, seen, agg[0], agg[1], agg[2], unchanged,
                  agg[3], agg[4], loaded, summary.duplicates, agg[6], summary.seconds, agg[7]])
    for table in ("run_plan", "run_state", "run_removed_keys", "run_changed_days"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    return summary
