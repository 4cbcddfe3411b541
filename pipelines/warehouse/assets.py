"""The warehouse domain's asset: the run's record in ingest_runs, made last. Publishing the
working copy happens when the run ends with every step succeeded (resource.py)."""

import time

from dagster import AssetExecutionContext, MaterializeResult, asset

from pipelines.landing.plan import plan_run, read_manifest
from pipelines.warehouse import state
from pipelines.warehouse.resource import INGESTION, TokenworksWarehouse
from pipelines.warehouse.runs import finish_run
from pipelines.warehouse.sql import scalar


@asset(group_name=INGESTION, kinds={"duckdb"},
       deps=["fct_requests", "mart_daily_spend", "mart_daily_distribution",
             "scenario_projection", "scenario_sensitivity"],
       description="Published ingest runs: one row per run that changed the warehouse, with its "
                   "counts. The run's working copy is published once every step succeeded.")
def ingest_runs(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                ) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return MaterializeResult(metadata={"changed": False, "seconds": 0.0})
    started = time.perf_counter()
    conn = tokenworks.writer()
    seen = 0 if state.run_changed(conn, "run_state", context.run.run_id) else plan_run(
        tokenworks.landing_path, read_manifest(conn)).seen
    summary = finish_run(conn, context.run.run_id, files_seen=seen)
    rows = scalar(conn, "SELECT count(*) FROM fct_requests")
    return MaterializeResult(metadata={
        "changed": True, "path": tokenworks.warehouse, "rows": rows, **summary.as_dict(),
        "record_seconds": round(time.perf_counter() - started, 3)})
