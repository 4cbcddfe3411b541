"""The ledger domain's assets: staging (every parsed occurrence, the quarantine, the landing
manifest), the ledger fct_requests, and the blocking checks that gate publication."""

import time

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

from pipelines.landing.plan import plan_run, read_manifest, save_plan
from pipelines.ledger import checks
from pipelines.ledger.progress import ProgressLine
from pipelines.ledger.reading import CHUNK_BYTES
from pipelines.ledger.refresh import keys_to_refresh, refresh_fct
from pipelines.ledger.staging import stage
from pipelines.warehouse.resource import INGESTION, TokenworksWarehouse
from pipelines.warehouse.sql import scalar


@multi_asset(
    specs=[
        AssetSpec("landing_files", group_name=INGESTION, kinds={"duckdb"},
                  description="The landing manifest: every file ever seen and how much of it "
                              "was read (what the next run plans against)."),
        AssetSpec("stg_calls", group_name=INGESTION, kinds={"polars", "duckdb"},
                  description="Staging: every parsed record occurrence, duplicates included."),
        AssetSpec("quarantine", group_name=INGESTION, kinds={"duckdb"},
                  description="Records that could not become ledger rows: file, line, reason, "
                              "raw excerpt."),
    ],
)
def staging(context: AssetExecutionContext, tokenworks: TokenworksWarehouse):
    """Plan against the manifest (new, appended, rewritten, unchanged files), then read the
    planned bytes in parallel workers into stg_calls and quarantine."""
    started = time.perf_counter()
    plan = plan_run(tokenworks.landing_path, read_manifest(tokenworks.reader()),
                    tokenworks.landing_prefix, tokenworks.agent_dirs())
    counts = plan.counts()
    planned = {"files_seen": plan.seen, "files_new": counts["new"],
               "files_appended": counts["append"], "files_rewritten": counts["rewrite"],
               "files_unchanged": plan.unchanged, "files_ignored": len(plan.ignored)}
    if not plan.has_work:
        for key in ("landing_files", "stg_calls", "quarantine"):
            yield MaterializeResult(asset_key=key, metadata={
                **planned, "rows": 0, "seconds": round(time.perf_counter() - started, 3),
                "note": "nothing new in the landing folder"})
        return
    conn = tokenworks.writer()
    save_plan(conn, plan, context.run.run_id)
    progress = ProgressLine() if tokenworks.show_progress else None
    stats = stage(conn, tokenworks.landing_path, context.run.run_id, workers=tokenworks.workers,
                  chunk_bytes=tokenworks.chunk_bytes or CHUNK_BYTES, progress=progress,
                  agents=tokenworks.agent_dirs(), mappings=tokenworks.mappings())
    if progress:
        progress.done()
    mb = stats.bytes_read / 1e6
    yield MaterializeResult(asset_key="landing_files", metadata={
        **planned, "files_read": stats.files, "mb_read": round(mb, 3)})
    yield MaterializeResult(asset_key="stg_calls", metadata={
        "rows": stats.staged, "files": stats.files, "records_read": stats.records,
        "mb_read": round(mb, 3), "seconds": round(stats.seconds, 3),
        "mb_per_second": round(mb / stats.seconds, 1) if stats.seconds else 0.0})
    yield MaterializeResult(asset_key="quarantine", metadata={
        "rows": stats.quarantined, "files": stats.files, "seconds": round(stats.seconds, 3)})


@asset(group_name=INGESTION, deps=[AssetKey("stg_calls"), AssetKey("quarantine")],
       kinds={"duckdb"},
       description="The ledger: one row per API call, exactly once (see COMMENT ON TABLE).")
def fct_requests(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                 ) -> MaterializeResult:
    """Re-choose the canonical occurrence of every call key this run touched."""
    started = time.perf_counter()
    touched = 0
    if keys_to_refresh(tokenworks.reader(), context.run.run_id):
        conn = tokenworks.writer()
        touched = refresh_fct(conn, context.run.run_id)
        tokenworks.record("fct_requests.built", context.run.run_id)
    rows = scalar(tokenworks.reader(), "SELECT count(*) FROM fct_requests")
    return MaterializeResult(metadata={
        "keys_refreshed": touched, "rows": rows,
        "seconds": round(time.perf_counter() - started, 3)})


def _check(name: str):
    @asset_check(asset=fct_requests, name=name, blocking=True, description=checks.CHECKS[name])
    def _asset_check(context: AssetCheckExecutionContext, tokenworks: TokenworksWarehouse
                     ) -> AssetCheckResult:
        if not tokenworks.transaction.has_work:
            return AssetCheckResult(passed=True, metadata={"note": "nothing new this run"})
        outcome = checks.run_check(tokenworks.writer(), name, context.run.run_id)
        return AssetCheckResult(
            passed=outcome.passed, severity=AssetCheckSeverity.ERROR,
            metadata={"findings": len(outcome.violations),
                      "examples": str(outcome.violations[:5])})

    return _asset_check


fct_checks = [_check(name) for name in checks.CHECKS]
