"""The warehouse file, and how writers and readers share it.

DuckDB lets one process open a database file for writing only while no other process has it
open, even read-only. So nobody ever writes the published file in place:

- Readers (dashboards, `tokenworks sql`, analysts) open the *published* file read-only.
- An ingest run takes the run lock, copies the published file to a private working copy
  (only once it knows there is work), builds everything there, checkpoints it, and publishes
  it with one atomic rename. A reader that opened the old file keeps reading the old snapshot;
  the next reader opens the new one. Readers never block the writer and never see half a run.
- A run that dies (even kill -9) leaves only its working copy, which the next run deletes: the
  published warehouse is exactly what the last complete run left.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.warehouse.sql import apply_schema

WRITER_MEMORY = "768MB"  # DuckDB's share of an ingest's memory; it spills beyond


class WarehouseBusy(RuntimeError):
    pass


class WarehouseMissing(FileNotFoundError):
    pass


class ConcurrentPublish(RuntimeError):
    pass


def connect_reader(path: Path, retries: int = 20) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot."""
    path = Path(path)
    for attempt in range(retries):
        if not path.exists():
            raise WarehouseMissing(
                f"no warehouse at {path}: run `tokenworks ingest` (or `tokenworks demo`) first, "
                "or point TOKENWORKS_WAREHOUSE / --warehouse at an existing one")
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException:
            # Only a process that broke the protocol (wrote the published file in place) holds a
            # write lock on it; wait it out briefly rather than fail the reader.
            if attempt == retries - 1:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def _identity(path: Path) -> tuple | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


@dataclass
class RunWorkspace:
    """One ingest run's private working copy of the warehouse."""

    published: Path
    run_id: str
    work_path: Path
    _base_identity: tuple | None = None
    _created: bool = False
    is_published: bool = False
    derived_dropped: bool = False  # made with other schema files: costs and marts made anew
    _conn: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)

    @property
    def has_work(self) -> bool:
        return self._created

    def connect(self) -> duckdb.DuckDBPyConnection:
        """The working copy, created from the published snapshot on first use."""
        if self._conn is not None:
            return self._conn
        if not self._created:
            self._created = True
            self._base_identity = _identity(self.published)
            if self._base_identity is not None:
                tmp = self.work_path.with_suffix(".copying")
                shutil.copyfile(self.published, tmp)
                os.replace(tmp, self.work_path)
        self._conn = duckdb.connect(str(self.work_path), config={"memory_limit": WRITER_MEMORY})
        self.derived_dropped = apply_schema(self._conn)
        return self._conn

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def publish(self) -> None:
        """Checkpoint the working copy and atomically replace the published file with it."""
        if not self._created:
            return
        conn = self.connect()
        conn.execute("CHECKPOINT")
        self.close()
        if _identity(self.published) != self._base_identity:
            raise ConcurrentPublish(
                f"{self.published} changed while this run worked on a copy of it (another "
                "process published or replaced it): nothing was published; run the ingest again")
        with open(self.work_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(self.work_path, self.published)
        self.is_published = True
        dir_fd = os.open(self.published.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def discard(self) -> None:
        self.close()
        for path in self.work_path.parent.glob(self.run_id + ".*"):
            path.unlink(missing_ok=True)


class Warehouse:
    """The published warehouse file plus its run lock and working-copy folder."""

    def __init__(self, path: Path):
        self.path = Path(path).resolve()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.work_dir = self.path.with_name(self.path.name + ".runs")

    def reader(self) -> duckdb.DuckDBPyConnection:
        return connect_reader(self.path)

    @contextmanager
    def run_lock(self):
        """Exclusive for the whole run; the OS releases it when the process dies."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
                raise WarehouseBusy(
                    f"another ingest is running on {self.path} ({holder or 'unknown process'}); "
                    "wait for it to finish, it will have loaded the same files") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
            yield
        finally:
            os.close(fd)

    def workspace(self, run_id: str) -> RunWorkspace:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        return RunWorkspace(self.path, run_id, self.work_dir / f"{run_id}.duckdb")

    def remove_stale_work(self) -> list[Path]:
        """Working copies of runs that died. Call only while holding the run lock, before this
        run makes its own."""
        removed: list[Path] = []
        if not self.work_dir.exists():
            return removed
        for path in self.work_dir.iterdir():
            path.unlink(missing_ok=True)
            removed.append(path)
        return removed
