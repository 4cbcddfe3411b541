"""budgets file + spend mart -> budgets, budget_daily (and through the view, budget_status).

The spend is exact (sums of mart_daily_spend.total_cost); the forecast of the open period's
remaining days is an estimate made the way the baseline projects (docs/scenarios.md): the
scope's spend per day over the 30 days before the last call day, times the trend method's
factor for each month after the last call's month, within the baseline's growth bounds; the
last call day itself may not be over, so what that rate leaves of it counts too. The method is
fitted on the scope's own spend per day of each month of history.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import duckdb

from pipelines.budgets.file import SCOPE_KEYS, BudgetFile
from pipelines.scenarios import forecast
from pipelines.scenarios.trends import monthly_series
from pipelines.warehouse.sql import insert_rows, read_sql, run_sql

BASE_DAYS = 30  # the run rate's days, as the projections' base window
SIX_PLACES = Decimal("0.000001")


def resolved_method(conn: duckdb.DuckDBPyConnection, asked: str, trend_by: str) -> str:
    """The baseline's trend method: the one named, or for auto the one that backtests best."""
    if asked != "auto":
        return asked
    best = conn.execute("SELECT method FROM forecast_methods WHERE trend_by = ? AND is_best",
                        [trend_by]).fetchone()
    return best[0] if best else forecast.FALLBACK_METHOD


def build(conn: duckdb.DuckDBPyConnection, budget_file: BudgetFile, method: str,
          low_growth: float, high_growth: float) -> int:
    """Rebuild budgets and budget_daily; returns the number of budgets."""
    conn.execute("DELETE FROM budgets")
    # by name: a warehouse made before a scope key was added has that column last
    insert_rows(conn, "budgets", [
        (b.name, b.period, str(b.amount_usd), *(b.scope.get(key) for key in SCOPE_KEYS),
         [str(t) for t in b.thresholds], method) for b in budget_file.budgets],
        ["budget", "period", "amount_usd", *(f"scope_{key}" for key in SCOPE_KEYS),
         "thresholds", "forecast_method"])
    run_sql(conn, read_sql("budgets/budget_daily.sql"))
    forecasts = _forecasts(conn, method, low_growth, high_growth)
    if forecasts:
        conn.execute("""
            UPDATE budget_daily SET forecast_usd = f.forecast_usd
            FROM (SELECT unnest($budgets) AS budget, unnest($days) AS day,
                         unnest($amounts)::DECIMAL(24, 6) AS forecast_usd) f
            WHERE budget_daily.budget = f.budget AND budget_daily.day = f.day""",
                     {"budgets": [f[0] for f in forecasts], "days": [f[1] for f in forecasts],
                      "amounts": [str(f[2]) for f in forecasts]})
    return len(budget_file.budgets)


def _forecasts(conn: duckdb.DuckDBPyConnection, method: str, low_growth: float,
               high_growth: float) -> list[tuple[str, date, Decimal]]:
    """(budget, day, forecast) for each budget's open period: its last call day (what the run
    rate leaves of it beyond its spend so far: it may not be over) and every day after it. Two
    queries for all the budgets: in the run's transaction each statement costs ~20 ms."""
    months: dict[str, list[tuple[date, float, bool]]] = defaultdict(list)
    for budget, month, per_day, whole in conn.execute("""
            SELECT budget, date_trunc('month', day)::DATE AS month,
                   sum(spent_usd)::DOUBLE / count(*), count(*) = day(last_day(any_value(day)))
            FROM budget_daily WHERE spent_usd IS NOT NULL
            GROUP BY budget, month ORDER BY budget, month""").fetchall():
        months[budget].append((month, per_day, whole))
    days = conn.execute(read_sql("budgets/budget_forecast_days.sql"),
                        {"days": BASE_DAYS}).fetchall()
    trends = {budget: (rows[-1][0], forecast.fit(method, monthly_series(rows, rows[-1][0])[1]))
              for budget, rows in months.items()}
    out = []
    for budget, day, spent, rate in days:
        last_month, trend = trends[budget]
        h = (day.year - last_month.year) * 12 + day.month - last_month.month
        expected = rate * forecast.clamped(trend.factor(h), h, low_growth, high_growth)
        if spent is not None:  # the last call day: what is left of it
            expected = max(0.0, expected - float(spent))
        out.append((budget, day, Decimal(expected).quantize(SIX_PLACES)))
    return out
