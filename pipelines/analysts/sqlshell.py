"""`tokenworks sql`: read-only queries for analysts, from the command line, a file, or an
interactive shell with history.

The warehouse is opened read-only, so a write is refused by DuckDB itself (and reported as
such), and a query never holds up an ingest: it reads the last committed run, or with --as-of
the warehouse as an earlier run or moment left it (DuckLake time travel).
"""

from __future__ import annotations

import contextlib
import re
import sys
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import ModuleType

import duckdb
import orjson

from pipelines.warehouse.lake import Lake
from pipelines.warehouse.sql import sql_literal
from pipelines.warehouse.store import connect_reader

FORMATS = ("table", "csv", "json", "parquet")
HISTORY = Path.home() / ".tokenworks_history"


class QueryError(Exception):
    pass


def parse_params(pairs: list[str]) -> dict:
    """name=value pairs for $name placeholders: whole numbers become integers, other numbers
    exact decimals, anything else text (DuckDB casts text to a date or time where compared)."""
    params: dict[str, int | Decimal | str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise QueryError(f"--param {pair!r}: expected name=value")
        if re.fullmatch(r"-?[0-9]+", value):
            params[name] = int(value)
        else:
            try:
                params[name] = Decimal(value) if re.fullmatch(r"-?[0-9.]+", value) else value
            except InvalidOperation:
                params[name] = value
    return params


def connect_as_of(lake: Lake, as_of: str) -> duckdb.DuckDBPyConnection:
    """The warehouse as the ingest run `as_of` committed it, or as it was at the time `as_of`
    (ISO 8601, UTC; a date means its midnight). Runs and their snapshots:
    analytics.ingestion_runs."""
    conn = connect_reader(lake)
    try:
        snapshot = conn.execute(
            "SELECT snapshot_id FROM run_snapshots WHERE run_id = ?", [as_of]).fetchone()
        first = conn.execute("SELECT min(snapshot_time) FROM run_snapshots").fetchone()
    finally:
        conn.close()
    if snapshot is not None:
        return lake.connect(read_only=True, snapshot=snapshot[0])
    try:
        moment = datetime.fromisoformat(as_of)
    except ValueError:
        raise QueryError(f"--as-of {as_of!r}: neither an ingest run id (analytics."
                         "ingestion_runs.run_id) nor a time (YYYY-MM-DD[THH:MM:SS])") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if first is None or first[0] is None or moment < first[0]:
        raise QueryError(f"--as-of {as_of}: before the first snapshot still kept "
                         f"({first[0] if first else None}); older ones expired (maintenance)")
    return lake.connect(read_only=True, as_of=moment)


def run_query(conn, sql: str, params: dict, fmt: str, out, parquet_to: Path | None = None
              ) -> None:
    """Run one statement and write its result."""
    used = {name: value for name, value in params.items() if f"${name}" in sql}
    try:
        if fmt == "parquet":
            if parquet_to is None:
                raise QueryError("--format parquet writes a file: give --out FILE.parquet")
            conn.execute(f"COPY ({sql.rstrip().rstrip(';')}) TO {sql_literal(parquet_to)} "
                         "(FORMAT parquet, COMPRESSION zstd)", used or None)
            return
        relation = conn.sql(sql, params=used or None)
        if relation is None:  # a statement without a result (SET, PRAGMA …)
            return
        write_result(relation, fmt, out)
    except duckdb.Error as exc:
        message = str(exc)
        if "read-only" in message.lower():
            raise QueryError("the warehouse is read-only to `tokenworks sql`; it changes only "
                             f"through `tokenworks ingest` ({message})") from None
        raise QueryError(f"query failed: {message}") from None


def write_result(relation, fmt: str, out) -> None:
    if fmt == "table":
        out.write(str(relation) + "\n")
        return
    frame = relation.pl()
    if fmt == "csv":
        out.write(frame.write_csv())
    elif fmt == "json":
        out.write(orjson.dumps(frame.to_dicts(), default=str,
                               option=orjson.OPT_INDENT_2).decode() + "\n")


def statements(text: str) -> list[str]:
    """Split a script on the semicolons that end a line (as the schema files are written)."""
    parts, current = [], []
    for line in text.splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            parts.append("\n".join(current))
            current = []
    if "\n".join(current).strip():
        parts.append("\n".join(current))
    return [p for p in parts if p.strip() and not all(
        line.strip().startswith("--") or not line.strip() for line in p.splitlines())]


def shell(conn, params: dict, fmt: str, history: Path = HISTORY) -> int:
    """Read statements ending in ';' until .quit or end of input; history is kept in
    ~/.tokenworks_history (arrow keys recall it on a terminal)."""
    readline = _readline()
    if readline is not None:
        with contextlib.suppress(OSError):
            readline.read_history_file(history)
    interactive = sys.stdin.isatty()
    if interactive:
        print("tokenworks sql: read-only. End statements with ';', .tables lists the analyst "
              "views, .quit leaves.")
    buffer: list[str] = []
    failures = 0
    while True:
        try:
            line = input("tokenworks> " if not buffer else "      ...> ") if interactive \
                else sys.stdin.readline()
        except EOFError:
            break
        if not interactive and line == "":
            break
        line = line.rstrip("\n")
        if not buffer and line.strip() in (".quit", ".exit"):
            break
        if not buffer and line.strip() == ".tables":
            line = ("SELECT table_schema || '.' || table_name AS relation, table_type "
                    "FROM information_schema.tables WHERE table_schema = 'analytics' "
                    "ORDER BY 1;")
        buffer.append(line)
        if line.rstrip().endswith(";"):
            sql = "\n".join(buffer)
            buffer = []
            _remember(readline, history, sql)
            try:
                run_query(conn, sql, params, fmt, sys.stdout)
            except QueryError as exc:
                failures += 1
                print(f"error: {exc}", file=sys.stderr)
    return 1 if failures else 0


def _readline() -> ModuleType | None:
    try:
        import readline
    except ImportError:  # not on every platform
        return None
    return readline


def _remember(readline, history: Path, sql: str) -> None:
    if readline is not None:
        readline.add_history(sql.replace("\n", " "))
        with contextlib.suppress(OSError):
            readline.write_history_file(history)
    else:
        with open(history, "a") as file:
            file.write(sql.replace("\n", " ") + "\n")
