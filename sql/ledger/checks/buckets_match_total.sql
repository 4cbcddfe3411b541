-- Ledger rows this run ($run_id) staged whose buckets contradict the provider's own total, each
-- other (reasoning within output), or sign. Expected: no rows.
SELECT request_id, provider, model, provider_total_tokens,
       input_tokens + cache_read_tokens + cache_write_tokens + cache_write_1h_tokens
           + output_tokens AS bucket_sum,
       reasoning_tokens, output_tokens
FROM stg_calls
WHERE run_id = $run_id AND is_canonical
  AND ((provider_total_tokens IS NOT NULL
        AND provider_total_tokens <> input_tokens + cache_read_tokens + cache_write_tokens
            + cache_write_1h_tokens + output_tokens)
       OR reasoning_tokens > output_tokens
       OR least(input_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens,
                output_tokens, reasoning_tokens, web_search_requests) < 0)
LIMIT 20
