-- What the trends are fitted on (docs/scenarios.md): usage per day of each calendar month of
-- history, per trend group. Rebuilt whole; pipelines/scenarios/projection.py fits each trend
-- method on it and backtests them, then scenario_base.sql reads the last 30 days.
-- The trends read the drivers mart (a row per day, provider, model and project), not the
-- spend mart, whose users and keys make it 8x larger for the same sums.
CREATE OR REPLACE TEMP TABLE scenario_span AS
SELECT max(event_day) AS as_of, min(event_day) AS first_day FROM fct_costs;

-- A partial first or last month counts only the days the history covers.
DELETE FROM scenario_trend_history;
INSERT INTO scenario_trend_history BY NAME
WITH daily AS (
    SELECT d.day, coalesce(m.price_model, d.model) AS model_family,
           coalesce(d.project, '(none)') AS project,
           prompt_tokens(d.input_tokens, d.cache_read_tokens, d.cache_write_tokens,
                         d.cache_write_1h_tokens) + d.output_tokens AS tokens
    FROM mart_daily_drivers d
    LEFT JOIN dim_model m USING (provider, model)
),
by_group AS (
    SELECT 'model_family' AS trend_by, model_family AS trend_group, day, tokens FROM daily
    UNION ALL
    SELECT 'project', project, day, tokens FROM daily
)
SELECT trend_by, trend_group, month, days, days = day(last_day(month)) AS is_whole,
       tokens / days AS tokens_per_day
FROM (
    SELECT trend_by, trend_group, month, sum(tokens)::DOUBLE AS tokens,
           (least(last_day(month), any_value(as_of))
            - greatest(month, any_value(first_day)) + 1)::INTEGER AS days
    FROM (SELECT b.*, date_trunc('month', b.day)::DATE AS month, s.as_of, s.first_day
          FROM by_group b, scenario_span s)
    GROUP BY trend_by, trend_group, month
    HAVING sum(tokens) > 0
);
