-- Histograms per day (grain: COMMENT ON TABLE), rebuilt like mart_daily_spend.
DELETE FROM mart_daily_distribution WHERE $full OR day IN (SELECT day FROM run_changed_days WHERE run_id = $run_id);
INSERT INTO mart_daily_distribution BY NAME
WITH calls AS (
    SELECT c.event_day AS day, f.provider, f.model, f.source, f.status, f.latency_ms,
           f.output_tokens,
           prompt_tokens(f.input_tokens, f.cache_read_tokens, f.cache_write_tokens,
                         f.cache_write_1h_tokens) AS prompt_tokens,
           c.total_cost
    FROM fct_requests f
    JOIN fct_costs c USING (call_id)
    WHERE $full OR c.event_day IN (SELECT day FROM run_changed_days WHERE run_id = $run_id)
),
metrics AS (
    SELECT day, provider, model, source, metric, value
    FROM calls,
    LATERAL (VALUES
        ('prompt_tokens', CASE WHEN status = 'ok' THEN prompt_tokens END::DOUBLE),
        ('cost_usd', CASE WHEN total_cost > 0 THEN total_cost END::DOUBLE),
        ('latency_ms', CASE WHEN latency_ms > 0 THEN latency_ms END::DOUBLE),
        ('output_tokens_per_s', CASE WHEN latency_ms > 0 AND output_tokens > 0
                                     THEN output_tokens * 1000.0 / latency_ms END)
    ) m(metric, value)
    WHERE value > 0
)
SELECT day, provider, model, source, metric, floor(4 * log2(value))::INTEGER AS bin,
       count(*) AS calls
FROM metrics
GROUP BY ALL
-- in day order, so the dashboards' date filters skip whole row groups
ORDER BY day;
