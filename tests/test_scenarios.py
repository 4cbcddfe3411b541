"""Hardware generations and savings scenarios (issue #4): hand-computed cases, properties, the
strict seed files, determinism."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import config
from pipelines.jobs import RunFailed, run_ingest, run_job
from pipelines.samples import generate
from pipelines.scenarios import hardware
from pipelines.scenarios import projection as scenarios
from pipelines.warehouse.lake import Lake
from pipelines.warehouse.store import WarehouseMissing, connect_reader
from tests.conftest import open_lake, query

REPO = Path(__file__).resolve().parent.parent
SIX = Decimal("0.000001")


@pytest.fixture(scope="module")
def projected(tmp_path_factory) -> Path:
    """A warehouse of 4 months of generated logs, priced and projected by the real ingest."""
    base = tmp_path_factory.mktemp("scenarios")
    generate(base / "landing", requests=3000, days=120, seed=5, end_date=date(2026, 11, 27))
    run_ingest(base / "landing", base / "wh.ducklake", workers=1)
    return base / "wh.ducklake"


# --- hand-computed cases -------------------------------------------------------------------

# One cell, as docs/scenarios.md's worked example: 30 days of history ending 2026-11-27.
EXAMPLE_CELL = dict(
    provider="openai", model_family="gpt-4o", project="search", calls=1000, unpriced_calls=0,
    input_tokens=800_000, cache_read_tokens=200_000, cache_write_tokens=0, output_tokens=100_000,
    total_cost=Decimal("4.00"), input_cost=Decimal("2.00"), cache_read_cost=Decimal("0.25"),
    cache_write_cost=Decimal(0), output_cost=Decimal("1.00"), other_cost=Decimal("0.75"),
    runaway_output_cost=Decimal("0.40"), batch_saving_at_full_share=Decimal("1.00"),
    base_days=30, as_of=date(2026, 11, 27), route_to="gpt-4o-mini", route_cost_ratio=0.06,
    cache_read_ratio=0.5)


@pytest.fixture
def example(schema_lake) -> duckdb.DuckDBPyConnection:
    """The cell, its model family growing 10% a month and its project 2% (exponential trends,
    the ones the backtest chose)."""
    conn = schema_lake
    hardware.load_into(conn, hardware.load(config.DEFAULT_HARDWARE))
    columns = ", ".join(EXAMPLE_CELL)
    conn.execute(f"INSERT INTO scenario_base ({columns}) VALUES "
                 f"({', '.join('?' * len(EXAMPLE_CELL))})", list(EXAMPLE_CELL.values()))
    conn.execute("""
        INSERT INTO scenario_trend BY NAME
        SELECT trend_by, trend_group, 'exponential' AS method, 12 AS months, 'fitted' AS fit,
               growth AS monthly_growth, ln(1 + growth) AS slope, 0 AS backtest_forecasts,
               true AS is_auto
        FROM (VALUES ('model_family', 'gpt-4o', 0.10), ('project', 'search', 0.02))
             t(trend_by, trend_group, growth)""")
    conn.execute("""
        INSERT INTO forecast_methods BY NAME
        SELECT trend_by, method, 0 AS forecasts, 0 AS group_forecasts,
               method = 'exponential' AS is_best
        FROM (VALUES ('model_family'), ('project')) b(trend_by),
             (VALUES ('flat'), ('exponential'), ('linear'), ('damped')) m(method)""")
    return conn


def month_row(conn, values: dict, month_index: int) -> dict:
    result = scenarios.project(conn, values)
    names = [d[0] for d in result.description]
    rows = result.fetchall()
    return next(dict(zip(names, r, strict=True)) for r in rows if r[1] == month_index)


def test_baseline_grows_the_base_cost_by_the_fitted_trend(example):
    row = month_row(example, {}, 1)
    assert row["month"] == date(2026, 12, 1)
    # 4.00 x 1.10 x 31 days / 30 base days
    assert row["baseline_cost"] == Decimal("4.546667")
    assert row["projected_cost"] == row["baseline_cost"]
    by_project = month_row(example, {"trend_by": "project"}, 1)
    assert by_project["baseline_cost"] == Decimal("4.216000")  # 4.00 x 1.02 x 31 / 30
    capped = month_row(example, {"max_monthly_growth": 0.05}, 1)
    assert capped["baseline_cost"] == Decimal("4.340000")  # 4.00 x 1.05 x 31 / 30


def test_levers_follow_the_documented_formula(example):
    values = {"route_share": 0.5, "prompt_reduction": 0.1, "cache_hit_rate": 0.5,
              "output_cap_reduction": 0.5, "batch_share": 0.5}
    # route factor 1 - 0.5 + 0.5 x 0.06 = 0.53; prompts: 0.1 x (2.00 + 0.25 + 0) = 0.225;
    # caching: 300k of 800k input tokens move, 2.00 x 0.9 x 0.375 x (1 - 0.5) = 0.3375;
    # cap: 0.40 x 0.5 = 0.20; batch: 1 - 0.5 x 1.00 / 4.00 = 0.875
    levered = 0.53 * (4.00 - 0.225 - 0.3375 - 0.20) * 0.875
    assert levered == pytest.approx(1.501390625)
    row = month_row(example, values, 1)
    assert row["lever_factor"] == pytest.approx(levered / 4.00)
    assert row["projected_cost"] == Decimal("1.706581")  # 1.501390625 x 1.1 x 31 / 30


def test_hardware_pass_through_ramps_in_after_the_lag(example):
    # Vera Rubin first ships 2026-07-01 (the seed; no cloud date yet); + 15 months = 2027-10-01
    values = {"hardware_factor": 10, "pass_through_share": 0.5}
    before = month_row(example, values, 10)  # 2027-09
    assert before["month"] == date(2027, 9, 1) and before["price_factor"] == 1
    first = month_row(example, values, 11)  # 2027-10: 1/12 of the ramp
    assert first["price_factor"] == pytest.approx(1 - 0.5 * 0.9 / 12)
    expected = Decimal(4 * 1.1 ** 11 * 31 / 30).quantize(SIX)
    assert first["baseline_cost"] == expected
    assert first["projected_cost"] == Decimal(
        4 * 1.1 ** 11 * 31 / 30 * (1 - 0.5 * 0.9 / 12)).quantize(SIX)
    full = month_row(example, values, 22)  # 2028-09: ramp complete
    assert full["price_factor"] == pytest.approx(0.55)
    at_once = month_row(example, {**values, "adoption_ramp_months": 0}, 11)
    assert at_once["price_factor"] == pytest.approx(0.55)


def test_the_worked_example_in_the_docs_is_this_computation(example):
    doc = (REPO / "docs" / "scenarios.md").read_text()
    for figure in ("4.546667", "1.706581", "0.9625"):
        assert figure in doc


# --- properties -----------------------------------------------------------------------------

shares = st.sampled_from([0, 0.1, 0.25, 0.5, 0.9, 1])


def totals(conn, values) -> tuple[Decimal, Decimal]:
    arguments, params = scenarios.macro_arguments(values)
    return conn.execute(f"SELECT sum(baseline_cost), sum(projected_cost) "
                        f"FROM project_scenario({arguments})", params).fetchone()


@settings(max_examples=25, deadline=None)
@given(factor=st.sampled_from([1, 2, 5, 10, 40]), lag=st.integers(0, 30),
       ramp=st.integers(0, 24), route=shares, cache=shares, batch=shares)
def test_zero_pass_through_equals_the_levers_alone(projected, factor, lag, ramp, route, cache,
                                                   batch):
    conn = open_lake(projected)
    levers = {"route_share": route, "cache_hit_rate": cache, "batch_share": batch}
    hardware_off = {**levers, "hardware_factor": factor, "pass_through_share": 0,
                    "pass_through_lag_months": lag, "adoption_ramp_months": ramp}
    assert totals(conn, hardware_off) == totals(conn, levers)
    baseline, projected_total = totals(conn, {"hardware_factor": factor,
                                              "pass_through_share": 0})
    assert projected_total == baseline > 0
    conn.close()


@settings(max_examples=25, deadline=None)
@given(low=st.sampled_from([1, 2, 5, 10]), more=st.sampled_from([0, 1, 5, 20]),
       share=shares, extra=st.sampled_from([0, 0.1, 0.5]), lag=st.integers(0, 24))
def test_a_higher_factor_or_share_never_costs_more(projected, low, more, share, extra, lag):
    conn = open_lake(projected)
    common = {"pass_through_lag_months": lag, "adoption_ramp_months": 6}
    cost = {}
    for name, values in {
        "base": {"hardware_factor": low, "pass_through_share": share},
        "factor": {"hardware_factor": low + more, "pass_through_share": share},
        "share": {"hardware_factor": low, "pass_through_share": min(1, share + extra)},
    }.items():
        rows = scenarios.project(conn, {**common, **values}).fetchall()
        cost[name] = {(r[0], r[2], r[3], r[4]): r[6] for r in rows}
    for key, value in cost["base"].items():
        assert cost["factor"][key] <= value
        assert cost["share"][key] <= value
    conn.close()


@pytest.mark.parametrize("lever", ["route_share", "cache_hit_rate", "batch_share",
                                   "prompt_reduction", "output_cap_reduction"])
def test_a_lever_at_zero_changes_nothing_and_above_zero_saves(projected, lever):
    conn = open_lake(projected)
    rows = scenarios.project(conn, {lever: 0}).fetchall()
    assert rows and all(r[6] == r[5] and r[9] == 1 for r in rows)  # projected, lever_factor
    # at zero, this lever leaves the others' result as it was, row by row
    others = {"route_share": 0.3, "cache_hit_rate": 0.6, "batch_share": 0.2,
              "prompt_reduction": 0.1, "output_cap_reduction": 0.5}
    with_zero = scenarios.project(conn, {**others, lever: 0}).fetchall()
    with_more = scenarios.project(conn, {**others, lever: 0.5}).fetchall()
    assert all(a[6] >= b[6] for a, b in zip(with_zero, with_more, strict=True))
    baseline, alone = totals(conn, {lever: 0.5})
    assert alone < baseline
    conn.close()


def test_every_scenario_is_projected_36_months_for_every_cell(projected):
    cells = query(projected, "SELECT count(*) FROM scenario_base")[0][0]
    counts = dict(query(projected, "SELECT scenario_id, count(*) FROM scenario_projection "
                                   "GROUP BY ALL"))
    file = scenarios.load(config.DEFAULT_SCENARIOS)
    assert counts == {s.scenario_id: cells * 36 for s in file.scenarios}
    months = query(projected, "SELECT min(month), max(month), count(DISTINCT month) "
                              "FROM scenario_projection")[0]
    assert months == (date(2026, 12, 1), date(2029, 11, 1), 36)
    # the baseline is the same in every scenario, and the saving is the difference
    assert query(projected, "SELECT count(DISTINCT total) FROM (SELECT scenario_id, "
                            "sum(baseline_cost) AS total FROM scenario_projection GROUP BY ALL)"
                 )[0][0] == 1
    assert query(projected, "SELECT count(*) FROM scenario_projection "
                            "WHERE savings <> baseline_cost - projected_cost")[0][0] == 0
    # the base window's cost is the ledger's last 30 days, exactly
    base, ledger = query(projected, """
        SELECT (SELECT sum(total_cost) FROM scenario_base),
               (SELECT sum(total_cost) FROM fct_costs
                WHERE event_day > (SELECT max(event_day) FROM fct_costs) - 30)""")[0]
    assert base == ledger > 0
    parameters = query(projected, "SELECT value FROM scenario_parameters "
                                  "WHERE scenario_id = 'vera_rubin' "
                                  "AND parameter = 'hardware_factor'")
    assert parameters == [("10",)]


def test_sensitivity_covers_the_grid_and_agrees_with_the_projection(projected):
    rows = query(projected, "SELECT count(*), count(DISTINCT (hardware_factor, "
                            "pass_through_share, pass_through_lag_months, "
                            "adoption_ramp_months)) FROM scenario_sensitivity")[0]
    assert rows == (200, 200)
    grid_point, projection = query(projected, """
        SELECT (SELECT projected_cost FROM scenario_sensitivity
                WHERE hardware_factor = 10 AND pass_through_share = 0.5
                  AND pass_through_lag_months = 15 AND adoption_ramp_months = 12),
               (SELECT sum(projected_cost) FROM scenario_projection
                WHERE scenario_id = 'vera_rubin')""")[0]
    assert abs(grid_point - projection) < Decimal("0.01")
    no_pass = query(projected, "SELECT DISTINCT savings FROM scenario_sensitivity "
                               "WHERE pass_through_share = 0")
    assert no_pass == [(Decimal(0),)]


def test_trends_are_fitted_on_the_spend_marts_token_sums(projected):
    """The trends read the drivers mart (smaller): per day, provider, model and project its
    token sums are the spend mart's."""
    tokens = ("sum(input_tokens), sum(cache_read_tokens), sum(cache_write_tokens), "
              "sum(cache_write_1h_tokens), sum(output_tokens)")
    cells = "day, provider, model, project"
    spend = query(projected, f"SELECT {cells}, {tokens} FROM mart_daily_spend "
                             f"GROUP BY ALL ORDER BY ALL")
    drivers = query(projected, f"SELECT {cells}, {tokens} FROM mart_daily_drivers "
                               f"GROUP BY ALL ORDER BY ALL")
    assert spend == drivers
    assert sum(row[6] or 0 for row in drivers) > 0, "cache writes are among the sums"


def test_trend_fit_recovers_a_known_growth(schema_lake):
    """Tokens per day doubling every month for four months: growth 100%, R² 1."""
    conn = schema_lake
    conn.execute("""
        INSERT INTO mart_daily_drivers BY NAME
        SELECT d::DATE AS day, 'openai' AS provider, 'gpt-4o' AS model, 'p' AS project,
               1 AS calls, (1000 * pow(2, datediff('month', DATE '2026-01-01', d)))::HUGEINT
                   AS input_tokens, 0 AS cache_read_tokens, 0 AS cache_write_tokens,
               0 AS cache_write_1h_tokens, 0 AS output_tokens, 0 AS reasoning_tokens
        FROM range(DATE '2026-01-01', DATE '2026-05-01', INTERVAL 1 DAY) t(d)""")
    conn.execute("INSERT INTO fct_costs BY NAME SELECT call_id, day AS event_day, "
                 "'unpriced_model' AS cost_status, false AS is_priced, 0 AS discount_percent, "
                 "false AS batch_discount_applied, 'v' AS pricebook_version "
                 "FROM (VALUES (1, DATE '2026-01-01'), (2, DATE '2026-04-30')) t(call_id, day)")
    scenarios.build_base(conn, scenarios.load(config.DEFAULT_SCENARIOS))
    months, growth, r2, fit = conn.execute(
        "SELECT months, monthly_growth, r_squared, fit FROM scenario_trend "
        "WHERE trend_by = 'model_family' AND method = 'exponential'").fetchone()
    assert (months, fit) == (4, "fitted")
    assert growth == pytest.approx(1.0) and r2 == pytest.approx(1.0)
    conn.execute("DELETE FROM mart_daily_drivers WHERE day >= DATE '2026-03-01'")
    scenarios.build_base(conn, scenarios.load(config.DEFAULT_SCENARIOS))
    assert set(conn.execute("SELECT monthly_growth, fit FROM scenario_trend "
                            "WHERE trend_by = 'project'").fetchall()) == {(None, "too short: flat")}


SCENARIO_ASSETS = ["dim_hardware_generation", "hardware_sources", "scenario_routes",
                   "scenario_batch_discounts", "scenario_parameters", "scenario_trend_history",
                   "forecast_backtest", "forecast_methods", "scenario_trend", "scenario_base",
                   "scenario_projection", "scenario_sensitivity"]


def test_same_inputs_give_identical_output(projected, tmp_path):
    """The scenario assets alone, made again from what the warehouse holds."""
    copy = tmp_path / "again.ducklake"
    run_ingest(projected.parent / "landing", copy, workers=1)
    conn = open_lake(copy, read_only=False)
    conn.execute("DELETE FROM warehouse_meta WHERE key LIKE 'scenario%' "
                 "OR key LIKE 'dim_hardware%'")
    conn.close()
    outcome = run_job(config.resolve(projected.parent / "landing", copy),
                      selection=SCENARIO_ASSETS)
    assert outcome.success and not outcome.summary  # ingest_runs was not selected
    for table in ("scenario_base", "scenario_trend", "forecast_backtest", "forecast_methods",
                  "scenario_projection", "scenario_sensitivity", "dim_hardware_generation"):
        snapshot = f"SELECT * FROM {table} ORDER BY ALL"
        assert query(copy, snapshot) == query(projected, snapshot), table


def test_a_changed_scenario_file_is_projected_without_new_logs(projected, tmp_path,
                                                                monkeypatch):
    warehouse = tmp_path / "wh.ducklake"
    shutil.copy(projected, warehouse)
    landing = projected.parent / "landing"
    assert run_ingest(landing, warehouse, workers=1).calls_loaded == 0
    edited = tmp_path / "scenarios.yaml"
    edited.write_text(config.DEFAULT_SCENARIOS.read_text().replace(
        "parameters: {hardware_factor: 10, pass_through_share: 0.5}",
        "parameters: {hardware_factor: 10, pass_through_share: 0.8}"))
    before = query(warehouse, "SELECT sum(projected_cost) FROM scenario_projection "
                              "WHERE scenario_id = 'vera_rubin'")[0][0]
    run_ingest(landing, warehouse, workers=1, scenarios=edited)
    after = query(warehouse, "SELECT sum(projected_cost) FROM scenario_projection "
                             "WHERE scenario_id = 'vera_rubin'")[0][0]
    assert after < before


# --- the seed files are strict --------------------------------------------------------------

def test_hardware_seed_has_every_generation_with_sources(projected):
    rows = dict(query(projected, "SELECT generation_id, name FROM dim_hardware_generation"))
    for generation in ("a100-80gb", "h100-sxm", "h200", "b200", "gb200-nvl72", "b300-gb300",
                       "vera-rubin", "rubin-cpx", "mi300x", "mi325x", "mi355x", "tpu-v5e",
                       "tpu-v6e", "tpu7x-ironwood"):
        assert generation in rows
    for figure in (*hardware.FIGURES, *hardware.TEXT_FACTS, *hardware.DATES, "claim"):
        value = figure if figure != "claim" else "claim_factor"
        assert query(projected, f"SELECT count(*) FROM dim_hardware_generation "
                                f"WHERE {value} IS NOT NULL AND {figure}_source IS NULL")[0][0] == 0
    unknown = query(projected, """
        SELECT count(*) FROM dim_hardware_generation g, unnest([memory_gb_source,
            bandwidth_tb_s_source, fp4_dense_tflops_source, claim_source]) s(key)
        WHERE key IS NOT NULL AND key NOT IN (SELECT source_key FROM hardware_sources)""")
    assert unknown == [(0,)]
    rubin = query(projected, "SELECT memory_gb, claim_factor, claim_versus "
                             "FROM dim_hardware_generation WHERE generation_id = 'vera-rubin'")
    assert rubin == [(Decimal("288.0"), Decimal("10.00"), "b200")]


def write_variant(tmp_path, source: Path, old: str, new: str) -> Path:
    text = source.read_text()
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old,new,message", [
    ("bandwidth_tb_s:     {value: 2.039, source: GK}", "bandwidth_tb_s:     {value: 2.039, "
     "source: null}", "field 'bandwidth_tb_s.source': a figure needs a source"),
    ("memory_gb:          {value: 80, source: GK}", "memory_gb:          {value: 80, "
     "source: XX}", "'XX' is not in sources"),
    ("predecessor: null\n    sequence: 1", "predecessor: z100\n    sequence: 1",
     "field 'predecessor': 'z100' is not a generation"),
    ("memory_gb:          {value: 80, source: GK}", "memory_gb:          {value: lots, "
     "source: GK}", "field 'value': must be a number"),
])
def test_a_bad_hardware_entry_names_its_line_and_field(tmp_path, old, new, message):
    path = write_variant(tmp_path, config.DEFAULT_HARDWARE, old, new)
    with pytest.raises(hardware.HardwareSeedError) as error:
        hardware.load(path)
    assert message in str(error.value)
    assert f"{path} line " in str(error.value)


@pytest.mark.parametrize("old,new,message", [
    ("parameters: {route_share: 0.3}", "parameters: {route_share: 1.3}",
     "field 'route_share': must be between 0 and 1, not 1.3"),
    ("parameters: {route_share: 0.3}", "parameters: {route_shares: 0.3}",
     "field 'route_shares': is not a parameter"),
    ("parameters: {cache_hit_rate: 0.6}", "parameters: {pass_through_lag_months: 1.5}",
     "must be a whole number of months"),
    ("  scenario: vera_rubin", "  scenario: warp_drive", "'warp_drive' is not a scenario"),
    ("  - id: baseline", "  - id: base", "needs a 'baseline' scenario"),
])
def test_a_bad_scenario_entry_names_its_line_and_field(tmp_path, old, new, message):
    path = write_variant(tmp_path, config.DEFAULT_SCENARIOS, old, new)
    with pytest.raises(scenarios.ScenarioFileError) as error:
        scenarios.load(path)
    assert message in str(error.value)
    assert " line " in str(error.value)


def test_every_parameter_is_documented_and_every_scenario_documented():
    file = scenarios.load(config.DEFAULT_SCENARIOS)
    assert all(p.doc for p in file.parameters.values())
    assert all(s.doc and s.title for s in file.scenarios)
    assert {"baseline", "vera_rubin"} <= {s.scenario_id for s in file.scenarios}
    doc = (REPO / "docs" / "scenarios.md").read_text()
    for name in file.parameters:
        assert f"`{name}`" in doc, name


def test_a_generation_listed_twice_fails_the_run_and_commits_nothing(
        fixture_landing, tmp_path):
    """The lake declares no PRIMARY KEY: the seed's loader keeps generation ids unique, and
    the run it fails commits nothing."""
    text = config.DEFAULT_HARDWARE.read_text()
    first = text[text.index("  - id: a100-80gb"):text.index("  - id: h100-sxm")]
    seed = tmp_path / "hardware.yaml"
    seed.write_text(text.rstrip("\n") + "\n" + first.replace("sequence: 1", "sequence: 99"))
    with pytest.raises(RunFailed, match="field 'id': 'a100-80gb' is not unique"):
        run_ingest(fixture_landing, tmp_path / "wh.ducklake", hardware=seed, workers=1)
    with pytest.raises(WarehouseMissing, match="holds no run yet"):
        connect_reader(Lake.locate(tmp_path / "wh.ducklake"))


def test_the_baseline_uses_the_method_that_backtests_best_unless_one_is_pinned(projected):
    from pipelines.scenarios import forecast

    best = query(projected, "SELECT method FROM forecast_methods "
                            "WHERE trend_by = 'model_family' AND is_best")
    scored = query(projected, "SELECT method, smape FROM forecast_methods "
                              "WHERE trend_by = 'model_family' ORDER BY smape")
    assert len(best) == 1 and best[0][0] == scored[0][0] and scored[0][1] is not None
    for method in ("auto", "linear", "exponential", "flat", "damped"):
        used = best[0][0] if method == "auto" else method
        rows = query(projected, f"""
            SELECT p.month_index, p.usage_factor, t.method, t.slope, t.damping
            FROM project_scenario(trend_method := '{method}') p
            LEFT JOIN scenario_trend t ON t.trend_by = 'model_family'
                 AND t.trend_group = p.model_family AND t.method = '{used}'""")
        assert sum(row[2] == used for row in rows) > len(rows) / 2
        for month_index, usage_factor, trend_method, slope, damping in rows:
            # a cell whose group has no trend (no usage in the history's months) stays flat
            trend = forecast.Trend(used, slope or 0.0, damping,
                                   fitted=trend_method is not None and slope is not None)
            assert usage_factor == pytest.approx(
                forecast.clamped(trend.factor(month_index), month_index, -0.2, 0.2))
    # each backtest forecast is the origin month's usage times the factor of a fit up to it
    history = query(projected, "SELECT trend_group, month, tokens_per_day FROM "
                               "scenario_trend_history WHERE trend_by = 'project' ORDER BY ALL")
    group = history[0][0]
    values = [v for g, _, v in history if g == group]
    months = [m for g, m, _ in history if g == group]
    for method, origin, month, predicted, actual in query(projected, f"""
            SELECT method, origin_month, month, forecast, actual FROM forecast_backtest
            WHERE trend_by = 'project' AND trend_group = '{group}'"""):
        at, h = months.index(origin), months.index(month) - months.index(origin)
        factor = forecast.fit(method, values[:at + 1]).factor(h)
        assert predicted == pytest.approx(values[at] * forecast.clamped(factor, h, -0.2, 0.2))
        assert actual == values[at + h]
