"""The billing reports under <landing>/billing/ into the warehouse, in the run's transaction.

The reports are small (a year of daily pages is a few MB), so when any file was added,
changed or removed, every report is read again and the billing tables are rewritten whole:
nothing to reconcile between runs, and a file taken away takes its lines with it. What
cannot be read goes to `quarantine` with its file, page or line and the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.billing.reports import Report, ReportError, read_report
from pipelines.landing.files import BILLING_FOLDER
from pipelines.warehouse.sql import append_frame

TABLES = ("billing_files", "billing_days", "billing_cost_lines", "billing_usage_lines")
_AMOUNT = pl.Decimal(38, 18)


@dataclass(frozen=True)
class BillingFile:
    path: str  # relative to the landing folder, forward slashes
    size: int
    mtime_ns: int


def discover_reports(landing: Path) -> list[BillingFile]:
    """Every file under <landing>/billing/, sorted by path; hidden ones (a fetch's temporary
    files) aside. Files of other kinds are listed too: they are quarantined, never ignored."""
    root = landing / BILLING_FOLDER
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            full = Path(folder) / name
            stat = full.stat()
            found.append(BillingFile(full.relative_to(landing).as_posix(), stat.st_size,
                                     stat.st_mtime_ns))
    return sorted(found, key=lambda f: f.path)


def reports_changed(conn: duckdb.DuckDBPyConnection, landing: Path) -> bool:
    """Whether a billing report was added, changed or removed since the files last read."""
    known = set(conn.execute("SELECT path, bytes, mtime_ns FROM billing_files").fetchall())
    return known != {(f.path, f.size, f.mtime_ns) for f in discover_reports(landing)}


def load_reports(conn: duckdb.DuckDBPyConnection, landing: Path, run_id: str) -> dict:
    """Rewrite the billing tables from the files; what was read, for the asset's metadata."""
    files = discover_reports(landing)
    for table in TABLES:
        conn.execute(f"DELETE FROM {table}")
    conn.execute("DELETE FROM quarantine WHERE starts_with(source_file, $folder)",
                 {"folder": BILLING_FOLDER + "/"})
    listing, days, costs, usage, problems = [], [], [], [], []
    for file in files:
        data = (landing / file.path).read_bytes()
        try:
            report = read_report(file.path, data)
        except ReportError as exc:
            problems.append((file.path, 1, f"billing report: {exc}",
                             data[:600].decode("utf-8", "replace"), len(data), run_id))
            listing.append(_listed(file, None, run_id))
            continue
        listing.append(_listed(file, report, run_id))
        days += [(file.path, report.provider, report.report, day) for day in report.days]
        costs += [{"source_file": file.path, "provider": report.provider,
                   "source_format": report.source_format, **vars(line)}
                  for line in report.costs]
        usage += [{"source_file": file.path, "provider": report.provider,
                   "source_format": report.source_format, **vars(line)}
                  for line in report.usage]
        problems += [(file.path, problem.page, f"billing report: {problem.reason}",
                      problem.excerpt, len(problem.excerpt.encode()), run_id)
                     for problem in report.problems]
    _append(conn, "billing_files", listing)
    _append(conn, "billing_days", [dict(zip(("source_file", "provider", "report", "day"), row,
                                            strict=True)) for row in days])
    _append(conn, "billing_cost_lines", costs, {"amount_usd": _AMOUNT, "quantity": _AMOUNT})
    _append(conn, "billing_usage_lines", usage)
    _append(conn, "quarantine", [dict(zip(
        ("source_file", "source_line", "reason", "raw_excerpt", "raw_bytes", "run_id"), row,
        strict=True)) for row in problems])
    return {"files": len(files), "cost_lines": len(costs), "usage_lines": len(usage),
            "days": len({(provider, report, day) for _, provider, report, day in days}),
            "quarantined": len(problems)}


def _listed(file: BillingFile, report: Report | None, run_id: str) -> dict:
    return {"path": file.path, "bytes": file.size, "mtime_ns": file.mtime_ns,
            "provider": report and report.provider, "report": report and report.report,
            "source_format": report and report.source_format,
            "pages": report.pages if report else 0, "days": len(report.days) if report else 0,
            "cost_lines": len(report.costs) if report else 0,
            "usage_lines": len(report.usage) if report else 0,
            "problems": len(report.problems) if report else 1, "run_id": run_id}


def _append(conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict],
            types: dict | None = None) -> None:
    if rows:
        append_frame(conn, table, pl.DataFrame(rows, schema_overrides=types,
                                               infer_schema_length=None))
