"""The ledger domain's assets: staging (every parsed occurrence, the quarantine, the manifest),
the ledger fct_requests, and the blocking checks that gate publication."""

import time
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    asset,
    asset_check,
    multi_asset,
)

from pipelines.landing.assets import landing_files
from pipelines.ledger import checks
from pipelines.ledger.progress import ProgressLine
from pipelines.ledger.refresh import refresh_fct
from pipelines.ledger.staging import StageStats, stage
from pipelines.warehouse.resource import INGESTION, TokenworksWarehouse


@multi_asset(
    specs=[
        AssetSpec("stg_calls", group_name=INGESTION, deps=[landing_files],
                  kinds={"polars", "duckdb"},
                  description="Staging: every parsed record occurrence, duplicates included."),
        AssetSpec("quarantine", group_name=INGESTION, deps=[landing_files], kinds={"duckdb"},
                  description="Records that could not become ledger rows: file, line, reason, "
                              "raw excerpt."),
    ],
)
def staging(context: AssetExecutionContext, tokenworks: TokenworksWarehouse):
    stats = StageStats()
    if tokenworks.workspace.has_work:
        progress = ProgressLine() if tokenworks.show_progress else None
        stats = stage(tokenworks.workspace.connect(), Path(tokenworks.landing),
                             context.run.run_id, workers=tokenworks.workers, progress=progress)
        if progress:
            progress.done()
    mb = stats.bytes_read / 1e6
    yield MaterializeResult(asset_key="stg_calls", metadata={
        "rows": stats.staged, "files": stats.files, "records_read": stats.records,
        "mb_read": round(mb, 3), "seconds": round(stats.seconds, 3),
        "mb_per_second": round(mb / stats.seconds, 1) if stats.seconds else 0.0,
    })
    yield MaterializeResult(asset_key="quarantine", metadata={
        "rows": stats.quarantined, "files": stats.files, "seconds": round(stats.seconds, 3)})


@asset(group_name=INGESTION, deps=[AssetKey("stg_calls"), AssetKey("quarantine")],
       kinds={"duckdb"},
       description="The ledger: one row per API call, exactly once (see COMMENT ON TABLE).")
def fct_requests(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                 ) -> MaterializeResult:
    started = time.perf_counter()
    touched = rows = 0
    if tokenworks.workspace.has_work:
        conn = tokenworks.workspace.connect()
        touched = refresh_fct(conn, context.run.run_id)
        rows = conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0]
    return MaterializeResult(metadata={
        "keys_refreshed": touched, "rows": rows,
        "seconds": round(time.perf_counter() - started, 3)})


def _check(name: str):
    @asset_check(asset=fct_requests, name=name, blocking=True, description=checks.CHECKS[name])
    def _asset_check(context: AssetCheckExecutionContext, tokenworks: TokenworksWarehouse
                     ) -> AssetCheckResult:
        if not tokenworks.workspace.has_work:
            return AssetCheckResult(passed=True, metadata={"note": "nothing new this run"})
        outcome = checks.run_check(tokenworks.workspace.connect(), name, context.run.run_id)
        return AssetCheckResult(
            passed=outcome.passed, severity=AssetCheckSeverity.ERROR,
            metadata={"findings": len(outcome.violations),
                      "examples": str(outcome.violations[:5])})

    return _asset_check


fct_checks = [_check(name) for name in checks.CHECKS]
