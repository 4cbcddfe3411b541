"""Landing folder -> stg_calls / quarantine -> fct_requests, incrementally.

The steps are plain functions over a DuckDB connection to the run's working copy, so the Dagster
assets stay thin and the same code runs from tests and the benchmark:

1. `plan_run`: compare the landing folder with the manifest: new, appended, rewritten, unchanged.
2. `stage`: read the planned bytes in parallel worker processes (parse = pure Python + orjson,
   normalized into typed Polars frames), append to stg_calls and quarantine, update the manifest.
3. `refresh_fct`: re-choose the canonical occurrence for every call key the run touched.
4. `finish_run`: record the run in ingest_runs and drop the run's scratch tables.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson
import polars as pl

from pipelines import checks, config, hardware, pricebook, scenarios
from pipelines import landing as lf
from pipelines import overrides as price_overrides_module
from pipelines.parsing import CALL_COLUMNS, Rejected, parse_record, parse_stream_document
from pipelines.warehouse import RUN_REMOVED_KEYS, Warehouse, read_sql, schema_digest

CHUNK_BYTES = 32 * 1024 * 1024
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
GROUP_BYTES = 8 * 1024 * 1024  # small files per worker round trip
FLUSH_ROWS = 100_000  # staged rows buffered before one DuckDB append
FLUSH_FILES = 2_000
IN_FLIGHT_PER_WORKER = 2

_INT = pl.Int64
STG_FRAME_SCHEMA = {
    **dict.fromkeys(CALL_COLUMNS, pl.String),
    "event_at": pl.Datetime("us"),
    **dict.fromkeys(("is_batch", "is_stream", "has_envelope"), pl.Boolean),
    **dict.fromkeys(("max_tokens", "input_tokens", "cache_read_tokens", "cache_write_tokens",
                     "cache_write_1h_tokens", "output_tokens", "reasoning_tokens",
                     "web_search_requests", "provider_total_tokens", "latency_ms"), _INT),
    "http_status": pl.Int32,
    "source_line": _INT,
    "source_file": pl.String,
    "task": pl.Int32,
}

QUARANTINE_FRAME_SCHEMA = {"source_file": pl.String, "source_line": _INT, "reason": pl.String,
                           "raw_excerpt": pl.String, "raw_bytes": _INT, "run_id": pl.String}

PLAN_FRAME_SCHEMA = {
    "run_id": pl.String, "path": pl.String, "action": pl.String, "format": pl.String,
    "gzipped": pl.Boolean, "size_bytes": _INT, "mtime_ns": _INT, "start_offset": _INT,
    "start_line": _INT, "prior_records": _INT, "prior_staged": _INT, "prior_quarantined": _INT,
    "first_run_id": pl.String,
}

RUN_TABLES = """
CREATE TABLE IF NOT EXISTS run_plan (
    run_id VARCHAR, path VARCHAR, action VARCHAR, format VARCHAR, gzipped BOOLEAN,
    size_bytes BIGINT, mtime_ns BIGINT, start_offset BIGINT, start_line BIGINT,
    prior_records BIGINT, prior_staged BIGINT, prior_quarantined BIGINT, first_run_id VARCHAR,
    done BOOLEAN DEFAULT false, bytes_read BIGINT DEFAULT 0, records BIGINT DEFAULT 0,
    staged BIGINT DEFAULT 0, quarantined BIGINT DEFAULT 0);
CREATE TABLE IF NOT EXISTS run_state (
    run_id VARCHAR, started_at TIMESTAMP, files_seen BIGINT, files_unchanged BIGINT,
    fct_rows_before BIGINT);
""" + RUN_REMOVED_KEYS


def append_frame(conn: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """One INSERT for a whole frame, columns matched by name."""
    conn.register("frame_to_append", frame)
    try:
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame_to_append")
    finally:
        conn.unregister("frame_to_append")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------------- 1. plan


@dataclass(frozen=True)
class PlannedFile:
    file: lf.LandingFile
    action: str  # new | append | rewrite
    start_offset: int = 0
    start_line: int = 0
    prior: tuple[int, int, int] = (0, 0, 0)  # records, staged, quarantined before this run
    first_run_id: str | None = None


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
        return sum(map(_disk_bytes, self.files))

    def counts(self) -> dict[str, int]:
        return {action: sum(p.action == action for p in self.files)
                for action in ("new", "append", "rewrite")}


def read_manifest(conn: duckdb.DuckDBPyConnection | None) -> dict[str, tuple]:
    if conn is None:
        return {}
    try:
        rows = conn.execute(
            "SELECT path, size_bytes, mtime_ns, bytes_consumed, lines_consumed, head_hash, "
            "tail_hash, records, staged, quarantined, first_run_id, format FROM landing_files"
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {row[0]: row[1:] for row in rows}


def plan_run(landing: Path, manifest: dict[str, tuple]) -> Plan:
    files, ignored = lf.discover(landing)
    planned, unchanged = [], 0
    for f in files:
        known = manifest.get(f.path)
        if known is None:
            planned.append(PlannedFile(f, "new"))
            continue
        (size, mtime_ns, consumed, lines, head, tail, records, staged, quarantined,
         first_run, _fmt) = known
        if f.size == size and f.mtime_ns == mtime_ns:
            unchanged += 1
            continue
        same_prefix = f.size >= size and lf.fingerprint(landing / f.path, size) == (head, tail)
        if same_prefix and f.size == size:
            unchanged += 1  # touched, not changed
        elif same_prefix and f.format == "jsonl":
            planned.append(PlannedFile(f, "append", consumed, lines,
                                       (records, staged, quarantined), first_run))
        else:
            planned.append(PlannedFile(f, "rewrite", first_run_id=first_run))
    return Plan(planned, len(files), unchanged, ignored)


def save_plan(conn: duckdb.DuckDBPyConnection, plan: Plan, run_id: str) -> None:
    conn.execute(RUN_TABLES)
    conn.execute("DELETE FROM run_plan WHERE run_id = ?", [run_id])
    conn.execute("DELETE FROM run_state WHERE run_id = ?", [run_id])
    rows = pl.DataFrame(
        [(run_id, p.file.path, p.action, p.file.format, p.file.gzipped, p.file.size,
          p.file.mtime_ns, p.start_offset, p.start_line, *p.prior, p.first_run_id or run_id)
         for p in plan.files],
        schema=PLAN_FRAME_SCHEMA, orient="row")
    append_frame(conn, "run_plan", rows)
    fct_rows = conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0]
    conn.execute("INSERT INTO run_state VALUES (?, ?, ?, ?, ?)",
                 [run_id, utcnow(), plan.seen, plan.unchanged, fct_rows])


def load_plan(conn: duckdb.DuckDBPyConnection, run_id: str) -> list[PlannedFile]:
    rows = conn.execute(
        "SELECT path, action, format, gzipped, size_bytes, mtime_ns, start_offset, start_line, "
        "prior_records, prior_staged, prior_quarantined, first_run_id FROM run_plan "
        "WHERE run_id = ? AND NOT done ORDER BY path", [run_id]).fetchall()
    return [PlannedFile(lf.LandingFile(r[0], r[4], r[5], r[2], r[3]), r[1], r[6], r[7],
                        (r[8], r[9], r[10]), r[11]) for r in rows]


# ------------------------------------------------------------------------- 2. read (workers)


@dataclass(frozen=True)
class ReadTask:
    root: str
    file: lf.LandingFile
    start: int  # decompressed offset where this task's first line starts (or is searched from)
    end: int | None  # lines starting at or after this offset belong to the next task
    align: bool  # `start` may fall inside a line: skip to the next line start
    last: bool  # the file's final task


@dataclass
class ReadResult:
    """What reading one task found; its calls travel in the group's frame."""

    task: ReadTask
    staged: int = 0
    problems: list[tuple[int, str, str, int]] = field(default_factory=list)
    lines: int = 0  # physical lines (or array elements) covered, blank ones included
    records: int = 0
    end_offset: int = 0
    bytes_read: int = 0


def _excerpt(raw: bytes) -> str:
    return raw[: lf.EXCERPT_BYTES].decode("utf-8", errors="backslashreplace")


class _Collector:
    """The calls of a group of tasks (one frame per group keeps per-file overhead away), and
    the current task's problems."""

    def __init__(self):
        self.calls: list[dict] = []
        self.task_index = 0
        self.source_file = ""
        self.file_mtime: datetime | None = None
        self.problems: list[tuple[int, str, str, int]] = []
        self.records = 0

    def begin(self, task_index: int, task: ReadTask) -> None:
        self.task_index = task_index
        self.source_file = task.file.path
        self.file_mtime = datetime.fromtimestamp(task.file.mtime_ns / 1e9, UTC).replace(
            tzinfo=None)
        self.problems = []
        self.records = 0

    def add_raw(self, index: int, raw: bytes) -> None:
        if not raw.strip():
            return
        self.records += 1
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            self.problems.append((index, f"malformed JSON: {exc}", _excerpt(raw), len(raw)))
            return
        self.add_record(index, record, raw)

    def add_record(self, index: int, record, raw: bytes, parse=parse_record) -> None:
        try:
            call = parse(record, self.file_mtime)
        except Rejected as exc:
            self.problems.append((index, str(exc), _excerpt(raw), len(raw)))
            return
        except Exception as exc:  # a parser bug must not abort the night: keep the record
            self.problems.append((index, f"parser error ({type(exc).__name__}: {exc}); "
                                  "please report it with this record", _excerpt(raw), len(raw)))
            return
        call["source_line"] = index
        call["source_file"] = self.source_file
        call["task"] = self.task_index
        self.calls.append(call)

    def problem(self, index: int, reason: str, raw: bytes, size: int) -> None:
        self.records += 1
        self.problems.append((index, reason, _excerpt(raw), size))

    def frame(self) -> pl.DataFrame:
        return pl.from_dicts(self.calls, schema=STG_FRAME_SCHEMA)


def read_tasks(group: list[ReadTask]) -> tuple[pl.DataFrame, list[ReadResult]]:
    """Worker entry point: read a group of tasks and parse their records. Pure apart from
    reading files. Calls carry the task's index and their line within the task (from 0)."""
    out = _Collector()
    results = []
    for task_index, task in enumerate(group):
        out.begin(task_index, task)
        before = len(out.calls)
        result = ReadResult(task)
        path = Path(task.root) / task.file.path
        if task.file.format == "jsonl":
            _read_lines(task, path, out, result)
        else:
            _read_document(task, path, out, result)
        result.staged = len(out.calls) - before
        result.problems = out.problems
        result.records = out.records
        results.append(result)
    return out.frame(), results


def _read_lines(task: ReadTask, path: Path, out: _Collector, result: ReadResult) -> None:
    stream = lf.open_stream(path, task.file.gzipped)
    index = -1
    start = task.start
    try:
        if task.file.gzipped:
            _skip(stream, start)
        else:
            stream.seek(start)
            if task.align and start > 0:
                stream.seek(start - 1)
                if stream.read(1) != b"\n":
                    start += len(stream.readline())
        result.end_offset = start
        for index, end, item in lf.iter_lines(stream, start, task.end):
            if isinstance(item, lf.Problem):
                out.problem(index, item.reason, item.excerpt, end - result.end_offset)
            else:
                out.add_raw(index, item)
            result.end_offset = end
        result.lines = index + 1
    except lf.DamagedStream as exc:
        index += 1
        out.problem(index, f"{exc}; every complete line before it was loaded", b"", 0)
        result.lines = index + 1
        result.end_offset = _file_size(path)
    finally:
        stream.close()
    result.bytes_read = result.end_offset - task.start


def _skip(stream, count: int) -> None:
    while count > 0:
        block = stream.read(min(count, lf.READ_BLOCK))
        if not block:
            return
        count -= len(block)


def _file_size(path: Path) -> int:
    return path.stat().st_size


def _read_document(task: ReadTask, path: Path, out: _Collector, result: ReadResult) -> None:
    result.lines = 1
    try:
        data = lf.read_document(path, task.file.gzipped)
    except lf.DamagedStream as exc:
        out.problem(0, str(exc), b"", 0)
        result.end_offset = result.bytes_read = _file_size(path)
        return
    result.end_offset = result.bytes_read = len(data)
    if task.file.format == "sse":
        out.records += 1
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            out.problems.append((0, f"stream body is not UTF-8 text ({exc})", _excerpt(data),
                                 len(data)))
            return
        out.add_record(0, text, data, parse_stream_document)
        return
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        out.problem(0, f"malformed JSON document: {exc}", data, len(data))
        return
    if isinstance(document, list):
        result.lines = len(document)
        for index, record in enumerate(document):
            out.records += 1
            out.add_record(index, record, orjson.dumps(record))
    else:
        out.records += 1
        out.add_record(0, document, data)


def make_tasks(root: Path, planned: list[PlannedFile], chunk_bytes: int) -> list[ReadTask]:
    tasks = []
    for p in planned:
        f = p.file
        if f.format != "jsonl" or f.gzipped or f.size - p.start_offset <= chunk_bytes:
            tasks.append(ReadTask(str(root), f, p.start_offset, None, False, True))
            continue
        starts = list(range(p.start_offset, f.size, chunk_bytes))
        for i, start in enumerate(starts):
            last = i == len(starts) - 1
            tasks.append(ReadTask(str(root), f, start, None if last else start + chunk_bytes,
                                  i > 0, last))
    return tasks


def group_tasks(tasks: list[ReadTask], group_bytes: int) -> list[list[ReadTask]]:
    """Small files travel to a worker together: one round trip per ~group_bytes, not per file."""
    groups: list[list[ReadTask]] = []
    size = 0
    for task in tasks:
        task_bytes = (task.end if task.end is not None else task.file.size) - task.start
        if not groups or size + task_bytes > group_bytes:
            groups.append([])
            size = 0
        groups[-1].append(task)
        size += task_bytes
    return groups


GroupResult = tuple[pl.DataFrame, list[ReadResult]]


def _run_tasks(tasks: list[ReadTask], workers: int, group_bytes: int) -> Iterator[GroupResult]:
    """Group results in task order; a bounded number in flight keeps memory flat while the
    workers stay busy during the parent's appends."""
    groups = group_tasks(tasks, group_bytes)
    if workers <= 1:
        yield from map(read_tasks, groups)
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipelines.ingest"])
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending = []
        for group in groups:
            pending.append(pool.submit(read_tasks, group))
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


# ------------------------------------------------------------------------------- 2. stage


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
          chunk_bytes: int = CHUNK_BYTES, progress: Progress | None = None) -> StageStats:
    started = time.perf_counter()
    planned = load_plan(conn, run_id)
    stats = StageStats()
    if not planned:
        return stats
    _forget_rewritten(conn, run_id, [p for p in planned if p.action == "rewrite"])
    by_path = {p.file.path: p for p in planned}
    tasks = make_tasks(landing, planned, chunk_bytes)
    total_bytes = sum(map(_disk_bytes, planned))
    if workers <= 0:
        workers = os.cpu_count() or 1
    if total_bytes < PARALLEL_MIN_BYTES:
        workers = 1
    writer = _StageWriter(conn, landing, run_id)
    file_progress: dict[str, list[int]] = {}  # path -> [lines, records, staged, quarantined]
    for calls, results in _run_tasks(tasks, workers, min(chunk_bytes, GROUP_BYTES)):
        base_lines = []
        for result in results:
            plan = by_path[result.task.file.path]
            counts = file_progress.setdefault(plan.file.path, [plan.start_line, 0, 0, 0])
            base_lines.append(counts[0])
            writer.add_problems(result, base_line=counts[0])
            counts[0] += result.lines
            counts[1] += result.records
            counts[2] += result.staged
            counts[3] += len(result.problems)
            stats.bytes_read += result.bytes_read
            stats.records += result.records
            stats.staged += result.staged
            stats.quarantined += len(result.problems)
            if result.task.last:
                writer.file_done(plan, result.end_offset, counts)
                stats.files += 1
                stats.disk_bytes += _disk_bytes(plan)
        writer.add_calls(calls, base_lines)
        writer.maybe_flush()
        if progress:
            stats.seconds = time.perf_counter() - started
            progress(stats, total_bytes, len(planned))
    writer.flush()
    stats.seconds = time.perf_counter() - started
    return stats


def _disk_bytes(plan: PlannedFile) -> int:
    """Bytes on disk this run reads: a plain file's new part, a compressed file whole."""
    if plan.file.gzipped:
        return plan.file.size
    return max(plan.file.size - plan.start_offset, 0)


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


MANIFEST_FRAME_SCHEMA = {
    "path": pl.String, "format": pl.String, "gzipped": pl.Boolean, "size_bytes": _INT,
    "mtime_ns": _INT, "bytes_consumed": _INT, "lines_consumed": _INT, "records": _INT,
    "staged": _INT, "quarantined": _INT, "head_hash": pl.String, "tail_hash": pl.String,
    "last_action": pl.String, "first_run_id": pl.String, "last_run_id": pl.String,
    "updated_at": pl.Datetime("us"),
}


class _StageWriter:
    """Buffers staged rows, problems and finished files, and writes them in few big statements:
    DuckDB's per-statement cost would otherwise dominate a landing folder of small files."""

    def __init__(self, conn, landing: Path, run_id: str):
        self.conn, self.landing, self.run_id = conn, landing, run_id
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

    def file_done(self, plan: PlannedFile, end_offset: int, counts: list[int]) -> None:
        f = plan.file
        lines, records, staged, quarantined = counts
        prior = plan.prior if plan.action == "append" else (0, 0, 0)
        # What was read is what is fingerprinted: a plain file's consumed bytes; others whole.
        on_disk = f.size if f.gzipped or f.format != "jsonl" else end_offset
        head, tail = lf.fingerprint(self.landing / f.path, on_disk)
        self.files.append({
            "path": f.path, "format": f.format, "gzipped": f.gzipped, "size_bytes": on_disk,
            "mtime_ns": f.mtime_ns, "bytes_consumed": end_offset, "lines_consumed": lines,
            "records": prior[0] + records, "staged": prior[1] + staged,
            "quarantined": prior[2] + quarantined, "head_hash": head, "tail_hash": tail,
            "last_action": "appended" if plan.action == "append" else plan.action,
            "first_run_id": plan.first_run_id or self.run_id, "last_run_id": self.run_id,
            "updated_at": utcnow(), "_bytes_read": end_offset - plan.start_offset,
            "_records": records, "_staged": staged, "_quarantined": quarantined})

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
            files = pl.DataFrame(self.files)
            manifest = files.select(list(MANIFEST_FRAME_SCHEMA)).cast(MANIFEST_FRAME_SCHEMA)
            conn.register("stage_files", files)
            conn.register("stage_manifest", manifest)
            try:
                conn.execute("DELETE FROM landing_files WHERE path IN "
                             "(SELECT path FROM stage_manifest)")
                conn.execute("INSERT INTO landing_files BY NAME SELECT * FROM stage_manifest")
                conn.execute(
                    "UPDATE run_plan SET done = true, bytes_read = f._bytes_read, "
                    "records = f._records, staged = f._staged, quarantined = f._quarantined "
                    "FROM stage_files AS f WHERE run_plan.run_id = ? AND run_plan.path = f.path",
                    [self.run_id])
            finally:
                conn.unregister("stage_files")
                conn.unregister("stage_manifest")
        self.frames, self.problems, self.files, self.rows = [], [], [], 0


# --------------------------------------------------------------------------- 3. refresh fct


def refresh_fct(conn: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Re-choose the canonical occurrence (the fct_requests row) of every key this run
    touched, and give new keys their call id; returns how many keys that was. Keys without an
    id (a warehouse made before call ids) count as touched."""
    conn.execute(RUN_TABLES)
    conn.execute("BEGIN")
    try:
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE touched_keys AS "
            "SELECT DISTINCT dedup_key, NULL::BIGINT AS call_id FROM stg_calls "
            "WHERE run_id = ? OR call_id IS NULL "
            "UNION ALL SELECT dedup_key, call_id FROM run_removed_keys WHERE run_id = ?",
            [run_id, run_id])
        conn.execute(read_sql("fct_requests_refresh.sql"))
        touched = conn.execute("SELECT count(*) FROM touched_ids").fetchone()[0]
        conn.execute("DROP TABLE touched_keys")
        conn.execute("DROP TABLE touched_ids")
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
    return touched


# ----------------------------------------------------------------------------- 4. finish


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

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def finish_run(conn: duckdb.DuckDBPyConnection, run_id: str) -> RunSummary:
    row = conn.execute("SELECT started_at, files_seen, files_unchanged, fct_rows_before "
                       "FROM run_state WHERE run_id = ?", [run_id]).fetchone()
    started_at, seen, unchanged, fct_before = row
    agg = conn.execute(
        "SELECT count(*) FILTER (action = 'new'), count(*) FILTER (action = 'append'), "
        "count(*) FILTER (action = 'rewrite'), coalesce(sum(bytes_read), 0), "
        "coalesce(sum(records), 0), coalesce(sum(staged), 0), coalesce(sum(quarantined), 0) "
        "FROM run_plan WHERE run_id = ?", [run_id]).fetchone()
    fct_after = conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0]
    finished_at = utcnow()
    loaded = fct_after - fct_before
    summary = RunSummary(run_id, seen, agg[0], agg[1], agg[2], unchanged, agg[3], agg[4],
                         loaded, max(agg[5] - loaded, 0), agg[6],
                         round((finished_at - started_at).total_seconds(), 3))
    conn.execute("DELETE FROM ingest_runs WHERE run_id = ?", [run_id])
    conn.execute("INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 [run_id, started_at, finished_at, seen, agg[0], agg[1], agg[2], unchanged,
                  agg[3], agg[4], loaded, summary.duplicates, agg[6], summary.seconds])
    conn.execute("DROP TABLE IF EXISTS run_plan; DROP TABLE IF EXISTS run_state; "
                 "DROP TABLE IF EXISTS run_removed_keys")
    return summary


# ------------------------------------------------------------------------ the whole run


class ChecksFailed(RuntimeError):
    pass


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{os.urandom(3).hex()}"


def published_state(warehouse: Warehouse) -> tuple[dict[str, tuple], str | None]:
    """The published warehouse's manifest and what its derived tables were built from (price
    book, scenario and hardware files; None when there is no warehouse yet), read in one open."""
    if not warehouse.path.exists():
        return {}, None
    conn = warehouse.reader()
    try:
        return read_manifest(conn), derived_inputs_of(conn)
    finally:
        conn.close()


def derived_inputs_of(conn) -> str:
    try:
        meta = dict(conn.execute("SELECT key, value FROM warehouse_meta "
                                 "WHERE key IN ('projection_inputs', 'schema')").fetchall())
    except duckdb.Error:  # an older warehouse
        meta = {}
    return (f"{pricebook.published_version(conn) or ''} | "
            f"{meta.get('projection_inputs', '')} | {meta.get('schema', '')}")


def current_derived_inputs(price_overrides=None) -> str:
    return (f"{pricebook.pricebook_version(price_overrides)} | "
            f"{scenarios.projection_inputs(scenarios.load(), hardware.load())} | "
            f"{schema_digest()}")


def published_manifest(warehouse: Warehouse) -> dict[str, tuple]:
    return published_state(warehouse)[0]


def needs_rebuild(published_inputs: str | None, price_overrides=None) -> bool:
    """A published warehouse priced with another price book, projected from other scenario
    or hardware files, or made with other schema files, has them rebuilt whole even when no
    new log arrived."""
    return (published_inputs is not None
            and published_inputs != current_derived_inputs(price_overrides))


def empty_summary(run_id: str, plan: Plan) -> RunSummary:
    return RunSummary(run_id, plan.seen, 0, 0, 0, plan.unchanged, 0, 0, 0, 0, 0, 0.0)


def run_ingest(landing: Path, warehouse_path: Path, *, workers: int = 0,
               chunk_bytes: int = CHUNK_BYTES, progress: Progress | None = None,
               run_id: str | None = None, price_overrides: Path | None = None) -> RunSummary:
    """The ingestion job without Dagster: the same steps the assets run, in the same order,
    with the same checks gating publication."""
    # the same default as the CLI and Dagster, so every path prices with the same price book
    overrides = price_overrides_module.load(price_overrides or config.resolve().price_overrides)
    warehouse = Warehouse(warehouse_path)
    run_id = run_id or new_run_id()
    started = time.perf_counter()
    with warehouse.run_lock():
        warehouse.remove_stale_work()
        workspace = warehouse.workspace(run_id)
        try:
            manifest, built_from = published_state(warehouse)
            plan = plan_run(landing, manifest)
            if not plan.has_work and not needs_rebuild(built_from, overrides):
                summary = empty_summary(run_id, plan)
                summary.seconds = round(time.perf_counter() - started, 3)
                return summary
            conn = workspace.connect()
            save_plan(conn, plan, run_id)
            stage(conn, landing, run_id, workers=workers, chunk_bytes=chunk_bytes,
                  progress=progress)
            refresh_fct(conn, run_id)
            failed = [c for c in checks.run_all(conn, run_id) if not c.passed]
            if failed:
                raise ChecksFailed("; ".join(c.describe() for c in failed)
                                   + ": nothing was published")
            pricebook.price_all(conn, overrides, run_id)
            scenarios.build_all(conn)
            summary = finish_run(conn, run_id)
            workspace.publish()
            return summary
        finally:
            workspace.discard()
