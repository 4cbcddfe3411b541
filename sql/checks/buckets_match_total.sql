-- Ledger rows whose buckets contradict the provider's own total or each other.
-- Expected: no rows.
SELECT request_id, provider, model, provider_total_tokens,
       input_tokens + cache_read_tokens + cache_write_tokens + cache_write_1h_tokens
           + output_tokens AS bucket_sum,
       reasoning_tokens, output_tokens
FROM fct_requests
WHERE (provider_total_tokens IS NOT NULL
       AND provider_total_tokens <> input_tokens + cache_read_tokens + cache_write_tokens
           + cache_write_1h_tokens + output_tokens)
   OR reasoning_tokens > output_tokens
   OR least(input_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens,
            output_tokens, reasoning_tokens, web_search_requests) < 0
LIMIT 20
