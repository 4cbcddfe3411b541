-- Spend drivers per day (grain: COMMENT ON TABLE), rebuilt like mart_daily_spend.
DELETE FROM mart_daily_drivers WHERE $full OR day IN (SELECT day FROM run_changed_days WHERE run_id = $run_id);
INSERT INTO mart_daily_drivers BY NAME
WITH calls AS (
    SELECT f.*, c.is_priced, c.cost_status, c.total_cost AS cost, c.input_cost AS input_cost_c,
           c.cache_read_cost AS cache_read_cost_c, c.batch_discount_applied, c.event_day,
           f.request_hash IS NOT NULL AND row_number() OVER (
               PARTITION BY c.event_day, f.request_hash ORDER BY f.event_at, f.dedup_key) > 1
               AS is_repeat
    FROM fct_requests f
    JOIN fct_costs c USING (call_id)
    WHERE $full OR c.event_day IN (SELECT day FROM run_changed_days WHERE run_id = $run_id)
)
SELECT event_day AS day, provider, model, project, source, count(*) AS calls,
       count(*) FILTER (is_priced) AS priced_calls,
       count(*) FILTER (cost_status = 'usage_unknown') AS usage_unknown_calls,
       coalesce(sum(cost), 0) AS total_cost,
       count(*) FILTER (finish_reason = 'length') AS runaway_calls,
       coalesce(sum(cost) FILTER (finish_reason = 'length'), 0) AS runaway_cost,
       coalesce(sum(output_tokens) FILTER (finish_reason = 'length'), 0) AS runaway_output_tokens,
       sum(input_tokens) AS input_tokens, sum(cache_read_tokens) AS cache_read_tokens,
       sum(cache_write_tokens) AS cache_write_tokens,
       sum(cache_write_1h_tokens) AS cache_write_1h_tokens,
       coalesce(sum(input_cost_c), 0) AS input_cost,
       coalesce(sum(cache_read_cost_c), 0) AS cache_read_cost,
       count(*) FILTER (is_repeat) AS repeat_calls,
       coalesce(sum(cost) FILTER (is_repeat), 0) AS repeat_cost,
       count(*) FILTER (status = 'ok' AND is_priced AND NOT is_batch) AS reference_calls,
       sum(cost) FILTER (status = 'ok' AND is_priced AND NOT is_batch) AS reference_cost,
       count(*) FILTER (is_batch) AS batch_calls,
       coalesce(sum(cost) FILTER (is_batch), 0) AS batch_cost,
       coalesce(sum(cost) FILTER (batch_discount_applied), 0) AS batch_list_discount,
       sum(output_tokens) AS output_tokens, sum(reasoning_tokens) AS reasoning_tokens,
       count(*) FILTER (is_stream) AS stream_calls,
       count(latency_ms) AS latency_calls, coalesce(sum(latency_ms), 0) AS latency_ms_sum
FROM calls
GROUP BY ALL
-- in day order, so the dashboards' date filters skip whole row groups
ORDER BY day;
