"""The run's plan: the landing folder against the manifest (landing_files). Each file is new,
appended (same first and last 64 KiB before the consumed end: read from the consumed offset),
rewritten (read again whole) or unchanged (not opened)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.landing import files as lf
from pipelines.warehouse.runs import utcnow
from pipelines.warehouse.sql import append_frame, read_sql, run_sql, scalar

PLAN_FRAME_SCHEMA = {
    "run_id": pl.String, "path": pl.String, "action": pl.String, "format": pl.String,
    "gzipped": pl.Boolean, "size_bytes": pl.Int64, "mtime_ns": pl.Int64,
    "start_offset": pl.Int64, "start_line": pl.Int64, "prior_records": pl.Int64,
    "prior_staged": pl.Int64, "prior_quarantined": pl.Int64, "prior_without_calls": pl.Int64,
    "reader_state": pl.String, "first_run_id": pl.String,
}


@dataclass(frozen=True)
class PlannedFile:
    file: lf.LandingFile
    action: str  # new | append | rewrite
    start_offset: int = 0
    start_line: int = 0
    # records, staged, quarantined, without calls: before this run
    prior: tuple[int, int, int, int] = (0, 0, 0, 0)
    first_run_id: str | None = None
    reader_state: str | None = None  # what the file said before start_offset (JSON; Codex)


@dataclass
class Plan:
    files: list[PlannedFile]
    seen: int
    unchanged: int
    ignored: list[str]

    @property
    def has_work(self) -> bool:
        return bool(self.files)

    @property
    def bytes_to_read(self) -> int:
        return sum(map(disk_bytes, self.files))

    def counts(self) -> dict[str, int]:
        return {action: sum(p.action == action for p in self.files)
                for action in ("new", "append", "rewrite")}


def read_manifest(conn: duckdb.DuckDBPyConnection | None) -> dict[str, tuple]:
    if conn is None:
        return {}
    try:
        rows = conn.execute(
            "SELECT path, size_bytes, mtime_ns, bytes_consumed, lines_consumed, head_hash, "
            "tail_hash, records, staged, quarantined, without_calls, first_run_id, format, "
            "reader_state FROM landing_files"
        ).fetchall()
    except (duckdb.CatalogException, duckdb.BinderException):
        # no manifest yet, or one from before its last columns (the landing sensor reads the
        # committed lake, which a run brings up to date): every file is then work to do
        return {}
    return {row[0]: row[1:] for row in rows}


def plan_run(landing: Path, manifest: dict[str, tuple], prefix: str = "",
             agents: lf.AgentDirs | None = None) -> Plan:
    files, ignored = lf.discover(landing, prefix, agents)
    planned, unchanged = [], 0
    for f in files:
        known = manifest.get(f.path)
        if known is None:
            planned.append(PlannedFile(f, "new"))
            continue
        (size, mtime_ns, consumed, lines, head, tail, records, staged, quarantined,
         without_calls, first_run, _fmt, reader_state) = known
        if f.size == size and f.mtime_ns == mtime_ns:
            unchanged += 1
            continue
        same_prefix = f.size >= size and lf.fingerprint(
            lf.locate(landing, f.path, agents), size) == (head, tail)
        if same_prefix and f.size == size:
            unchanged += 1  # touched, not changed
        elif same_prefix and f.format == "jsonl":
            planned.append(PlannedFile(f, "append", consumed, lines,
                                       (records, staged, quarantined, without_calls), first_run,
                                       reader_state))
        else:
            planned.append(PlannedFile(f, "rewrite", first_run_id=first_run))
    return Plan(planned, len(files), unchanged, ignored)


def save_plan(conn: duckdb.DuckDBPyConnection, plan: Plan, run_id: str) -> None:
    run_sql(conn, read_sql("warehouse/run_tables.sql"))
    conn.execute("DELETE FROM run_plan WHERE run_id = ?", [run_id])
    conn.execute("DELETE FROM run_state WHERE run_id = ?", [run_id])
    rows = pl.DataFrame(
        [(run_id, p.file.path, p.action, p.file.format, p.file.gzipped, p.file.size,
          p.file.mtime_ns, p.start_offset, p.start_line, *p.prior, p.reader_state,
          p.first_run_id or run_id)
         for p in plan.files],
        schema=PLAN_FRAME_SCHEMA, orient="row")
    append_frame(conn, "run_plan", rows)
    fct_rows = scalar(conn, "SELECT count(*) FROM fct_requests")
    conn.execute("INSERT INTO run_state VALUES (?, ?, ?, ?, ?)",
                 [run_id, utcnow(), plan.seen, plan.unchanged, fct_rows])


def load_plan(conn: duckdb.DuckDBPyConnection, run_id: str) -> list[PlannedFile]:
    rows = conn.execute(
        "SELECT path, action, format, gzipped, size_bytes, mtime_ns, start_offset, start_line, "
        "prior_records, prior_staged, prior_quarantined, prior_without_calls, first_run_id, "
        "reader_state FROM run_plan WHERE run_id = ? AND NOT done ORDER BY path",
        [run_id]).fetchall()
    return [PlannedFile(lf.LandingFile(r[0], r[4], r[5], r[2], r[3]), r[1], r[6], r[7],
                        (r[8], r[9], r[10], r[11]), r[12], r[13]) for r in rows]


def disk_bytes(plan: PlannedFile) -> int:
    """Bytes on disk this run reads: a plain file's new part, a compressed file whole."""
    if plan.file.gzipped:
        return plan.file.size
    return max(plan.file.size - plan.start_offset, 0)
