-- Daily spend by provider, model, project, user, key, status and source (grain: COMMENT ON
-- TABLE).
-- Rebuilt whole after a full re-pricing, else only for the days run $run_id changed.
DELETE FROM mart_daily_spend WHERE $full OR day IN (SELECT day FROM run_changed_days WHERE run_id = $run_id);
INSERT INTO mart_daily_spend BY NAME
SELECT f.event_at::DATE AS day, f.provider, f.model, f.project, f.user_id, f.api_key_id,
       f.status, f.source, count(*) AS calls,
       count(*) FILTER (c.cost_status = 'unpriced_model') AS unpriced_calls,
       count(*) FILTER (c.cost_status = 'usage_unknown') AS usage_unknown_calls,
       sum(f.input_tokens) AS input_tokens, sum(f.cache_read_tokens) AS cache_read_tokens,
       sum(f.cache_write_tokens) AS cache_write_tokens,
       sum(f.cache_write_1h_tokens) AS cache_write_1h_tokens,
       sum(f.output_tokens) AS output_tokens, sum(f.reasoning_tokens) AS reasoning_tokens,
       sum(f.web_search_requests) AS web_search_requests,
       -- sums of the known costs: NULL where no call of the row has one, never a made-up 0
       sum(c.input_cost) AS input_cost, sum(c.cache_read_cost) AS cache_read_cost,
       sum(c.cache_write_cost) AS cache_write_cost,
       sum(c.cache_write_1h_cost) AS cache_write_1h_cost, sum(c.output_cost) AS output_cost,
       sum(c.web_search_cost) AS web_search_cost, sum(c.request_cost) AS request_cost,
       sum(c.total_cost) AS total_cost
FROM fct_requests f
JOIN fct_costs c USING (call_id)
WHERE $full OR c.event_day IN (SELECT day FROM run_changed_days WHERE run_id = $run_id)
GROUP BY ALL
-- in day order, so the dashboards' date filters skip whole row groups
ORDER BY day;
