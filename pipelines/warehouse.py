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
import hashlib
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
WRITER_MEMORY = "768MB"  # DuckDB's share of an ingest's memory; it spills beyond


class WarehouseBusy(RuntimeError):
    pass


class WarehouseMissing(FileNotFoundError):
    pass


class ConcurrentPublish(RuntimeError):
    pass


def read_sql(name: str) -> str:
    return (SQL_DIR / name).read_text()


def run_sql(conn: duckdb.DuckDBPyConnection, text: str, params: dict | None = None) -> None:
    """Run a script of statements (each ending a line with ';'), binding to each statement the
    named parameters ($name) it uses: DuckDB binds parameters to one statement at a time."""
    statement: list[str] = []
    for line in text.splitlines():
        statement.append(line)
        if line.rstrip().endswith(";") and not line.lstrip().startswith("--"):
            _run_statement(conn, "\n".join(statement), params or {})
            statement = []
    if "\n".join(statement).strip():
        _run_statement(conn, "\n".join(statement), params or {})


def _run_statement(conn, sql: str, params: dict) -> None:
    used = {name: value for name, value in params.items() if f"${name}" in sql}
    conn.execute(sql, used or None)


# The calls a run took out of staging (a rewritten file's rows): the run re-chooses and
# re-prices them. Written by ingest, read by the costing; a run table, never published.
RUN_REMOVED_KEYS = ("CREATE TABLE IF NOT EXISTS run_removed_keys "
                    "(run_id VARCHAR, dedup_key VARCHAR, call_id BIGINT);")

# Made from the ledger and the price book alone, so they can always be made again.
DERIVED_TABLES = ("fct_costs", "fct_cost_estimates", "mart_daily_spend", "mart_daily_drivers",
                  "mart_daily_distribution")


def schema_digest() -> str:
    """Hash of the sql/schema files: a warehouse records the one it was made with."""
    files = sorted((SQL_DIR / "schema").glob("*.sql"))
    return hashlib.blake2b(b"".join(p.read_bytes() for p in files), digest_size=8).hexdigest()


def apply_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; every schema file is idempotent (CREATE … IF NOT EXISTS / OR
    REPLACE), applied in file-name order. Skipped when this exact schema was applied already:
    rewriting every comment of a large catalog on each run costs more than the run's new data."""
    files = sorted((SQL_DIR / "schema").glob("*.sql"))
    digest = schema_digest()
    conn.execute("CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR, value VARCHAR)")
    applied = conn.execute("SELECT value FROM warehouse_meta WHERE key = 'schema'").fetchone()
    if applied and applied[0] == digest:
        return
    # Other schema files may have changed a derived table's shape: those are dropped and made
    # again whole by this run (cost_calls re-prices everything when fct_costs holds no row of
    # the current price book, and the marts follow).
    if applied:
        for table in DERIVED_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    for path in files:
        conn.execute(path.read_text())
    # Relations that re-expose columns document them once, where they are defined.
    _inherit_column_comments(conn, "stg_calls", ["fct_requests"])
    _inherit_column_comments(conn, "fct_request_costs",
                             ["fct_requests", "fct_costs", "fct_cost_estimates"])
    for view, sources in ANALYTICS_COMMENT_SOURCES.items():
        _inherit_column_comments(conn, f"analytics.{view}", sources)
    conn.execute("DELETE FROM warehouse_meta WHERE key = 'schema'")
    conn.execute("INSERT INTO warehouse_meta VALUES ('schema', ?)", [digest])
    conn.execute("COMMENT ON TABLE warehouse_meta IS 'Bookkeeping. Grain: one row per key; "
                 "schema = hash of the sql/schema files last applied.'")
    conn.execute("COMMENT ON COLUMN warehouse_meta.key IS 'What the row records.'")
    conn.execute("COMMENT ON COLUMN warehouse_meta.value IS 'Its value.'")


# The analysts' views (sql/schema/090_analytics.sql) and the tables their columns come from.
ANALYTICS_COMMENT_SOURCES = {
    "requests": ["fct_requests", "fct_costs", "fct_cost_estimates"],
    "daily_spend": ["mart_daily_spend"], "unknown_usage": ["unknown_usage"],
    "models": ["dim_model"], "prices": ["dim_price"], "hardware": ["dim_hardware_generation"],
    "scenarios": ["scenario_projection"], "scenario_parameters": ["scenario_parameters"],
    "quarantine": ["quarantine"], "ingestion_runs": ["ingest_runs"],
}


def _inherit_column_comments(conn: duckdb.DuckDBPyConnection, target: str,
                             sources: list[str]) -> None:
    """Give the view `target` ("name" or "schema.name") the comment of the same-named column of
    the first source table (schema main) that documents it. A view outside main keeps the
    comments it has of its own."""
    schema, _, name = target.rpartition(".")
    schema = schema or "main"
    inherited: dict[str, str] = {}
    for source in sources:
        for column, comment in conn.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'main' "
                "AND table_name = ? AND coalesce(comment, '') <> ''", [source]).fetchall():
            inherited.setdefault(column, comment)
    for column, own in conn.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = ? "
            "AND table_name = ?", [schema, name]).fetchall():
        if column in inherited and (schema == "main" or not own):
            quoted = inherited[column].replace("'", "''")
            conn.execute(f"COMMENT ON COLUMN {target}.{column} IS '{quoted}'")


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
        apply_schema(self._conn)
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
        removed = []
        if not self.work_dir.exists():
            return removed
        for path in self.work_dir.iterdir():
            path.unlink(missing_ok=True)
            removed.append(path)
        return removed
