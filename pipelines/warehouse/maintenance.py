"""The lake's weekly upkeep: every commit adds small Parquet files and every replaced day leaves
files only old snapshots need. Maintenance merges the small files, expires the snapshots older
than the retention (so time travel reaches back that far, not forever) and deletes the files no
snapshot needs any more, including what runs that died had written.

Each step is DuckLake's own procedure and commits on its own; all of them run beside live
writers and readers (shared/reference/ducklake.md).
"""

from __future__ import annotations

import time

import duckdb

from pipelines.warehouse.lake import CATALOG
from pipelines.warehouse.sql import one, scalar
from pipelines.warehouse.store import delete_orphaned_files


def lake_files(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Data files the current snapshot reads, and their bytes."""
    files, size = one(conn, "SELECT coalesce(sum(file_count), 0), coalesce(sum(file_size_bytes), "
                            f"0) FROM ducklake_table_info('{CATALOG}')")
    return int(files), int(size)


def maintain(conn: duckdb.DuckDBPyConnection, retention_days: int) -> dict:
    """Compact, expire, clean; returns what it did, for the asset's metadata."""
    if retention_days < 1:
        raise ValueError(f"retention of {retention_days} days: at least 1 (time travel to the "
                         "runs of the last day)")
    started = time.perf_counter()
    files_before, bytes_before = lake_files(conn)
    snapshots_before = scalar(conn, f"SELECT count(*) FROM ducklake_snapshots('{CATALOG}')")
    conn.execute(f"CALL ducklake_flush_inlined_data('{CATALOG}')")
    # Rows kept in the catalog are now files of their own (a small table's first): the merge
    # is judged from here.
    files_flushed, _ = lake_files(conn)
    conn.execute(f"CALL ducklake_merge_adjacent_files('{CATALOG}')")
    conn.execute(f"CALL ducklake_rewrite_data_files('{CATALOG}')")
    expired = conn.execute(
        f"CALL ducklake_expire_snapshots('{CATALOG}', older_than => now() - "
        f"INTERVAL {int(retention_days)} DAY)").fetchall()
    # Files no snapshot in retention reads (merged away, replaced days, expired snapshots).
    cleaned = conn.execute(
        f"CALL ducklake_cleanup_old_files('{CATALOG}', cleanup_all => true)").fetchall()
    orphans = delete_orphaned_files(conn)
    files_after, bytes_after = lake_files(conn)
    return {"files_before": files_before, "files_after_flush": files_flushed,
            "files_after": files_after,
            "bytes_before": bytes_before, "bytes_after": bytes_after,
            "snapshots_before": snapshots_before, "snapshots_expired": len(expired),
            "files_deleted": len(cleaned), "orphans_deleted": orphans,
            "retention_days": retention_days,
            "seconds": round(time.perf_counter() - started, 3)}
