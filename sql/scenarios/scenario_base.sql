-- What the projections start from (docs/scenarios.md): each cell's last 30 days of actual spend
-- split the way the levers need it, with the price-book ratios the levers price with. Rebuilt
-- whole after scenario_trend_history.sql (whose scenario_span it reads); it reads only the last
-- 30 days.

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
       coalesce(o.cache_read_rate / nullif(o.input_rate, 0), 1)::DOUBLE AS cache_read_ratio
FROM cells c
CROSS JOIN scenario_span s
LEFT JOIN rates o ON o.price_provider = c.price_provider AND o.price_model = c.model_family
LEFT JOIN scenario_routes r
    ON r.provider = c.price_provider AND r.from_model = c.model_family
LEFT JOIN rates t ON t.price_provider = r.provider AND t.price_model = r.to_model;
