-- Cost of every call at the price in force at its event_at, in exact DECIMAL. Rebuilt whole
-- on every run, so one materialization re-prices everything under the current price book.
DELETE FROM fct_costs;
INSERT INTO fct_costs BY NAME
WITH calls AS (
    SELECT f.request_id, f.dedup_key, f.provider, f.model, f.event_at, f.status, f.is_batch,
           f.service_tier, f.input_tokens, f.cache_read_tokens, f.cache_write_tokens,
           f.cache_write_1h_tokens, f.output_tokens, f.reasoning_tokens, f.web_search_requests,
           f.input_tokens + f.cache_read_tokens + f.cache_write_tokens
               + f.cache_write_1h_tokens AS total_input,
           m.price_provider, m.price_model, coalesce(m.via_fallback, false) AS via_fallback
    FROM fct_requests f
    LEFT JOIN dim_model m ON m.provider = f.provider AND m.model IS NOT DISTINCT FROM f.model
),
time_of_day_models AS (
    SELECT DISTINCT price_provider, price_model FROM dim_price
    WHERE constraint_kind = 'time_of_day'
),
-- Everything that decides a call's prices; many calls share one key.
price_keys AS (
    SELECT DISTINCT c.price_provider, c.price_model, c.via_fallback,
           c.event_at::DATE AS day,
           CASE WHEN t.price_model IS NOT NULL THEN c.event_at::TIME END AS time_of_day,
           c.is_batch, c.service_tier
    FROM calls c
    LEFT JOIN time_of_day_models t USING (price_provider, price_model)
    WHERE c.price_model IS NOT NULL
),
price_sets AS (
    SELECT DISTINCT price_provider, price_model, set_kind, set_ordinal, constraint_kind,
           start_date, start_time, end_time, when_key, when_value
    FROM dim_price
),
active_sets AS (
    SELECT k.*, s.set_kind, s.set_ordinal, s.when_key, s.when_value
    FROM price_keys k
    JOIN price_sets s USING (price_provider, price_model)
    WHERE CASE s.constraint_kind
              WHEN 'always' THEN true
              WHEN 'start_date' THEN k.day >= s.start_date
              WHEN 'time_of_day' THEN
                  CASE WHEN s.end_time < s.start_time
                       THEN k.time_of_day >= s.start_time OR k.time_of_day < s.end_time
                       ELSE k.time_of_day >= s.start_time AND k.time_of_day < s.end_time END
          END
),
-- The standard set in force: the last active one, else the first.
chosen_standard AS (
    SELECT k.*, coalesce(max(a.set_ordinal), 0) AS set_ordinal
    FROM price_keys k
    LEFT JOIN active_sets a
        ON a.set_kind = 'standard' AND a.price_provider = k.price_provider
        AND a.price_model = k.price_model AND a.day = k.day
        AND a.time_of_day IS NOT DISTINCT FROM k.time_of_day AND a.is_batch = k.is_batch
        AND a.service_tier IS NOT DISTINCT FROM k.service_tier
        AND a.via_fallback = k.via_fallback
    GROUP BY ALL
),
standard_prices AS (
    SELECT c.* EXCLUDE (set_ordinal), p.price_key, p.tier_start, p.price_per_unit
    FROM chosen_standard c
    JOIN dim_price p
        ON p.set_kind = 'standard' AND p.price_provider = c.price_provider
        AND p.price_model = c.price_model AND p.set_ordinal = c.set_ordinal
),
-- Variants matching the call's context override single keys; the first one wins per key.
-- As in the package, they apply only to a model of the provider's own list.
matching_variants AS (
    SELECT a.* EXCLUDE (set_kind, when_key, when_value)
    FROM active_sets a
    WHERE a.set_kind = 'variant' AND NOT a.via_fallback
      AND ((a.when_key = 'processing' AND a.when_value = 'batch' AND a.is_batch)
           OR (a.when_key = 'service_tier' AND a.when_value = a.service_tier))
),
variant_prices AS (
    SELECT v.* EXCLUDE (set_ordinal), p.price_key, p.tier_start, p.price_per_unit,
           p.when_key = 'processing' AS is_batch_price
    FROM matching_variants v
    JOIN dim_price p
        ON p.set_kind = 'variant' AND p.price_provider = v.price_provider
        AND p.price_model = v.price_model AND p.set_ordinal = v.set_ordinal
    QUALIFY v.set_ordinal = min(v.set_ordinal) OVER (
        PARTITION BY v.price_provider, v.price_model, v.via_fallback, v.day, v.time_of_day,
                     v.is_batch, v.service_tier, p.price_key)
),
effective_prices AS (
    SELECT * , false AS is_batch_price FROM standard_prices s
    WHERE NOT EXISTS (
        SELECT 1 FROM variant_prices v
        WHERE v.price_provider = s.price_provider AND v.price_model = s.price_model
          AND v.via_fallback = s.via_fallback AND v.day = s.day
          AND v.time_of_day IS NOT DISTINCT FROM s.time_of_day AND v.is_batch = s.is_batch
          AND v.service_tier IS NOT DISTINCT FROM s.service_tier AND v.price_key = s.price_key)
    UNION ALL BY NAME
    SELECT * FROM variant_prices
),
-- One row per price key: each price key's tiers as a list, ascending.
resolved AS (
    SELECT price_provider, price_model, via_fallback, day, time_of_day, is_batch, service_tier,
           bool_or(is_batch_price) AS has_batch_price,
           list({'start': tier_start, 'price': price_per_unit} ORDER BY tier_start)
               FILTER (WHERE price_key = 'input_mtok') AS input_tiers,
           list({'start': tier_start, 'price': price_per_unit} ORDER BY tier_start)
               FILTER (WHERE price_key = 'cache_read_mtok') AS cache_read_tiers,
           list({'start': tier_start, 'price': price_per_unit} ORDER BY tier_start)
               FILTER (WHERE price_key = 'cache_write_mtok') AS cache_write_tiers,
           list({'start': tier_start, 'price': price_per_unit} ORDER BY tier_start)
               FILTER (WHERE price_key = 'cache_write_5m_mtok') AS cache_write_5m_tiers,
           list({'start': tier_start, 'price': price_per_unit} ORDER BY tier_start)
               FILTER (WHERE price_key = 'cache_write_1h_mtok') AS cache_write_1h_tiers,
           list({'start': tier_start, 'price': price_per_unit} ORDER BY tier_start)
               FILTER (WHERE price_key = 'output_mtok') AS output_tiers,
           list({'start': tier_start, 'price': price_per_unit} ORDER BY tier_start)
               FILTER (WHERE price_key = 'output_reasoning_mtok') AS output_reasoning_tiers,
           list({'start': tier_start, 'price': price_per_unit} ORDER BY tier_start)
               FILTER (WHERE price_key = 'web_searches_kcount') AS web_search_tiers,
           list({'start': tier_start, 'price': price_per_unit} ORDER BY tier_start)
               FILTER (WHERE price_key = 'requests_kcount') AS request_tiers
    FROM effective_prices
    GROUP BY ALL
),
-- Per call, the rate of each bucket: a tier is a cliff on the call's total input tokens; a
-- bucket the price book does not price separately pays the rate of the bucket it is part of.
rates AS (
    SELECT c.*, r.has_batch_price,
           list_last(list_filter(r.input_tiers,
               lambda t: t.start = 0 OR c.total_input > t.start)).price AS input_rate,
           list_last(list_filter(r.cache_read_tiers,
               lambda t: t.start = 0 OR c.total_input > t.start)).price AS cache_read_rate,
           list_last(list_filter(r.cache_write_tiers,
               lambda t: t.start = 0 OR c.total_input > t.start)).price AS cache_write_rate,
           list_last(list_filter(r.cache_write_5m_tiers,
               lambda t: t.start = 0 OR c.total_input > t.start)).price AS cache_write_5m_rate,
           list_last(list_filter(r.cache_write_1h_tiers,
               lambda t: t.start = 0 OR c.total_input > t.start)).price AS cache_write_1h_rate,
           list_last(list_filter(r.output_tiers,
               lambda t: t.start = 0 OR c.total_input > t.start)).price AS output_rate,
           list_last(list_filter(r.output_reasoning_tiers,
               lambda t: t.start = 0 OR c.total_input > t.start)).price AS reasoning_rate,
           list_last(list_filter(r.web_search_tiers,
               lambda t: t.start = 0 OR c.total_input > t.start)).price AS web_search_rate,
           list_last(list_filter(r.request_tiers,
               lambda t: t.start = 0 OR c.total_input > t.start)).price AS request_rate
    FROM calls c
    LEFT JOIN resolved r
        ON r.price_provider = c.price_provider AND r.price_model = c.price_model
        AND r.via_fallback = c.via_fallback AND r.day = c.event_at::DATE
        AND r.is_batch = c.is_batch AND r.service_tier IS NOT DISTINCT FROM c.service_tier
        AND (r.time_of_day IS NULL OR r.time_of_day = c.event_at::TIME)
),
bucket_costs AS (
    SELECT *,
           -- the batch APIs bill half where the price book has no batch price of its own
           CASE WHEN is_batch AND NOT coalesce(has_batch_price, false)
                     AND provider IN ('openai', 'anthropic')
                THEN 0.5 ELSE 1 END::DECIMAL(2, 1) AS batch_factor,
           input_tokens * coalesce(input_rate, 0) AS input_list,
           cache_read_tokens * coalesce(cache_read_rate, input_rate, 0) AS cache_read_list,
           cache_write_tokens * coalesce(cache_write_5m_rate, cache_write_rate, input_rate, 0)
               AS cache_write_list,
           cache_write_1h_tokens * coalesce(cache_write_1h_rate, cache_write_rate, input_rate, 0)
               AS cache_write_1h_list,
           (output_tokens - reasoning_tokens) * coalesce(output_rate, 0)
               + reasoning_tokens * coalesce(reasoning_rate, output_rate, 0) AS output_list,
           web_search_requests * coalesce(web_search_rate, 0) AS web_search_list,
           CASE WHEN status = 'ok' THEN coalesce(request_rate, 0) ELSE 0 END AS request_list
    FROM rates
)
SELECT request_id, dedup_key, provider, model, price_provider, price_model, event_at,
       price_model IS NOT NULL AS is_priced,
       CASE WHEN price_model IS NOT NULL THEN input_list * batch_factor END AS input_cost,
       CASE WHEN price_model IS NOT NULL THEN cache_read_list * batch_factor END
           AS cache_read_cost,
       CASE WHEN price_model IS NOT NULL THEN cache_write_list * batch_factor END
           AS cache_write_cost,
       CASE WHEN price_model IS NOT NULL THEN cache_write_1h_list * batch_factor END
           AS cache_write_1h_cost,
       CASE WHEN price_model IS NOT NULL THEN output_list * batch_factor END AS output_cost,
       CASE WHEN price_model IS NOT NULL THEN web_search_list END AS web_search_cost,
       CASE WHEN price_model IS NOT NULL THEN request_list END AS request_cost,
       CASE WHEN price_model IS NOT NULL
            THEN (input_list + cache_read_list + cache_write_list + cache_write_1h_list
                  + output_list) * batch_factor + web_search_list + request_list
       END AS total_cost,
       batch_factor < 1 AS batch_discount_applied,
       $pricebook_version AS pricebook_version
FROM bucket_costs;
