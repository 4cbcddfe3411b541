"""The landing domain's assets: the run's plan (the landing folder against the manifest) and the
sensor that starts a run when the folder changes."""

import time
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    MaterializeResult,
    asset,
)

from pipelines import jobs
from pipelines.landing.plan import plan_run, save_plan
from pipelines.warehouse.resource import INGESTION, TokenworksWarehouse


@asset(group_name=INGESTION, kinds={"python", "duckdb"},
       description="Raw layer: the landing folder's inventory against the manifest "
                   "(landing_files): which files are new, appended, rewritten or unchanged.")
def landing_files(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                  ) -> MaterializeResult:
    started = time.perf_counter()
    manifest, built_from = jobs.published_state(tokenworks.published())
    plan = plan_run(Path(tokenworks.landing), manifest)
    if plan.has_work or jobs.needs_rebuild(built_from, tokenworks.overrides()):
        save_plan(tokenworks.workspace.connect(), plan, context.run.run_id)
    counts = plan.counts()
    return MaterializeResult(metadata={
        "files": plan.seen, "files_new": counts["new"], "files_appended": counts["append"],
        "files_rewritten": counts["rewrite"], "files_unchanged": plan.unchanged,
        "files_ignored": len(plan.ignored), "mb_to_read": round(plan.bytes_to_read / 1e6, 3),
        "seconds": round(time.perf_counter() - started, 3),
    })
