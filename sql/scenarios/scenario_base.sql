-- What the projections start from (docs/scenarios.md): the usage trend of each group, and each
-- cell's last 30 days of actual spend split the way the levers need it, with the price-book
-- ratios the levers price with. Rebuilt whole; it reads only marts and the last 30 days.
-- The trends read the drivers mart (a row per day, provider, model and project), not the
-- spend mart, whose users and keys make it 8x larger for the same sums.
CREATE OR REPLACE TEMP TABLE scenario_span AS
SELECT max(event_day) AS as_of, min(event_day) AS first_day FROM fct_costs;

-- Usage per day of each calendar month of history (a partial first or last month counts only
-- the days the history covers), per trend group.
DELETE FROM scenario_trend;
INSERT INTO scenario_trend BY NAME
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
),
monthly AS (
    SELECT trend_by, trend_group, month,
           sum(tokens) / (least(last_day(month), any_value(as_of))
                          - greatest(month, any_value(first_day)) + 1) AS tokens_per_day
    FROM (SELECT b.*, date_trunc('month', b.day)::DATE AS month, s.as_of, s.first_day
          FROM by_group b, scenario_span s)
    GROUP BY trend_by, trend_group, month
    HAVING sum(tokens) > 0
),
fits AS (
    SELECT trend_by, trend_group, count(*) AS months, min(month) AS first_month,
           max(month) AS last_month,
           regr_slope(ln(tokens_per_day), datediff('month', DATE '2000-01-01', month))
               AS log_slope,
           regr_r2(ln(tokens_per_day), datediff('month', DATE '2000-01-01', month)) AS r_squared
    FROM monthly
    GROUP BY ALL
)
SELECT trend_by, trend_group, months, first_month, last_month,
       CASE WHEN months >= 3 THEN round(exp(log_slope) - 1, 9) END AS monthly_growth,
       CASE WHEN months >= 3 THEN round(r_squared, 6) END AS r_squared,
       CASE WHEN months >= 3 THEN 'fitted' ELSE 'too short: flat' END AS fit
FROM fits;

-- The last 30 days' calls, kept first: in a run's transaction that staged calls the optimizer
-- takes the ledger for small (1,800 rows for 10M) and would hash all of it (2.4 s instead of
-- 0.2 s for one new day on 10M calls of history).
CREATE OR REPLACE TEMP TABLE window_costs AS
SELECT call_id, price_model, is_priced, input_cost, cache_read_cost, cache_write_cost,
       cache_write_1h_cost, output_cost, web_search_cost, request_cost, total_cost
FROM fct_costs WHERE event_day > (SELECT as_of FROM scenario_span) - 30;
CREATE OR REPLACE TEMP TABLE window_requests AS
SELECT call_id, provider, model, project, is_batch, finish_reason, input_tokens,
       cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens
FROM fct_requests
WHERE event_at >= (SELECT as_of FROM scenario_span) - 30  -- skips older row groups
  AND call_id IN (SELECT call_id FROM window_costs);

DELETE FROM scenario_base;
INSERT INTO scenario_base BY NAME
WITH window_calls AS (
    SELECT f.provider, coalesce(m.price_provider, f.provider) AS price_provider,
           coalesce(c.price_model, m.price_model, f.model, '(unknown)') AS model_family,
           coalesce(f.project, '(none)') AS project, f.is_batch, f.finish_reason,
           f.input_tokens, f.cache_read_tokens,
           f.cache_write_tokens + f.cache_write_1h_tokens AS cache_write_tokens,
           f.output_tokens, c.is_priced, c.input_cost, c.cache_read_cost,
           c.cache_write_cost + c.cache_write_1h_cost AS cache_write_cost, c.output_cost,
           c.web_search_cost + c.request_cost AS other_cost, c.total_cost
    FROM window_requests f
    JOIN window_costs c USING (call_id)
    LEFT JOIN dim_model m ON m.provider = f.provider AND m.model = f.model
),
rates AS (
    SELECT * FROM prices_in_force((SELECT as_of FROM scenario_span))
),
cells AS (
    SELECT provider, price_provider, model_family, project,
           count(*) AS calls, count(*) FILTER (NOT is_priced) AS unpriced_calls,
           sum(input_tokens) AS input_tokens, sum(cache_read_tokens) AS cache_read_tokens,
           sum(cache_write_tokens) AS cache_write_tokens, sum(output_tokens) AS output_tokens,
           coalesce(sum(total_cost), 0) AS total_cost,
           coalesce(sum(input_cost), 0) AS input_cost,
           coalesce(sum(cache_read_cost), 0) AS cache_read_cost,
           coalesce(sum(cache_write_cost), 0) AS cache_write_cost,
           coalesce(sum(output_cost), 0) AS output_cost,
           coalesce(sum(other_cost), 0) AS other_cost,
           coalesce(sum(output_cost) FILTER (WHERE finish_reason = 'length'), 0)
               AS runaway_output_cost,
           coalesce(sum(total_cost * b.discount) FILTER (WHERE NOT is_batch), 0)
               AS batch_saving_at_full_share
    FROM window_calls
    LEFT JOIN scenario_batch_discounts b USING (provider)
    GROUP BY ALL
)
SELECT c.* EXCLUDE (price_provider),
       least(30, s.as_of - s.first_day + 1) AS base_days, s.as_of,
       r.to_model AS route_to,
       -- the cell's base-window tokens at the target's rates over the same at its own
       CASE WHEN r.to_model IS NOT NULL THEN
           (c.input_tokens * t.input_rate
            + c.cache_read_tokens * coalesce(t.cache_read_rate, t.input_rate)
            + c.cache_write_tokens * coalesce(t.cache_write_rate, t.input_rate)
            + c.output_tokens * t.output_rate)
           / nullif(c.input_tokens * o.input_rate
                    + c.cache_read_tokens * coalesce(o.cache_read_rate, o.input_rate)
                    + c.cache_write_tokens * coalesce(o.cache_write_rate, o.input_rate)
                    + c.output_tokens * o.output_rate, 0)
       END::DOUBLE AS route_cost_ratio,
       coalesce(o.cache_read_rate / nullif(o.input_rate, 0), 1)::DOUBLE AS cache_read_ratio,
       fam.monthly_growth AS growth_by_model_family, proj.monthly_growth AS growth_by_project
FROM cells c
CROSS JOIN scenario_span s
LEFT JOIN rates o ON o.price_provider = c.price_provider AND o.price_model = c.model_family
LEFT JOIN scenario_routes r
    ON r.provider = c.price_provider AND r.from_model = c.model_family
LEFT JOIN rates t ON t.price_provider = r.provider AND t.price_model = r.to_model
LEFT JOIN scenario_trend fam ON fam.trend_by = 'model_family' AND fam.trend_group = c.model_family
LEFT JOIN scenario_trend proj ON proj.trend_by = 'project' AND proj.trend_group = c.project;
