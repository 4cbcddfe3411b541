"""Staging: the planned bytes read in parallel (reading.py), appended to stg_calls and
quarantine, and the manifest (landing_files) updated per file, in few big statements."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.landing import files as lf
from pipelines.landing.plan import PlannedFile, disk_bytes, load_plan
from pipelines.ledger.reading import (
    CHUNK_BYTES,
    GROUP_BYTES,
    ReadResult,
    make_tasks,
    run_tasks,
)
from pipelines.parsing.lines import DEFAULT_MAPPINGS, Mappings
from pipelines.warehouse.runs import utcnow
from pipelines.warehouse.sql import append_frame

PARALLEL_MIN_BYTES = 4 * 1024 * 1024
FLUSH_ROWS = 100_000  # staged rows buffered before one DuckDB append
FLUSH_FILES = 2_000
_INT = pl.Int64
QUARANTINE_FRAME_SCHEMA = {"source_file": pl.String, "source_line": _INT, "reason": pl.String,
                           "raw_excerpt": pl.String, "raw_bytes": _INT, "run_id": pl.String}


@dataclass
class StageStats:
    files: int = 0
    disk_bytes: int = 0  # on-disk size of the files (or new parts of files) finished so far
    bytes_read: int = 0
    records: int = 0
    staged: int = 0
    quarantined: int = 0
    seconds: float = 0.0


Progress = Callable[[StageStats, int, int], None]  # stats so far, bytes planned, files planned


def stage(conn: duckdb.DuckDBPyConnection, landing: Path, run_id: str, *, workers: int = 0,
          chunk_bytes: int = CHUNK_BYTES, progress: Progress | None = None,
          agents: lf.AgentDirs | None = None,
          mappings: Mappings = DEFAULT_MAPPINGS) -> StageStats:
    started = time.perf_counter()
    planned = load_plan(conn, run_id)
    stats = StageStats()
    if not planned:
        return stats
    _forget_rewritten(conn, run_id, [p for p in planned if p.action == "rewrite"])
    by_path = {p.file.path: p for p in planned}
    tasks = make_tasks(landing, planned, chunk_bytes, agents, mappings)
    total_bytes = sum(map(disk_bytes, planned))
    if workers <= 0:
        workers = os.cpu_count() or 1
    if total_bytes < PARALLEL_MIN_BYTES:
        workers = 1
    writer = _StageWriter(conn, landing, run_id, agents)
    # path -> [lines, records, staged, quarantined, without calls]
    file_progress: dict[str, list[int]] = {}
    for calls, results in run_tasks(tasks, workers, min(chunk_bytes, GROUP_BYTES)):
        base_lines = []
        for result in results:
            plan = by_path[result.task.file.path]
            counts = file_progress.setdefault(plan.file.path, [plan.start_line, 0, 0, 0, 0])
            base_lines.append(counts[0])
            writer.add_problems(result, base_line=counts[0])
            counts[0] += result.lines
            counts[1] += result.records
            counts[2] += result.staged
            counts[3] += len(result.problems)
            counts[4] += result.without_calls
            stats.bytes_read += result.bytes_read
            stats.records += result.records
            stats.staged += result.staged
            stats.quarantined += len(result.problems)
            if result.task.last:
                writer.file_done(plan, result.end_offset, counts, result.reader_state)
                stats.files += 1
                stats.disk_bytes += disk_bytes(plan)
        writer.add_calls(calls, base_lines)
        writer.maybe_flush()
        if progress:
            stats.seconds = time.perf_counter() - started
            progress(stats, total_bytes, len(planned))
    writer.flush()
    stats.seconds = time.perf_counter() - started
    return stats


def _forget_rewritten(conn, run_id: str, rewritten: list[PlannedFile]) -> None:
    """A rewritten file is read again from the start: its earlier rows go, and the calls they
    carried are re-chosen (they may now live only in other files, or nowhere)."""
    if not rewritten:
        return
    paths = [p.file.path for p in rewritten]
    conn.execute("INSERT INTO run_removed_keys SELECT DISTINCT ?, dedup_key, call_id "
                 "FROM stg_calls WHERE list_contains(?, source_file)", [run_id, paths])
    conn.execute("DELETE FROM stg_calls WHERE list_contains(?, source_file)", [paths])
    conn.execute("DELETE FROM quarantine WHERE list_contains(?, source_file)", [paths])


MANIFEST_FRAME_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "path": pl.String, "format": pl.String, "gzipped": pl.Boolean, "size_bytes": _INT,
    "mtime_ns": _INT, "bytes_consumed": _INT, "lines_consumed": _INT, "records": _INT,
    "staged": _INT, "quarantined": _INT, "without_calls": _INT, "reader_state": pl.String,
    "head_hash": pl.String, "tail_hash": pl.String,
    "last_action": pl.String, "first_run_id": pl.String, "last_run_id": pl.String,
    "updated_at": pl.Datetime("us"),
}


FILE_FRAME_SCHEMA = {**MANIFEST_FRAME_SCHEMA, "_bytes_read": _INT, "_records": _INT,
                     "_staged": _INT, "_quarantined": _INT, "_without_calls": _INT}


class _StageWriter:
    """Buffers staged rows, problems and finished files, and writes them in few big statements:
    DuckDB's per-statement cost would otherwise dominate a landing folder of small files."""

    def __init__(self, conn, landing: Path, run_id: str, agents: lf.AgentDirs | None):
        self.conn, self.landing, self.run_id, self.agents = conn, landing, run_id, agents
        self.frames: list[pl.DataFrame] = []
        self.problems: list[tuple] = []
        self.files: list[dict] = []
        self.rows = 0

    def add_calls(self, calls: pl.DataFrame, base_lines: list[int]) -> None:
        """Line numbers become file lines from 1: a task's base line plus its line index."""
        if not calls.height:
            return
        bases = pl.DataFrame({"task": range(len(base_lines)), "base_line": base_lines},
                             schema={"task": pl.Int32, "base_line": _INT})
        self.frames.append(
            calls.join(bases, on="task", how="left")
            .with_columns(source_line=pl.col("source_line") + pl.col("base_line") + 1)
            .drop("task", "base_line"))
        self.rows += calls.height

    def add_problems(self, result: ReadResult, base_line: int) -> None:
        path = result.task.file.path
        for index, reason, excerpt, size in result.problems:
            self.problems.append((path, base_line + index + 1, reason, excerpt, size,
                                  self.run_id))

    def file_done(self, plan: PlannedFile, end_offset: int, counts: list[int],
                  reader_state: str | None) -> None:
        f = plan.file
        lines, records, staged, quarantined, without_calls = counts
        prior = plan.prior if plan.action == "append" else (0, 0, 0, 0)
        # What was read is what is fingerprinted: a plain file's consumed bytes; others whole.
        on_disk = f.size if f.gzipped or f.format != "jsonl" else end_offset
        head, tail = lf.fingerprint(lf.locate(self.landing, f.path, self.agents), on_disk)
        self.files.append({
            "path": f.path, "format": f.format, "gzipped": f.gzipped, "size_bytes": on_disk,
            "mtime_ns": f.mtime_ns, "bytes_consumed": end_offset, "lines_consumed": lines,
            "records": prior[0] + records, "staged": prior[1] + staged,
            "quarantined": prior[2] + quarantined, "without_calls": prior[3] + without_calls,
            "reader_state": reader_state, "head_hash": head, "tail_hash": tail,
            "last_action": "appended" if plan.action == "append" else plan.action,
            "first_run_id": plan.first_run_id or self.run_id, "last_run_id": self.run_id,
            "updated_at": utcnow(), "_bytes_read": end_offset - plan.start_offset,
            "_records": records, "_staged": staged, "_quarantined": quarantined,
            "_without_calls": without_calls})

    def maybe_flush(self) -> None:
        if self.rows >= FLUSH_ROWS or len(self.files) >= FLUSH_FILES:
            self.flush()

    def flush(self) -> None:
        conn = self.conn
        if self.frames:
            batch = pl.concat(self.frames, how="vertical", rechunk=True).with_columns(
                run_id=pl.lit(self.run_id))
            append_frame(conn, "stg_calls", batch)
        if self.problems:
            append_frame(conn, "quarantine", pl.DataFrame(
                self.problems, schema=QUARANTINE_FRAME_SCHEMA, orient="row"))
        if self.files:
            # typed up front: a column's type guessed from the first rows fails on a later
            # file's value (reader_state is NULL for all but Codex sessions)
            files = pl.DataFrame(self.files, schema=FILE_FRAME_SCHEMA)
            manifest = files.select(list(MANIFEST_FRAME_SCHEMA))
            conn.register("stage_files", files)
            conn.register("stage_manifest", manifest)
            try:
                conn.execute("DELETE FROM landing_files WHERE path IN "
                             "(SELECT path FROM stage_manifest)")
                conn.execute("INSERT INTO landing_files BY NAME SELECT * FROM stage_manifest")
                conn.execute(
                    "UPDATE run_plan SET done = true, bytes_read = f._bytes_read, "
                    "records = f._records, staged = f._staged, quarantined = f._quarantined, "
                    "without_calls = f._without_calls "
                    "FROM stage_files AS f WHERE run_plan.run_id = ? AND run_plan.path = f.path",
                    [self.run_id])
            finally:
                conn.unregister("stage_files")
                conn.unregister("stage_manifest")
        self.frames, self.problems, self.files, self.rows = [], [], [], 0
