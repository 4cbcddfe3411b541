"""The scenarios domain's assets: hardware generations, the projections' base, every scenario's
projection and the sensitivity grid. Each is made again when what it is built from changed (the
reviewed files' fingerprints, the spend mart's last write), kept in warehouse_meta."""

from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, asset, multi_asset

from pipelines.marts.assets import mart_daily_spend
from pipelines.scenarios import hardware
from pipelines.scenarios import projection as scenarios
from pipelines.warehouse.resource import SCENARIOS, TokenworksWarehouse, nothing_to_do, timed
from pipelines.warehouse.sql import one


def _stale(tokenworks: TokenworksWarehouse, asset_name: str, inputs: str) -> bool:
    return tokenworks.recorded(f"{asset_name}.from") != inputs


def _built(tokenworks: TokenworksWarehouse, context: AssetExecutionContext, asset_name: str,
           inputs: str) -> None:
    tokenworks.record(f"{asset_name}.from", inputs)
    tokenworks.record(f"{asset_name}.built", context.run.run_id)


@multi_asset(
    specs=[
        AssetSpec("dim_hardware_generation", group_name=SCENARIOS, kinds={"duckdb"},
                  description="Hardware generations from seeds/hardware_generations.yaml, every "
                              "figure with its source."),
        AssetSpec("hardware_sources", group_name=SCENARIOS, kinds={"duckdb"},
                  description="The sources the hardware figures cite."),
    ],
)
def hardware_generations(context: AssetExecutionContext, tokenworks: TokenworksWarehouse):
    seed = tokenworks.hardware_seed()
    if not _stale(tokenworks, "dim_hardware_generation", seed.fingerprint):
        for key in ("dim_hardware_generation", "hardware_sources"):
            yield MaterializeResult(asset_key=key, metadata={"seed_version": seed.fingerprint,
                                                             "note": "this seed is loaded"})
        return
    rows, seconds = timed(hardware.load_into, tokenworks.writer(), seed)
    _built(tokenworks, context, "dim_hardware_generation", seed.fingerprint)
    yield MaterializeResult(asset_key="dim_hardware_generation", metadata={
        "rows": rows, "seed_version": seed.fingerprint, "seconds": seconds})
    yield MaterializeResult(asset_key="hardware_sources", metadata={
        "rows": len(seed.sources), "seed_version": seed.fingerprint})


BASE_TABLES = ("scenario_routes", "scenario_batch_discounts", "scenario_parameters",
               "scenario_trend_history", "forecast_backtest", "forecast_methods",
               "scenario_trend", "scenario_base")


@multi_asset(
    specs=[AssetSpec(name, group_name=SCENARIOS, kinds={"duckdb"},
                     deps=[mart_daily_spend, "mart_daily_drivers", "dim_hardware_generation"],
                     description=description)
           for name, description in zip(BASE_TABLES, (
               "The routes to smaller models of scenarios/scenarios.yaml.",
               "Each provider's batch discount of scenarios/scenarios.yaml.",
               "Every parameter of every scenario with the value it used and its bounds.",
               "Tokens per day of each month of history, per model family and project.",
               "Each trend method fitted up to each month and scored on the 1-3 months after.",
               "Each trend method's backtest score, and the best one (trend_method auto).",
               "Usage trends fitted per model family and project, by every trend method.",
               "What projections start from: the last 30 days of spend per cell."),
               strict=True)],
)
def scenario_inputs(context: AssetExecutionContext, tokenworks: TokenworksWarehouse):
    scenario_file = tokenworks.scenario_file()
    inputs = (f"{scenario_file.fingerprint} | {tokenworks.recorded('mart_daily_spend.built')} | "
              f"{tokenworks.recorded('dim_hardware_generation.built')}")
    if not _stale(tokenworks, "scenario_base", inputs):
        for key in BASE_TABLES:
            yield MaterializeResult(asset_key=key, metadata={"note": "inputs unchanged"})
        return
    conn = tokenworks.writer()
    rows, seconds = timed(scenarios.build_base, conn, scenario_file)
    _built(tokenworks, context, "scenario_base", inputs)
    fits = one(conn, "SELECT count(DISTINCT (trend_by, trend_group)) FILTER (fit = 'fitted'), "
                     "count(DISTINCT (trend_by, trend_group)) FROM scenario_trend")
    for key in BASE_TABLES[:3]:
        yield MaterializeResult(asset_key=key, metadata={"scenarios_version":
                                                         scenario_file.fingerprint})
    yield MaterializeResult(asset_key="scenario_trend_history", metadata={
        "rows": one(conn, "SELECT count(*) FROM scenario_trend_history")[0]})
    yield MaterializeResult(asset_key="forecast_backtest", metadata={
        "forecasts": one(conn, "SELECT count(*) FROM forecast_backtest")[0]})
    best = dict(conn.execute("SELECT trend_by, method FROM forecast_methods WHERE is_best "
                             "ORDER BY ALL").fetchall())
    yield MaterializeResult(asset_key="forecast_methods", metadata={
        f"best_by_{trend_by}": method for trend_by, method in best.items()})
    yield MaterializeResult(asset_key="scenario_trend", metadata={
        "trends_fitted": fits[0], "trend_groups": fits[1]})
    yield MaterializeResult(asset_key="scenario_base", metadata={"rows": rows,
                                                                 "seconds": seconds})


def _projection_inputs(tokenworks: TokenworksWarehouse, scenario_file) -> str:
    return f"{scenario_file.fingerprint} | {tokenworks.recorded('scenario_base.built')}"


@asset(group_name=SCENARIOS, deps=["scenario_base", "scenario_parameters"], kinds={"duckdb"},
       description="Monthly projected spend per scenario of scenarios/scenarios.yaml for the "
                   "months after the last actual one, with savings against the baseline.")
def scenario_projection(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                        ) -> MaterializeResult:
    scenario_file = tokenworks.scenario_file()
    inputs = _projection_inputs(tokenworks, scenario_file)
    if not _stale(tokenworks, "scenario_projection", inputs):
        return nothing_to_do("inputs unchanged")
    conn = tokenworks.writer()
    rows, seconds = timed(scenarios.build_projections, conn, scenario_file)
    _built(tokenworks, context, "scenario_projection", inputs)
    totals = dict(conn.execute("SELECT scenario_id, sum(projected_cost)::VARCHAR "
                               "FROM scenario_projection GROUP BY ALL ORDER BY ALL").fetchall())
    return MaterializeResult(metadata={"rows": rows, "scenarios": len(scenario_file.scenarios),
                                       "projected_totals_usd": str(totals),
                                       "scenarios_version": scenario_file.fingerprint,
                                       "seconds": seconds})


@asset(group_name=SCENARIOS, deps=["scenario_base", "dim_hardware_generation"],
       kinds={"duckdb"},
       description="The hardware scenario's total over the horizon across its parameter grid.")
def scenario_sensitivity(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                         ) -> MaterializeResult:
    scenario_file = tokenworks.scenario_file()
    inputs = _projection_inputs(tokenworks, scenario_file)
    if not _stale(tokenworks, "scenario_sensitivity", inputs):
        return nothing_to_do("inputs unchanged")
    rows, seconds = timed(scenarios.build_sensitivity, tokenworks.writer(), scenario_file)
    _built(tokenworks, context, "scenario_sensitivity", inputs)
    return MaterializeResult(metadata={"rows": rows, "seconds": seconds})
