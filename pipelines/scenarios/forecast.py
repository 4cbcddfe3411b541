"""Trend methods for the baseline and the budgets' forecasts, and their backtest.

Pure functions over a monthly series (usage or spend per day of each calendar month, oldest
first, no month missing). Every method answers the same question: how many times the level of
the last month of history the level will be h months later (`Trend.factor`). The projection
multiplies its base (the last 30 days) by that factor, so the backtest scores exactly that:
fitted on the months up to an origin, each method forecasts the next 1-3 months as the origin
month's value times its factor, and the error against what happened is the sMAPE.

- flat: no trend (factor 1); the yardstick a trend has to beat.
- exponential: least squares of ln(value) on the month; growth exp(slope) - 1 a month, compounding
  for ever. What the projections used alone until issue #18.
- linear: least squares of value on the month; the same amount added every month, as a share of
  the fitted level at the last month.
- damped: Holt's linear trend on ln(value) with the trend damped by phi each month (Gardner and
  McKenzie), smoothing parameters chosen by the least squared one-step errors over a small grid:
  growth that fades, so the total over any horizon stays bounded.

The same factors are computed in SQL by the macro trend_factor (sql/scenarios/070_scenarios.sql)
from the parameters kept in scenario_trend; tests/test_forecast.py holds the two together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

METHODS = ("flat", "exponential", "linear", "damped")
MIN_MONTHS = 3  # fewer months of history fit no trend: flat
BACKTEST_HORIZONS = (1, 2, 3)
# Used when the history is too short to score any method (no origin with a month after it):
# a trend, but one that fades.
FALLBACK_METHOD = "damped"

_ALPHAS = (0.3, 0.6, 0.9)
_BETAS = (0.1, 0.3)
_PHIS = (0.8, 0.9, 0.95)


@dataclass(frozen=True)
class Trend:
    """A fitted trend: `slope` is ln-growth per month (exponential, damped) or the monthly
    increment over the last fitted level (linear); `damping` is phi (damped only)."""

    method: str
    slope: float = 0.0
    damping: float | None = None
    r_squared: float | None = None
    fitted: bool = False

    def factor(self, h: int) -> float:
        """The level h months after the last month of history, in times that month's level."""
        if not self.fitted or h <= 0:
            return 1.0
        if self.method == "exponential":
            return math.exp(self.slope * h)
        if self.method == "linear":
            return max(0.0, 1.0 + self.slope * h)
        if self.method == "damped":
            phi = self.damping if self.damping is not None else 1.0
            return math.exp(self.slope * phi * (1 - phi ** h) / (1 - phi))
        return 1.0

    @property
    def monthly_growth(self) -> float | None:
        """Growth in the first month after the history (0.05 = +5%); None when not fitted."""
        return self.factor(1) - 1 if self.fitted else None


def clamped(factor: float, h: int, low_growth: float, high_growth: float) -> float:
    """A factor kept between the bounds on average monthly growth (the scenarios file's
    min_monthly_growth and max_monthly_growth), as the projection keeps it."""
    if h <= 0:
        return 1.0
    return min((1 + high_growth) ** h, max((1 + low_growth) ** h, factor))


def fit(method: str, values: Sequence[float]) -> Trend:
    """The method fitted on a monthly series, oldest first."""
    if method not in METHODS:
        raise ValueError(f"unknown trend method {method!r}; expected one of {', '.join(METHODS)}")
    positive = [(t, v) for t, v in enumerate(values) if v > 0]
    if method == "flat" or len(positive) < MIN_MONTHS:
        return Trend(method)
    if method == "exponential":
        slope, _, r2 = _least_squares([t for t, _ in positive], [math.log(v) for _, v in positive])
        return Trend(method, slope, r_squared=r2, fitted=True)
    if method == "linear":
        ts = list(range(len(values)))
        slope, intercept, r2 = _least_squares(ts, list(values))
        level = intercept + slope * ts[-1]
        if level <= 0:  # a line fitted through zero or below: no level to grow from
            return Trend(method, r_squared=r2)
        return Trend(method, slope / level, r_squared=r2, fitted=True)
    return _damped([math.log(v) for _, v in positive])


def _least_squares(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """Slope, intercept and R² of ys on xs."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    syy = sum((y - mean_y) ** 2 for y in ys)
    slope = sxy / sxx if sxx else 0.0
    r2 = (sxy * sxy / (sxx * syy)) if sxx and syy else 1.0
    return slope, mean_y - slope * mean_x, r2


def _damped(logs: Sequence[float]) -> Trend:
    best: tuple[float, float, float] | None = None  # (sse, trend, phi)
    for alpha in _ALPHAS:
        for beta in _BETAS:
            for phi in _PHIS:
                level, trend, sse = logs[0], logs[1] - logs[0], 0.0
                for x in logs[1:]:
                    forecast = level + phi * trend
                    sse += (x - forecast) ** 2
                    new_level = alpha * x + (1 - alpha) * forecast
                    trend = beta * (new_level - level) + (1 - beta) * phi * trend
                    level = new_level
                if best is None or sse < best[0] - 1e-12:
                    best = (sse, trend, phi)
    assert best is not None
    return Trend("damped", best[1], best[2], fitted=True)


def smape(forecast: float, actual: float) -> float:
    """Symmetric absolute percentage error, 0 to 2 (0 when both are 0)."""
    total = abs(forecast) + abs(actual)
    return 0.0 if total == 0 else 2 * abs(forecast - actual) / total


@dataclass(frozen=True)
class BacktestPoint:
    method: str
    origin: int  # index of the last month fitted
    horizon: int
    forecast: float
    actual: float

    @property
    def error(self) -> float:
        return smape(self.forecast, self.actual)


def backtest(values: Sequence[float], whole: Sequence[bool], low_growth: float,
             high_growth: float, methods: Iterable[str] = METHODS) -> list[BacktestPoint]:
    """Each method fitted on the months up to each origin (at least MIN_MONTHS of them) and
    forecasting the next BACKTEST_HORIZONS months that the history covers whole (a partial
    month's rate is not yet what happened): the origin month's value times the clamped factor,
    as the projection computes it."""
    points = []
    for method in methods:
        for origin in range(MIN_MONTHS - 1, len(values) - 1):
            trend = fit(method, values[:origin + 1])
            for h in BACKTEST_HORIZONS:
                target = origin + h
                if target >= len(values) or not whole[target]:
                    continue
                factor = clamped(trend.factor(h), h, low_growth, high_growth)
                points.append(BacktestPoint(method, origin, h, values[origin] * factor,
                                            values[target]))
    return points


def total_points(scored: Iterable[tuple[BacktestPoint, int]]) -> list[BacktestPoint]:
    """Many series' points, each with its origin in common terms (series start in different
    months), summed per method, origin and horizon into points of their total."""
    sums: dict[tuple[str, int, int], list[float]] = {}
    for point, origin in scored:
        total = sums.setdefault((point.method, origin, point.horizon), [0.0, 0.0])
        total[0] += point.forecast
        total[1] += point.actual
    return [BacktestPoint(method, origin, horizon, forecast, actual)
            for (method, origin, horizon), (forecast, actual) in sums.items()]


def best_method(points: Iterable[BacktestPoint]) -> str:
    """The method with the lowest mean sMAPE over its forecasts (ties go to the simpler, in
    METHODS order); FALLBACK_METHOD when nothing could be scored."""
    errors: dict[str, list[float]] = {}
    for point in points:
        errors.setdefault(point.method, []).append(point.error)
    if not errors:
        return FALLBACK_METHOD
    return min(errors, key=lambda m: (sum(errors[m]) / len(errors[m]), METHODS.index(m)))
