"""scenario_trend_history -> scenario_trend, forecast_backtest, forecast_methods.

Every trend method of forecast.py fitted per trend group on the warehouse's own history, and
backtested there; the projection (macro project_scenario) and the budgets' forecasts then use the
method that scored best, unless the scenarios file pins one (parameter trend_method).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import duckdb
import polars as pl

from pipelines.scenarios import forecast
from pipelines.warehouse.sql import append_frame


def monthly_series(rows: list[tuple[date, float, bool]], last_month: date
                   ) -> tuple[list[date], list[float], list[bool]]:
    """(month, value, is_whole) rows of one group -> its months from its first to last_month,
    a month without usage as 0 (and whole, since the history covered it)."""
    by_month = {month: (value, whole) for month, value, whole in rows}
    months, values, wholes = [], [], []
    month = min(by_month)
    while month <= last_month:
        value, whole = by_month.get(month, (0.0, True))
        months.append(month)
        values.append(value)
        wholes.append(whole)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months, values, wholes


def build_trends(conn: duckdb.DuckDBPyConnection, low_growth: float, high_growth: float) -> dict:
    """Fit and backtest every method on scenario_trend_history; the backtest keeps forecasts
    within the baseline's growth bounds, as the projection does. Returns counts."""
    history: dict[tuple[str, str], list[tuple[date, float, bool]]] = defaultdict(list)
    for trend_by, group, month, value, whole in conn.execute(
            "SELECT trend_by, trend_group, month, tokens_per_day, is_whole "
            "FROM scenario_trend_history ORDER BY ALL").fetchall():
        history[(trend_by, group)].append((month, value, whole))
    last_month = max((month for rows in history.values() for month, _, _ in rows), default=None)
    trend_rows: list[dict] = []
    backtest_rows: list[dict] = []
    points_by_group: dict[tuple[str, str], tuple[list[date], list[forecast.BacktestPoint]]] = {}
    for (trend_by, group), rows in history.items():
        assert last_month is not None
        months, values, wholes = monthly_series(rows, last_month)
        points = forecast.backtest(values, wholes, low_growth, high_growth)
        points_by_group[(trend_by, group)] = (months, points)
        backtest_rows.extend(
            {"trend_by": trend_by, "trend_group": group, "method": p.method,
             "origin_month": months[p.origin], "month": months[p.origin + p.horizon],
             "horizon": p.horizon, "forecast": p.forecast, "actual": p.actual,
             "smape": p.error} for p in points)
        months_with_usage = sum(v > 0 for v in values)
        for method in forecast.METHODS:
            trend = forecast.fit(method, values)
            errors = [p.error for p in points if p.method == method]
            trend_rows.append({
                "trend_by": trend_by, "trend_group": group, "method": method,
                "months": months_with_usage, "first_month": months[0],
                "last_month": months[-1], "monthly_growth": trend.monthly_growth,
                "slope": trend.slope if trend.fitted else None, "damping": trend.damping,
                "r_squared": trend.r_squared,
                "fit": "fitted" if months_with_usage >= forecast.MIN_MONTHS else "too short: flat",
                "backtest_forecasts": len(errors),
                "backtest_smape": sum(errors) / len(errors) if errors else None})
    # A method is chosen on the total of the groups' forecasts: the figure the baseline sums,
    # where a large group weighs as much as its usage and small groups' noise cancels.
    method_rows = []
    for trend_by in ("model_family", "project"):
        scored = [(p, _month_number(months[0]) + p.origin)
                  for (by, _), (months, group_points) in points_by_group.items()
                  if by == trend_by for p in group_points]
        totals = forecast.total_points(scored)
        best = forecast.best_method(totals)
        for method in forecast.METHODS:
            errors = [t.error for t in totals if t.method == method]
            group_errors = [p.error for p, _ in scored if p.method == method]
            method_rows.append({
                "trend_by": trend_by, "method": method, "forecasts": len(errors),
                "smape": sum(errors) / len(errors) if errors else None,
                "group_forecasts": len(group_errors),
                "group_smape": sum(group_errors) / len(group_errors) if group_errors else None,
                "is_best": method == best})
        for row in trend_rows:
            if row["trend_by"] == trend_by:
                row["is_auto"] = row["method"] == best
    for table, frame_rows, schema in (("scenario_trend", trend_rows, TREND_SCHEMA),
                                      ("forecast_backtest", backtest_rows, BACKTEST_SCHEMA),
                                      ("forecast_methods", method_rows, METHODS_SCHEMA)):
        conn.execute(f"DELETE FROM {table}")
        if frame_rows:
            append_frame(conn, table, pl.DataFrame(frame_rows, schema=schema))
    return {"trend_groups": len(history), "backtest_forecasts": len(backtest_rows)}


TREND_SCHEMA = {"trend_by": pl.String, "trend_group": pl.String, "method": pl.String,
                "months": pl.Int64, "first_month": pl.Date, "last_month": pl.Date,
                "monthly_growth": pl.Float64, "slope": pl.Float64, "damping": pl.Float64,
                "r_squared": pl.Float64, "fit": pl.String, "backtest_forecasts": pl.Int64,
                "backtest_smape": pl.Float64, "is_auto": pl.Boolean}
BACKTEST_SCHEMA = {"trend_by": pl.String, "trend_group": pl.String, "method": pl.String,
                   "origin_month": pl.Date, "month": pl.Date, "horizon": pl.Int32,
                   "forecast": pl.Float64, "actual": pl.Float64, "smape": pl.Float64}
METHODS_SCHEMA = {"trend_by": pl.String, "method": pl.String, "forecasts": pl.Int64,
                  "smape": pl.Float64, "group_forecasts": pl.Int64, "group_smape": pl.Float64,
                  "is_best": pl.Boolean}


def _month_number(month: date) -> int:
    return month.year * 12 + month.month - 1
