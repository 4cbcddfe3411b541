"""The Dagster code location: `dagster dev` in the repo root loads this (workspace.yaml).

Each domain declares its own assets and checks (pipelines/<domain>/assets.py); this file only
merges them into one job, its nightly schedule and the landing sensor. Assets are thin: each
calls one step of its domain and returns metadata. All of them work in the run's private working
copy of the warehouse; `published_warehouse` swaps it in atomically, after the blocking checks
on fct_requests have passed.

Not partitioned by day, deliberately: a landing file is the unit of work (a file may hold many
days, and late events arrive in later files), and the manifest makes every run incremental by
file and by byte offset. A day partition would either re-read whole files per day or hide the
same manifest behind a partition key; see docs/architecture.md.
"""

import hashlib

from dagster import (
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    in_process_executor,
    sensor,
)

from pipelines import config, jobs
from pipelines.landing.assets import landing_files
from pipelines.landing.plan import plan_run
from pipelines.ledger.assets import fct_checks, fct_requests, staging
from pipelines.marts.assets import mart_daily_spend, usage_logged
from pipelines.pricing.assets import dim_model, dim_price, every_call_priced, fct_costs
from pipelines.scenarios.assets import (
    dim_hardware_generation,
    scenario_base,
    scenario_projection,
    scenario_sensitivity,
)
from pipelines.warehouse.assets import published_warehouse
from pipelines.warehouse.resource import TokenworksWarehouse
from pipelines.warehouse.store import Warehouse

INGEST_ASSETS = [landing_files, staging, fct_requests, dim_price, dim_model, fct_costs,
                 mart_daily_spend, dim_hardware_generation, scenario_base, scenario_projection,
                 scenario_sensitivity, published_warehouse]
ingest_job = define_asset_job("ingest", selection=INGEST_ASSETS,
                              description="Landing folder -> published warehouse.")


def _settings() -> config.Settings:
    return config.resolve()


nightly_ingest = ScheduleDefinition(
    name="nightly_ingest", job=ingest_job, cron_schedule=_settings().nightly_cron,
    execution_timezone="UTC", default_status=DefaultScheduleStatus.RUNNING,
    description="Nightly ingest (TOKENWORKS_NIGHTLY_CRON, default 02:00 UTC).")

@sensor(job=ingest_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING,
        description="Starts an ingest when the landing folder has new, appended or rewritten "
                    "files; waits while one is already running.")
def landing_sensor(context: SensorEvaluationContext):
    active = context.instance.get_runs(
        filters=RunsFilter(job_name=ingest_job.name, statuses=[
            DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
            DagsterRunStatus.STARTED]), limit=1)
    if active:
        return SkipReason(f"ingest run {active[0].run_id} is still going")
    settings = _settings()
    plan = plan_run(settings.landing, jobs.published_manifest(
        Warehouse(settings.warehouse)))
    if not plan.has_work:
        return SkipReason(f"nothing new in {settings.landing} ({plan.seen} files)")
    # The same landing state gives the same key, so it is never requested twice.
    identity = "\n".join(f"{p.file.path}:{p.file.size}:{p.file.mtime_ns}" for p in plan.files)
    counts = plan.counts()
    return RunRequest(run_key=hashlib.sha1(identity.encode()).hexdigest(),
                      tags={"tokenworks/files": str(len(plan.files)),
                            **{f"tokenworks/{k}": str(v) for k, v in counts.items()}})


def build_definitions(settings: config.Settings | None = None, *, show_progress: bool = False
                      ) -> Definitions:
    settings = settings or _settings()
    return Definitions(
        assets=INGEST_ASSETS,
        asset_checks=[*fct_checks, every_call_priced, usage_logged],
        jobs=[ingest_job],
        schedules=[nightly_ingest],
        sensors=[landing_sensor],
        # One process per run: the run lock and the working copy belong to it.
        executor=in_process_executor,
        resources={"tokenworks": TokenworksWarehouse(
            landing=str(settings.landing), warehouse=str(settings.warehouse),
            workers=settings.workers, show_progress=show_progress,
            price_overrides=str(settings.price_overrides))},
    )


defs = build_definitions()
