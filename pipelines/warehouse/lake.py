"""Where the warehouse is, and how to open it: a DuckLake, whose catalog is a SQLite file (the
embedded default) or a PostgreSQL database, and whose table data are Parquet files in a local
folder or under an s3:// prefix.

Every connection is a private in-memory DuckDB with the lake attached as `lake` and made the
default catalog, so the warehouse's SQL names its tables unqualified; a run's scratch tables are
TEMP tables of that connection, gone with it.

The extensions come from the `duckdb-extension-*` wheels and are loaded by path: nothing
downloads at run time.
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import duckdb

from pipelines.warehouse.sql import scalar, sql_literal

CATALOG = "lake"
POSTGRES_PREFIX = "ducklake:postgres:"
SQLITE_PREFIX = "ducklake:sqlite:"
# What an attach says when there is no lake to read.
MISSING_SIGNS = ("unable to open", "does not exist", "not initialized",
                 "create a new ducklake instance")
# What DuckDB files start with, at byte 8: a warehouse of the format before the lake.
DUCKDB_FILE_MAGIC = b"DUCK"
# Catalog files this process has checked the format of (Lake._check_format), each once.
_FORMAT_CHECKED: set[Path] = set()


class WarehouseMissing(FileNotFoundError):
    pass


class WarehouseFormatError(RuntimeError):
    pass


def extension_path(name: str) -> Path:
    """The binary of a `duckdb-extension-<name>` wheel (pinned in pyproject.toml)."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None:
        raise RuntimeError(f"the duckdb-extension-{name.replace('_', '-')} wheel is not "
                           "installed: run `make setup`")
    folders = [Path(spec.origin).parent] if spec.origin else [
        Path(folder) for folder in spec.submodule_search_locations or []]
    for folder in folders:
        for path in folder.glob("extensions/v*/*.duckdb_extension"):
            return path
    raise RuntimeError(f"no extension binary in the duckdb-extension-{name} wheel")


@dataclass(frozen=True)
class Lake:
    """A warehouse location: `catalog` is what DuckDB attaches, `data_path` where new Parquet
    files go (None: what the catalog recorded when the lake was made)."""

    catalog: str
    data_path: str | None = None

    @classmethod
    def locate(cls, warehouse: str | Path, data_path: str | Path | None = None) -> Lake:
        """`--warehouse` and `--data-path` as users give them: a plain path names the embedded
        lake (its SQLite catalog; its data in PATH.files/ unless a data path is given), and
        `ducklake:postgres:<libpq conninfo>` a lake whose catalog is in PostgreSQL."""
        text = str(warehouse)
        data = str(data_path) if data_path else None
        if data and "://" not in data:
            data = str(Path(data).resolve())
        if text.startswith(POSTGRES_PREFIX):
            return cls(text, data)
        if text.startswith("ducklake:"):
            raise ValueError(f"unsupported warehouse {text!r}: give a local path (the embedded "
                             f"lake) or {POSTGRES_PREFIX}<libpq conninfo>")
        if text.startswith(SQLITE_PREFIX):
            text = text.removeprefix(SQLITE_PREFIX)
        return cls(SQLITE_PREFIX + str(Path(text).resolve()), data)

    @classmethod
    def of(cls, settings) -> Lake:
        """The lake of resolved settings (pipelines.config.Settings)."""
        return cls.locate(settings.warehouse, settings.data_path)

    @property
    def embedded_file(self) -> Path | None:
        """The SQLite catalog of an embedded lake; None for a PostgreSQL catalog."""
        if self.catalog.startswith(SQLITE_PREFIX):
            return Path(self.catalog.removeprefix(SQLITE_PREFIX))
        return None

    @property
    def default_data_path(self) -> str | None:
        file = self.embedded_file
        return f"{file}.files/" if file else None

    def __str__(self) -> str:
        file = self.embedded_file
        if file is not None:
            return str(file)
        # conninfo may hold a password: show only where the catalog is
        fields = dict(part.split("=", 1) for part in self.catalog.removeprefix(
            POSTGRES_PREFIX).split() if "=" in part)
        where = "/".join(fields[key] for key in ("host", "port", "dbname") if key in fields)
        return f"{POSTGRES_PREFIX}{where}"

    def exists(self) -> bool:
        """Whether a lake has been made here. A PostgreSQL catalog is asked when attached."""
        file = self.embedded_file
        return file is None or file.exists()

    def connect(self, *, read_only: bool = False, snapshot: int | None = None,
                as_of: datetime | None = None, memory_limit: str | None = None,
                attempts: int = 20) -> duckdb.DuckDBPyConnection:
        """A connection with the lake attached and in use. Read-only connections read the last
        committed snapshot (or the one given) and never wait for a writer."""
        self._check_format()
        if read_only and not self.exists():
            raise WarehouseMissing(self._missing_message())
        config: dict = {"autoinstall_known_extensions": False,
                        "autoload_known_extensions": False}
        if memory_limit:
            config["memory_limit"] = memory_limit
        conn = duckdb.connect(config=config)
        try:
            extensions = self._extensions()
            for name in extensions:
                conn.execute(f"LOAD {sql_literal(extension_path(name))}")
            if "httpfs" in extensions:
                _s3_secret_from_environment(conn)
            options = []
            data_path = self.data_path or (
                None if read_only or self._initialized(conn) else self.default_data_path)
            if data_path:
                if "://" not in data_path:
                    Path(data_path).mkdir(parents=True, exist_ok=True)
                options.append(f"DATA_PATH {sql_literal(data_path)}")
            if read_only:
                options.append("READ_ONLY")
            if snapshot is not None:
                options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
            if as_of is not None:
                options.append(f"SNAPSHOT_TIME {sql_literal(as_of.isoformat(sep=' '))}")
            if not read_only:
                self._prepare_embedded()
            attach = f"ATTACH {sql_literal(self.catalog)} AS {CATALOG}"
            attach += f" ({', '.join(options)})" if options else ""
            self._attach(conn, attach, read_only, attempts)
            conn.execute(f"USE {CATALOG}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _attach(self, conn: duckdb.DuckDBPyConnection, attach: str, read_only: bool,
                attempts: int) -> None:
        for attempt in range(attempts):
            try:
                conn.execute(attach)
                return
            except duckdb.Error as error:
                message = str(error)
                if read_only and any(sign in message for sign in MISSING_SIGNS):
                    raise WarehouseMissing(self._missing_message()) from error
                if "data_path is not set" in message:
                    raise WarehouseMissing(
                        f"{self} holds no lake yet: give --data-path (TOKENWORKS_DATA_PATH), "
                        "a folder or s3://bucket/prefix/, for the run that makes it"
                    ) from error
                if "DATA_PATH" in message or attempt == attempts - 1:
                    raise
                # Two writers making the same new lake race to create its catalog tables, and a
                # SQLite catalog is briefly locked by a committing writer: attach again.
                time.sleep(0.05 * (attempt + 1))

    def _initialized(self, conn: duckdb.DuckDBPyConnection) -> bool:
        """Whether the lake has been made: a PostgreSQL catalog is taken to be (the attach
        says when it is not); an embedded one is once its catalog records a data path (a
        writer making it at this moment has only created the file).

        The catalog is read through this connection's SQLite, never Python's `sqlite3`: POSIX
        locks belong to the process, so closing a second library's handle on the file drops
        the locks the lake's own SQLite holds on it. A writer starting then takes the shared
        memory for unused, truncates it, and a reader still mapping it dies of SIGBUS."""
        file = self.embedded_file
        if file is None:
            return True
        if not file.exists():
            return False
        try:
            return scalar(conn, "SELECT count(*) FROM sqlite_scan(?, 'ducklake_metadata') "
                                "WHERE key = 'data_path'", [str(file)]) > 0
        except duckdb.Error:  # no such table yet, or locked while made
            return False

    def _extensions(self) -> list[str]:
        names = ["ducklake"]
        if self.embedded_file is not None:
            names.insert(0, "sqlite_scanner")
        else:
            names.insert(0, "postgres_scanner")
        if self.embedded_file is None or (self.data_path or "").startswith("s3://"):
            names.insert(0, "httpfs")  # a catalog not on this machine may keep data on S3
        return names

    def _prepare_embedded(self) -> None:
        """A new SQLite catalog in WAL mode, so readers never hold up a writer's commit (in the
        default rollback journal, a reader mid-query makes the commit fail as locked)."""
        file = self.embedded_file
        if file is None or file.exists():
            return
        file.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(file) as catalog:
            catalog.execute("PRAGMA journal_mode=WAL")
        catalog.close()

    def _check_format(self) -> None:
        """Refuse a warehouse of the format before DuckLake. Once per catalog file and process,
        before this process's SQLite opens it: closing any other handle on the file drops every
        POSIX lock the process holds on it, the SQLite connections' shared lock included. A
        writer closing its last connection then takes itself for the only one, checkpoints and
        resets the write-ahead log under the readers of this process, which fail ('database
        disk image is malformed', an inlined-data table that 'does not exist') or die."""
        file = self.embedded_file
        if file is None or file.resolve() in _FORMAT_CHECKED or not file.is_file():
            return
        with open(file, "rb") as fh:
            head = fh.read(16)
        if head[8:12] == DUCKDB_FILE_MAGIC:
            raise WarehouseFormatError(
                f"{file} is a warehouse of the format before DuckLake (one DuckDB file). Move it "
                "aside and ingest the landing folder into a new lake: `tokenworks ingest "
                "--warehouse NEW_PATH` (docs/deploy.md, 'Moving a warehouse')")
        _FORMAT_CHECKED.add(file.resolve())

    def _missing_message(self) -> str:
        return (f"no warehouse at {self}: run `tokenworks ingest` (or `tokenworks demo`) first, "
                "or point TOKENWORKS_WAREHOUSE / --warehouse at an existing one")


def _s3_secret_from_environment(conn: duckdb.DuckDBPyConnection) -> None:
    """S3 credentials from the standard AWS variables, when they are set (else DuckDB's own
    secrets apply, e.g. a persistent secret made with CREATE PERSISTENT SECRET)."""
    env = os.environ
    key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not key_id or not secret:
        return
    fields = {"KEY_ID": key_id, "SECRET": secret,
              "REGION": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"}
    if env.get("AWS_SESSION_TOKEN"):
        fields["SESSION_TOKEN"] = env["AWS_SESSION_TOKEN"]
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    options = ", ".join(f"{name} {sql_literal(value)}" for name, value in fields.items())
    if endpoint:
        url = urlparse(endpoint)
        options += (f", ENDPOINT {sql_literal(url.netloc)}, URL_STYLE 'path', "
                    f"USE_SSL {'true' if url.scheme == 'https' else 'false'}")
    conn.execute(f"CREATE OR REPLACE SECRET tokenworks_s3 (TYPE s3, {options})")


def is_commit_conflict(message: str) -> bool:
    """A run that lost a race with another writer: DuckLake refused its commit (it overlapped a
    commit of another transaction) or the catalog was locked. Re-running it whole is safe."""
    return any(sign in message for sign in (
        "Failed to commit DuckLake transaction", "Transaction conflict",
        "database is locked", "could not serialize access"))
