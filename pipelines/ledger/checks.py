"""Data-quality checks over a warehouse connection; the Dagster asset checks and the plain
runner both gate publication on them."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.warehouse.sql import read_sql, run_sql

CHECKS = {
    "records_reconcile": "Every file: records = loaded + duplicates + quarantined + records "
                         "without a call, and the manifest's counts match the rows present.",
    "exactly_once": "One ledger row and one call id per distinct call key, each from a staged "
                    "occurrence; no call id shared by two keys.",
    "buckets_match_total": "No ledger row's buckets contradict the provider's total, each other "
                           "(reasoning within output), or sign.",
}


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    violations: list[dict]

    def describe(self) -> str:
        if self.passed:
            return f"{self.name}: passed"
        return f"{self.name}: FAILED ({len(self.violations)} findings, e.g. {self.violations[:3]})"


def run_check(conn: duckdb.DuckDBPyConnection, name: str, run_id: str) -> CheckOutcome:
    """Checks cover what run `run_id` read or changed: everything else was checked by the run
    that last changed it."""
    run_sql(conn, read_sql("warehouse/run_tables.sql"))
    cursor = conn.execute(read_sql(f"ledger/checks/{name}.sql"), {"run_id": run_id})
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchmany(20)]
    return CheckOutcome(name, not rows, rows)


def run_all(conn: duckdb.DuckDBPyConnection, run_id: str) -> list[CheckOutcome]:
    return [run_check(conn, name, run_id) for name in CHECKS]
