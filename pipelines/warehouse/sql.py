"""The warehouse's SQL, run from the files under sql/: reading a statement file, running a script
with bound parameters, applying the schema files, quoting a literal, appending a frame.

Schema files are the numbered ones, `sql/<domain>/NNN_<name>.sql`, applied in the order of their
numbers across domains; the other files of a domain are the statements that fill its tables.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

SQL_DIR = Path(__file__).resolve().parent.parent.parent / "sql"


def read_sql(name: str) -> str:
    """A statement file, by its path under sql/ (e.g. "pricing/fct_costs.sql")."""
    return (SQL_DIR / name).read_text()


def run_sql(conn: duckdb.DuckDBPyConnection, text: str, params: dict | None = None) -> None:
    """Run a script of statements (each ending a line with ';'), binding to each statement the
    named parameters ($name) it uses: DuckDB binds parameters to one statement at a time."""
    for statement in statements(text):
        _run_statement(conn, statement, params or {})


def statements(text: str) -> list[str]:
    """A script's statements: each ends a line with ';'."""
    found: list[str] = []
    statement: list[str] = []
    for line in text.splitlines():
        statement.append(line)
        if line.rstrip().endswith(";") and not line.lstrip().startswith("--"):
            found.append("\n".join(statement))
            statement = []
    if "\n".join(statement).strip():
        found.append("\n".join(statement))
    return found


def one(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> tuple:
    """The first row of a query that always returns one (an aggregate, a count)."""
    row = conn.execute(sql, params).fetchone()
    if row is None:
        raise LookupError(f"expected a row from: {sql}")
    return row


def scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> Any:
    """The first column of the first row of a query that always returns one."""
    return one(conn, sql, params)[0]


def _run_statement(conn, sql: str, params: dict) -> None:
    used = {name: value for name, value in params.items() if f"${name}" in sql}
    conn.execute(sql, used or None)


def sql_literal(text: str | Path) -> str:
    """A string as a SQL literal, for the few places DuckDB takes no parameter (ATTACH, COPY
    TO, COMMENT ON)."""
    return "'" + str(text).replace("'", "''") + "'"


def append_frame(conn: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """One INSERT for a whole frame, columns matched by name."""
    conn.register("frame_to_append", frame)
    try:
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame_to_append")
    finally:
        conn.unregister("frame_to_append")


def insert_rows(conn: duckdb.DuckDBPyConnection, table: str, rows: list[tuple],
                columns: list[str] | None = None) -> None:
    """One INSERT for a few hundred rows at most (seeds, settings): executemany would make each
    row an insert of its own, a change of its own in the lake's transaction."""
    if not rows:
        return
    row = "(" + ", ".join("?" * len(rows[0])) + ")"
    named = f" ({', '.join(columns)})" if columns else ""
    conn.execute(f"INSERT INTO {table}{named} VALUES " + ", ".join([row] * len(rows)),
                 [value for values in rows for value in values])


# Made from the ledger, the price book and the reviewed files alone, so they can always be made
# again (the trends and the projections' base are made again whenever the marts are).
DERIVED_TABLES = ("fct_costs", "fct_cost_estimates", "mart_daily_spend", "mart_daily_drivers",
                  "mart_daily_distribution", "scenario_trend_history", "scenario_trend",
                  "forecast_backtest", "forecast_methods", "scenario_base")


def schema_files() -> list[Path]:
    """The numbered schema files of every domain, in the order of their numbers."""
    return sorted(SQL_DIR.glob("*/[0-9][0-9][0-9]_*.sql"), key=lambda path: path.name)


def schema_digest() -> str:
    """Hash of the schema files: a warehouse records the one it was made with."""
    return hashlib.blake2b(b"".join(p.read_bytes() for p in schema_files()),
                           digest_size=8).hexdigest()


def apply_schema(conn: duckdb.DuckDBPyConnection) -> bool:
    """Create what is missing; every schema file is idempotent (CREATE … IF NOT EXISTS / OR
    REPLACE), applied in the order of their numbers. Skipped when this exact schema was applied
    already: rewriting every comment of a large catalog on each run costs more than the run's
    new data.
    Returns whether the derived tables were dropped (the warehouse was made with other schema
    files): the costs and everything made from them are then to be made again whole."""
    conn.execute(read_sql("warehouse/000_warehouse_meta.sql"))
    digest = schema_digest()
    applied = conn.execute("SELECT value FROM warehouse_meta WHERE key = 'schema'").fetchone()
    if applied and applied[0] == digest:
        return False
    # Other schema files may have changed a derived table's shape: those are dropped and made
    # again whole by this run (cost_calls re-prices everything when fct_costs holds no row of
    # the current price book, and the marts follow).
    if applied:
        for table in DERIVED_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    column_comments = []
    for path in schema_files():
        for statement in statements(path.read_text()):
            comment = COLUMN_COMMENT.match(statement)
            if comment:  # made once every relation exists: a view's go to a table
                column_comments.append((statement, comment))
            else:
                conn.execute(statement)
    views = _views(conn)
    view_comments = []
    for statement, comment in column_comments:
        if _qualified(comment["relation"]) in views:
            view_comments.append(_view_comment_row(
                comment["relation"], comment["column"], comment["text"]))
        else:
            conn.execute(statement)
    if view_comments:
        conn.execute("INSERT INTO view_column_comments VALUES " + ", ".join(view_comments))
    # Relations that re-expose columns document them once, where they are defined.
    _inherit_column_comments(conn, "stg_calls", ["fct_requests"])
    _inherit_column_comments(conn, "quality_files", ["landing_files"])
    _inherit_column_comments(conn, "fct_request_costs",
                             ["fct_requests", "fct_costs", "fct_cost_estimates"])
    _inherit_column_comments(conn, "billing_report_days", ["billing_days"])
    _inherit_column_comments(conn, "billed_costs", ["billing_cost_lines"])
    _inherit_column_comments(conn, "billed_usage", ["billing_usage_lines"])
    for view, sources in ANALYTICS_COMMENT_SOURCES.items():
        _inherit_column_comments(conn, f"analytics.{view}", sources)
    conn.execute("DELETE FROM warehouse_meta WHERE key = 'schema'")
    conn.execute("INSERT INTO warehouse_meta VALUES ('schema', ?)", [digest])
    return bool(applied)


# The analysts' views (sql/analysts/090_analytics.sql) and the tables their columns come from.
ANALYTICS_COMMENT_SOURCES = {
    "requests": ["fct_requests", "fct_costs", "fct_cost_estimates"],
    "daily_spend": ["mart_daily_spend"], "unknown_usage": ["unknown_usage"],
    "models": ["dim_model"], "prices": ["dim_price"], "hardware": ["dim_hardware_generation"],
    "scenarios": ["scenario_projection"], "scenario_parameters": ["scenario_parameters"],
    "quarantine": ["quarantine"], "ingestion_runs": ["ingest_runs", "run_snapshots"],
}


# COMMENT ON COLUMN: DuckLake refuses it on a view's column, so view_column_comments keeps those.
COLUMN_COMMENT = re.compile(
    r"\s*COMMENT ON COLUMN (?P<relation>[\w.]+)\.(?P<column>\w+) IS (?P<text>'.*');\s*$", re.S)


def _views(conn: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """(schema, name) of every view of the warehouse."""
    return set(conn.execute("SELECT schema_name, view_name FROM duckdb_views() "
                            "WHERE database_name = current_database()").fetchall())


def _qualified(relation: str) -> tuple[str, str]:
    schema, _, name = relation.rpartition(".")
    return schema or "main", name


def _view_comment_row(relation: str, column: str, text_literal: str) -> str:
    schema, _, name = relation.rpartition(".")
    return (f"({sql_literal(schema or 'main')}, {sql_literal(name)}, {sql_literal(column)}, "
            f"{text_literal})")


def _inherit_column_comments(conn: duckdb.DuckDBPyConnection, target: str,
                             sources: list[str]) -> None:
    """Give the view `target` ("name" or "schema.name") the comment of the same-named column of
    the first source (schema main) that documents it, unless it has one of its own (a view in
    main takes its source's)."""
    schema, _, name = target.rpartition(".")
    schema = schema or "main"
    inherited: dict[str, str] = {}
    for source in sources:
        for column, comment in conn.execute(
                "SELECT column_name, comment FROM catalog_columns WHERE schema_name = 'main' "
                "AND table_name = ? AND coalesce(comment, '') <> ''", [source]).fetchall():
            inherited.setdefault(column, comment)
    own = dict(conn.execute("SELECT column_name, comment FROM catalog_columns "
                            "WHERE schema_name = ? AND table_name = ?", [schema, name]).fetchall())
    taken = [column for column, comment in own.items()
             if column in inherited and (schema == "main" or not comment)]
    if (schema, name) not in _views(conn):
        for column in taken:
            conn.execute(f"COMMENT ON COLUMN {target}.{column} IS "
                         f"{sql_literal(inherited[column])}")
        return
    conn.execute("DELETE FROM view_column_comments WHERE schema_name = ? AND view_name = ? "
                 "AND list_contains(?, column_name)", [schema, name, taken])
    if taken:
        conn.execute("INSERT INTO view_column_comments VALUES " + ", ".join(
            _view_comment_row(target, column, sql_literal(inherited[column]))
            for column in taken))
