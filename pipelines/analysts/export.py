"""`tokenworks export`: the ledger as Hive-partitioned Parquet, and a FOCUS 1.2 cost export.

Both read the last committed run, read-only (so they run while an ingest runs), and write files
only; other engines (Spark, Trino, pandas, DuckDB) read them with Hive partitioning.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines.warehouse.lake import Lake
from pipelines.warehouse.sql import read_sql, scalar, sql_literal
from pipelines.warehouse.store import connect_reader

# How the FOCUS export is written, by file suffix (a closed month's too: pipelines/closing).
FOCUS_FORMATS = {".csv": "csv, HEADER true", ".parquet": "parquet, COMPRESSION zstd"}


@dataclass
class ExportSummary:
    rows: int
    files: int
    path: Path
    unknown_cost_calls: int = 0  # unpriced models and calls without usage: not exported


def export_ledger(warehouse: Lake, out: Path) -> ExportSummary:
    """analytics.requests as Parquet under out/month=YYYY-MM/, replacing what out held. Written
    to a sibling folder first and swapped in, so a reader never sees half an export."""
    out = out.resolve()
    staging = out.with_name(f".{out.name}.writing")
    shutil.rmtree(staging, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    conn = connect_reader(warehouse)
    conn.execute("SET enable_progress_bar = false")
    try:
        conn.execute(
            f"COPY (SELECT *, strftime(event_day, '%Y-%m') AS month FROM analytics.requests "
            f"ORDER BY event_at, dedup_key) TO {sql_literal(staging)} "
            f"(FORMAT parquet, PARTITION_BY (month), COMPRESSION zstd)")
        rows = scalar(conn, "SELECT count(*) FROM analytics.requests")
    finally:
        conn.close()
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return ExportSummary(rows, len(list(out.rglob("*.parquet"))), out)


def export_focus(warehouse: Lake, out: Path, start: date | None = None,
                 end: date | None = None) -> ExportSummary:
    """The FOCUS 1.2 export of priced calls between start and end (inclusive; default all) to a
    .csv or .parquet file. Calls whose cost is unknown (an unpriced model, or no usage in the
    log) have no cost to report: they are counted, not exported (analytics.requests.cost_status)."""
    fmt = FOCUS_FORMATS.get(out.suffix)
    if fmt is None:
        raise ValueError(f"{out}: the FOCUS export is written as .csv or .parquet")
    params = {"start": start or date(1, 1, 1), "end": end or date(9999, 12, 31)}
    conn = connect_reader(warehouse)
    conn.execute("SET enable_progress_bar = false")
    try:
        query = read_sql("analysts/focus.sql")
        out.parent.mkdir(parents=True, exist_ok=True)
        conn.execute(f"COPY ({query}) TO {sql_literal(out)} (FORMAT {fmt})", params)
        rows = scalar(conn, f"SELECT count(*) FROM ({query})", params)
        unknown_cost = scalar(
            conn, "SELECT count(*) FROM analytics.requests WHERE NOT is_priced "
            "AND event_day BETWEEN $start AND $end", params)
    finally:
        conn.close()
    return ExportSummary(rows, 1, out, unknown_cost)
