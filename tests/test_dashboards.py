"""The dashboards' page logic with Streamlit's AppTest, over a real warehouse built by the real
ingest from generated logs (issue #5). The browser tests are in test_dashboards_browser.py."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import altair
import jsonschema
import polars as pl
import pyarrow as pa
import pytest
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from dashboards import STREAMLIT_OPTIONS, filters, ui
from pipelines.jobs import run_ingest
from pipelines.samples import generate
from tests.conftest import bill_the_ledger, query

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")
BILLED_OVER = date(2026, 11, 20)  # OpenAI's bill is $5 over the ledger that day
PAGES = {"views/spend.py": "Spend overview", "views/cost_drivers.py": "Cost drivers",
         "views/latency.py": "Latency and throughput", "views/scenarios.py": "Scenarios",
         "views/hardware.py": "Hardware generations", "views/prices.py": "Prices",
         "views/reconciliation.py": "Reconciliation", "views/data_quality.py": "Data quality",
         "views/inspector.py": "Inspector"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """Three runs: the history, then a small late day (an incremental run), so that the pages
    read a warehouse built run by run and list more than one ingest run; then the providers'
    bills, made from the ledger, OpenAI's $5 over on one day."""
    base = tmp_path_factory.mktemp("dashboards")
    generate(base / "landing", requests=4000, days=120, seed=11, end_date=date(2026, 11, 27))
    run_ingest(base / "landing", base / "wh.ducklake", workers=1)
    generate(base / "landing" / "late", requests=200, days=1, seed=12,
             end_date=date(2026, 11, 28))
    run_ingest(base / "landing", base / "wh.ducklake", workers=1)
    bill_the_ledger(base / "landing", base / "wh.ducklake", {("openai", BILLED_OVER): 5})
    run_ingest(base / "landing", base / "wh.ducklake", workers=1)
    return base / "wh.ducklake"


@pytest.fixture
def app(warehouse, monkeypatch) -> AppTest:
    monkeypatch.setenv("TOKENWORKS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("TOKENWORKS_LANDING", str(warehouse.parent / "landing"))
    # AppTest leaves the app as sys.modules["__main__"]; worker processes that later tests
    # start (forkserver) would re-run it as their main module.
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    for name, value in STREAMLIT_OPTIONS.items():  # as the server runs
        streamlit_config.set_option(name, value)
    return AppTest.from_file(APP, default_timeout=120)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_every_page_renders_without_an_error(app):
    app.run()
    assert not app.exception
    assert any(c.value.startswith("Tokenworks ·") for c in app.caption)  # the footer
    for page, title in PAGES.items():
        app.switch_page(page).run()
        assert not app.exception, (page, [e.value for e in app.exception])
        assert app.title[0].value == title


def test_spend_matches_sql_and_follows_the_filters_and_the_url(app, warehouse):
    app.run()
    last = query(warehouse, "SELECT max(day) FROM mart_daily_spend")[0][0]
    start = date.fromordinal(last.toordinal() - 29)
    total = query(warehouse, "SELECT sum(total_cost) FROM mart_daily_spend "
                             "WHERE day BETWEEN ? AND ?", [start, last])[0][0]
    assert metric(app, "Spend") == ui.money(total)
    assert app.query_params["start"] == start.isoformat()
    # Beside it, never in it: the estimate for the calls whose usage was not logged.
    at_risk, unknown = query(warehouse, """
        SELECT sum(e.estimated_cost), count(*) FROM fct_request_costs e
        WHERE e.cost_status = 'usage_unknown'
          AND e.event_day BETWEEN ? AND ?""", [start, last])[0]
    assert unknown > 0 and at_risk > 0
    assert metric(app, "Spend at risk (estimated)") == ui.money(at_risk)
    at_risk_help = next(m.help for m in app.metric if m.label == "Spend at risk (estimated)")
    assert at_risk_help.startswith(f"{unknown:,} calls ran without usage")

    # A filter is a URL parameter: the same link gives the same view. (The browser tests change
    # filters with the mouse; AppTest drops the entry script's sidebar on reruns of a
    # st.navigation app, so here each view is a fresh run of its URL.)
    filtered = AppTest.from_file(APP, default_timeout=120)
    filtered.query_params["provider"] = "openai"
    filtered.query_params["start"] = start.isoformat()
    filtered.run()
    openai = query(warehouse, "SELECT sum(total_cost) FROM mart_daily_spend WHERE day "
                              "BETWEEN ? AND ? AND provider = 'openai'", [start, last])[0][0]
    assert filtered.sidebar.multiselect(key="filter_provider").value == ["openai"]
    assert metric(filtered, "Spend") == ui.money(openai) != ui.money(total)
    earlier = AppTest.from_file(APP, default_timeout=120)
    earlier.query_params["start"] = start.replace(day=1).isoformat()
    earlier.query_params["end"] = start.replace(day=1).isoformat()
    earlier.run()
    one_day = query(warehouse, "SELECT sum(total_cost) FROM mart_daily_spend WHERE day = ?",
                    [start.replace(day=1)])[0][0]
    assert metric(earlier, "Spend") == ui.money(one_day)


def test_breakdown_tables_have_downloads_money_and_bars(app):
    app.run()
    assert len(app.get("download_button")) >= 2
    assert metric(app, "Spend").startswith("$")
    breakdown = next(d for d in app.dataframe if "Provider" in d.value.columns)
    spend = json.loads(breakdown.proto.columns)["spend"]["type_config"]
    # the spend column draws bars, from zero to the largest provider's spend
    assert spend["type"] == "progress" and spend["format"].startswith("$")
    assert (spend["min_value"], spend["max_value"]) == (0, float(breakdown.value["spend"].max()))


def shown_table(at: AppTest, columns: list[str]):
    return next(d.value for d in at.dataframe if list(d.value.columns[:len(columns)]) == columns)


def test_unpriced_models_and_duplicates_match_the_ledger(app, warehouse):
    """Both tables read cheaper relations than the ledger (the daily mart; call ids): they
    must still say what the unpriced_models view and staging say."""
    app.run()
    app.switch_page("views/prices.py").run()
    unpriced = shown_table(app, ["provider", "model", "calls", "input_tokens"])
    expected = query(warehouse, "SELECT provider, model, calls, input_tokens, output_tokens, "
                                "first_seen::DATE, last_seen::DATE FROM unpriced_models "
                                "ORDER BY calls DESC, provider, model")
    assert expected, "the generated logs hold models the price book lacks"
    assert [(r.provider, r.model, r.calls, r.input_tokens, r.output_tokens, r.first_day.date(),
             r.last_day.date()) for r in unpriced.itertuples()] == expected

    app.switch_page("views/data_quality.py").run()
    assert not [d for d in app.dataframe if "occurrences" in d.value.columns], \
        "a closed tab is neither read nor drawn"
    app.session_state["quality_tab"] = "Calls logged more than once"
    app.run()
    duplicates = shown_table(app, ["dedup_key", "occurrences"])
    occurrences = dict(query(warehouse, "SELECT dedup_key, count(*) FROM stg_calls "
                                        "GROUP BY ALL HAVING count(*) > 1"))
    assert occurrences
    assert dict(zip(duplicates.dedup_key, duplicates.occurrences, strict=True)) == {
        key: occurrences[key] for key in duplicates.dedup_key}
    assert len(duplicates) == min(len(occurrences), 200)


def test_calls_without_usage_are_counted_estimated_and_listed_with_their_fix(app, warehouse):
    app.run()
    app.switch_page("views/data_quality.py").run()
    calls, at_risk, spend = query(warehouse, """
        SELECT count(*) FILTER (cost_status = 'usage_unknown'), sum(estimated_cost),
               sum(total_cost) FROM fct_request_costs""")[0]
    assert metric(app, "Calls without usage") == f"{calls:,}"
    assert metric(app, "Spend at risk (estimated)") == ui.money(at_risk)
    assert next(m.delta for m in app.metric if m.label == "Spend at risk (estimated)") == (
        f"beside {ui.money(spend)} of known spend")
    app.session_state["quality_tab"] = "Usage not logged"
    app.run()
    listed = shown_table(app, ["provider", "model", "api", "is_stream", "calls"])
    expected = query(warehouse, "SELECT provider, model, calls, estimated_cost, fix "
                                "FROM unknown_usage")
    assert [(r.provider, r.model, r.calls) for r in listed.itertuples()] == [
        r[:3] for r in expected]
    assert sum(listed.calls) == calls
    assert any('"include_usage": true' in fix for *_, fix in expected)


RUN_COLUMNS = ["run_id", "finished_at", "snapshot_id", "snapshot_time", "files_new",
               "files_appended", "files_rewritten", "calls_loaded", "duplicates", "quarantined",
               "seconds"]


def test_data_quality_lists_the_runs_with_their_snapshots_for_time_travel(app, warehouse):
    """The Ingestion runs tab, open by default, lists analytics.ingestion_runs newest first
    with the snapshot each run committed, and says how to query the warehouse as of one."""
    expected = query(warehouse, "SELECT run_id, snapshot_id, calls_loaded "
                                "FROM analytics.ingestion_runs ORDER BY snapshot_id DESC")
    assert len(expected) == 3 and all(snapshot is not None for _, snapshot, _ in expected)
    app.run()
    app.switch_page("views/data_quality.py").run()
    assert not app.exception, [e.value for e in app.exception]
    runs = [d.value for d in app.dataframe if list(d.value.columns) == RUN_COLUMNS]
    assert len(runs) == 1, [list(d.value.columns) for d in app.dataframe]
    shown = runs[0]
    assert [(r.run_id, r.snapshot_id, r.calls_loaded) for r in shown.itertuples()] == expected
    assert shown.snapshot_time.notna().all() and shown.finished_at.notna().all()
    assert any("tokenworks sql --as-of RUN_ID" in c.value for c in app.caption), \
        [c.value for c in app.caption]
    assert "csv_ingestion_runs" in [b.key for b in app.get("download_button")]


def test_reconciliation_sets_each_day_against_the_bill_and_drills_down(app, warehouse):
    """The page reads reconciliation_daily for the provider chosen over the filters' days: the
    day OpenAI billed $5 over is the one closed day not matching, chosen for the detail, where
    the by-model and line-item views say what the bill holds."""
    app.run()
    app.switch_page("views/reconciliation.py").run()
    assert not app.exception, [e.value for e in app.exception]
    app.session_state["reconciliation_provider"] = "openai"
    app.run()
    start, end = (date.fromisoformat(app.query_params[k][0] if isinstance(
        app.query_params[k], list) else app.query_params[k]) for k in ("start", "end"))
    expected = query(warehouse, "SELECT day, status, ledger_cost, billed_cost, difference "
                                "FROM reconciliation_daily WHERE provider = 'openai' "
                                "AND day BETWEEN ? AND ? ORDER BY day DESC", [start, end])
    statuses = [status for _, status, *_ in expected]
    assert statuses.count("mismatch") == 1 and set(statuses) <= {"match", "mismatch"}
    assert metric(app, "Closed days not matching") == "1"
    assert metric(app, "Closed days matching") == f"{len(expected) - 1:,} of {len(expected):,}"
    shown = shown_table(app, ["day", "status", "ledger_cost", "billed_cost", "difference"])
    assert [(r.day.date(), r.status) for r in shown.itertuples()] == [
        (day, status) for day, status, *_ in expected]
    (mismatch,) = [r for r in expected if r[1] == "mismatch"]
    assert mismatch[0] == BILLED_OVER and mismatch[4] == -5
    chart = chart_data(app.get("vega_lite_chart")[0])
    assert dict(zip(chart["day"].dt.date(), chart["difference"], strict=True)) == (
        pytest.approx({day: float(difference) for day, _, _, _, difference in expected}))
    assert app.selectbox(key="reconciliation_day_openai").value == BILLED_OVER
    by_model = shown_table(app, ["model", "ledger_cost", "billed_cost"])
    billed = dict(zip(by_model.model, by_model.billed_cost, strict=True))
    assert billed["(not itemized)"] == pytest.approx(float(mismatch[3]))
    app.session_state["reconciliation_tab"] = "By line item"
    app.run()
    items = shown_table(app, ["line_item", "model", "token_type", "cost_type", "billed_cost"])
    assert list(items.line_item) == ["completions"]
    assert items.billed_cost[0] == pytest.approx(float(mismatch[3]))
    assert {"csv_reconciliation_openai",
            f"csv_reconciliation_openai_{BILLED_OVER}_line_item"} <= {
        b.key for b in app.get("download_button")}


def test_scenario_controls_take_their_bounds_from_the_scenarios_file(app):
    from pipelines import config
    from pipelines.scenarios import projection as scenarios

    parameters = scenarios.load(config.DEFAULT_SCENARIOS).parameters
    app.switch_page("views/scenarios.py").run()
    controls = {s.key.removesuffix("_vera_rubin"): s for s in app.slider}
    assert len(controls) == 9
    for key, name in {"factor": "hardware_factor", "lag": "pass_through_lag_months",
                      "ramp": "adoption_ramp_months", "prompts": "prompt_reduction",
                      "share": "pass_through_share"}.items():
        assert (controls[key].min, controls[key].max) == (float(parameters[name].low),
                                                          float(parameters[name].high)), name
    assert controls["factor"].max == 100 and controls["lag"].max == 60


def test_scenario_controls_move_the_projection(app, warehouse):
    app.switch_page("views/scenarios.py").run()
    baseline = query(warehouse, "SELECT sum(baseline_cost) FROM scenario_projection "
                                "WHERE scenario_id = 'baseline'")[0][0]
    assert metric(app, "Baseline, 36 months") == ui.money(baseline)
    vera = query(warehouse, "SELECT sum(projected_cost) FROM scenario_projection "
                            "WHERE scenario_id = 'vera_rubin'")[0][0]
    assert metric(app, "Scenario, 36 months") == ui.money(vera)
    before = metric(app, "Savings")
    app.slider(key="share_vera_rubin").set_value(1.0).run()
    after = metric(app, "Savings")
    assert Decimal(after.strip("$").replace(",", "")) > Decimal(before.strip("$").replace(",",
                                                                                           ""))
    app.slider(key="share_vera_rubin").set_value(0.0).run()
    assert metric(app, "Savings") in ("$0.0000", "$0")


def test_the_backtest_shows_each_methods_error_and_its_forecasts_against_what_happened(
        app, warehouse):
    app.switch_page("views/scenarios.py").run()
    scores = shown_table(app, ["method", "best", "total_smape"])
    expected = query(warehouse, "SELECT method, is_best, smape FROM forecast_methods "
                                "WHERE trend_by = 'model_family' ORDER BY smape NULLS LAST, method")
    assert [tuple(row[:3]) for row in scores.itertuples(index=False)] == expected
    best = next(method for method, is_best, _ in expected if is_best)
    assert f"**{best}**" in " ".join(m.value for m in app.caption)
    chart = chart_data(app.get("vega_lite_chart")[1])
    totals = query(warehouse, "SELECT month, sum(actual), sum(forecast) FROM forecast_backtest "
                              "WHERE trend_by = 'model_family' AND horizon = 1 "
                              "AND method = 'linear' GROUP BY month ORDER BY month")
    assert chart.select("month", "actual", "linear").rows() == [
        (month, pytest.approx(actual), pytest.approx(linear)) for month, actual, linear in totals]
    assert totals, "the fixture's history scores at least one month"
    # pinning a method moves the baseline to that method's projection
    for method in ("exponential", "flat"):
        app.selectbox(key="trend_method_vera_rubin").set_value(method).run()
        baseline = query(warehouse, "SELECT sum(baseline_cost) FROM project_scenario("
                                    f"trend_method := '{method}')")[0][0]
        assert metric(app, "Baseline, 36 months") == ui.money(baseline)


def test_inspector_prices_a_logged_call_as_the_pipeline_did(app, warehouse):
    request_id, total = query(warehouse, """
        SELECT request_id, total_cost FROM fct_request_costs
        WHERE is_priced AND total_cost > 0 ORDER BY request_id LIMIT 1""")[0]
    app.switch_page("views/inspector.py").run()
    app.radio(key="inspect_source").set_value("A logged call").run()
    app.text_input(key="inspect_request_id").set_value(request_id).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.warning and not app.error, ([w.value for w in app.warning],
                                               [e.value for e in app.error])
    assert metric(app, "Total") == ui.money(total)
    assert any(c.language == "json" for c in app.code)


def test_inspector_shows_why_a_record_was_quarantined(app, warehouse):
    source_file, source_line, reason = query(
        warehouse, "SELECT source_file, source_line, reason FROM quarantine "
                   "ORDER BY source_file, source_line LIMIT 1")[0]
    app.switch_page("views/inspector.py").run()
    app.radio(key="inspect_source").set_value("A quarantined record").run()
    app.text_input(key="inspect_quarantine_file").set_value(source_file)
    app.number_input(key="inspect_line").set_value(source_line).run()
    assert any(reason in e.value for e in app.error)


def test_inspector_parses_and_prices_a_pasted_response(app):
    fixture = Path(__file__).parent / "fixtures" / "responses" / \
        "anthropic_messages_cache_read_and_5m_write.json"
    app.switch_page("views/inspector.py").run()
    app.text_area(key="inspect_text").set_value(fixture.read_text()).run()
    assert not app.exception
    # 3 input, 1,111 cache reads, 418 5-minute writes, 33 output at Claude Sonnet 4.5 rates
    # ($3, $0.30, $3.75, $15 per million)
    expected = (3 * 3 + 1111 * Decimal("0.3") + 418 * Decimal("3.75") + 33 * 15) / 10**6
    assert metric(app, "Total") == ui.money(expected)
    app.text_area(key="inspect_text").set_value('{"id": 1, "usage": "lots"}').run()
    assert app.error and "Rejected" in [s.value for s in app.subheader]


VEGA_LITE_SCHEMA = (Path(altair.__file__).parent / "vegalite" / "v6" / "schema"
                    / "vega-lite-schema.json")


def chart_data(chart) -> pl.DataFrame:
    return pl.from_arrow(pa.ipc.open_stream(chart.proto.data.data).read_all())


def test_every_chart_is_valid_vega_lite_and_the_trend_sums_to_the_spend(app, warehouse):
    """The charts' specs are written by hand (dashboards/charts.py): each must be Vega-Lite,
    or the browser draws nothing; and a chart must show the page's numbers."""
    validator = jsonschema.Draft7Validator(json.loads(VEGA_LITE_SCHEMA.read_text()))
    app.run()
    drawn = {}
    for page in PAGES:
        app.switch_page(page).run()
        drawn[page] = len(app.get("vega_lite_chart"))
        for chart in app.get("vega_lite_chart"):
            # (Streamlit sends the data beside the spec)
            spec = {**json.loads(chart.proto.spec), "data": {"name": "frame"}}
            error = jsonschema.exceptions.best_match(validator.iter_errors(spec))
            assert error is None, (page, error.message, list(error.absolute_path))
            assert chart_data(chart).height > 0, page
    assert {page: n for page, n in drawn.items() if n} == {
        "views/spend.py": 1, "views/cost_drivers.py": 2, "views/latency.py": 1,
        "views/scenarios.py": 2, "views/hardware.py": 3, "views/reconciliation.py": 1}

    app.switch_page("views/spend.py").run()
    trend = chart_data(app.get("vega_lite_chart")[0])
    last = query(warehouse, "SELECT max(day) FROM mart_daily_spend")[0][0]
    by_day = dict(query(warehouse, "SELECT day, sum(total_cost) FROM mart_daily_spend "
                                   "WHERE day BETWEEN ? - 29 AND ? GROUP BY day",
                        [last, last]))
    shown = trend.group_by("period").agg(pl.col("spend").sum())
    assert dict(shown.iter_rows()) == pytest.approx({d: float(v) for d, v in by_day.items()})
    # each bar spans its day
    assert (trend["period_end"] - trend["period"]).dt.total_days().unique().to_list() == [1]


def test_scenario_expanders_read_and_draw_their_table_only_when_open(app, warehouse):
    app.switch_page("views/scenarios.py").run()
    assert not [d for d in app.dataframe if "r_squared" in d.value.columns]
    assert [e.label for e in app.expander] == ["Monthly projection (the chart's figures)",
                                               "Usage trends fitted on the history",
                                               "Sensitivity of the Vera Rubin era scenario"]
    app.session_state["scenario_trends"] = True
    app.run()
    fits = shown_table(app, ["trend_group", "method", "months"])
    assert len(fits) == query(warehouse, "SELECT count(*) FROM scenario_trend "
                                         "WHERE trend_by = 'model_family'")[0][0] > 0
    assert not [d for d in app.dataframe if "savings" in d.value.columns
                and "hardware_factor" in d.value.columns], "the other one stays closed"


def test_the_filter_summary_names_what_is_chosen_and_escapes_markdown():
    summary = filters._summary(date(2026, 11, 1), date(2026, 11, 30), {
        "provider": ["openai"], "model": ["my_model*v2", "gpt-4.1"],
        "project": ["a", "b", "c", "d"]})
    assert summary.split("  \n") == ["**01 Nov 2026 to 30 Nov 2026**", "openai",
                                     r"my\_model\*v2, gpt\-4\.1", "4 projects"]
    assert "All providers" in filters._summary(date(2026, 11, 1), date(2026, 11, 1), {
        "provider": [], "model": [], "project": []})


def test_no_page_reads_staging_or_the_manifest():
    """Pages read marts and views made for them (issue #14): never the staging tables, the
    manifest, a run's scratch tables or the runs' record (analytics.ingestion_runs is theirs),
    whose shape is the pipeline's own business."""
    internal = re.compile(r"\b(stg_calls|landing_files|run_plan|run_state|run_removed_keys|"
                          r"run_changed_days|ingest_runs|run_snapshots)\b")
    sources = [Path(APP).parent / "queries.py", *sorted((Path(APP).parent / "views").glob("*.py"))]
    offenders = [f"{path.name}:{number}" for path in sources
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if internal.search(line)]
    assert offenders == []
