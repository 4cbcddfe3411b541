-- Daily spend by provider, model, project, user, key and status (grain: COMMENT ON TABLE).
-- Rebuilt whole after a full re-pricing, else only for the days in affected_days.
DELETE FROM mart_daily_spend WHERE $full OR day IN (SELECT day FROM affected_days);
INSERT INTO mart_daily_spend BY NAME
SELECT f.event_at::DATE AS day, f.provider, f.model, f.project, f.user_id, f.api_key_id,
       f.status, count(*) AS calls, count(*) FILTER (NOT c.is_priced) AS unpriced_calls,
       sum(f.input_tokens) AS input_tokens, sum(f.cache_read_tokens) AS cache_read_tokens,
       sum(f.cache_write_tokens) AS cache_write_tokens,
       sum(f.cache_write_1h_tokens) AS cache_write_1h_tokens,
       sum(f.output_tokens) AS output_tokens, sum(f.reasoning_tokens) AS reasoning_tokens,
       sum(f.web_search_requests) AS web_search_requests,
       coalesce(sum(c.input_cost), 0) AS input_cost,
       coalesce(sum(c.cache_read_cost), 0) AS cache_read_cost,
       coalesce(sum(c.cache_write_cost), 0) AS cache_write_cost,
       coalesce(sum(c.cache_write_1h_cost), 0) AS cache_write_1h_cost,
       coalesce(sum(c.output_cost), 0) AS output_cost,
       coalesce(sum(c.web_search_cost), 0) AS web_search_cost,
       coalesce(sum(c.request_cost), 0) AS request_cost,
       coalesce(sum(c.total_cost), 0) AS total_cost
FROM fct_requests f
JOIN fct_costs c USING (call_id)
WHERE $full OR c.event_day IN (SELECT day FROM affected_days)
GROUP BY ALL
-- in day order, so the dashboards' date filters skip whole row groups
ORDER BY day;
