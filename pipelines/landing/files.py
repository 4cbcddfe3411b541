"""The landing folder: what files are there, and the records inside them.

Reading is streamed: a file is never loaded whole (except `.json`, `.txt` and `.sse`, which hold
one document by definition), a line longer than `MAX_RECORD_BYTES` is skipped over rather than
buffered, and a damaged gzip yields every record before the damage and then one problem record.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.parsing.agents import CLAUDE_ROOTS, CODEX_ROOTS

MAX_RECORD_BYTES = 8 * 1024 * 1024
MAX_DOCUMENT_BYTES = 512 * 1024 * 1024
READ_BLOCK = 4 * 1024 * 1024
FINGERPRINT_BYTES = 64 * 1024
EXCERPT_BYTES = 600

# Billing reports (pipelines/billing) are not call logs: their folder at the top of the landing
# folder is read by the billing reports' own reader.
BILLING_FOLDER = "billing"
# format of the content once decompressed
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".txt": "sse", ".sse": "sse"}


@dataclass(frozen=True)
class LandingFile:
    path: str  # relative to the landing folder, with forward slashes: the file's identity
    size: int
    mtime_ns: int
    format: str  # jsonl | json | sse
    gzipped: bool


class Unterminated(bytes):
    """A file's last line without a line end: complete, or still being written."""


@dataclass(frozen=True)
class Problem:
    """A record that could not even be read as text: the reader's verdict, not the parser's."""

    reason: str
    excerpt: bytes


def file_format(name: str) -> tuple[str, bool] | None:
    lower = name.lower()
    gzipped = lower.endswith(".gz")
    if gzipped:
        lower = lower[:-3]
    suffix = os.path.splitext(lower)[1]
    fmt = FORMATS.get(suffix)
    return (fmt, gzipped) if fmt else None


# Coding agents' own folders, read in place (never written): the folder's marker in a file's
# path, and the sub-folders of it that hold session transcripts.
CLAUDE_MARKER, CODEX_MARKER = "~claude", "~codex"
AGENT_SUBFOLDERS = {CLAUDE_MARKER: CLAUDE_ROOTS, CODEX_MARKER: CODEX_ROOTS}
# Hidden folders are skipped, except copies of the agents' own home folders.
VISIBLE_HIDDEN_FOLDERS = frozenset({".claude", ".codex"})


@dataclass(frozen=True)
class AgentDirs:
    """TOKENWORKS_CLAUDE_DIR (~/.claude) and TOKENWORKS_CODEX_HOME (~/.codex), when set. Their
    transcripts are named `~claude/projects/…` and `~codex/sessions/…` (under the writer's
    landing prefix, if it has one), as if they were in the landing folder."""

    claude: Path | None = None
    codex: Path | None = None

    def roots(self) -> dict[str, Path]:
        return {marker: folder for marker, folder in
                ((CLAUDE_MARKER, self.claude), (CODEX_MARKER, self.codex)) if folder}


def locate(landing: Path, path: str, agents: AgentDirs | None = None) -> Path:
    """Where the file a manifest path names is on disk."""
    roots = agents.roots() if agents else {}
    if roots:
        parts = path.split("/")
        for index, part in enumerate(parts[:-1]):
            folder = roots.get(part)
            if folder is not None:
                return folder.joinpath(*parts[index + 1:])
    return landing / path


def _discover_agents(agents: AgentDirs, prefix: str) -> list[LandingFile]:
    found = []
    for marker, folder in agents.roots().items():
        if not folder.is_dir():
            raise FileNotFoundError(f"{marker[1:]} folder {folder} does not exist "
                                    "(TOKENWORKS_CLAUDE_DIR / TOKENWORKS_CODEX_HOME)")
        for sub in AGENT_SUBFOLDERS[marker]:
            for root, dirs, files in os.walk(folder / sub):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    kind = file_format(name)
                    if kind is None or kind[0] != "jsonl" or name.startswith("."):
                        continue
                    full = Path(root) / name
                    rel = "/".join(filter(None, (prefix, marker,
                                                 full.relative_to(folder).as_posix())))
                    stat = full.stat()
                    found.append(LandingFile(rel, stat.st_size, stat.st_mtime_ns, *kind))
    return found


def discover(landing: Path, prefix: str = "", agents: AgentDirs | None = None
             ) -> tuple[list[LandingFile], list[str]]:
    """Every loadable file under `landing` (only under its sub-folder `prefix`, when given) and
    in the agents' folders, sorted by path, and the paths that were ignored. Paths are relative
    to `landing` either way, so writers that share a lake, each with its own prefix, never name
    two files alike."""
    found = _discover_agents(agents, prefix) if agents else []
    markers = set(agents.roots()) if agents else set()
    ignored = []
    for root, dirs, files in os.walk(landing / prefix if prefix else landing):
        dirs[:] = sorted(d for d in dirs if (
            not d.startswith(".") or d in VISIBLE_HIDDEN_FOLDERS) and not (
            d == BILLING_FOLDER and Path(root) == landing))
        for name in files:
            full = Path(root) / name
            rel = full.relative_to(landing).as_posix()
            if name.startswith("."):
                continue
            kind = file_format(name)
            if kind is None:
                ignored.append(rel)
                continue
            if markers.intersection(rel.split("/")[:-1]):
                raise ValueError(f"landing file {rel} is in a folder named like an agent's "
                                 f"folder ({', '.join(sorted(markers))}): rename the folder")
            stat = full.stat()
            found.append(LandingFile(rel, stat.st_size, stat.st_mtime_ns, kind[0], kind[1]))
    found.sort(key=lambda f: f.path)
    return found, sorted(ignored)


def fingerprint(path: Path, upto: int) -> tuple[str, str]:
    """Hashes of the first and the last 64 KiB before byte `upto`: an append keeps both."""
    with open(path, "rb") as fh:
        head = fh.read(min(upto, FINGERPRINT_BYTES))
        tail_start = max(0, upto - FINGERPRINT_BYTES)
        fh.seek(tail_start)
        tail = fh.read(upto - tail_start)
    return (hashlib.blake2b(head, digest_size=12).hexdigest(),
            hashlib.blake2b(tail, digest_size=12).hexdigest())


def _excerpt(data: bytes | bytearray) -> bytes:
    return bytes(data[:EXCERPT_BYTES])


def iter_lines(stream, start_offset: int = 0, end_offset: int | None = None
               ) -> Iterator[tuple[int, int, bytes | Problem]]:
    """(line index from 0, byte offset after the line, line or Problem) for each line that
    starts in [start_offset, end_offset); `stream` is positioned at a line start."""
    offset = start_offset  # where the line being assembled starts
    index = 0
    buffer = bytearray()
    oversize = 0  # bytes of an oversize line seen so far; 0 while the line fits
    excerpt = b""

    def finished_line():
        if oversize:
            return Problem(f"record is {oversize:,} bytes, over the "
                           f"{MAX_RECORD_BYTES // 2**20} MiB limit", excerpt)
        return bytes(buffer)

    while end_offset is None or offset < end_offset:
        block = stream.read(READ_BLOCK)
        if not block:
            if buffer or oversize:  # last line without a line end
                line = finished_line()
                yield (index, offset + (oversize or len(buffer)),
                       line if isinstance(line, Problem) else Unterminated(line))
            return
        pos = 0
        while pos < len(block):
            newline = block.find(b"\n", pos)
            piece = block[pos:] if newline < 0 else block[pos:newline]
            if oversize:
                oversize += len(piece)
            else:
                buffer += piece
                if len(buffer) > MAX_RECORD_BYTES:
                    oversize, excerpt = len(buffer), _excerpt(buffer)
                    buffer = bytearray()
            if newline < 0:
                break
            line_end = offset + (oversize or len(buffer)) + 1
            yield index, line_end, finished_line()
            index += 1
            offset = line_end
            buffer, oversize = bytearray(), 0
            pos = newline + 1
            if end_offset is not None and offset >= end_offset:
                return


class DamagedStream(Exception):
    pass


class _GzipStream:
    """Decompresses (multi-member) gzip incrementally, so that everything before a truncation
    or corruption is still returned; the damage then raises one DamagedStream."""

    def __init__(self, path: Path):
        self._raw = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._inflater = zlib.decompressobj(wbits=31)
        self._pending = b""
        self._started = False
        self._finished = False
        self._error: str | None = None

    def _fill(self, size: int) -> None:
        while len(self._pending) < size and not self._finished:
            chunk = self._raw.read(1024 * 1024)
            if not chunk:
                self._finished = True
                if self._started and not self._inflater.eof:
                    self._error = ("gzip stream is truncated: it ends before its end-of-stream "
                                   "marker (was the file still being written or copied?)")
                return
            try:
                out = self._decompress(chunk)
            except zlib.error as exc:
                self._finished = True
                self._error = f"gzip stream is corrupt ({exc})"
                return
            self._pending += out

    def _decompress(self, chunk: bytes) -> bytes:
        out = b""
        while chunk:
            if self._inflater.eof:  # concatenated members: an appended .gz file
                self._inflater = zlib.decompressobj(wbits=31)
            self._started = True
            out += self._inflater.decompress(chunk)
            chunk = self._inflater.unused_data if self._inflater.eof else b""
        return out

    def read(self, size: int) -> bytes:
        self._fill(size)
        if not self._pending and self._error:
            raise DamagedStream(self._error)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def close(self):
        self._raw.close()


def open_stream(path: Path, gzipped: bool):
    return _GzipStream(path) if gzipped else open(path, "rb")


def read_document(path: Path, gzipped: bool) -> bytes:
    stream = open_stream(path, gzipped)
    try:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    finally:
        stream.close()
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DamagedStream(f"document is over the {MAX_DOCUMENT_BYTES // 2**20} MiB limit")
    return data
