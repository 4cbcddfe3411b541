"""Reading the planned bytes, in worker processes: each task is a file or a 32 MB chunk of a big
plain file; a worker splits lines, decodes them with orjson, runs the pure parser and returns a
typed Polars frame of calls plus the problems it found (quarantined by the parent)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
import polars as pl

from pipelines.landing import files as lf
from pipelines.landing.plan import PlannedFile
from pipelines.parsing import CALL_COLUMNS, Rejected, parse_stream_document
from pipelines.parsing.agents import CodexState
from pipelines.parsing.lines import DEFAULT_MAPPINGS, FileContext, Mappings, parse_line

CHUNK_BYTES = 32 * 1024 * 1024
UNFINISHED_LINE_WAIT_SECONDS = 3600
GROUP_BYTES = 8 * 1024 * 1024  # small files per worker round trip
IN_FLIGHT_PER_WORKER = 2

STG_FRAME_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    **dict.fromkeys(CALL_COLUMNS, pl.String),
    "event_at": pl.Datetime("us"),
    **dict.fromkeys(("is_batch", "is_stream", "has_envelope", "is_sidechain", "is_partial"),
                    pl.Boolean),
    **dict.fromkeys(("max_tokens", "input_tokens", "cache_read_tokens", "cache_write_tokens",
                     "cache_write_1h_tokens", "output_tokens", "reasoning_tokens",
                     "web_search_requests", "provider_total_tokens", "latency_ms"), pl.Int64),
    "http_status": pl.Int32,
    "source_line": pl.Int64,
    "source_item": pl.Int32,
    "source_file": pl.String,
    "task": pl.Int32,
}


@dataclass(frozen=True)
class ReadTask:
    location: str  # the file on disk
    file: lf.LandingFile
    start: int  # decompressed offset where this task's first line starts (or is searched from)
    end: int | None  # lines starting at or after this offset belong to the next task
    align: bool  # `start` may fall inside a line: skip to the next line start
    last: bool  # the file's final task
    reader_state: str | None = None  # what the file said before `start` (FileContext)
    mappings: Mappings = DEFAULT_MAPPINGS


@dataclass
class ReadResult:
    """What reading one task found; its calls travel in the group's frame."""

    task: ReadTask
    staged: int = 0
    problems: list[tuple[int, str, str, int]] = field(default_factory=list)
    lines: int = 0  # physical lines (or array elements) covered, blank ones included
    records: int = 0
    without_calls: int = 0
    end_offset: int = 0
    bytes_read: int = 0
    reader_state: str | None = None  # what the file had said by end_offset


def _excerpt(raw: bytes) -> str:
    return raw[: lf.EXCERPT_BYTES].decode("utf-8", errors="backslashreplace")


def _parser_error(exc: Exception) -> str:
    return (f"parser error ({type(exc).__name__}: {exc}); please report it with this record")


class _Collector:
    """The calls of a group of tasks (one frame per group keeps per-file overhead away), and
    the current task's problems."""

    def __init__(self):
        self.calls: list[dict] = []
        self.task_index = 0
        self.source_file = ""
        self.problems: list[tuple[int, str, str, int]] = []
        self.records = 0
        self.without_calls = 0
        self.context = FileContext("")

    def begin(self, task_index: int, task: ReadTask) -> None:
        self.task_index = task_index
        self.source_file = task.file.path
        file_mtime = datetime.fromtimestamp(task.file.mtime_ns / 1e9, UTC).replace(tzinfo=None)
        self.context = FileContext(task.file.path, file_mtime, task.mappings)
        if task.reader_state:
            self.context.codex = CodexState.from_json(orjson.loads(task.reader_state))
            self.context.is_codex = True
        self.problems = []
        self.records = 0
        self.without_calls = 0

    def reader_state(self) -> str | None:
        if not self.context.is_codex:
            return None
        return orjson.dumps(self.context.codex.to_json()).decode()

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

    def add_record(self, index: int, record, raw: bytes) -> None:
        try:
            calls, rejected = parse_line(record, self.context)
        except Rejected as exc:
            self.problems.append((index, str(exc), _excerpt(raw), len(raw)))
            return
        except Exception as exc:  # a parser bug must not abort the night: keep the record
            self.problems.append((index, _parser_error(exc), _excerpt(raw), len(raw)))
            return
        if not calls and not rejected:
            self.without_calls += 1
            return
        # An OpenTelemetry export holds one record per span: the line counted one already.
        self.records += len(calls) + len(rejected) - 1
        for item, call in enumerate(calls):
            call["source_line"] = index
            call["source_item"] = item
            call["source_file"] = self.source_file
            call["task"] = self.task_index
            self.calls.append(call)
        for span, reason in rejected:
            self.problems.append((index, f"span {span}: {reason}", _excerpt(raw), len(raw)))

    def add_document(self, record: str, raw: bytes) -> None:
        """A file holding one raw streamed body: one call of an API log."""
        try:
            call = parse_stream_document(record, self.context.file_mtime)
        except Rejected as exc:
            self.problems.append((0, str(exc), _excerpt(raw), len(raw)))
            return
        except Exception as exc:
            self.problems.append((0, _parser_error(exc), _excerpt(raw), len(raw)))
            return
        call.update(source_line=0, source_item=0, source_file=self.source_file,
                    task=self.task_index)
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
        path = Path(task.location)
        if task.file.format == "jsonl":
            _read_lines(task, path, out, result)
        else:
            _read_document(task, path, out, result)
        result.staged = len(out.calls) - before
        result.problems = out.problems
        result.records = out.records
        result.without_calls = out.without_calls
        result.reader_state = out.reader_state()
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
            if isinstance(item, lf.Unterminated) and _being_written(item, task.file):
                index -= 1  # left unread: the next run reads it whole
                break
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


def _being_written(line: bytes, file: lf.LandingFile) -> bool:
    """An unfinished last line of a plain file that changed lately: its writer (an agent's
    session, a log shipper) is most likely still writing it. Once the file has been still for
    an hour, the line is what it is and goes to quarantine if it is not a record."""
    if file.gzipped or time.time() - file.mtime_ns / 1e9 > UNFINISHED_LINE_WAIT_SECONDS:
        return False
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return True
    return False


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
        out.add_document(text, data)
        return
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if _is_json_lines(data):
            # a .json of one record per line, as the OpenTelemetry Collector's file exporter
            # writes: read like a .jsonl, line numbers included
            lines = data.splitlines()
            result.lines = len(lines)
            for index, line in enumerate(lines):
                out.add_raw(index, line)
            return
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


def _is_json_lines(data: bytes) -> bool:
    """Whether a document that is not one JSON value is JSON values one per line."""
    first, newline, _rest = data.strip().partition(b"\n")
    if not newline:
        return False
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return True


def make_tasks(root: Path, planned: list[PlannedFile], chunk_bytes: int,
               agents: lf.AgentDirs | None = None,
               mappings: Mappings = DEFAULT_MAPPINGS) -> list[ReadTask]:
    tasks = []
    for p in planned:
        f = p.file
        location = str(lf.locate(root, f.path, agents))
        whole = ReadTask(location, f, p.start_offset, None, False, True, p.reader_state,
                         mappings)
        if (f.format != "jsonl" or f.gzipped or f.size - p.start_offset <= chunk_bytes
                or p.reader_state or _is_codex_session(location)):
            tasks.append(whole)  # a Codex session is read in order: a line needs the ones before
            continue
        starts = list(range(p.start_offset, f.size, chunk_bytes))
        for i, start in enumerate(starts):
            last = i == len(starts) - 1
            tasks.append(ReadTask(location, f, start, None if last else start + chunk_bytes,
                                  i > 0, last, None, mappings))
    return tasks


def _is_codex_session(location: str) -> bool:
    with open(location, "rb") as fh:
        first = fh.readline(64 * 1024)
    return b'"session_meta"' in first or b'"turn_context"' in first


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


def run_tasks(tasks: list[ReadTask], workers: int, group_bytes: int) -> Iterator[GroupResult]:
    """Group results in task order; a bounded number in flight keeps memory flat while the
    workers stay busy during the parent's appends."""
    groups = group_tasks(tasks, group_bytes)
    if workers <= 1:
        yield from map(read_tasks, groups)
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipelines.ledger.reading"])
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending = []
        for group in groups:
            pending.append(pool.submit(read_tasks, group))
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
