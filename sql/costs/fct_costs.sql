-- Cost of every call at the price in force at its event_at, in exact DECIMAL. With the full flag (the
-- price book changed) every call is re-priced; otherwise only the calls in cost_scope (those the
-- run added, changed or removed), so the nightly cost follows the new data.
-- The rate of a price key for a call: its tiers are cliffs on the call's total input tokens.
CREATE OR REPLACE TEMP MACRO tier_rate(tiers, total_input) AS
    CASE WHEN len(tiers) > 3 AND total_input > tiers[4].start THEN tiers[4].price
         WHEN len(tiers) > 2 AND total_input > tiers[3].start THEN tiers[3].price
         WHEN len(tiers) > 1 AND total_input > tiers[2].start THEN tiers[2].price
         ELSE tiers[1].price END;

DELETE FROM fct_costs WHERE $full OR dedup_key IN (SELECT dedup_key FROM cost_scope);
INSERT INTO fct_costs BY NAME
-- Everything that decides a call's prices (model, day, time of day, batch, service tier) is
-- hashed into one integer price key per call: many calls share a key, so prices are resolved
-- once per key and the ledger is joined to them once, on that integer.
WITH date_boundaries AS (
    SELECT DISTINCT price_provider, price_model, start_date AS boundary
    FROM dim_price WHERE constraint_kind = 'start_date'
),
time_boundaries AS (
    SELECT DISTINCT price_provider, price_model, unnest([start_time, end_time]) AS boundary
    FROM dim_price WHERE constraint_kind = 'time_of_day'
),
model_info AS (
    SELECT m.*, t.time_boundaries
    FROM dim_model m
    LEFT JOIN (SELECT price_provider, price_model,
                      list(DISTINCT boundary ORDER BY boundary) AS time_boundaries
               FROM time_boundaries GROUP BY ALL) t USING (price_provider, price_model)
),
calls AS NOT MATERIALIZED (
    SELECT f.request_id, f.dedup_key, f.provider, f.model, f.status, f.is_batch,
           f.service_tier, f.input_tokens, f.cache_read_tokens, f.cache_write_tokens,
           f.cache_write_1h_tokens, f.output_tokens, f.reasoning_tokens, f.web_search_requests,
           f.input_tokens + f.cache_read_tokens + f.cache_write_tokens
               + f.cache_write_1h_tokens AS total_input,
           m.price_provider, m.price_model, coalesce(m.via_fallback, false) AS via_fallback,
           f.project, f.event_at::DATE AS event_day,
           -- prices change at the times of day the price book names: each call is priced as
           -- of the last such boundary at or before it (only those models have boundaries)
           CASE WHEN m.time_boundaries IS NULL THEN TIME '00:00:00'
                ELSE coalesce(list_last(list_filter(m.time_boundaries,
                                                    lambda b: b <= f.event_at::TIME)),
                              TIME '00:00:00') END AS time_of_day,
           hash(m.price_provider, m.price_model, via_fallback, event_day, time_of_day,
                f.is_batch, f.service_tier) AS price_key_id
    FROM fct_requests f
    LEFT JOIN model_info m ON m.provider = f.provider AND m.model IS NOT DISTINCT FROM f.model
    WHERE $full OR f.dedup_key IN (SELECT dedup_key FROM cost_scope)
),
call_keys AS (
    SELECT DISTINCT price_key_id, price_provider, price_model, via_fallback, event_day,
           time_of_day, is_batch, service_tier
    FROM calls
    WHERE price_model IS NOT NULL
),
-- Dated price sets start on the days the price book names: a key's "day" is the last such
-- boundary at or before its call day.
price_keys AS (
    SELECT k.*, coalesce(d.boundary, DATE '0001-01-01') AS day
    FROM call_keys k
    ASOF LEFT JOIN date_boundaries d
        ON d.price_provider = k.price_provider AND d.price_model = k.price_model
        AND k.event_day >= d.boundary
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
        ON a.set_kind = 'standard' AND a.price_key_id = k.price_key_id
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
    QUALIFY v.set_ordinal = min(v.set_ordinal) OVER (PARTITION BY v.price_key_id, p.price_key)
),
effective_prices AS MATERIALIZED (
    SELECT * , false AS is_batch_price FROM standard_prices s
    WHERE NOT EXISTS (
        SELECT 1 FROM variant_prices v
        WHERE v.price_key_id = s.price_key_id AND v.price_key = s.price_key)
    UNION ALL BY NAME
    SELECT * FROM variant_prices
),
-- One row per price key: the base rate of each bucket, and its tiers (ascending) only where it
-- has some: most keys have one price, and a flat rate costs far less per call than a tier list.
base_rates AS (
    SELECT price_key_id, bool_or(is_batch_price) AS has_batch_price,
           max(price_per_unit) FILTER (WHERE price_key = 'input_mtok' AND tier_start = 0)
               AS input_base,
           max(price_per_unit) FILTER (WHERE price_key = 'cache_read_mtok' AND tier_start = 0)
               AS cache_read_base,
           max(price_per_unit) FILTER (WHERE price_key = 'cache_write_mtok' AND tier_start = 0)
               AS cache_write_base,
           max(price_per_unit) FILTER (WHERE price_key = 'cache_write_5m_mtok' AND tier_start = 0)
               AS cache_write_5m_base,
           max(price_per_unit) FILTER (WHERE price_key = 'cache_write_1h_mtok' AND tier_start = 0)
               AS cache_write_1h_base,
           max(price_per_unit) FILTER (WHERE price_key = 'output_mtok' AND tier_start = 0)
               AS output_base,
           max(price_per_unit) FILTER (WHERE price_key = 'output_reasoning_mtok' AND tier_start = 0)
               AS output_reasoning_base,
           max(price_per_unit) FILTER (WHERE price_key = 'web_searches_kcount' AND tier_start = 0)
               AS web_search_base,
           max(price_per_unit) FILTER (WHERE price_key = 'requests_kcount' AND tier_start = 0)
               AS request_base
    FROM effective_prices
    GROUP BY ALL
),
tier_lists AS (
    SELECT price_key_id, price_key,
           list({'start': tier_start, 'price': price_per_unit} ORDER BY tier_start) AS cliffs
    FROM effective_prices
    WHERE (price_key_id, price_key) IN (SELECT price_key_id, price_key FROM effective_prices
                                        WHERE tier_start > 0)
    GROUP BY ALL
),
tiered AS (
    SELECT price_key_id,
           first(cliffs) FILTER (WHERE price_key = 'input_mtok') AS input_cliffs,
           first(cliffs) FILTER (WHERE price_key = 'cache_read_mtok') AS cache_read_cliffs,
           first(cliffs) FILTER (WHERE price_key = 'cache_write_mtok') AS cache_write_cliffs,
           first(cliffs) FILTER (WHERE price_key = 'cache_write_5m_mtok') AS cache_write_5m_cliffs,
           first(cliffs) FILTER (WHERE price_key = 'cache_write_1h_mtok') AS cache_write_1h_cliffs,
           first(cliffs) FILTER (WHERE price_key = 'output_mtok') AS output_cliffs,
           first(cliffs) FILTER (WHERE price_key = 'output_reasoning_mtok') AS output_reasoning_cliffs,
           first(cliffs) FILTER (WHERE price_key = 'web_searches_kcount') AS web_search_cliffs,
           first(cliffs) FILTER (WHERE price_key = 'requests_kcount') AS request_cliffs
    FROM tier_lists
    GROUP BY ALL
),
flat AS (
    SELECT * FROM base_rates LEFT JOIN tiered USING (price_key_id)
),
-- Per call, the rate of each bucket: a tier is a cliff on the call's total input tokens; a
-- bucket the price book does not price separately pays the rate of the bucket it is part of.
rates AS (
    SELECT c.*, r.has_batch_price,
           CASE WHEN r.input_cliffs IS NULL THEN r.input_base
                ELSE tier_rate(r.input_cliffs, c.total_input) END AS input_rate,
           CASE WHEN r.cache_read_cliffs IS NULL THEN r.cache_read_base
                ELSE tier_rate(r.cache_read_cliffs, c.total_input) END AS cache_read_rate,
           CASE WHEN r.cache_write_cliffs IS NULL THEN r.cache_write_base
                ELSE tier_rate(r.cache_write_cliffs, c.total_input) END AS cache_write_rate,
           CASE WHEN r.cache_write_5m_cliffs IS NULL THEN r.cache_write_5m_base
                ELSE tier_rate(r.cache_write_5m_cliffs, c.total_input) END AS cache_write_5m_rate,
           CASE WHEN r.cache_write_1h_cliffs IS NULL THEN r.cache_write_1h_base
                ELSE tier_rate(r.cache_write_1h_cliffs, c.total_input) END AS cache_write_1h_rate,
           CASE WHEN r.output_cliffs IS NULL THEN r.output_base
                ELSE tier_rate(r.output_cliffs, c.total_input) END AS output_rate,
           CASE WHEN r.output_reasoning_cliffs IS NULL THEN r.output_reasoning_base
                ELSE tier_rate(r.output_reasoning_cliffs, c.total_input) END AS reasoning_rate,
           CASE WHEN r.web_search_cliffs IS NULL THEN r.web_search_base
                ELSE tier_rate(r.web_search_cliffs, c.total_input) END AS web_search_rate,
           CASE WHEN r.request_cliffs IS NULL THEN r.request_base
                ELSE tier_rate(r.request_cliffs, c.total_input) END AS request_rate
    FROM calls c
    LEFT JOIN flat r USING (price_key_id)
),
-- Tokens are cast to DECIMAL(18, 0) so that tokens x rate stays a 64-bit DECIMAL(18, 12)
-- product (DuckDB raises on overflow, never wraps): ten times faster than BIGINT x DECIMAL.
bucket_costs AS NOT MATERIALIZED (
    SELECT *,
           -- the batch APIs bill half where the price book has no batch price of its own
           CASE WHEN is_batch AND NOT coalesce(has_batch_price, false)
                     AND provider IN ('openai', 'anthropic')
                THEN 0.5 ELSE 1 END::DECIMAL(2, 1) AS batch_factor,
           input_tokens::DECIMAL(18, 0) * coalesce(input_rate, 0::DECIMAL(18, 12))
               AS input_list,
           cache_read_tokens::DECIMAL(18, 0)
               * coalesce(cache_read_rate, input_rate, 0::DECIMAL(18, 12)) AS cache_read_list,
           cache_write_tokens::DECIMAL(18, 0)
               * coalesce(cache_write_5m_rate, cache_write_rate, input_rate, 0::DECIMAL(18, 12))
               AS cache_write_list,
           cache_write_1h_tokens::DECIMAL(18, 0)
               * coalesce(cache_write_1h_rate, cache_write_rate, input_rate, 0::DECIMAL(18, 12))
               AS cache_write_1h_list,
           (output_tokens - reasoning_tokens)::DECIMAL(18, 0)
               * coalesce(output_rate, 0::DECIMAL(18, 12))
               + reasoning_tokens::DECIMAL(18, 0)
                 * coalesce(reasoning_rate, output_rate, 0::DECIMAL(18, 12)) AS output_list,
           web_search_requests::DECIMAL(18, 0) * coalesce(web_search_rate, 0::DECIMAL(18, 12))
               AS web_search_list,
           CASE WHEN status = 'ok' THEN coalesce(request_rate, 0::DECIMAL(18, 12))
                ELSE 0::DECIMAL(18, 12) END AS request_list
    FROM rates
),
-- Negotiated discounts: the single most specific match per distinct situation, joined back.
discount_situations AS (
    SELECT DISTINCT provider, model, price_model, project, event_day FROM calls
    WHERE provider IN (SELECT provider FROM price_discounts)
),
discount_choice AS (
    SELECT s.provider, s.model, s.project, s.event_day, d.percent
    FROM discount_situations s
    JOIN price_discounts d
        ON d.provider = s.provider
        AND (d.model IS NULL OR d.model = s.model OR d.model = s.price_model)
        AND (d.project IS NULL OR d.project = s.project)
        AND s.event_day >= d.valid_from AND (d.until IS NULL OR s.event_day <= d.until)
    QUALIFY row_number() OVER (
        PARTITION BY s.provider, s.model, s.project, s.event_day
        ORDER BY (d.project IS NOT NULL)::INT + (d.model IS NOT NULL)::INT DESC,
                 d.valid_from DESC, d.ordinal) = 1
),
discounted AS (
    SELECT b.*, coalesce(c.percent, 0) AS discount_percent,
           ((100 - coalesce(c.percent, 0)) / 100)::DECIMAL(8, 6) AS keep_factor
    FROM bucket_costs b
    LEFT JOIN discount_choice c
        ON c.provider = b.provider AND c.model IS NOT DISTINCT FROM b.model
        AND c.project IS NOT DISTINCT FROM b.project AND c.event_day = b.event_day
),
-- Token rates carry 12 decimals and the batch factor one more, so list costs are exact,
-- a discount's share is rounded to 1e-13 USD per bucket.
list_costs AS (
    SELECT *,
           (input_list * batch_factor)::DECIMAL(18, 13) AS input_list_cost,
           (cache_read_list * batch_factor)::DECIMAL(18, 13) AS cache_read_list_cost,
           (cache_write_list * batch_factor)::DECIMAL(18, 13) AS cache_write_list_cost,
           (cache_write_1h_list * batch_factor)::DECIMAL(18, 13) AS cache_write_1h_list_cost,
           (output_list * batch_factor)::DECIMAL(18, 13) AS output_list_cost,
           web_search_list::DECIMAL(18, 13) AS web_search_list_cost,
           request_list::DECIMAL(18, 13) AS request_list_cost
    FROM discounted
),
rounded AS (
    SELECT *,
           input_list_cost + cache_read_list_cost + cache_write_list_cost
               + cache_write_1h_list_cost + output_list_cost + web_search_list_cost
               + request_list_cost AS list_cost,
           CASE WHEN discount_percent = 0 THEN input_list_cost
                ELSE (input_list_cost * keep_factor)::DECIMAL(18, 13) END AS input_cost,
           CASE WHEN discount_percent = 0 THEN cache_read_list_cost
                ELSE (cache_read_list_cost * keep_factor)::DECIMAL(18, 13) END AS cache_read_cost,
           CASE WHEN discount_percent = 0 THEN cache_write_list_cost
                ELSE (cache_write_list_cost * keep_factor)::DECIMAL(18, 13) END AS cache_write_cost,
           CASE WHEN discount_percent = 0 THEN cache_write_1h_list_cost
                ELSE (cache_write_1h_list_cost * keep_factor)::DECIMAL(18, 13) END AS cache_write_1h_cost,
           CASE WHEN discount_percent = 0 THEN output_list_cost
                ELSE (output_list_cost * keep_factor)::DECIMAL(18, 13) END AS output_cost,
           CASE WHEN discount_percent = 0 THEN web_search_list_cost
                ELSE (web_search_list_cost * keep_factor)::DECIMAL(18, 13) END AS web_search_cost,
           CASE WHEN discount_percent = 0 THEN request_list_cost
                ELSE (request_list_cost * keep_factor)::DECIMAL(18, 13) END AS request_cost
    FROM list_costs
)
SELECT dedup_key, event_day, price_model, price_model IS NOT NULL AS is_priced,
       CASE WHEN price_model IS NOT NULL THEN input_cost END AS input_cost,
       CASE WHEN price_model IS NOT NULL THEN cache_read_cost END AS cache_read_cost,
       CASE WHEN price_model IS NOT NULL THEN cache_write_cost END AS cache_write_cost,
       CASE WHEN price_model IS NOT NULL THEN cache_write_1h_cost END AS cache_write_1h_cost,
       CASE WHEN price_model IS NOT NULL THEN output_cost END AS output_cost,
       CASE WHEN price_model IS NOT NULL THEN web_search_cost END AS web_search_cost,
       CASE WHEN price_model IS NOT NULL THEN request_cost END AS request_cost,
       CASE WHEN price_model IS NOT NULL
            THEN input_cost + cache_read_cost + cache_write_cost + cache_write_1h_cost
                 + output_cost + web_search_cost + request_cost
       END AS total_cost,
       CASE WHEN price_model IS NOT NULL THEN list_cost END AS list_cost,
       discount_percent,
       price_model IS NOT NULL AND batch_factor < 1 AS batch_discount_applied,
       $pricebook_version AS pricebook_version
FROM rounded;
