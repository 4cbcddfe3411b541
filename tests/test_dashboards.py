"""The dashboards' page logic with Streamlit's AppTest, over a real warehouse built by the real
ingest from generated logs (issue #5). The browser tests are in test_dashboards_browser.py."""

from __future__ import annotations

import json
import re
import sys
import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import altair
import jsonschema
import pandas as pd
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
         "views/reconciliation.py": "Reconciliation", "views/budgets.py": "Budgets",
         "views/data_quality.py": "Data quality", "views/inspector.py": "Inspector"}


def write_budgets(path: Path, all_calls: Decimal, anthropic_quarter: Decimal,
                  support_bot: Decimal) -> None:
    path.write_text(f"""budgets:
  - name: all-calls-monthly
    period: month
    amount_usd: {all_calls}
  - name: anthropic-quarterly
    period: quarter
    amount_usd: {anthropic_quarter}
    scope: {{provider: anthropic}}
    thresholds: [0.5, 0.8, 1.0]
  - name: support-bot-monthly
    period: month
    amount_usd: {support_bot}
    scope: {{project: support-bot}}
    thresholds: [0.5, 0.8, 1.0]
""")


class AlertReceiver(BaseHTTPRequestHandler):
    """A webhook that takes all-calls-monthly's alerts and fails the others'."""

    def do_POST(self):
        alert = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        taken = alert["budget"] == "all-calls-monthly"
        self.send_response(204 if taken else 500)
        self.end_headers()
        if not taken:
            self.wfile.write(b"receiver down")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """Three runs: the history, then a small late day (an incremental run), so that the pages
    read a warehouse built run by run and list more than one ingest run; then the providers'
    bills, made from the ledger, OpenAI's $5 over on one day.

    Budgets, from a file of the fixture's own sized on the generated spend: the first run has
    none; the second has all-calls-monthly at 90% of November's spend so far (over budget),
    anthropic-quarterly at twice the quarter's Anthropic spend (a threshold reached) and
    support-bot-monthly at $1M (ok), its alerts POSTed to a webhook taking all-calls-monthly's
    (delivered) and failing anthropic-quarterly's (failed); the third, without a webhook, puts
    support-bot-monthly halfway between its spend and its forecast (forecast over: its alerts
    not sent)."""
    base = tmp_path_factory.mktemp("dashboards")
    budgets = base / "budgets.yaml"
    budgets.write_text("budgets: []\n")
    generate(base / "landing", requests=4000, days=120, seed=11, end_date=date(2026, 11, 27))
    run_ingest(base / "landing", base / "wh.ducklake", workers=1, budgets=budgets)
    month, quarter = query(base / "wh.ducklake", """
        SELECT sum(total_cost) FILTER (day >= '2026-11-01'),
               sum(total_cost) FILTER (day >= '2026-10-01' AND provider = 'anthropic')
        FROM mart_daily_spend""")[0]
    cents = Decimal("0.01")
    write_budgets(budgets, (month * Decimal("0.9")).quantize(cents), (quarter * 2).quantize(cents),
                  Decimal(1_000_000))
    generate(base / "landing" / "late", requests=200, days=1, seed=12,
             end_date=date(2026, 11, 28))
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), AlertReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("TOKENWORKS_ALERT_WEBHOOK",
                       f"http://127.0.0.1:{receiver.server_port}/alerts")
            run_ingest(base / "landing", base / "wh.ducklake", workers=1, budgets=budgets)
    finally:
        receiver.shutdown()
        receiver.server_close()
    spent, forecast = query(base / "wh.ducklake", "SELECT spent_usd, forecast_usd FROM "
                                                  "budget_status WHERE is_open AND budget = "
                                                  "'support-bot-monthly'")[0]
    write_budgets(budgets, (month * Decimal("0.9")).quantize(cents), (quarter * 2).quantize(cents),
                  ((spent + forecast) / 2).quantize(Decimal("0.000001")))
    bill_the_ledger(base / "landing", base / "wh.ducklake", {("openai", BILLED_OVER): 5})
    with pytest.MonkeyPatch.context() as env:
        env.delenv("TOKENWORKS_ALERT_WEBHOOK", raising=False)
        run_ingest(base / "landing", base / "wh.ducklake", workers=1, budgets=budgets)
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


SOURCES = ("api_log", "claude_code", "codex_cli", "otel")


def ledger_spend(warehouse, start: date, end: date, sources=SOURCES) -> Decimal:
    """The spend the hard way: every call's cost in the ledger, of the sources and days."""
    return query(warehouse, """
        SELECT coalesce(sum(c.total_cost), 0) FROM fct_requests f JOIN fct_costs c USING (call_id)
        WHERE c.event_day BETWEEN ? AND ? AND list_contains(?, f.source)""",
                 [start, end, list(sources)])[0][0]


def test_the_source_filter_narrows_the_spend_to_the_chosen_sources(app, warehouse):
    """Agent calls show in every filter: the Source multiselect, in the URL like the others,
    keeps the calls of the sources chosen, as the ledger sums them."""
    app.run()
    assert app.sidebar.multiselect(key="filter_source").options == list(SOURCES)
    last = query(warehouse, "SELECT max(day) FROM mart_daily_spend")[0][0]
    start = date.fromordinal(last.toordinal() - 29)
    assert metric(app, "Spend") == ui.money(ledger_spend(warehouse, start, last))
    for chosen in (["claude_code"], ["codex_cli", "otel"], ["api_log"]):
        filtered = AppTest.from_file(APP, default_timeout=120)
        filtered.query_params["source"] = ",".join(chosen)
        filtered.run()
        assert not filtered.exception, [e.value for e in filtered.exception]
        assert filtered.sidebar.multiselect(key="filter_source").value == chosen
        assert filtered.query_params["source"] in (",".join(chosen), [",".join(chosen)])
        spend = ledger_spend(warehouse, start, last, chosen)
        assert spend > 0, chosen
        assert metric(filtered, "Spend") == ui.money(spend), chosen
        calls = query(warehouse, "SELECT count(*) FROM fct_requests f JOIN fct_costs c "
                                 "USING (call_id) WHERE c.event_day BETWEEN ? AND ? "
                                 "AND list_contains(?, f.source)", [start, last, chosen])[0][0]
        assert metric(filtered, "Calls") == f"{calls:,}"
        # the sidebar's summary names them
        named = ", ".join(c.replace("_", r"\_") for c in chosen)
        assert any(named in m.value for m in filtered.sidebar.markdown), named
        # the drivers mart, which other pages read, takes the same filter
        filtered.switch_page("views/latency.py").run()
        assert not filtered.exception, [e.value for e in filtered.exception]
        streaming = shown_table(filtered, ["provider", "model", "source", "calls", "stream_calls"])
        assert set(streaming.source) == set(chosen) and streaming.calls.sum() == calls


def test_the_source_breakdown_lists_every_source_with_its_spend(app, warehouse):
    app.run()
    app.selectbox(key="spend_dimension").set_value("Source").run()
    assert not app.exception, [e.value for e in app.exception]
    shown = shown_table(app, ["Source", "spend", "calls"])
    last = query(warehouse, "SELECT max(day) FROM mart_daily_spend")[0][0]
    start = date.fromordinal(last.toordinal() - 29)
    expected = dict(((source, (calls, spend)) for source, calls, spend in query(warehouse, """
        SELECT f.source, count(*), sum(c.total_cost) FROM fct_requests f
        JOIN fct_costs c USING (call_id) WHERE c.event_day BETWEEN ? AND ? GROUP BY ALL""",
                                                                              [start, last])))
    assert set(expected) == set(SOURCES)
    assert {r.Source: (r.calls, r.spend) for r in shown.itertuples()} == {
        source: (calls, pytest.approx(float(spend))) for source, (calls, spend) in
        expected.items()}
    assert "csv_spend_by_source" in [b.key for b in app.get("download_button")]


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


OVERVIEW = ["budget", "status", "period", "period_start", "period_end", "spent_usd",
            "amount_usd", "share", "forecast_usd", "threshold_reached", "cost_unknown_calls",
            "forecast_method", "as_of"]
URGENCY = {"over": 0, "forecast_over": 1, "warning": 2, "ok": 3}


def open_budgets(warehouse) -> list[tuple]:
    """budget_status's open periods, as the overview orders them (the most urgent first)."""
    rows = query(warehouse, f"SELECT {', '.join(OVERVIEW)} FROM budget_status WHERE is_open")
    return sorted(rows, key=lambda row: (URGENCY[row[1]], row[0]))


def test_budgets_overview_is_every_open_period_most_urgent_first(app, warehouse):
    app.run()
    app.switch_page("views/budgets.py").run()
    assert not app.exception, [e.value for e in app.exception]
    expected = open_budgets(warehouse)
    # the fixture's budgets: one over, one forecast over, one with a threshold reached
    assert [(budget, status) for budget, status, *_ in expected] == [
        ("all-calls-monthly", "over"), ("support-bot-monthly", "forecast_over"),
        ("anthropic-quarterly", "warning")]
    shown = shown_table(app, OVERVIEW)
    assert list(shown.columns) == OVERVIEW
    assert [(r.budget, r.status, r.period, r.period_start.date(), r.period_end.date(),
             r.spent_usd, r.amount_usd, r.share, r.forecast_usd, r.threshold_reached,
             r.cost_unknown_calls, r.forecast_method, r.as_of.date())
            for r in shown.itertuples()] == [
        (*row[:5], pytest.approx(float(row[5])), pytest.approx(float(row[6])),
         pytest.approx(row[7]), pytest.approx(float(row[8])), pytest.approx(float(row[9])),
         *row[10:]) for row in expected]
    # money as dollars, the share as a percent; the status as a badge per budget
    columns = json.loads(next(d for d in app.dataframe if "share" in d.value.columns
                              and "forecast_method" in d.value.columns).proto.columns)
    assert all(columns[c]["type_config"]["format"].startswith("$")
               for c in ("spent_usd", "amount_usd", "forecast_usd"))
    assert columns["share"]["type_config"]["format"] == "percent"
    badges = [m.value for m in app.markdown if "-badge[" in m.value]
    assert badges == [
        ":red-badge[:material/error: all-calls-monthly: over budget]",
        ":orange-badge[:material/trending_up: support-bot-monthly: forecast over]",
        ":yellow-badge[:material/warning: anthropic-quarterly: warning]"], badges
    assert "csv_budgets" in [b.key for b in app.get("download_button")]
    assert any("sidebar filters do not apply" in c.value for c in app.caption)


def test_the_chosen_budgets_figures_burn_and_periods_equal_sql(app, warehouse):
    app.switch_page("views/budgets.py").run()
    assert app.selectbox(key="budget_selected").value == "all-calls-monthly"  # most urgent
    for budget, status, *_ in open_budgets(warehouse):
        app.selectbox(key="budget_selected").set_value(budget).run()
        assert not app.exception, [e.value for e in app.exception]
        spent, amount, forecast, threshold, as_of, period_start, period_end = query(
            warehouse, "SELECT spent_usd, amount_usd, forecast_usd, threshold_reached, as_of, "
                       "period_start, period_end FROM budget_status "
                       "WHERE is_open AND budget = ?", [budget])[0]
        assert metric(app, "Spent") == ui.money(spent)
        assert metric(app, "Budget") == ui.money(amount)
        assert metric(app, "Forecast to period end") == ui.money(forecast)
        delta = next(m.delta for m in app.metric if m.label == "Forecast to period end")
        assert delta == (f"{'+' if forecast >= amount else '-'}"
                         f"{ui.money(abs(forecast - amount))} vs the budget")
        assert metric(app, "Status") == {"over": "Over budget", "forecast_over": "Forecast over",
                                         "warning": "Warning", "ok": "OK"}[status]
        assert next(m.delta for m in app.metric if m.label == "Status") == (
            None if threshold is None else f"{(threshold * 100).normalize():f}% threshold reached")

        # The burn: the spend cumulated by day to the period's spend on the last call day,
        # the forecast on from there to budget_status's forecast on the period's last day.
        chart = app.get("vega_lite_chart")[0]
        burn = chart_data(chart)
        days = query(warehouse, "SELECT day, spent_usd FROM budget_daily WHERE budget = ? "
                                "AND period_start = ? ORDER BY day", [budget, period_start])
        assert burn["day"].to_list() == [day for day, _ in days]
        assert burn["day"][-1] == period_end
        actual = burn.filter(pl.col("spent_to_date_usd").is_not_null())
        assert actual["day"][-1] == as_of
        running = 0
        for shown, (_, day_spent) in zip(actual["spent_to_date_usd"], days, strict=False):
            running += day_spent
            assert shown == pytest.approx(float(running))
        assert actual["spent_to_date_usd"][-1] == pytest.approx(float(spent))
        ahead = burn.filter(pl.col("forecast_to_date_usd").is_not_null())
        assert ahead["day"][0] == as_of and ahead["day"][-1] == period_end
        assert ahead["forecast_to_date_usd"][0] == pytest.approx(float(spent))
        assert ahead["forecast_to_date_usd"][-1] == pytest.approx(float(forecast))
        assert ahead["forecast_to_date_usd"].is_sorted()
        # one labelled rule per threshold, at the amount times it
        thresholds = query(warehouse, "SELECT thresholds FROM budgets WHERE budget = ?",
                           [budget])[0][0]
        layers = json.loads(chart.proto.spec)["layer"]
        rules = next(layer for layer in layers if layer["mark"]["type"] == "rule")
        assert rules["data"]["values"] == [
            {"label": f"{(t * 100).normalize():f}%", "usd": pytest.approx(float(amount * t))}
            for t in thresholds]
        assert any(layer["mark"].get("strokeDash") for layer in layers
                   if layer["mark"]["type"] == "line"), "the forecast is dashed"

        periods = shown_table(app, ["period_start", "period_end", "is_open", "status",
                                    "spent_usd"])
        history = query(warehouse, "SELECT period_start, status, spent_usd FROM budget_status "
                                   "WHERE budget = ? ORDER BY period_start DESC", [budget])
        assert [(r.period_start.date(), r.status, r.spent_usd) for r in periods.itertuples()] == [
            (start, s, pytest.approx(float(v))) for start, s, v in history]
        assert len(history) == (2 if budget == "anthropic-quarterly" else 5)


def test_the_alert_history_lists_every_alert_and_how_its_delivery_stands(app, warehouse,
                                                                         monkeypatch):
    monkeypatch.delenv("TOKENWORKS_ALERT_WEBHOOK", raising=False)
    app.switch_page("views/budgets.py").run()
    shown = shown_table(app, ["alert_id", "budget", "period_start", "kind", "threshold",
                              "triggered_at", "delivery"])
    expected = query(warehouse, """
        SELECT alert_id, kind, threshold, attempts, delivered_at IS NOT NULL, last_error
        FROM budget_alerts ORDER BY triggered_at DESC, alert_id""")
    assert [(r.alert_id, r.kind, r.threshold, r.attempts, pd.notna(r.delivered_at),
             r.last_error if pd.notna(r.last_error) else None)
            for r in shown.itertuples()] == [
        (key, kind, pytest.approx(float(threshold)), attempts, delivered, error)
        for key, kind, threshold, attempts, delivered, error in expected]
    delivery = dict(zip(shown.alert_id, shown.delivery, strict=True))
    # the fixture: all-calls-monthly's taken by the webhook, anthropic-quarterly's refused by
    # it, support-bot-monthly's raised by a run without one; thresholds crossed in one run are
    # sent as the highest
    all_calls, support = "all-calls-monthly/2026-11-01/", "support-bot-monthly/2026-11-01/"
    assert delivery == {
        **{f"{all_calls}threshold/{t}": f"superseded by {all_calls}threshold/1"
           for t in ("0.5", "0.8")},
        f"{all_calls}threshold/1": "delivered",
        "anthropic-quarterly/2026-10-01/threshold/0.5": "failed (retried next run)",
        f"{support}threshold/0.5": f"superseded by {support}threshold/0.8",
        **{f"{support}{kind}": "not sent" for kind in ("threshold/0.8", "forecast/1")}}
    assert set(shown.last_error.dropna()) == {"HTTP 500: receiver down"}
    assert list(shown.alert_id[:3]) == sorted(
        f"support-bot-monthly/2026-11-01/{kind}"
        for kind in ("threshold/0.5", "threshold/0.8", "forecast/1")), "newest first"
    assert all(m.startswith((":warning:", ":chart_with_upwards_trend:")) for m in shown.message)
    assert any("TOKENWORKS_ALERT_WEBHOOK is not set" in c.value for c in app.caption)

    # Set, it is said to be, and its URL (a secret) is never shown.
    secret = "https://hooks.slack.com/services/T000/B000/very-secret-token"
    monkeypatch.setenv("TOKENWORKS_ALERT_WEBHOOK", secret)
    app.run()
    assert any("TOKENWORKS_ALERT_WEBHOOK is set" in c.value for c in app.caption)
    shown_text = [e.value for kind in ("caption", "markdown", "info", "metric")
                  for e in app.get(kind) if isinstance(e.value, str)]
    assert not any("very-secret-token" in text or "hooks.slack.com" in text
                   for text in shown_text)


def test_the_budgets_page_says_how_to_add_a_budget_when_there_is_none(tmp_path, monkeypatch):
    empty = tmp_path / "budgets.yaml"
    empty.write_text("budgets: []\n")
    generate(tmp_path / "landing", requests=100, days=3, seed=5, end_date=date(2026, 11, 27))
    run_ingest(tmp_path / "landing", tmp_path / "wh.ducklake", workers=1, budgets=empty)
    monkeypatch.setenv("TOKENWORKS_WAREHOUSE", str(tmp_path / "wh.ducklake"))
    monkeypatch.setenv("TOKENWORKS_LANDING", str(tmp_path / "landing"))
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    for name, value in STREAMLIT_OPTIONS.items():
        streamlit_config.set_option(name, value)
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("views/budgets.py").run()
    assert not at.exception, [e.value for e in at.exception]
    (info,) = [i.value for i in at.info]
    assert "budgets/budgets.yaml" in info and "TOKENWORKS_BUDGETS" in info
    assert "docs/budgets.md" in info
    assert not at.dataframe and not at.get("vega_lite_chart") and not at.metric


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


@pytest.mark.parametrize("source", ["codex_cli", "otel", "claude_code"])
def test_inspector_reads_an_agents_or_a_spans_call_as_the_pipeline_did(app, warehouse, source):
    """A transcript's or a span export's call is read on from its file's start, as the reader
    read it: a Codex turn takes its model from the turn_context lines before it, a span its own
    usage among the record's several; its source and session are shown."""
    dedup_key, model, total, session, sidechain = query(warehouse, """
        SELECT f.dedup_key, f.model, c.total_cost, f.session_id, f.is_sidechain
        FROM fct_requests f JOIN fct_costs c USING (call_id)
        JOIN stg_calls s ON s.call_id = f.call_id AND s.is_canonical
        WHERE f.source = ? AND c.total_cost > 0
        -- a later span of its record; a sub-agent's call; a Codex turn whose model only the
        -- session's turn_context names (gpt-5 is also the reader's fallback)
        ORDER BY s.source_item DESC, f.is_sidechain DESC, f.model = 'gpt-5', f.source_line DESC,
                 f.dedup_key
        LIMIT 1""", [source])[0]
    app.switch_page("views/inspector.py").run()
    app.radio(key="inspect_source").set_value("A logged call").run()
    app.text_input(key="inspect_request_id").set_value(dedup_key).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.warning and not app.error, ([w.value for w in app.warning],
                                               [e.value for e in app.error])
    assert metric(app, "Total") == ui.money(total)
    ledger_row = next(json.loads(c.value) for c in app.code if '"dedup_key"' in c.value)
    assert (ledger_row["dedup_key"], ledger_row["model"], ledger_row["source"]) == (
        dedup_key, model, source)
    logged_by = next(c.value for c in app.caption if c.value.startswith("Logged by"))
    assert f"source `{source}`" in logged_by and f"session `{session}`" in logged_by
    assert ("a sub-agent's call" in logged_by) == sidechain
    if source == "claude_code":
        assert sidechain, "the fixture's sessions have sub-agents"


def test_data_quality_counts_the_records_without_a_call_and_what_each_source_logged(
        app, warehouse):
    app.run()
    app.switch_page("views/data_quality.py").run()
    without = query(warehouse, "SELECT sum(without_calls) FROM landing_files")[0][0]
    assert without > 0  # the transcripts' other lines
    assert metric(app, "Records without a call") == f"{without:,}"
    assert any("+ records without a call" in s.value for s in app.success)
    app.session_state["quality_tab"] = "By source"
    app.run()
    shown = shown_table(app, ["source", "calls", "spend"])
    expected = query(warehouse, """
        SELECT f.source, count(*), sum(c.total_cost), max(c.event_day) FROM fct_requests f
        JOIN fct_costs c USING (call_id) GROUP BY ALL ORDER BY 2 DESC, 1""")
    assert {r[0] for r in expected} == set(SOURCES)
    assert [(r.source, r.calls, r.spend, r.last_day.date()) for r in shown.itertuples()] == [
        (source, calls, pytest.approx(float(spend)), last) for source, calls, spend, last
        in expected]


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
        "views/scenarios.py": 2, "views/hardware.py": 3, "views/reconciliation.py": 1,
        "views/budgets.py": 1}

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
        "project": ["a", "b", "c", "d"], "source": ["claude_code"]})
    assert summary.split("  \n") == ["**01 Nov 2026 to 30 Nov 2026**", "openai",
                                     r"my\_model\*v2, gpt\-4\.1", "4 projects",
                                     r"claude\_code"]
    unfiltered = filters._summary(date(2026, 11, 1), date(2026, 11, 1), {
        "provider": [], "model": [], "project": [], "source": []})
    assert "All providers" in unfiltered and "All sources" in unfiltered


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
