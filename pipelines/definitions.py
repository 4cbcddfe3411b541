"""The Dagster code location: `dagster dev` in the repo root loads this (workspace.yaml).

Assets are thin: each calls one step of `pipelines.ingest` and returns metadata. All of them
work in the run's private working copy of the warehouse; `published_warehouse` swaps it in
atomically, after the blocking checks on fct_requests have passed.

Not partitioned by day, deliberately: a landing file is the unit of work (a file may hold many
days, and late events arrive in later files), and the manifest makes every run incremental by
file and by byte offset. A day partition would either re-read whole files per day or hide the
same manifest behind a partition key; see docs/architecture.md.
"""


import hashlib
import time
from contextlib import ExitStack
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    ConfigurableResource,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    InitResourceContext,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    asset,
    asset_check,
    define_asset_job,
    in_process_executor,
    multi_asset,
    sensor,
)
from pydantic import PrivateAttr

from pipelines import checks, config, hardware, ingest, pricebook, scenarios
from pipelines import overrides as overrides_file
from pipelines.warehouse import RunWorkspace, Warehouse

GROUP = "ingestion"


class TokenworksWarehouse(ConfigurableResource):
    """The landing folder and warehouse of this deployment, and the run's working copy.

    Setting up the resource takes the warehouse's run lock for the whole run (released by the
    OS if the process dies) and removes working copies that dead runs left behind. The job runs
    in one process (in_process_executor), so every step shares this run's workspace object."""

    landing: str
    warehouse: str
    workers: int = 0
    show_progress: bool = False
    price_overrides: str = ""

    _stack: ExitStack | None = PrivateAttr(default=None)
    _workspace: RunWorkspace | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        warehouse = Warehouse(self.warehouse)
        self._stack = ExitStack()
        self._stack.enter_context(warehouse.run_lock())
        warehouse.remove_stale_work()
        self._workspace = warehouse.workspace(context.run.run_id)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._workspace is not None:
            self._workspace.discard()
        if self._stack is not None:
            self._stack.close()

    @property
    def workspace(self) -> RunWorkspace:
        assert self._workspace is not None, "resource used outside a run"
        return self._workspace

    def published(self) -> Warehouse:
        return Warehouse(self.warehouse)

    def overrides(self) -> overrides_file.Overrides:
        """Validated on every use: a bad entry fails the run before anything is priced."""
        return overrides_file.load(Path(self.price_overrides) if self.price_overrides
                                    else None)


def _progress_printer():
    from pipelines.cli import ProgressLine

    return ProgressLine()


@asset(group_name=GROUP, kinds={"python", "duckdb"},
       description="Raw layer: the landing folder's inventory against the manifest "
                   "(landing_files): which files are new, appended, rewritten or unchanged.")
def landing_files(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                  ) -> MaterializeResult:
    started = time.perf_counter()
    manifest, built_from = ingest.published_state(tokenworks.published())
    plan = ingest.plan_run(Path(tokenworks.landing), manifest)
    if plan.has_work or ingest.needs_rebuild(built_from, tokenworks.overrides()):
        ingest.save_plan(tokenworks.workspace.connect(), plan, context.run.run_id)
    counts = plan.counts()
    return MaterializeResult(metadata={
        "files": plan.seen, "files_new": counts["new"], "files_appended": counts["append"],
        "files_rewritten": counts["rewrite"], "files_unchanged": plan.unchanged,
        "files_ignored": len(plan.ignored), "mb_to_read": round(plan.bytes_to_read / 1e6, 3),
        "seconds": round(time.perf_counter() - started, 3),
    })


@multi_asset(
    specs=[
        AssetSpec("stg_calls", group_name=GROUP, deps=[landing_files], kinds={"polars", "duckdb"},
                  description="Staging: every parsed record occurrence, duplicates included."),
        AssetSpec("quarantine", group_name=GROUP, deps=[landing_files], kinds={"duckdb"},
                  description="Records that could not become ledger rows: file, line, reason, "
                              "raw excerpt."),
    ],
)
def staging(context: AssetExecutionContext, tokenworks: TokenworksWarehouse):
    stats = ingest.StageStats()
    if tokenworks.workspace.has_work:
        progress = _progress_printer() if tokenworks.show_progress else None
        stats = ingest.stage(tokenworks.workspace.connect(), Path(tokenworks.landing),
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


@asset(group_name=GROUP, deps=[AssetKey("stg_calls"), AssetKey("quarantine")],
       kinds={"duckdb"},
       description="The ledger: one row per API call, exactly once (see COMMENT ON TABLE).")
def fct_requests(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                 ) -> MaterializeResult:
    started = time.perf_counter()
    touched = rows = 0
    if tokenworks.workspace.has_work:
        conn = tokenworks.workspace.connect()
        touched = ingest.refresh_fct(conn, context.run.run_id)
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


PRICING = "pricing"


def _nothing_to_do() -> MaterializeResult:
    return MaterializeResult(metadata={"rows": 0, "seconds": 0.0, "note": "nothing to do"})


def _timed(step, *args) -> tuple[object, float]:
    started = time.perf_counter()
    result = step(*args)
    return result, round(time.perf_counter() - started, 3)


@asset(group_name=PRICING, deps=[landing_files], kinds={"duckdb"},
       description="The price book exported from the pinned genai-prices package: effective-"
                   "dated price sets, context variants and tiers as rows.")
def dim_price(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    overrides = tokenworks.overrides()
    version = pricebook.pricebook_version(overrides)
    rows, seconds = _timed(pricebook.load_prices, tokenworks.workspace.connect(), version,
                           overrides)
    return MaterializeResult(metadata={"rows": rows, "pricebook_version": version,
                                       "seconds": seconds})


@asset(group_name=PRICING, deps=[fct_requests, dim_price], kinds={"duckdb"},
       description="Each distinct (provider, model) string of the ledger matched once to a "
                   "price-book model by the package's own rules.")
def dim_model(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    conn = tokenworks.workspace.connect()
    overrides = tokenworks.overrides()
    (matched, unmatched), seconds = _timed(pricebook.match_models, conn,
                                           pricebook.pricebook_version(overrides), overrides)
    rows = conn.execute("SELECT count(*) FROM dim_model").fetchone()[0]
    return MaterializeResult(metadata={"rows": rows, "matched_now": matched,
                                       "unmatched": unmatched, "seconds": seconds})


@asset(group_name=PRICING, deps=[dim_model], kinds={"duckdb"},
       description="Exact DECIMAL cost per call and per bucket at the price in force at "
                   "event_at; re-priced whole on every run.")
def fct_costs(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
              ) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    conn = tokenworks.workspace.connect()
    full, seconds = _timed(pricebook.cost_calls, conn,
                           pricebook.pricebook_version(tokenworks.overrides()),
                           context.run.run_id)
    rows, unpriced = conn.execute(
        "SELECT count(*), count(*) FILTER (NOT is_priced) FROM fct_costs").fetchone()
    return MaterializeResult(metadata={"rows": rows, "unpriced_calls": unpriced,
                                       "repriced_all": full, "seconds": seconds})


@asset_check(asset=fct_costs, description="Every successful call's model has a price; unpriced "
                                          "models are listed with their tokens (unpriced_models).")
def every_call_priced(tokenworks: TokenworksWarehouse) -> AssetCheckResult:
    if not tokenworks.workspace.has_work:
        return AssetCheckResult(passed=True, metadata={"note": "nothing new this run"})
    rows = tokenworks.workspace.connect().execute(
        "SELECT provider, model, calls, input_tokens, output_tokens FROM unpriced_models"
    ).fetchall()
    return AssetCheckResult(
        passed=not rows, severity=AssetCheckSeverity.WARN,
        metadata={"unpriced_models": len(rows),
                  "unpriced_calls": sum(r[2] for r in rows),
                  "examples": str(rows[:10])})


@asset(group_name=PRICING, deps=[fct_costs], kinds={"duckdb"},
       description="Daily spend by provider, model, project, user, API key and status, with "
                   "tokens and cost per bucket; the drivers and distribution marts; the "
                   "estimated cost of calls without usage (fct_cost_estimates).")
def mart_daily_spend(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    rows, seconds = _timed(pricebook.build_marts, tokenworks.workspace.connect())
    return MaterializeResult(metadata={"rows": rows, "seconds": seconds})


@asset_check(asset=mart_daily_spend,
             description="Every call's log holds its usage. Calls without it have an unknown "
                         "cost (never $0): listed by provider and model with their estimated "
                         "spend at risk and the fix at the source (unknown_usage).")
def usage_logged(tokenworks: TokenworksWarehouse) -> AssetCheckResult:
    if not tokenworks.workspace.has_work:
        return AssetCheckResult(passed=True, metadata={"note": "nothing new this run"})
    rows = tokenworks.workspace.connect().execute(
        "SELECT provider, model, calls, estimated_cost, fix FROM unknown_usage").fetchall()
    listing = "\n".join(
        ["| provider | model | calls | spend at risk (estimated, USD) | fix |",
         "|---|---|---|---|---|",
         *(f"| {p} | {m} | {n:,} | {'' if e is None else f'{e:.4f}'} | {fix} |"
           for p, m, n, e, fix in rows[:50])])
    return AssetCheckResult(
        passed=not rows, severity=AssetCheckSeverity.WARN,
        metadata={"calls_without_usage": sum(r[2] for r in rows),
                  "spend_at_risk_estimated_usd": str(sum(r[3] or 0 for r in rows)),
                  "models": MetadataValue.md(listing),
                  "examples": str([r[:3] for r in rows[:10]])})


SCENARIOS = "scenarios"


@asset(group_name=SCENARIOS, deps=[landing_files], kinds={"duckdb"},
       description="Hardware generations from the reviewed seed seeds/hardware_generations.yaml, "
                   "every figure with its source.")
def dim_hardware_generation(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    seed = hardware.load()
    rows, seconds = _timed(hardware.load_into, tokenworks.workspace.connect(), seed)
    return MaterializeResult(metadata={"rows": rows, "seed_version": seed.fingerprint,
                                       "seconds": seconds})


@asset(group_name=SCENARIOS, deps=[mart_daily_spend, dim_hardware_generation],
       kinds={"duckdb"},
       description="What projections start from: usage trends fitted per model family and "
                   "project (scenario_trend), and the last 30 days of spend per cell.")
def scenario_base(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    conn = tokenworks.workspace.connect()
    rows, seconds = _timed(scenarios.build_base, conn, scenarios.load())
    fits = conn.execute("SELECT count(*) FILTER (fit = 'fitted'), count(*) FROM scenario_trend"
                        ).fetchone()
    return MaterializeResult(metadata={"rows": rows, "trends_fitted": fits[0],
                                       "trend_groups": fits[1], "seconds": seconds})


@asset(group_name=SCENARIOS, deps=[scenario_base], kinds={"duckdb"},
       description="Monthly projected spend per scenario of scenarios/scenarios.yaml for the "
                   "months after the last actual one, with savings against the baseline.")
def scenario_projection(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    conn = tokenworks.workspace.connect()
    scenario_file = scenarios.load()
    rows, seconds = _timed(scenarios.build_projections, conn, scenario_file)
    totals = dict(conn.execute("SELECT scenario_id, sum(projected_cost)::VARCHAR "
                               "FROM scenario_projection GROUP BY ALL ORDER BY ALL").fetchall())
    return MaterializeResult(metadata={"rows": rows, "scenarios": len(scenario_file.scenarios),
                                       "projected_totals_usd": str(totals),
                                       "scenarios_version": scenario_file.fingerprint,
                                       "seconds": seconds})


@asset(group_name=SCENARIOS, deps=[scenario_base], kinds={"duckdb"},
       description="The hardware scenario's total over the horizon across its parameter grid.")
def scenario_sensitivity(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    conn = tokenworks.workspace.connect()
    scenario_file = scenarios.load()
    rows, seconds = _timed(scenarios.build_sensitivity, conn, scenario_file)
    scenarios.record_inputs(conn, scenario_file, hardware.load())
    return MaterializeResult(metadata={"rows": rows, "seconds": seconds})


@asset(group_name=GROUP, deps=[fct_requests, mart_daily_spend, scenario_projection,
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
    summary = ingest.finish_run(conn, context.run.run_id)
    rows = conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0]
    tokenworks.workspace.publish()
    context.log.info(f"published {tokenworks.warehouse}: {summary.as_dict()}")
    return MaterializeResult(metadata={
        "published": True, "path": tokenworks.warehouse, "rows": rows,
        **summary.as_dict(),
        "publish_seconds": round(time.perf_counter() - started, 3)})


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
    plan = ingest.plan_run(settings.landing, ingest.published_manifest(
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
