"""`tokenworks close` and `tokenworks export --format focus --month`: what they print, and
their exit codes (pipelines/cli.py parses the flags)."""

from __future__ import annotations

from pathlib import Path

from pipelines.cli import EXIT_USAGE, _fail
from pipelines.closing.close import (
    ClosedExportMismatch,
    ClosingRefused,
    close_month,
    export_focus_month,
)
from pipelines.warehouse.lake import Lake, WarehouseFormatError
from pipelines.warehouse.store import CommitConflict, WarehouseMissing


def close(lake: Lake, month: str, force: bool) -> int:
    try:
        closed = close_month(lake, month, force=force)
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except (ClosingRefused, WarehouseMissing, WarehouseFormatError, CommitConflict) as exc:
        return _fail(f"{month} was not closed, nothing was written: {exc}")
    unknown = closed.unpriced_calls + closed.usage_unknown_calls
    print(f"closed {closed.month:%Y-%m} in {lake}{' (forced)' if closed.forced else ''}\n"
          f"  calls: {closed.calls:,}   total cost: ${closed.total_cost or 0:,.2f}   "
          f"at list price: ${closed.list_cost or 0:,.2f}   cost unknown: {unknown:,} calls "
          f"({closed.unpriced_calls:,} unpriced models, {closed.usage_unknown_calls:,} "
          "without usage)\n"
          f"  from snapshot {closed.snapshot_id}, last ingest run "
          f"{closed.last_ingest_run_id or '(none)'}, price book "
          f"{', '.join(closed.pricebook_versions) or '(none)'}\n"
          f"  FOCUS rows kept: {closed.focus_rows:,} (CSV SHA-256 {closed.focus_csv_sha256})\n"
          "  totals: tokenworks sql \"SELECT * FROM closed_month_totals WHERE month = DATE "
          f"'{closed.month.isoformat()}'\"; later changes: the view restatements")
    return 0


def export_month(lake: Lake, month: str, out: Path) -> int:
    try:
        done = export_focus_month(lake, month, out)
    except ValueError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except (WarehouseMissing, WarehouseFormatError, ClosedExportMismatch) as exc:
        return _fail(str(exc))
    if done.closed_at is not None:
        print(f"exported {done.rows:,} FOCUS 1.2 charge rows of closed month {month} to "
              f"{done.path}, as closed at {done.closed_at:%Y-%m-%d %H:%M:%S} UTC (later "
              "changes: tokenworks sql \"SELECT * FROM restatements\")")
    else:
        print(f"exported {done.rows:,} FOCUS 1.2 charge rows of {month} to {done.path}: the "
              f"month is not closed, these are today's figures (tokenworks close {month})")
    if done.unknown_cost_calls:
        print(f"  {done.unknown_cost_calls:,} calls whose cost is unknown are not in it")
    return 0
