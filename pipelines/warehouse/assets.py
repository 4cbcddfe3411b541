"""The warehouse domain's asset: the run's record in ingest_runs, made last, and the run's
transaction committed. Everything else in the job is upstream of it, so a failed step or a
failed blocking check skips it and commits nothing (a selection without it is committed by the
resource when the run ends: resource.py)."""

import time

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines.landing.plan import plan_run, read_manifest
from pipelines.warehouse import state
from pipelines.warehouse.maintenance import maintain
from pipelines.warehouse.resource import INGESTION, MAINTENANCE, TokenworksWarehouse
from pipelines.warehouse.runs import finish_run
from pipelines.warehouse.sql import one, scalar


@asset(group_name=MAINTENANCE, kinds={"ducklake"},
       description="The lake kept lean, weekly: small files merged, snapshots older than the "
                   "retention expired (TOKENWORKS_RETENTION_DAYS, default 90 days of time "
                   "travel), files no snapshot needs deleted.")
def lake_maintenance(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                     ) -> MaterializeResult:
    conn = tokenworks.lake().connect()
    try:
        done = maintain(conn, tokenworks.retention_days)
    finally:
        conn.close()
    return MaterializeResult(metadata=done)


@asset(group_name=INGESTION, kinds={"duckdb"},
       deps=["fct_requests", "mart_daily_spend", "mart_daily_distribution",
             "scenario_projection", "scenario_sensitivity", "reconciliation", "budget_status"],
       description="Committed ingest runs: one row per run that changed the warehouse, with its "
                   "counts. Made last: it commits the run's transaction.")
def ingest_runs(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                ) -> MaterializeResult:
    if not tokenworks.transaction.has_work:
        return MaterializeResult(metadata={"changed": False, "seconds": 0.0})
    started = time.perf_counter()
    conn = tokenworks.writer()
    seen = 0 if state.run_changed(conn, "run_state", context.run.run_id) else plan_run(
        tokenworks.landing_path, read_manifest(conn), tokenworks.landing_prefix,
        tokenworks.agent_dirs()).seen
    summary = finish_run(conn, context.run.run_id, files_seen=seen)
    # What `tokenworks ingest` reports after the run, read here in the run's transaction: a
    # reader's connection costs more than the queries.
    unpriced, usage_unknown, at_risk = one(
        conn, "SELECT coalesce(sum(unpriced_calls), 0), coalesce(sum(usage_unknown_calls), 0), "
              "coalesce(sum(estimated_cost), 0)::VARCHAR FROM mart_daily_spend")
    over, forecast_over = one(
        conn, "SELECT count(*) FILTER (status = 'over'), count(*) FILTER (status = "
              "'forecast_over') FROM budget_status WHERE is_open")
    examples = conn.execute(
        "SELECT source_file, source_line, reason FROM quarantine WHERE run_id = ? "
        "ORDER BY source_file, source_line LIMIT 5", [context.run.run_id]).fetchall() if (
        summary.quarantined) else []
    tokenworks.commit()
    snapshot = scalar(conn, "SELECT max(snapshot_id) FROM run_snapshots WHERE run_id = ?",
                      [context.run.run_id])
    return MaterializeResult(metadata={
        "changed": True, "warehouse": str(tokenworks.transaction.lake), "snapshot_id": snapshot,
        "rows": summary.ledger_rows, **summary.as_dict(),
        "unpriced_calls": unpriced, "usage_unknown_calls": usage_unknown,
        "spend_at_risk_estimated_usd": at_risk,
        "budgets_over": over, "budgets_forecast_over": forecast_over,
        "quarantine_examples": MetadataValue.json([list(row) for row in examples]),
        "record_seconds": round(time.perf_counter() - started, 3)})
