"""The scenarios domain's assets: hardware generations, the projections' base, every scenario's
projection and the sensitivity grid."""

from dagster import MaterializeResult, asset

from pipelines.landing.assets import landing_files
from pipelines.marts.assets import mart_daily_spend
from pipelines.scenarios import hardware
from pipelines.scenarios import projection as scenarios
from pipelines.warehouse.resource import SCENARIOS, TokenworksWarehouse, _nothing_to_do, _timed


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
