"""The Dagster code location: `dagster dev` in the repo root loads it (workspace.yaml).

Each domain declares its own assets and checks (pipelines/<domain>/assets.py); this file only
merges them into one job, with its nightly schedule and the landing sensor, and gives them the
`tokenworks` resource. Beside it: the weekly `maintenance` job, the optional `fetch_billing`
job (billing reports fetched with admin keys, its own `billing_api` resource) and the
`close_month` job. Settings are resolved when the code location loads, never at import
(pipelines/config).

Not partitioned by day, deliberately: a landing file is the unit of work (a file may hold many
days, and late events arrive in later files), and the manifest makes every run incremental by
file and by byte offset. A day partition would either re-read whole files per day or hide the
same manifest behind a partition key; see docs/architecture.md.
"""

from dagster import (
    DefaultScheduleStatus,
    Definitions,
    ScheduleDefinition,
    define_asset_job,
    definitions,
    in_process_executor,
)

from pipelines import config
from pipelines.billing.assets import billing_reports, closed_days_reconcile, reconciliation
from pipelines.billing.fetch_assets import (
    BillingApi,
    billing_reports_fetched,
    fetch_billing_job,
    fetch_billing_schedule,
)
from pipelines.budgets.assets import budget_alerts, budget_status
from pipelines.closing.job import close_month_job
from pipelines.landing.assets import landing_sensor_for
from pipelines.ledger.assets import fct_checks, fct_requests, staging
from pipelines.marts.assets import daily_marts, fct_cost_estimates, mart_daily_spend, usage_logged
from pipelines.pricing.assets import dim_model, every_call_priced, fct_costs, price_book
from pipelines.scenarios.assets import (
    hardware_generations,
    scenario_inputs,
    scenario_projection,
    scenario_sensitivity,
)
from pipelines.warehouse.assets import ingest_runs, lake_maintenance
from pipelines.warehouse.resource import TokenworksWarehouse

ASSETS = [staging, fct_requests, price_book, dim_model, fct_costs, daily_marts,
          fct_cost_estimates, mart_daily_spend, hardware_generations, scenario_inputs,
          scenario_projection, scenario_sensitivity, billing_reports, reconciliation,
          budget_status, ingest_runs, budget_alerts]
CHECKS = [*fct_checks, every_call_priced, usage_logged, closed_days_reconcile]
ingest_job = define_asset_job(
    "ingest", selection=ASSETS, description="Landing folder -> warehouse, in one commit.",
    # A run that lost the race to commit against another writer is made again whole
    # (dagster.yaml: run_retries; `tokenworks ingest` does the same: pipelines/jobs.py).
    tags={"dagster/max_retries": "3"})
maintenance_job = define_asset_job("maintenance", selection=[lake_maintenance],
                                   description="The lake's weekly upkeep.")


def build_definitions(settings: config.Settings | None = None, *, show_progress: bool = False,
                      chunk_bytes: int = 0, resource: TokenworksWarehouse | None = None
                      ) -> Definitions:
    """The code location for these settings (resolved now when none are given)."""
    settings = settings or config.resolve()
    resource = resource or TokenworksWarehouse.from_settings(
        settings, show_progress=show_progress, chunk_bytes=chunk_bytes)
    return Definitions(
        assets=[*ASSETS, lake_maintenance, billing_reports_fetched],
        asset_checks=CHECKS,
        jobs=[ingest_job, maintenance_job, fetch_billing_job, close_month_job],
        schedules=[ScheduleDefinition(
            name="nightly_ingest", job=ingest_job, cron_schedule=settings.nightly_cron,
            execution_timezone="UTC", default_status=DefaultScheduleStatus.RUNNING,
            description="Nightly ingest (TOKENWORKS_NIGHTLY_CRON, default 02:00 UTC)."),
            ScheduleDefinition(
                name="weekly_maintenance", job=maintenance_job,
                cron_schedule=settings.maintenance_cron, execution_timezone="UTC",
                default_status=DefaultScheduleStatus.RUNNING,
                description="Lake maintenance (TOKENWORKS_MAINTENANCE_CRON, default Sundays "
                            "04:00 UTC)."),
            fetch_billing_schedule(settings)],
        sensors=[landing_sensor_for(ingest_job)],
        # One process per run: the run's transaction belongs to it.
        executor=in_process_executor,
        # The billing fetch needs no warehouse (no run transaction): a resource of its own.
        resources={"tokenworks": resource, "billing_api": BillingApi.from_settings(settings)},
    )


@definitions
def defs() -> Definitions:
    """What `dagster dev` loads: settings from the environment reach the assets as EnvVars."""
    settings = config.resolve()
    return build_definitions(settings,
                             resource=TokenworksWarehouse.from_environment(settings))
