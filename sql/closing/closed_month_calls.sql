-- Each call of the month $month (its first day) as it stands now: the close's per-call record,
-- which restatements compares the ledger with. $next_month is the first day after it.
INSERT INTO closed_month_calls
SELECT $month, dedup_key, event_day, provider, model, project, status, cost_status,
       input_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens,
       output_tokens, reasoning_tokens, web_search_requests, total_tokens::BIGINT, total_cost,
       list_cost, pricebook_version
FROM analytics.requests
WHERE event_day >= $month AND event_day < $next_month;
