-- Scenarios (issue #4; formulas and a worked example in docs/scenarios.md). Filled by
-- pipelines/scenarios.py from scenarios/scenarios.yaml and the warehouse's own history.
CREATE TABLE IF NOT EXISTS scenario_routes (
    provider   VARCHAR NOT NULL,
    from_model VARCHAR NOT NULL,
    to_model   VARCHAR NOT NULL
);
COMMENT ON TABLE scenario_routes IS 'Routing lever: calls of from_model may move to to_model, a smaller model of the same price-book provider. Grain: one row per from_model. From scenarios/scenarios.yaml.';
COMMENT ON COLUMN scenario_routes.provider IS 'Price-book provider id (dim_model.price_provider).';
COMMENT ON COLUMN scenario_routes.from_model IS 'Price-book model the calls leave.';
COMMENT ON COLUMN scenario_routes.to_model IS 'Price-book model they go to.';

CREATE TABLE IF NOT EXISTS scenario_batch_discounts (
    provider VARCHAR NOT NULL,
    discount DECIMAL(5, 4) NOT NULL
);
COMMENT ON TABLE scenario_batch_discounts IS 'Batch lever: providers with a batch API and its discount against the standard price. Grain: one row per provider (as logged). From scenarios/scenarios.yaml.';
COMMENT ON COLUMN scenario_batch_discounts.provider IS 'Provider id as in fct_requests.';
COMMENT ON COLUMN scenario_batch_discounts.discount IS 'Share of the standard price the batch API saves (0.5 = half price).';

CREATE TABLE IF NOT EXISTS scenario_parameters (
    scenario_id VARCHAR NOT NULL,
    title       VARCHAR NOT NULL,
    doc         VARCHAR,
    parameter   VARCHAR NOT NULL,
    value       VARCHAR NOT NULL,
    is_default  BOOLEAN NOT NULL,
    parameter_doc VARCHAR,
    min_value   DOUBLE,
    max_value   DOUBLE
);
COMMENT ON TABLE scenario_parameters IS 'Every parameter of every scenario with the value it used. Grain: one row per scenario and parameter.';
COMMENT ON COLUMN scenario_parameters.scenario_id IS 'Scenario id from scenarios/scenarios.yaml.';
COMMENT ON COLUMN scenario_parameters.title IS 'Scenario title.';
COMMENT ON COLUMN scenario_parameters.doc IS 'What the scenario means.';
COMMENT ON COLUMN scenario_parameters.parameter IS 'Parameter name.';
COMMENT ON COLUMN scenario_parameters.value IS 'Value the scenario used (as text).';
COMMENT ON COLUMN scenario_parameters.is_default IS 'The scenario left the default (the baseline''s value).';
COMMENT ON COLUMN scenario_parameters.parameter_doc IS 'What the parameter means.';
COMMENT ON COLUMN scenario_parameters.min_value IS 'Lowest value the scenarios file allows (its min); NULL for a text parameter. The dashboard''s controls take their bounds from here.';
COMMENT ON COLUMN scenario_parameters.max_value IS 'Highest value the scenarios file allows (its max); NULL for a text parameter.';

CREATE TABLE IF NOT EXISTS scenario_trend_history (
    trend_by       VARCHAR NOT NULL,
    trend_group    VARCHAR,
    month          DATE NOT NULL,
    days           INTEGER NOT NULL,
    is_whole       BOOLEAN NOT NULL,
    tokens_per_day DOUBLE NOT NULL
);
COMMENT ON TABLE scenario_trend_history IS 'The usage the trends are fitted on: tokens per day of each calendar month of history, per trend group. Grain: one row per trend_by, group and month with usage.';
COMMENT ON COLUMN scenario_trend_history.trend_by IS 'model_family or project.';
COMMENT ON COLUMN scenario_trend_history.trend_group IS 'The model family (price-book model, else the raw model) or project.';
COMMENT ON COLUMN scenario_trend_history.month IS 'First day of the month.';
COMMENT ON COLUMN scenario_trend_history.days IS 'Days of the month the history covers (fewer than the month''s for a partial first or last month).';
COMMENT ON COLUMN scenario_trend_history.is_whole IS 'The history covers the whole month: only those are scored by the backtest.';
COMMENT ON COLUMN scenario_trend_history.tokens_per_day IS 'All token buckets summed over the month, per day covered.';

CREATE TABLE IF NOT EXISTS scenario_trend (
    trend_by       VARCHAR NOT NULL,
    trend_group    VARCHAR,
    method         VARCHAR NOT NULL,
    months         BIGINT NOT NULL,
    first_month    DATE,
    last_month     DATE,
    monthly_growth DOUBLE,
    slope          DOUBLE,
    damping        DOUBLE,
    r_squared      DOUBLE,
    fit            VARCHAR NOT NULL,
    backtest_forecasts BIGINT NOT NULL,
    backtest_smape DOUBLE,
    is_auto        BOOLEAN NOT NULL
);
COMMENT ON TABLE scenario_trend IS 'Usage trends fitted on the history by each trend method (pipelines/scenarios/forecast.py; docs/scenarios.md). Grain: one row per trend_by, group and method.';
COMMENT ON COLUMN scenario_trend.trend_by IS 'model_family or project.';
COMMENT ON COLUMN scenario_trend.trend_group IS 'The model family (price-book model, else the raw model) or project.';
COMMENT ON COLUMN scenario_trend.method IS 'flat, exponential, linear or damped.';
COMMENT ON COLUMN scenario_trend.months IS 'Calendar months of history with usage.';
COMMENT ON COLUMN scenario_trend.first_month IS 'First month fitted.';
COMMENT ON COLUMN scenario_trend.last_month IS 'Last month fitted.';
COMMENT ON COLUMN scenario_trend.monthly_growth IS 'Growth in the first projected month (0.05 = +5%), before the scenario''s bounds; NULL when not fitted (projected flat).';
COMMENT ON COLUMN scenario_trend.slope IS 'The fitted trend: ln-growth per month (exponential, damped) or the monthly increment over the last fitted level (linear); NULL when not fitted. trend_factor(method, slope, damping, h) turns it into the level h months on.';
COMMENT ON COLUMN scenario_trend.damping IS 'phi of the damped trend: each month''s growth is phi times the previous month''s.';
COMMENT ON COLUMN scenario_trend.r_squared IS 'R² of a least-squares fit (exponential: of ln(tokens per day); linear: of tokens per day).';
COMMENT ON COLUMN scenario_trend.fit IS 'fitted, or too short: flat (fewer than 3 months with usage).';
COMMENT ON COLUMN scenario_trend.backtest_forecasts IS 'Forecasts the backtest scored for this group and method (forecast_backtest).';
COMMENT ON COLUMN scenario_trend.backtest_smape IS 'Their mean sMAPE (0 to 2; 0.1 = 10%).';
COMMENT ON COLUMN scenario_trend.is_auto IS 'This is the method trend_method auto uses for these groups: the one that backtests best (forecast_methods.is_best).';

CREATE TABLE IF NOT EXISTS forecast_backtest (
    trend_by      VARCHAR NOT NULL,
    trend_group   VARCHAR,
    method        VARCHAR NOT NULL,
    origin_month  DATE NOT NULL,
    month         DATE NOT NULL,
    horizon       INTEGER NOT NULL,
    forecast      DOUBLE NOT NULL,
    actual        DOUBLE NOT NULL,
    smape         DOUBLE NOT NULL
);
COMMENT ON TABLE forecast_backtest IS 'Each trend method fitted on the months up to origin_month and scored on the 1 to 3 whole months after it, as the baseline would have projected them. Grain: one row per trend_by, group, method, origin and forecast month.';
COMMENT ON COLUMN forecast_backtest.trend_by IS 'model_family or project.';
COMMENT ON COLUMN forecast_backtest.trend_group IS 'The group (scenario_trend_history).';
COMMENT ON COLUMN forecast_backtest.method IS 'flat, exponential, linear or damped.';
COMMENT ON COLUMN forecast_backtest.origin_month IS 'Last month fitted.';
COMMENT ON COLUMN forecast_backtest.month IS 'Month forecast.';
COMMENT ON COLUMN forecast_backtest.horizon IS 'Months after the origin (1 to 3).';
COMMENT ON COLUMN forecast_backtest.forecast IS 'Tokens per day forecast: the origin month''s times the method''s factor, within the baseline''s growth bounds.';
COMMENT ON COLUMN forecast_backtest.actual IS 'Tokens per day that month.';
COMMENT ON COLUMN forecast_backtest.smape IS '2 |forecast - actual| / (|forecast| + |actual|): 0 to 2.';

CREATE TABLE IF NOT EXISTS forecast_methods (
    trend_by   VARCHAR NOT NULL,
    method     VARCHAR NOT NULL,
    forecasts  BIGINT NOT NULL,
    smape      DOUBLE,
    group_forecasts BIGINT NOT NULL,
    group_smape DOUBLE,
    is_best    BOOLEAN NOT NULL
);
COMMENT ON TABLE forecast_methods IS 'The backtest''s score of each trend method and the one that scored best: what trend_method auto uses (the baseline, the budgets'' forecasts). Scored on the total over the groups (forecasts and actuals summed per origin and month), which the baseline sums: a group weighs as much as its usage. Grain: one row per trend_by and method.';
COMMENT ON COLUMN forecast_methods.trend_by IS 'model_family or project.';
COMMENT ON COLUMN forecast_methods.method IS 'flat, exponential, linear or damped.';
COMMENT ON COLUMN forecast_methods.forecasts IS 'Forecasts of the total scored (origin and month pairs of forecast_backtest).';
COMMENT ON COLUMN forecast_methods.smape IS 'Their mean sMAPE (0 to 2): what the choice is made on; NULL when none could be scored.';
COMMENT ON COLUMN forecast_methods.group_forecasts IS 'Forecasts of single groups scored (rows of forecast_backtest).';
COMMENT ON COLUMN forecast_methods.group_smape IS 'Their mean sMAPE, each group weighing the same.';
COMMENT ON COLUMN forecast_methods.is_best IS 'The lowest smape (ties to the simpler method, in the order flat, exponential, linear, damped); damped when the history is too short to score any.';

CREATE TABLE IF NOT EXISTS scenario_base (
    provider              VARCHAR,
    model_family          VARCHAR,
    project               VARCHAR,
    calls                 BIGINT,
    unpriced_calls        BIGINT,
    input_tokens          HUGEINT,
    cache_read_tokens     HUGEINT,
    cache_write_tokens    HUGEINT,
    output_tokens         HUGEINT,
    total_cost            DECIMAL(38, 13),
    input_cost            DECIMAL(38, 13),
    cache_read_cost       DECIMAL(38, 13),
    cache_write_cost      DECIMAL(38, 13),
    output_cost           DECIMAL(38, 13),
    other_cost            DECIMAL(38, 13),
    runaway_output_cost   DECIMAL(38, 13),
    batch_saving_at_full_share DECIMAL(38, 13),
    base_days             INTEGER,
    as_of                 DATE,
    route_to              VARCHAR,
    route_cost_ratio      DOUBLE,
    cache_read_ratio      DOUBLE
);
COMMENT ON TABLE scenario_base IS 'The actual spend every projection starts from: the last 30 days of history (fewer if the history is shorter) ending at as_of, the last actual day. Grain: one row per provider, model_family and project with calls in that window. Costs are exact sums of fct_costs.';
COMMENT ON COLUMN scenario_base.provider IS 'Provider as in fct_requests.';
COMMENT ON COLUMN scenario_base.model_family IS 'Price-book model (dated snapshots and aliases of one model together), else the raw model string.';
COMMENT ON COLUMN scenario_base.project IS 'Project, (none) for bare bodies.';
COMMENT ON COLUMN scenario_base.calls IS 'Calls in the window.';
COMMENT ON COLUMN scenario_base.unpriced_calls IS 'Calls without a price: their cost is unknown and not projected.';
COMMENT ON COLUMN scenario_base.input_tokens IS 'Base-rate input tokens in the window.';
COMMENT ON COLUMN scenario_base.cache_read_tokens IS 'Cache-read tokens in the window.';
COMMENT ON COLUMN scenario_base.cache_write_tokens IS 'Cache-write tokens (5 minutes and 1 hour) in the window.';
COMMENT ON COLUMN scenario_base.output_tokens IS 'Output tokens in the window.';
COMMENT ON COLUMN scenario_base.total_cost IS 'Actual cost of the window (B in docs/scenarios.md).';
COMMENT ON COLUMN scenario_base.input_cost IS 'Of which base-rate input (I).';
COMMENT ON COLUMN scenario_base.cache_read_cost IS 'Of which cache reads (R).';
COMMENT ON COLUMN scenario_base.cache_write_cost IS 'Of which cache writes (W).';
COMMENT ON COLUMN scenario_base.output_cost IS 'Of which output (O).';
COMMENT ON COLUMN scenario_base.other_cost IS 'Of which web searches and per-request fees (X).';
COMMENT ON COLUMN scenario_base.runaway_output_cost IS 'Output cost of calls stopped at max tokens (finish_reason = length), part of output_cost.';
COMMENT ON COLUMN scenario_base.batch_saving_at_full_share IS 'What moving all non-batch calls of providers with a batch API to it would save: their cost times the batch discount.';
COMMENT ON COLUMN scenario_base.base_days IS 'Days in the window (30, or the whole history if shorter).';
COMMENT ON COLUMN scenario_base.as_of IS 'Last actual day: the window ends here and the prices in force on it are today''s prices.';
COMMENT ON COLUMN scenario_base.route_to IS 'Smaller model the routing lever moves calls to (scenario_routes), NULL if none.';
COMMENT ON COLUMN scenario_base.route_cost_ratio IS 'The window''s tokens at route_to''s rates over the same tokens at the model''s own rates (price book in force at as_of, base tier).';
COMMENT ON COLUMN scenario_base.cache_read_ratio IS 'Cache-read rate over input rate of the model (1 where the price book has no cache-read price: caching saves nothing).';

CREATE TABLE IF NOT EXISTS scenario_projection (
    scenario_id    VARCHAR NOT NULL,
    month          DATE NOT NULL,
    month_index    INTEGER NOT NULL,
    provider       VARCHAR,
    model_family   VARCHAR,
    project        VARCHAR,
    baseline_cost  DECIMAL(24, 6) NOT NULL,
    projected_cost DECIMAL(24, 6) NOT NULL,
    savings        DECIMAL(24, 6) NOT NULL,
    usage_factor   DOUBLE NOT NULL,
    lever_factor   DOUBLE NOT NULL,
    price_factor   DOUBLE NOT NULL
);
COMMENT ON TABLE scenario_projection IS 'Projected monthly spend per scenario for the months after the last actual month. Grain: one row per scenario, month, provider, model_family and project. Estimates: computed per row in double precision from exact base costs and stored to 1e-6 USD, so sums over rows are exact sums of the stored values. Parameters in scenario_parameters.';
COMMENT ON COLUMN scenario_projection.scenario_id IS 'Scenario (scenario_parameters).';
COMMENT ON COLUMN scenario_projection.month IS 'First day of the projected month.';
COMMENT ON COLUMN scenario_projection.month_index IS 'Months after the last actual month (1 = the next one).';
COMMENT ON COLUMN scenario_projection.provider IS 'Provider as in fct_requests.';
COMMENT ON COLUMN scenario_projection.model_family IS 'As in scenario_base.';
COMMENT ON COLUMN scenario_projection.project IS 'As in scenario_base.';
COMMENT ON COLUMN scenario_projection.baseline_cost IS 'Baseline: base cost x usage_factor x days in month / base_days.';
COMMENT ON COLUMN scenario_projection.projected_cost IS 'The scenario: baseline_cost x lever_factor x price_factor.';
COMMENT ON COLUMN scenario_projection.savings IS 'baseline_cost - projected_cost.';
COMMENT ON COLUMN scenario_projection.usage_factor IS 'The trend method''s level month_index months on (trend_factor), kept between (1 + min_monthly_growth) ^ month_index and (1 + max_monthly_growth) ^ month_index.';
COMMENT ON COLUMN scenario_projection.lever_factor IS 'Cost after the optimization levers over the base cost (1 = no lever).';
COMMENT ON COLUMN scenario_projection.price_factor IS 'Hardware pass-through: 1 - share x (1 - 1/factor) x ramp (1 = prices as today).';

CREATE TABLE IF NOT EXISTS scenario_sensitivity (
    scenario_id             VARCHAR NOT NULL,
    hardware_factor         DOUBLE NOT NULL,
    pass_through_share      DOUBLE NOT NULL,
    pass_through_lag_months INTEGER NOT NULL,
    adoption_ramp_months    INTEGER NOT NULL,
    pass_through_date       DATE,
    baseline_cost           DECIMAL(24, 6) NOT NULL,
    projected_cost          DECIMAL(24, 6) NOT NULL,
    savings                 DECIMAL(24, 6) NOT NULL
);
COMMENT ON TABLE scenario_sensitivity IS 'A scenario''s total over the horizon as its hardware parameters vary (grid in scenarios/scenarios.yaml). Grain: one row per scenario and parameter combination.';
COMMENT ON COLUMN scenario_sensitivity.scenario_id IS 'Scenario whose other parameters are kept.';
COMMENT ON COLUMN scenario_sensitivity.hardware_factor IS 'Times lower cost per token on the new generation.';
COMMENT ON COLUMN scenario_sensitivity.pass_through_share IS 'Share of the saving reaching API prices.';
COMMENT ON COLUMN scenario_sensitivity.pass_through_lag_months IS 'Months from availability to API prices.';
COMMENT ON COLUMN scenario_sensitivity.adoption_ramp_months IS 'Months of the linear phase-in.';
COMMENT ON COLUMN scenario_sensitivity.pass_through_date IS 'Availability plus the lag: the first month prices move.';
COMMENT ON COLUMN scenario_sensitivity.baseline_cost IS 'Baseline total over the horizon.';
COMMENT ON COLUMN scenario_sensitivity.projected_cost IS 'Scenario total over the horizon.';
COMMENT ON COLUMN scenario_sensitivity.savings IS 'baseline_cost - projected_cost.';

-- The level h months after the last month of history, in times that month's level, of a trend
-- kept in scenario_trend (pipelines/scenarios/forecast.py's Trend.factor: tests hold the two
-- together). An unfitted trend (slope NULL) is flat.
CREATE OR REPLACE MACRO trend_factor(method, slope, damping, h) AS
    CASE WHEN h <= 0 OR slope IS NULL THEN 1.0
         WHEN method = 'exponential' THEN exp(slope * h)
         WHEN method = 'linear' THEN greatest(0.0, 1 + slope * h)
         WHEN method = 'damped' THEN exp(slope * damping * (1 - pow(damping, h)) / (1 - damping))
         ELSE 1.0 END;

-- One projection for any parameters: the scenario assets call it for each scenario of the file,
-- the Scenarios dashboard with its controls, analysts from SQL. Formulas: docs/scenarios.md.
CREATE OR REPLACE MACRO project_scenario(
    horizon_months := 36, trend_by := 'model_family', trend_method := 'auto',
    min_monthly_growth := -0.2, max_monthly_growth := 0.2, hardware_factor := 1,
    hardware_generation := 'vera-rubin', pass_through_lag_months := 15, pass_through_share := 0,
    adoption_ramp_months := 12, route_share := 0, cache_hit_rate := 0, batch_share := 0,
    prompt_reduction := 0, output_cap_reduction := 0) AS TABLE
WITH availability AS (
    SELECT coalesce(max(coalesce(cloud_available, first_shipped)), DATE '9999-01-01') AS day
    FROM dim_hardware_generation WHERE generation_id = hardware_generation
),
months AS (
    SELECT m AS month_index,
           (date_trunc('month', b.as_of) + to_months(m::INTEGER))::DATE AS month
    FROM (SELECT max(as_of) AS as_of FROM scenario_base) b, range(1, horizon_months + 1) t(m)
),
prices AS (
    SELECT month, month_index,
           (a.day + to_months(pass_through_lag_months::INTEGER))::DATE AS pass_through_date,
           CASE WHEN month < pass_through_date THEN 0
                WHEN adoption_ramp_months = 0 THEN 1
                ELSE least(1, (datediff('month', pass_through_date, month) + 1)
                              / adoption_ramp_months::DOUBLE) END AS ramp
    FROM months, availability a
),
levers AS (
    SELECT b.*, tr.method AS trend_method_used, tr.slope AS trend_slope,
           tr.damping AS trend_damping,
           CASE WHEN route_cost_ratio IS NULL THEN 1
                ELSE 1 - route_share + route_share * route_cost_ratio END AS route_factor,
           CASE WHEN input_tokens > 0
                     AND cache_hit_rate * (input_tokens + cache_read_tokens) > cache_read_tokens
                THEN (cache_hit_rate * (input_tokens + cache_read_tokens) - cache_read_tokens)
                     / input_tokens::DOUBLE
                ELSE 0 END AS moved_to_cache
    FROM scenario_base b
    -- the group's trend by the method asked ('auto': the one that backtests best)
    LEFT JOIN scenario_trend tr
        ON tr.trend_by = trend_by
       AND tr.trend_group = CASE WHEN trend_by = 'project' THEN b.project ELSE b.model_family END
       AND (tr.method = trend_method OR trend_method = 'auto' AND tr.is_auto)
),
levered AS (
    -- Each lever takes its saving off the base cost; a lever at 0 takes exactly nothing.
    SELECT *,
           route_factor
           * (total_cost::DOUBLE
              - prompt_reduction * (input_cost + cache_read_cost + cache_write_cost)::DOUBLE
              - input_cost::DOUBLE * (1 - prompt_reduction) * moved_to_cache
                * (1 - cache_read_ratio)
              - runaway_output_cost::DOUBLE * output_cap_reduction)
           * (1 - batch_share * coalesce(batch_saving_at_full_share::DOUBLE
                                         / nullif(total_cost::DOUBLE, 0), 0))
           AS levered_cost
    FROM levers
),
grown AS (
    SELECT l.*, p.*,
           least(pow(1 + max_monthly_growth, p.month_index),
                 greatest(pow(1 + min_monthly_growth, p.month_index),
                          trend_factor(l.trend_method_used, l.trend_slope, l.trend_damping,
                                       p.month_index))) AS growth_factor
    FROM levered l, prices p
)
SELECT month, month_index, provider, model_family, project,
       round(total_cost::DOUBLE * growth_factor
             * day(last_day(month)) / base_days, 6)::DECIMAL(24, 6) AS baseline_cost,
       round(levered_cost * growth_factor * day(last_day(month)) / base_days
             * (1 - pass_through_share * (1 - 1 / hardware_factor) * ramp), 6
             )::DECIMAL(24, 6) AS projected_cost,
       baseline_cost - projected_cost AS savings,
       growth_factor AS usage_factor,
       coalesce(levered_cost / nullif(total_cost::DOUBLE, 0), 1) AS lever_factor,
       1 - pass_through_share * (1 - 1 / hardware_factor) * ramp AS price_factor,
       pass_through_date
FROM grown
ORDER BY month_index, provider, model_family, project;
