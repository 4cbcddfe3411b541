"""Closing a month: its figures recorded once, in one commit, and never changed afterwards.

`close_month` reads the month's calls from analytics.requests in one transaction of the lake
(`RunTransaction`, as an ingest run takes one) and writes, in the same commit:

- `closed_month_totals`: the totals by provider, model and project;
- `closed_month_calls`: each call as it stood, which the view `restatements` compares the
  ledger with, call by call, to say why a figure moved since;
- `closed_focus_rows`: the month's FOCUS 1.2 export rows, so the closed month's export is
  written again byte for byte without time travel (maintenance expires old snapshots);
- `closed_months`: one row with the month's figures and the warehouse state they came from
  (the snapshot read, the last ingest run, the price-book versions, the schema).

The commit replaces the row `last_commit` of warehouse_meta as every run's does, so a close
that overlapped an ingest (or another close) cannot both commit: the loser is made again whole,
and then sees what the other committed (a month closed meanwhile is refused).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import random
import re
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.analysts.export import FOCUS_FORMATS, export_focus
from pipelines.warehouse.lake import CATALOG, Lake
from pipelines.warehouse.sql import read_sql, run_sql, scalar, schema_digest, sql_literal
from pipelines.warehouse.store import CommitConflict, RunTransaction, connect_reader

MONTH = re.compile(r"(\d{4})-(\d{2})")
COMMIT_ATTEMPTS = 6
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ClosingRefused(RuntimeError):
    """The month was not closed, and nothing was written; the message says why."""


class ClosedExportMismatch(RuntimeError):
    """A closed month's FOCUS export did not come out as it did at the close."""


@dataclass(frozen=True)
class ClosedMonth:
    """What a close recorded (closed_months), for the command line and the Dagster job."""

    month: date
    closed_at: datetime
    close_run_id: str
    forced: bool
    snapshot_id: int
    last_ingest_run_id: str | None
    pricebook_versions: list[str]
    calls: int
    total_cost: Decimal | None
    list_cost: Decimal | None
    unpriced_calls: int
    usage_unknown_calls: int
    focus_rows: int
    focus_csv_sha256: str

    def as_metadata(self) -> dict:
        return {"month": self.month.strftime("%Y-%m"), "closed_at": self.closed_at.isoformat(),
                "close_run_id": self.close_run_id, "forced": self.forced,
                "snapshot_id": self.snapshot_id,
                "last_ingest_run_id": self.last_ingest_run_id or "",
                "pricebook_versions": ", ".join(self.pricebook_versions), "calls": self.calls,
                "total_cost_usd": str(self.total_cost), "list_cost_usd": str(self.list_cost),
                "unpriced_calls": self.unpriced_calls,
                "usage_unknown_calls": self.usage_unknown_calls,
                "focus_rows": self.focus_rows, "focus_csv_sha256": self.focus_csv_sha256}


def parse_month(text: str) -> date:
    """`YYYY-MM` (a UTC calendar month) as its first day; anything else is refused."""
    found = MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
        raise ValueError(f"month {text!r}: give a calendar month as YYYY-MM, e.g. 2026-11")
    return date(int(found[1]), int(found[2]), 1)


def next_month(first_day: date) -> date:
    return date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)


def default_closed_by() -> str:
    try:
        return f"{getpass.getuser()} (tokenworks close)"
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "tokenworks close"


def close_month(lake: Lake, month: str, *, force: bool = False, now: datetime | None = None,
                closed_by: str | None = None, run_id: str | None = None) -> ClosedMonth:
    """Close `month` (YYYY-MM) in one commit, or raise ClosingRefused having written nothing.

    Refused: a malformed month (ValueError), a month closed already, and unless `force`: a month
    that has not ended by `now` (default: the clock, UTC), a month the last ingest run finished
    before the end of (its last hours may still be on their way), a month without calls."""
    first_day = parse_month(month)
    connect_reader(lake).close()  # WarehouseMissing when there is none: nothing is made
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    run_id = run_id or f"close-{first_day:%Y-%m}-{moment:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        transaction = RunTransaction(lake, run_id)
        transaction.begin()
        try:
            closed = _close(transaction, first_day, force, moment,
                            closed_by or default_closed_by())
            transaction.commit()
            return closed
        except CommitConflict:
            if attempt == COMMIT_ATTEMPTS:
                raise
        finally:
            transaction.close()
        time.sleep(random.uniform(0, min(0.2 * 2 ** attempt, 5.0)))
    raise AssertionError("not reached")


def _close(transaction: RunTransaction, first_day: date, force: bool, now: datetime,
           closed_by: str) -> ClosedMonth:
    conn = transaction.connection()
    label = f"{first_day:%Y-%m}"
    if transaction.has_work:
        # connection() applied the schema files: the lake was made with other ones, so its
        # costs are to be made again whole by an ingest before any month is closed from them.
        raise ClosingRefused(
            f"{transaction.lake} was made with other schema files (or holds no run): run "
            "`tokenworks ingest` first, which brings its costs up to date, then close")
    already = conn.execute("SELECT closed_at, closed_by FROM closed_months WHERE month = ?",
                           [first_day]).fetchone()
    if already:
        raise ClosingRefused(
            f"{label} was closed at {already[0]:%Y-%m-%d %H:%M:%S} UTC by {already[1]}: a "
            "closed month never changes; later changes to it are in the view restatements")
    end = next_month(first_day)
    end_at = datetime(end.year, end.month, end.day, tzinfo=UTC)
    if now < end_at and not force:
        raise ClosingRefused(
            f"{label} has not ended: it ends {end_at:%Y-%m-%d %H:%M} UTC and it is "
            f"{now:%Y-%m-%d %H:%M} UTC (--force closes it anyway; what arrives later is "
            "restated)")
    last_run = conn.execute("SELECT run_id, finished_at FROM ingest_runs "
                            "ORDER BY finished_at DESC, run_id DESC LIMIT 1").fetchone()
    last_run_id, last_finished = last_run or (None, None)
    if not force and (last_finished is None or last_finished < end_at.replace(tzinfo=None)):
        raise ClosingRefused(
            f"the last ingest ({last_run_id or 'none'}, finished "
            f"{last_finished or 'never'}) ran before {label} ended, so the month's last "
            "calls may not be in the warehouse: run `tokenworks ingest` first (--force "
            "closes it anyway)")
    params = {"month": first_day, "next_month": end}
    calls = scalar(conn, "SELECT count(*) FROM analytics.requests "
                         "WHERE event_day >= $month AND event_day < $next_month", params)
    if calls == 0 and not force:
        raise ClosingRefused(f"{label} has no calls in the warehouse: is it the month you "
                             "meant? (--force closes it with no calls)")
    snapshot_id = scalar(conn, f"SELECT id FROM {CATALOG}.current_snapshot()")
    run_sql(conn, read_sql("closing/closed_month_totals.sql"), params)
    run_sql(conn, read_sql("closing/closed_month_calls.sql"), params)
    focus_rows, focus_columns, digest = _keep_focus_rows(conn, first_day, end)
    closed_at = now.astimezone(UTC).replace(tzinfo=None)
    run_sql(conn, read_sql("closing/closed_months.sql"), {
        **params, "closed_at": closed_at, "closed_by": closed_by,
        "close_run_id": transaction.run_id, "forced": force, "snapshot_id": snapshot_id,
        "last_ingest_run_id": last_run_id, "last_ingest_finished_at": last_finished,
        "schema_version": schema_digest(), "focus_rows": focus_rows,
        "focus_columns": json.dumps(focus_columns), "focus_csv_sha256": digest})
    transaction.mark_work()
    row = conn.execute(
        "SELECT pricebook_versions, calls, total_cost, list_cost, unpriced_calls, "
        "usage_unknown_calls FROM closed_months WHERE month = ?", [first_day]).fetchone()
    assert row is not None
    return ClosedMonth(first_day, closed_at, transaction.run_id, force, snapshot_id,
                       last_run_id, list(row[0]), row[1], row[2], row[3], row[4], row[5],
                       focus_rows, digest)


def _keep_focus_rows(conn: duckdb.DuckDBPyConnection, first_day: date, end: date
                     ) -> tuple[int, list[str], str]:
    """The month's FOCUS rows as `tokenworks export --format focus` makes them now, kept in
    closed_focus_rows in their order. The export of the kept rows is checked to be the live
    export byte for byte before anything commits; returns the rows, the columns and the
    SHA-256 of that CSV."""
    focus = read_sql("analysts/focus.sql")
    bounds = {"start": first_day, "end": date.fromordinal(end.toordinal() - 1)}
    rows = conn.execute(focus, bounds).to_arrow_table()
    columns = list(rows.column_names)
    count = rows.num_rows
    rows = rows.append_column("month", pa.array([first_day] * count, pa.date32()))
    rows = rows.append_column("line", pa.array(range(1, count + 1), pa.int64()))
    conn.register("focus_rows_to_keep", rows)
    try:
        conn.execute("INSERT INTO closed_focus_rows BY NAME SELECT * FROM focus_rows_to_keep")
    finally:
        conn.unregister("focus_rows_to_keep")
    with tempfile.TemporaryDirectory(prefix="tokenworks-close-") as folder:
        live, kept = Path(folder) / "live.csv", Path(folder) / "kept.csv"
        conn.execute(f"COPY ({focus}) TO {sql_literal(live)} (FORMAT {FOCUS_FORMATS['.csv']})",
                     bounds)
        _copy_kept(conn, first_day, columns, kept)
        if live.read_bytes() != kept.read_bytes():
            raise ClosingRefused(
                "the FOCUS rows kept for the month do not write the live export byte for byte "
                "(closed_focus_rows no longer matches sql/analysts/focus.sql): nothing was "
                "closed")
        digest = hashlib.sha256(kept.read_bytes()).hexdigest()
    return count, columns, digest


def _copy_kept(conn: duckdb.DuckDBPyConnection, first_day: date, columns: list[str],
               out: Path) -> None:
    """Write the kept FOCUS rows of a closed month, in their columns and order, to out."""
    fmt = FOCUS_FORMATS.get(out.suffix)
    if fmt is None:
        raise ValueError(f"{out}: the FOCUS export is written as .csv or .parquet")
    if not all(IDENTIFIER.fullmatch(column) for column in columns):
        raise ValueError(f"unexpected FOCUS column names recorded: {columns}")
    selected = ", ".join(f'"{column}"' for column in columns)
    conn.execute(f"COPY (SELECT {selected} FROM closed_focus_rows WHERE month = $month "
                 f"ORDER BY line) TO {sql_literal(out)} (FORMAT {fmt})", {"month": first_day})


# ------------------------------------------------------------------------ the closed export


@dataclass(frozen=True)
class MonthExport:
    rows: int
    path: Path
    closed_at: datetime | None  # None: the month is not closed, the export is live
    unknown_cost_calls: int


def closed_month(conn: duckdb.DuckDBPyConnection, first_day: date) -> tuple | None:
    """closed_months' record of the month (closed_at, focus_rows, focus_columns,
    focus_csv_sha256, unknown-cost calls), None when the month is not closed (or the warehouse
    predates closing)."""
    try:
        return conn.execute(
            "SELECT closed_at, focus_rows, focus_columns, focus_csv_sha256, "
            "unpriced_calls + usage_unknown_calls FROM closed_months WHERE month = ?",
            [first_day]).fetchone()
    except duckdb.CatalogException:
        return None


def export_focus_month(lake: Lake, month: str, out: Path) -> MonthExport:
    """The FOCUS 1.2 export of one month to a .csv or .parquet file. A closed month is written
    from the rows kept at its close: the same bytes every time (a CSV is checked against the
    SHA-256 recorded then), whatever happened to the ledger since. An open month is the live
    export of its days."""
    first_day = parse_month(month)
    if out.suffix not in FOCUS_FORMATS:
        raise ValueError(f"{out}: the FOCUS export is written as .csv or .parquet")
    conn = connect_reader(lake)
    conn.execute("SET enable_progress_bar = false")
    try:
        record = closed_month(conn, first_day)
        if record is not None:
            closed_at, rows, columns, digest, unknown = record
            out.parent.mkdir(parents=True, exist_ok=True)
            _copy_kept(conn, first_day, json.loads(columns), out)
    finally:
        conn.close()
    if record is None:
        last_day = date.fromordinal(next_month(first_day).toordinal() - 1)
        summary = export_focus(lake, out, first_day, last_day)
        return MonthExport(summary.rows, out, None, summary.unknown_cost_calls)
    if out.suffix == ".csv" and hashlib.sha256(out.read_bytes()).hexdigest() != digest:
        with contextlib.suppress(OSError):
            out.unlink()
        raise ClosedExportMismatch(
            f"the FOCUS export of closed month {month} did not come out as at its close "
            f"(SHA-256 {digest}): the file was removed. The kept rows are in "
            "closed_focus_rows; was DuckDB upgraded?")
    return MonthExport(rows, out, closed_at, unknown)
