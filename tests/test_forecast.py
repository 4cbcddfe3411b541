"""The trend methods and their backtest (pipelines/scenarios/forecast.py): hand-computed series,
the SQL macro trend_factor held to the Python, and the choice made on a real warehouse."""

from __future__ import annotations

import math
from datetime import date

import pytest

from pipelines.scenarios import forecast
from pipelines.scenarios.forecast import Trend, backtest, best_method, clamped, fit, smape
from pipelines.scenarios.trends import monthly_series


def test_exponential_recovers_a_known_growth_and_compounds():
    values = [100 * 1.1 ** t for t in range(6)]
    trend = fit("exponential", values)
    assert trend.fitted and trend.monthly_growth == pytest.approx(0.10)
    assert trend.r_squared == pytest.approx(1.0)
    assert trend.factor(12) == pytest.approx(1.1 ** 12)


def test_linear_adds_the_fitted_increment_as_a_share_of_the_last_level():
    values = [100.0, 120.0, 140.0, 160.0]
    trend = fit("linear", values)
    # slope 20 a month over the fitted last level 160
    assert trend.slope == pytest.approx(20 / 160)
    assert trend.factor(3) == pytest.approx((160 + 60) / 160)
    falling = fit("linear", [400.0, 300.0, 200.0, 100.0])
    assert falling.factor(1) == pytest.approx(0.0) and falling.factor(5) == 0.0


def test_damped_growth_fades_where_exponential_compounds():
    values = [100 * 1.1 ** t for t in range(8)]
    damped, exponential = fit("damped", values), fit("exponential", values)
    assert 0.8 <= damped.damping <= 0.95
    assert damped.monthly_growth == pytest.approx(0.10, rel=0.35)
    factors = [damped.factor(h) for h in range(1, 121)]
    assert factors == sorted(factors)  # still growing
    # bounded: exp(b phi / (1 - phi)) is the most it ever reaches
    ceiling = math.exp(damped.slope * damped.damping / (1 - damped.damping))
    assert factors[-1] <= ceiling + 1e-9 and factors[-1] < exponential.factor(120) / 1000
    assert factors[35] < exponential.factor(36)


@pytest.mark.parametrize("method", forecast.METHODS)
def test_fewer_than_three_months_with_usage_fit_no_trend(method):
    for values in ([], [5.0], [5.0, 10.0], [0.0, 5.0, 0.0, 10.0]):
        trend = fit(method, values)
        assert not trend.fitted and trend.factor(12) == 1.0 and trend.monthly_growth is None


def test_an_unknown_method_is_named():
    with pytest.raises(ValueError, match="unknown trend method 'cubic'"):
        fit("cubic", [1.0, 2.0, 3.0])


def test_factors_are_kept_within_the_growth_bounds():
    assert clamped(10.0, 2, -0.2, 0.2) == pytest.approx(1.44)
    assert clamped(0.0, 2, -0.2, 0.2) == pytest.approx(0.64)
    assert clamped(1.1, 2, -0.2, 0.2) == 1.1
    assert clamped(5.0, 0, -0.2, 0.2) == 1.0


def test_backtest_scores_each_whole_month_after_each_origin_by_hand():
    values = [100.0, 110.0, 121.0, 133.1, 146.41]
    points = backtest(values, [True] * 5, -0.2, 0.2)
    flat = [(p.origin, p.horizon, p.forecast, p.actual) for p in points if p.method == "flat"]
    # origins with at least 3 months up to them: 2 and 3; horizons that the history covers
    assert flat == [(2, 1, 121.0, 133.1), (2, 2, 121.0, 146.41), (3, 1, 133.1, 146.41)]
    first = next(p for p in points if p.method == "flat")
    assert first.error == pytest.approx(2 * 12.1 / 254.1)
    exact = [p for p in points if p.method == "exponential"]
    assert len(exact) == 3 and max(p.error for p in exact) == pytest.approx(0, abs=1e-9)
    assert best_method(points) == "exponential"
    # a partial last month is not yet what happened: not scored
    partial = backtest(values, [True] * 4 + [False], -0.2, 0.2)
    assert {(p.origin, p.horizon) for p in partial} == {(2, 1)}
    # forecasts stay within the bounds the projection keeps
    capped = [p for p in backtest(values, [True] * 5, -0.2, 0.05) if p.method == "exponential"]
    assert capped[0].forecast == pytest.approx(121.0 * 1.05)


def test_the_choice_goes_to_the_lowest_error_ties_to_the_simpler_and_short_to_damped():
    spiky = [100.0, 100.0, 120.0, 100.0, 100.0, 120.0, 100.0, 100.0]  # no trend, a spike
    assert best_method(backtest(spiky, [True] * 8, -0.2, 0.2)) == "flat"
    constant = [100.0] * 8  # every method exact: the simplest
    assert best_method(backtest(constant, [True] * 8, -0.2, 0.2)) == "flat"
    assert best_method([]) == forecast.FALLBACK_METHOD == "damped"
    tie = [forecast.BacktestPoint(m, 0, 1, 1.0, 1.0) for m in reversed(forecast.METHODS)]
    assert best_method(tie) == "flat"
    assert smape(0.0, 0.0) == 0.0 and smape(1.0, 0.0) == 2.0


def test_the_total_sums_forecasts_and_actuals_of_the_same_origin_and_horizon():
    points = [forecast.BacktestPoint("flat", 2, 1, 10.0, 12.0),
              forecast.BacktestPoint("flat", 0, 1, 30.0, 20.0),  # same month, later series
              forecast.BacktestPoint("flat", 2, 2, 5.0, 5.0)]
    starts = [0, 2, 0]
    totals = forecast.total_points(
        (p, start + p.origin) for p, start in zip(points, starts, strict=True))
    assert sorted((p.origin, p.horizon, p.forecast, p.actual) for p in totals) == [
        (2, 1, 40.0, 32.0), (2, 2, 5.0, 5.0)]


def test_months_without_usage_between_months_with_it_are_zero():
    months, values, wholes = monthly_series(
        [(date(2026, 11, 1), 5.0, True), (date(2027, 2, 1), 7.0, False)], date(2027, 3, 1))
    assert months == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1),
                      date(2027, 2, 1), date(2027, 3, 1)]
    assert values == [5.0, 0.0, 0.0, 7.0, 0.0] and wholes == [True, True, True, False, True]


@pytest.mark.parametrize("trend", [
    Trend("flat", fitted=True), Trend("exponential", 0.0953, fitted=True),
    Trend("linear", 0.125, fitted=True), Trend("linear", -0.3, fitted=True),
    Trend("damped", 0.2, 0.9, fitted=True), Trend("damped", -0.1, 0.8, fitted=True),
    Trend("exponential")])
def test_the_sql_macro_computes_the_same_factors(schema_lake, trend):
    slope = trend.slope if trend.fitted else None
    for h in (0, 1, 2, 12, 36, 120):
        sql = schema_lake.execute("SELECT trend_factor(?, ?, ?, ?)",
                                  [trend.method, slope, trend.damping, h]).fetchone()[0]
        assert sql == pytest.approx(trend.factor(h), rel=1e-12), (trend, h)
