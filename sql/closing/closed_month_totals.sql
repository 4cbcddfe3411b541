-- The month $month's totals by provider, model and project, from analytics.requests as it
-- stands in the close's transaction. Sums of known values; unknown costs counted apart.
INSERT INTO closed_month_totals
SELECT $month, provider, model, project, count(*),
       sum(input_tokens)::BIGINT, sum(cache_read_tokens)::BIGINT,
       sum(cache_write_tokens)::BIGINT, sum(cache_write_1h_tokens)::BIGINT,
       sum(output_tokens)::BIGINT, sum(reasoning_tokens)::BIGINT,
       sum(web_search_requests)::BIGINT, sum(total_tokens)::BIGINT,
       sum(total_cost), sum(list_cost),
       count(*) FILTER (cost_status = 'unpriced_model'),
       count(*) FILTER (cost_status = 'usage_unknown'),
       string_agg(DISTINCT pricebook_version, ',' ORDER BY pricebook_version)
FROM analytics.requests
WHERE event_day >= $month AND event_day < $next_month
GROUP BY provider, model, project;
