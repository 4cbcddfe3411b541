"""Every query the dashboards run, over the warehouse, read-only.

The lake is attached once per server process, read-only: each query sees the last committed
run, and an ingest in progress is never waited for. Results are cached with a TTL and keyed by
the lake's latest snapshot, so a newly committed run is read on the next page load. Money stays
DECIMAL here; pages format it.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import polars as pl
import streamlit as st

from pipelines import config
from pipelines.scenarios import forecast
from pipelines.scenarios import projection as scenarios
from pipelines.warehouse.lake import Lake
from pipelines.warehouse.sql import scalar
from pipelines.warehouse.store import WarehouseMissing, connect_reader

TTL_SECONDS = 300


def lake() -> Lake:
    return Lake.of(config.resolve())


@st.cache_resource(max_entries=1, show_spinner=False)
def _database(location: Lake) -> duckdb.DuckDBPyConnection:
    """One read-only connection for the server: a query takes a cursor of it. It reads each
    new commit on its next query (DuckLake: no reopening)."""
    return connect_reader(location)


def _snapshot(location: Lake) -> int:
    cursor = _database(location).cursor()
    try:
        return scalar(cursor, "FROM lake.current_snapshot()")
    finally:
        cursor.close()


def _execute(sql: str, params: dict | None, location: Lake) -> pl.DataFrame:
    cursor = _database(location).cursor()
    try:
        cursor.execute("USE lake")
        return cursor.execute(sql, params or None).pl()
    finally:
        cursor.close()


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=500)
def _run(sql: str, params: dict | None, snapshot: int, location: Lake) -> pl.DataFrame:
    """`snapshot` only keys the cache: a new commit is read on the next load."""
    return _execute(sql, params, location)


def run(sql: str, params: dict | None = None) -> pl.DataFrame:
    location = lake()
    return _run(sql, params, _snapshot(location), location)


def run_uncached(sql: str, params: dict | None = None) -> pl.DataFrame:
    return _execute(sql, params, lake())


def has_warehouse() -> bool:
    try:
        _database(lake())
    except WarehouseMissing:
        return False
    return True


FILTER_COLUMNS = ("provider", "model", "project", "source")


def filter_options() -> dict:
    if not has_warehouse():
        return {"first_day": None, "last_day": None, **{c: [] for c in FILTER_COLUMNS}}
    # the drivers mart has every day, provider, model, project and source of the spend mart,
    # in an eighth of the rows
    row = run("""
        SELECT min(day) AS first_day, max(day) AS last_day,
               list(DISTINCT provider ORDER BY provider) FILTER (provider IS NOT NULL)
                   AS provider,
               list(DISTINCT model ORDER BY model) FILTER (model IS NOT NULL) AS model,
               list(DISTINCT project ORDER BY project) FILTER (project IS NOT NULL) AS project,
               list(DISTINCT source ORDER BY source) FILTER (source IS NOT NULL) AS source
        FROM mart_daily_drivers""").row(0, named=True)
    return {**row, **{column: row[column] or [] for column in FILTER_COLUMNS}}


# --- Spend overview ------------------------------------------------------------------------

BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "web_search")


def spend_totals(filters) -> dict:
    where, params = filters.where()
    row = run(f"""
        SELECT coalesce(sum(total_cost), 0) AS spend, coalesce(sum(calls), 0) AS calls,
               coalesce(sum(prompt_tokens(input_tokens, cache_read_tokens, cache_write_tokens,
                                          cache_write_1h_tokens)
                            + output_tokens), 0) AS tokens,
               coalesce(sum(unpriced_calls), 0) AS unpriced_calls,
               coalesce(sum(usage_unknown_calls), 0) AS usage_unknown_calls,
               coalesce(sum(estimated_cost), 0) AS at_risk
        FROM mart_daily_spend WHERE {where}""", params)
    return row.row(0, named=True)


def spend_trend(filters, grain: str) -> pl.DataFrame:
    where, params = filters.where()
    unit = {"Day": "day", "Week": "week", "Month": "month"}[grain]
    return run(f"""
        SELECT date_trunc('{unit}', day)::DATE AS period, provider,
               sum(total_cost) AS spend, sum(calls) AS calls
        FROM mart_daily_spend WHERE {where}
        GROUP BY ALL ORDER BY period, provider""", params)


DIMENSIONS = {"Provider": "provider", "Model": "model", "Project": "project",
              "User": "user_id", "API key": "api_key_id", "Status": "status",
              "Source": "source"}


def spend_breakdown(filters, dimension: str) -> pl.DataFrame:
    where, params = filters.where()
    column = DIMENSIONS[dimension]
    return run(f"""
        SELECT coalesce({column}, '(none)') AS "{dimension}", sum(total_cost) AS spend,
               sum(calls) AS calls,
               sum(prompt_tokens(input_tokens, cache_read_tokens, cache_write_tokens,
                                 cache_write_1h_tokens)
                   + output_tokens) AS tokens,
               sum(total_cost) / nullif(sum(calls), 0) * 1000 AS cost_per_1000_calls
        FROM mart_daily_spend WHERE {where}
        GROUP BY ALL ORDER BY spend DESC""", params)


def bucket_mix(filters) -> pl.DataFrame:
    where, params = filters.where()
    return run(f"""
        SELECT bucket, tokens, cost FROM (
            SELECT sum(input_tokens) AS input_t, sum(cache_read_tokens) AS cache_read_t,
                   sum(cache_write_tokens) AS cache_write_t,
                   sum(cache_write_1h_tokens) AS cache_write_1h_t,
                   sum(output_tokens) AS output_t, sum(web_search_requests) AS web_search_t,
                   sum(input_cost) AS input_c, sum(cache_read_cost) AS cache_read_c,
                   sum(cache_write_cost) AS cache_write_c,
                   sum(cache_write_1h_cost) AS cache_write_1h_c, sum(output_cost) AS output_c,
                   sum(web_search_cost) AS web_search_c
            FROM mart_daily_spend WHERE {where})
        CROSS JOIN LATERAL (VALUES
            ('input', input_t, input_c), ('cached input', cache_read_t, cache_read_c),
            ('cache writes 5m', cache_write_t, cache_write_c),
            ('cache writes 1h', cache_write_1h_t, cache_write_1h_c),
            ('output', output_t, output_c), ('web searches', web_search_t, web_search_c)
        ) t(bucket, tokens, cost)""", params)


# --- Cost drivers ---------------------------------------------------------------------------

def drivers(filters) -> dict:
    where, params = filters.where()
    return run(f"""
        SELECT coalesce(sum(calls), 0) AS calls, coalesce(sum(total_cost), 0) AS spend,
               coalesce(sum(runaway_calls), 0) AS runaway_calls,
               coalesce(sum(runaway_cost), 0) AS runaway_cost,
               coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
               coalesce(sum(input_tokens), 0) AS input_tokens,
               coalesce(sum(repeat_calls), 0) AS repeat_calls,
               coalesce(sum(repeat_cost), 0) AS repeat_cost,
               coalesce(sum(batch_calls), 0) AS batch_calls,
               coalesce(sum(batch_cost), 0) AS batch_cost,
               coalesce(sum(batch_list_discount), 0) AS batch_saved,
               coalesce(sum(output_tokens), 0) AS output_tokens,
               coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens,
               coalesce(sum(calls) - sum(priced_calls) - sum(usage_unknown_calls), 0)
                   AS unpriced_calls
        FROM mart_daily_drivers WHERE {where}""", params).row(0, named=True)


def caching_by_model(filters) -> pl.DataFrame:
    """What caching saved, by source and model: cache-read tokens at the day's average input
    rate of the model (from that source's calls), less what they cost."""
    where, params = filters.where()
    return run(f"""
        WITH daily AS (
            SELECT provider, model, source, day, sum(cache_read_tokens) AS cache_read_tokens,
                   sum(input_tokens) AS input_tokens, sum(input_cost) AS input_cost,
                   sum(cache_read_cost) AS cache_read_cost
            FROM mart_daily_drivers WHERE {where} GROUP BY ALL
        )
        SELECT provider, model, source,
               sum(cache_read_tokens) AS cache_read_tokens,
               sum(cache_read_tokens) / nullif(sum(cache_read_tokens + input_tokens), 0)
                   AS cache_hit_rate,
               sum(CASE WHEN input_tokens > 0 THEN (cache_read_tokens * input_cost
                        / input_tokens - cache_read_cost)::DECIMAL(18, 6) ELSE 0 END)
                   AS caching_saved
        FROM daily GROUP BY ALL ORDER BY caching_saved DESC""", params)


def top_spenders(filters, column: str, limit: int = 20) -> pl.DataFrame:
    where, params = filters.where()
    assert column in ("user_id", "api_key_id", "project")
    return run(f"""
        SELECT coalesce({column}, '(none)') AS {column}, sum(total_cost) AS spend,
               sum(calls) AS calls
        FROM mart_daily_spend WHERE {where}
        GROUP BY ALL ORDER BY spend DESC LIMIT {int(limit)}""", params)


def runaway_by_model(filters) -> pl.DataFrame:
    where, params = filters.where()
    return run(f"""
        SELECT provider, model, source, sum(runaway_calls) AS runaway_calls,
               sum(runaway_cost) AS runaway_cost,
               sum(runaway_calls) / nullif(sum(calls), 0) AS runaway_share
        FROM mart_daily_drivers WHERE {where}
        GROUP BY ALL HAVING sum(runaway_calls) > 0 ORDER BY runaway_cost DESC""", params)


def unpriced(filters) -> pl.DataFrame:
    where, params = filters.where()
    return run(f"""
        SELECT provider, model, source, sum(unpriced_calls) AS unpriced_calls,
               sum(prompt_tokens(input_tokens, cache_read_tokens, cache_write_tokens,
                                 cache_write_1h_tokens))
                   AS prompt_tokens, sum(output_tokens) AS output_tokens
        FROM mart_daily_spend WHERE {where} AND unpriced_calls > 0 AND status = 'ok'
        GROUP BY ALL ORDER BY unpriced_calls DESC""", params)


def _distribution_where(filters) -> tuple[str, dict]:
    """Distributions have no project grain: the project filter does not apply."""
    return replace(filters, projects=()).where()


def histogram(filters, metric: str) -> pl.DataFrame:
    where, params = _distribution_where(filters)
    return run(f"""
        SELECT pow(2, bin / 4) AS from_value, pow(2, (bin + 1) / 4) AS to_value,
               sum(calls) AS calls
        FROM mart_daily_distribution WHERE {where} AND metric = $metric
        GROUP BY bin ORDER BY bin""", {**params, "metric": metric})


def percentiles(filters, metric: str, grain: str | None = None,
                by_model: bool = False) -> pl.DataFrame:
    """p50, p90 and p99 of a metric from the histograms (each to half a bin, about 9%): per
    period when a grain is given, per provider, model and source when asked."""
    where, params = _distribution_where(filters)
    groups = []
    if grain:
        unit = {"Day": "day", "Week": "week", "Month": "month"}[grain]
        groups.append(f"date_trunc('{unit}', day)::DATE AS period")
    if by_model:
        groups += ["provider", "model", "source"]
    keys = ", ".join(g.split(" AS ")[-1] for g in groups) or "'all'"
    select_groups = ", ".join(groups) or "'all' AS scope"
    return run(f"""
        WITH bins AS (
            SELECT {select_groups}, bin, sum(calls) AS calls
            FROM mart_daily_distribution WHERE {where} AND metric = $metric
            GROUP BY ALL
        ),
        cumulative AS (
            SELECT *, sum(calls) OVER (PARTITION BY {keys} ORDER BY bin) AS running,
                   sum(calls) OVER (PARTITION BY {keys}) AS total
            FROM bins
        )
        SELECT {keys if groups else "scope"}, any_value(total) AS calls,
               pow(2, (min(bin) FILTER (WHERE running >= 0.5 * total) + 0.5) / 4) AS p50,
               pow(2, (min(bin) FILTER (WHERE running >= 0.9 * total) + 0.5) / 4) AS p90,
               pow(2, (min(bin) FILTER (WHERE running >= 0.99 * total) + 0.5) / 4) AS p99
        FROM cumulative GROUP BY ALL ORDER BY ALL""", {**params, "metric": metric})


# --- Latency and throughput ------------------------------------------------------------------

def streaming_share(filters) -> pl.DataFrame:
    where, params = filters.where()
    return run(f"""
        SELECT provider, model, source, sum(calls) AS calls, sum(stream_calls) AS stream_calls,
               sum(stream_calls) / nullif(sum(calls), 0) AS streaming_share,
               sum(latency_ms_sum) / nullif(sum(latency_calls), 0) AS mean_latency_ms
        FROM mart_daily_drivers WHERE {where}
        GROUP BY ALL ORDER BY calls DESC""", params)


# --- Scenarios -------------------------------------------------------------------------------

def scenario_file_values() -> list[dict]:
    return run("SELECT scenario_id, title, doc, parameter, value, is_default, parameter_doc, "
               "min_value, max_value FROM scenario_parameters ORDER BY scenario_id, parameter"
               ).to_dicts()


def projection(values: dict) -> pl.DataFrame:
    """project_scenario with the controls' values, per month."""
    arguments, params = scenarios.macro_arguments(values)
    return run(f"""
        SELECT month, sum(baseline_cost) AS baseline, sum(projected_cost) AS scenario,
               sum(savings) AS savings, any_value(pass_through_date) AS pass_through_date
        FROM project_scenario({arguments}) GROUP BY month ORDER BY month""", params)


def projection_breakdown(values: dict, column: str) -> pl.DataFrame:
    assert column in ("provider", "model_family", "project")
    arguments, params = scenarios.macro_arguments(values)
    return run(f"""
        SELECT {column}, sum(baseline_cost) AS baseline, sum(projected_cost) AS scenario,
               sum(savings) AS savings,
               sum(savings) / nullif(sum(baseline_cost), 0) AS saving_share
        FROM project_scenario({arguments}) GROUP BY ALL ORDER BY savings DESC""", params)


def trend_fits(trend_by: str) -> pl.DataFrame:
    return run("SELECT trend_group, method, months, monthly_growth, r_squared, fit, "
               "backtest_forecasts, backtest_smape FROM scenario_trend "
               "WHERE trend_by = $trend_by ORDER BY trend_group, method", {"trend_by": trend_by})


def forecast_methods(trend_by: str) -> pl.DataFrame:
    """Each trend method's backtest score (forecast_methods), best first."""
    return run("""
        SELECT method, is_best AS best, smape AS total_smape, forecasts,
               group_smape, group_forecasts
        FROM forecast_methods WHERE trend_by = $trend_by
        ORDER BY smape NULLS LAST, method""", {"trend_by": trend_by})


def backtest_against_actual(trend_by: str, horizon: int) -> pl.DataFrame:
    """Per month, the total usage that happened and each method's total forecast made
    `horizon` months before (tokens per day)."""
    # Every method forecasts the same groups' months, so any method's actuals are the total's.
    methods = ", ".join(f"sum(forecast) FILTER (WHERE method = '{method}') AS {method}"
                        for method in forecast.METHODS)
    return run(f"""
        SELECT month, sum(actual) FILTER (WHERE method = 'flat') AS actual, {methods}
        FROM forecast_backtest WHERE trend_by = $trend_by AND horizon = $horizon
        GROUP BY month ORDER BY month""", {"trend_by": trend_by, "horizon": horizon})


def sensitivity() -> pl.DataFrame:
    return run("SELECT * FROM scenario_sensitivity ORDER BY ALL")


# --- Hardware --------------------------------------------------------------------------------

def hardware_generations() -> pl.DataFrame:
    return run("SELECT * FROM dim_hardware_generation ORDER BY vendor, sequence")


def hardware_sources() -> pl.DataFrame:
    return run("SELECT * FROM hardware_sources ORDER BY source_key")


# --- Prices ----------------------------------------------------------------------------------

def prices_on(day) -> pl.DataFrame:
    """The standard price of every price-book model on a day (base tier), per million
    tokens."""
    return run("""
        SELECT price_provider AS provider, price_model AS model,
               input_rate * 1000000 AS input_per_mtok,
               cache_read_rate * 1000000 AS cache_read_per_mtok,
               cache_write_rate * 1000000 AS cache_write_per_mtok,
               output_rate * 1000000 AS output_per_mtok,
               highest_tier_start AS highest_tier_from_tokens, in_force_since
        FROM prices_in_force($day::DATE) ORDER BY provider, model""", {"day": day})


def overrides() -> pl.DataFrame:
    return run("SELECT * FROM price_discounts ORDER BY ordinal")


def override_prices() -> pl.DataFrame:
    return run("SELECT price_model, price_key, unit_price, start_date FROM dim_price "
               "WHERE price_provider = 'override' ORDER BY ALL")


def unpriced_models() -> pl.DataFrame:
    """The unpriced_models view, by day rather than timestamp, from the daily mart instead of
    the ledger: a model string is priced or not as a whole, so every call of a mart row with
    unpriced calls is unpriced."""
    return run("""
        SELECT provider, model, sum(calls) AS calls, sum(input_tokens) AS input_tokens,
               sum(cache_read_tokens) AS cache_read_tokens,
               sum(cache_write_tokens + cache_write_1h_tokens) AS cache_write_tokens,
               sum(output_tokens) AS output_tokens, min(day) AS first_day,
               max(day) AS last_day
        FROM mart_daily_spend
        WHERE unpriced_calls > 0 AND status = 'ok'
        GROUP BY ALL ORDER BY calls DESC, provider, model""")


def pricebook_version() -> str:
    return run("SELECT max(pricebook_version) AS v FROM dim_price")["v"][0] or ""


# --- Data quality ----------------------------------------------------------------------------

def ingestion_runs(limit: int = 500) -> pl.DataFrame:
    """The committed ingest runs, newest first, each with the lake snapshot it committed (NULL
    once maintenance expired it): `tokenworks sql --as-of RUN_ID` reads the warehouse as that
    run left it. Newest is the latest commit; runs whose snapshot expired, older than any kept
    one, come last."""
    return run(f"""
        SELECT run_id, finished_at, snapshot_id, snapshot_time, files_new, files_appended,
               files_rewritten, calls_loaded, duplicates, quarantined, seconds
        FROM analytics.ingestion_runs
        ORDER BY snapshot_id DESC NULLS LAST, finished_at DESC, run_id
        LIMIT {int(limit)}""")


def quarantine(limit: int = 1000) -> pl.DataFrame:
    return run(f"SELECT * FROM analytics.quarantine ORDER BY source_file, source_line "
               f"LIMIT {int(limit)}")


def quarantine_reasons() -> pl.DataFrame:
    return run("SELECT reason, count(*) AS records FROM analytics.quarantine GROUP BY ALL "
               "ORDER BY records DESC")


def unknown_usage() -> pl.DataFrame:
    """Calls without usage in their logs, by provider and model, with the fix (a lazy tab: the
    view reads the ledger)."""
    return run("SELECT provider, model, api, is_stream, calls, cut_by_error, estimated_cost, "
               "first_seen, last_seen, fix FROM unknown_usage")


def spend_at_risk() -> dict:
    return run("""
        SELECT coalesce(sum(usage_unknown_calls), 0) AS calls,
               coalesce(sum(estimated_cost), 0) AS at_risk,
               coalesce(sum(total_cost), 0) AS spend
        FROM mart_daily_spend""").row(0, named=True)


def freshness() -> dict:
    return run("SELECT * FROM quality_summary").row(0, named=True)


def by_source() -> pl.DataFrame:
    """What each source logged (an API log, a coding agent's transcripts, OpenTelemetry
    spans): its calls, their spend, the calls of unknown cost and the days it covers, from
    the daily mart."""
    return run("""
        SELECT source, sum(calls) AS calls, sum(total_cost) AS spend,
               sum(unpriced_calls) AS unpriced_calls,
               sum(usage_unknown_calls) AS usage_unknown_calls,
               sum(calls) FILTER (status = 'error') AS error_calls,
               min(day) AS first_day, max(day) AS last_day
        FROM mart_daily_spend GROUP BY ALL ORDER BY calls DESC, source""")


def duplicates(limit: int = 200) -> pl.DataFrame:
    """Calls logged more than once, the most often logged first."""
    return run("SELECT * FROM quality_duplicates($top)", {"top": int(limit)})


def reconciliation() -> pl.DataFrame:
    """Per landing file: records read = calls staged + records quarantined + records without
    a call."""
    return run("SELECT * FROM quality_files ORDER BY reconciles, path")


# --- Reconciliation --------------------------------------------------------------------------

def landing_billing_folder() -> str:
    from pipelines.landing.files import BILLING_FOLDER

    return str(config.resolve().landing / BILLING_FOLDER)


def billing_providers() -> list[str]:
    """The providers with a cost report loaded: the ones reconciliation_daily judges."""
    return run("SELECT DISTINCT provider FROM billing_report_days WHERE report = 'costs' "
               "ORDER BY provider")["provider"].to_list()


def reconciliation_days(filters, provider: str) -> pl.DataFrame:
    """reconciliation_daily for a provider over the filters' days (newest first). Its status
    is judged against the clock, so the cache's TTL bounds how stale an `open` day can be."""
    return run("""
        SELECT day, status, ledger_cost, billed_cost, difference, tolerance, ledger_calls,
               unknown_cost_calls, billed_lines, billing_file
        FROM reconciliation_daily
        WHERE provider = $provider AND day BETWEEN $start AND $end
        ORDER BY day DESC""", {"provider": provider, "start": filters.start,
                                "end": filters.end})


RECONCILIATION_DETAIL = {"model": "reconciliation_by_model",
                         "line item": "reconciliation_by_line_item",
                         "project": "reconciliation_by_project",
                         "tokens": "reconciliation_tokens_daily"}


def reconciliation_detail(provider: str, day, by: str) -> pl.DataFrame:
    """One day of one provider, by model, line item or project, or its tokens against the
    usage report."""
    view = RECONCILIATION_DETAIL[by]
    return run(f"SELECT * EXCLUDE (day, provider) FROM {view} "
               "WHERE provider = $provider AND day = $day ORDER BY ALL",
               {"provider": provider, "day": day})


# --- Budgets ---------------------------------------------------------------------------------

# Most urgent first: the amount spent, forecast to be, a threshold reached, none of these.
BUDGET_STATUS_ORDER = ("over", "forecast_over", "warning", "ok")


def budget_names() -> list[str]:
    """The budgets of the budgets file, as the last run evaluated them."""
    return run("SELECT budget FROM budgets ORDER BY budget")["budget"].to_list()


def budget_overview() -> pl.DataFrame:
    """Every budget's open period (budget_status), the most urgent status first."""
    return run("""
        SELECT budget, status, period, period_start, period_end, spent_usd, amount_usd, share,
               forecast_usd, threshold_reached, cost_unknown_calls, forecast_method, as_of
        FROM budget_status WHERE is_open
        ORDER BY list_position($order, status), budget""",
               {"order": list(BUDGET_STATUS_ORDER)})


def budget_definition(budget: str) -> dict:
    """A budget as the file sets it (budgets): scope, amount and thresholds."""
    return run("SELECT * FROM budgets WHERE budget = $budget",
               {"budget": budget}).row(0, named=True)


def budget_burn(budget: str) -> pl.DataFrame:
    """A budget's open period by day: the spend cumulated to the last call day, and from that
    day on the forecast cumulated on to the period's end (both DECIMAL, summed in order)."""
    return run("""
        WITH open_period AS (
            SELECT budget, period_start, as_of FROM budget_status
            WHERE budget = $budget AND is_open
        )
        SELECT d.day,
               CASE WHEN d.spent_usd IS NOT NULL THEN sum(d.spent_usd) OVER to_date END
                   AS spent_to_date_usd,
               CASE WHEN d.day >= o.as_of THEN sum(coalesce(d.spent_usd, 0)
                                                   + coalesce(d.forecast_usd, 0)) OVER to_date
               END AS forecast_to_date_usd
        FROM budget_daily d JOIN open_period o USING (budget, period_start)
        WINDOW to_date AS (ORDER BY d.day)
        ORDER BY d.day""", {"budget": budget})


def budget_periods(budget: str) -> pl.DataFrame:
    """Each period of a budget, newest first: what was spent against the amount."""
    return run("""
        SELECT period_start, period_end, is_open, status, spent_usd, amount_usd, share,
               forecast_usd, threshold_reached, cost_unknown_calls
        FROM budget_status WHERE budget = $budget ORDER BY period_start DESC""",
               {"budget": budget})


def budget_alert_history() -> pl.DataFrame:
    """Every budget alert ever raised (budget_alerts), newest first, with how its delivery
    stands: a failed one is sent again by the next run (with the webhook set)."""
    return run("""
        SELECT alert_id, budget, period_start, kind, threshold, triggered_at,
               CASE WHEN delivered_at IS NOT NULL THEN 'delivered'
                    WHEN superseded_by IS NOT NULL THEN 'superseded by ' || superseded_by
                    WHEN attempts > 0 THEN 'failed (retried next run)'
                    ELSE 'not sent' END AS delivery,
               spent_usd, amount_usd, forecast_usd, attempts, delivered_at, last_error,
               json_extract_string(payload, '$.text') AS message
        FROM budget_alerts ORDER BY triggered_at DESC, alert_id""")


def alert_webhook_set() -> bool:
    """Whether TOKENWORKS_ALERT_WEBHOOK is set for this server: never its URL, a secret."""
    return bool(config.alert_webhook())


# --- Inspector -------------------------------------------------------------------------------

def call_by_id(request_id: str) -> dict | None:
    rows = run_uncached("SELECT * FROM fct_requests JOIN fct_costs USING (call_id) "
                        "WHERE request_id = $id OR dedup_key = $id LIMIT 1", {"id": request_id})
    return rows.row(0, named=True) if len(rows) else None


def quarantined_record(source_file: str, source_line: int) -> dict | None:
    rows = run_uncached("SELECT * FROM analytics.quarantine "
                        "WHERE source_file = $f AND source_line = $l",
                        {"f": source_file, "l": source_line})
    return rows.row(0, named=True) if len(rows) else None
