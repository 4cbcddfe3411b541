"""The warehouse domain's asset: the published file, swapped in atomically once every blocking
check passed."""

import time

from dagster import AssetExecutionContext, MaterializeResult, asset

from pipelines.ledger.assets import fct_requests
from pipelines.marts.assets import mart_daily_spend
from pipelines.scenarios.assets import scenario_projection, scenario_sensitivity
from pipelines.warehouse.resource import INGESTION, TokenworksWarehouse
from pipelines.warehouse.runs import finish_run


@asset(group_name=INGESTION, deps=[fct_requests, mart_daily_spend, scenario_projection,
                               scenario_sensitivity], kinds={"duckdb"},
       description="The published warehouse file: the run's working copy, swapped in "
                   "atomically once every blocking check passed. Readers only ever see this.")
def published_warehouse(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                        ) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return MaterializeResult(metadata={"published": False, "files_new": 0, "rows": 0,
                                           "seconds": 0.0})
    started = time.perf_counter()
    conn = tokenworks.workspace.connect()
    summary = finish_run(conn, context.run.run_id)
    rows = conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0]
    tokenworks.workspace.publish()
    context.log.info(f"published {tokenworks.warehouse}: {summary.as_dict()}")
    return MaterializeResult(metadata={
        "published": True, "path": tokenworks.warehouse, "rows": rows,
        **summary.as_dict(),
        "publish_seconds": round(time.perf_counter() - started, 3)})
