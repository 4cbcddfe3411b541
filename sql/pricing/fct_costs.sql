-- Cost of every call at the price in force at its event_at, exact (DECIMAL). With the full flag (the
-- price book changed) every call is re-priced; otherwise only the calls in cost_scope (those the
-- run added, changed or removed), so the nightly cost follows the new data.
-- Everything that decides a call's rates (provider, model, day, time of day, batch, service
-- tier, speed and the long-context tier band of its input) is hashed into one integer price key per
-- call: many calls share a key, so rates are resolved once per key, batch factor and fallbacks
-- included, and the ledger is joined to them once, on that integer.
-- Money as whole units of 1e-13 USD (BIGINT) and back to DECIMAL(18, 13).
CREATE OR REPLACE TEMP MACRO units(rate) AS (rate * 10000000000000)::BIGINT;
CREATE OR REPLACE TEMP MACRO usd(amount) AS
    amount::DECIMAL(18, 0) * 0.0000000000001::DECIMAL(18, 13);
CREATE OR REPLACE TEMP MACRO discounted(amount, keep_ppm) AS
    CASE WHEN keep_ppm = 1000000 THEN amount
         ELSE amount // 1000000 * keep_ppm + (amount % 1000000 * keep_ppm + 500000) // 1000000
    END;
DELETE FROM fct_costs WHERE $full;
DELETE FROM fct_costs WHERE call_id IN (SELECT call_id FROM cost_scope);
INSERT INTO fct_costs BY NAME
WITH date_boundaries AS (
    SELECT DISTINCT price_provider, price_model, start_date AS boundary
    FROM dim_price WHERE constraint_kind = 'start_date'
),
time_boundaries AS (
    SELECT DISTINCT price_provider, price_model, unnest([start_time, end_time]) AS boundary
    FROM dim_price WHERE constraint_kind = 'time_of_day'
),
model_info AS (
    SELECT m.*, t.time_boundaries,
           hash(m.provider, m.price_provider, m.price_model, m.via_fallback) AS model_key
    FROM dim_model m
    LEFT JOIN (SELECT price_provider, price_model,
                      list(DISTINCT boundary ORDER BY boundary) AS time_boundaries
               FROM time_boundaries GROUP BY ALL) t USING (price_provider, price_model)
),
-- Tiers are cliffs on a call's total input tokens, and the price book names few thresholds:
-- a call's band is the highest threshold below its total input (0 below all of them).
thresholds AS (
    SELECT list(DISTINCT tier_start ORDER BY tier_start) AS starts, min(tier_start) AS lowest
    FROM dim_price WHERE tier_start > 0
),
calls AS NOT MATERIALIZED (
    SELECT f.call_id, f.provider, f.model, f.status, f.input_tokens, f.cache_read_tokens,
           f.cache_write_tokens, f.cache_write_1h_tokens, f.output_tokens, f.reasoning_tokens,
           f.web_search_requests, f.project, f.event_at::DATE AS event_day,
           m.price_provider, m.price_model,
           -- a call without usage (NULL tokens) is banded as 0: its costs stay NULL anyway
           coalesce(prompt_tokens(f.input_tokens, f.cache_read_tokens, f.cache_write_tokens,
                                  f.cache_write_1h_tokens), 0) AS total_input,
           CASE WHEN t.lowest IS NULL OR total_input <= t.lowest THEN 0
                ELSE list_last(list_filter(t.starts, lambda s: s < total_input)) END
               AS band_start,
           -- prices change at the times of day the price book names: each call is priced as
           -- of the last such boundary at or before it (only those models have boundaries)
           CASE WHEN m.time_boundaries IS NULL THEN TIME '00:00:00'
                ELSE coalesce(list_last(list_filter(m.time_boundaries,
                                                    lambda b: b <= f.event_at::TIME)),
                              TIME '00:00:00') END AS time_of_day,
           -- an unpriced call has no price key, so it joins no rates
           CASE WHEN m.price_model IS NOT NULL
                THEN hash(m.model_key, event_day, time_of_day, f.is_batch, f.service_tier,
                          f.speed, band_start) END AS price_key_id,
           -- everything a negotiated discount depends on, as one integer (only providers with
           -- discounts need one)
           CASE WHEN f.provider IN (SELECT provider FROM price_discounts)
                THEN hash(f.provider, f.model, m.price_model, f.project, event_day)
           END AS discount_key,
           f.is_batch, f.service_tier, f.speed, coalesce(m.via_fallback, false) AS via_fallback
    FROM calls_to_cost f  -- the ledger, or the run's calls (cost_scope.sql)
    LEFT JOIN model_info m ON m.provider = f.provider AND m.model IS NOT DISTINCT FROM f.model
    CROSS JOIN thresholds t
),
call_keys AS (
    SELECT price_key_id, any_value(provider) AS provider,
           any_value(price_provider) AS price_provider, any_value(price_model) AS price_model,
           any_value(via_fallback) AS via_fallback, any_value(event_day) AS event_day,
           any_value(time_of_day) AS time_of_day, any_value(is_batch) AS is_batch,
           any_value(service_tier) AS service_tier, any_value(speed) AS speed,
           any_value(band_start) AS band_start
    FROM calls
    WHERE price_model IS NOT NULL
    GROUP BY price_key_id
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
           OR (a.when_key = 'service_tier' AND a.when_value = a.service_tier)
           OR (a.when_key = 'speed' AND a.when_value = a.speed))
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
-- Each bucket's price for a key: the highest tier its band has passed.
bucket_prices AS (
    SELECT price_key_id, price_key, arg_max(price_per_unit, tier_start) AS price
    FROM effective_prices
    WHERE tier_start <= band_start
    GROUP BY ALL
),
batch_priced AS (
    SELECT price_key_id, bool_or(is_batch_price) AS has_batch_price
    FROM effective_prices
    GROUP BY ALL
),
bucket_rates AS (
    SELECT k.price_key_id, k.provider, k.is_batch, b.has_batch_price,
           max(p.price) FILTER (WHERE p.price_key = 'input_mtok') AS input,
           max(p.price) FILTER (WHERE p.price_key = 'cache_read_mtok') AS cache_read,
           max(p.price) FILTER (WHERE p.price_key = 'cache_write_mtok') AS cache_write,
           max(p.price) FILTER (WHERE p.price_key = 'cache_write_5m_mtok') AS cache_write_5m,
           max(p.price) FILTER (WHERE p.price_key = 'cache_write_1h_mtok') AS cache_write_1h,
           max(p.price) FILTER (WHERE p.price_key = 'output_mtok') AS output,
           max(p.price) FILTER (WHERE p.price_key = 'output_reasoning_mtok') AS reasoning,
           max(p.price) FILTER (WHERE p.price_key = 'web_searches_kcount') AS web_search,
           max(p.price) FILTER (WHERE p.price_key = 'requests_kcount') AS request
    FROM price_keys k
    LEFT JOIN batch_priced b USING (price_key_id)
    LEFT JOIN bucket_prices p USING (price_key_id)
    GROUP BY ALL
),
-- The rate each bucket of a key's calls pays, per token (per search, per request): a bucket
-- the price book does not price separately pays the rate of the bucket it is part of, and the
-- batch APIs bill half where the price book has no batch price of its own. Token rates carry 12
-- decimals and the batch factor one more, so every rate is a whole number of 1e-13 USD units:
-- the per-call arithmetic below is on those integers (BIGINT; DuckDB raises on overflow, never
-- wraps), which is exact and many times faster than DECIMAL products, and the costs become
-- DECIMAL(18, 13) at the end.
key_rates AS (
    SELECT price_key_id, batch_factor < 1 AS batch_discount_applied,
           units(coalesce(input, 0) * batch_factor) AS input_rate,
           units(coalesce(cache_read, input, 0) * batch_factor) AS cache_read_rate,
           units(coalesce(cache_write_5m, cache_write, input, 0) * batch_factor)
               AS cache_write_rate,
           units(coalesce(cache_write_1h, cache_write, input, 0) * batch_factor)
               AS cache_write_1h_rate,
           units(coalesce(output, 0) * batch_factor) AS output_rate,
           units(coalesce(reasoning, output, 0) * batch_factor) AS reasoning_rate,
           units(coalesce(web_search, 0)) AS web_search_rate,
           units(coalesce(request, 0)) AS request_rate
    FROM (SELECT *, CASE WHEN is_batch AND NOT coalesce(has_batch_price, false)
                              AND provider IN ('openai', 'anthropic')
                         THEN 0.5 ELSE 1 END::DECIMAL(2, 1) AS batch_factor
          FROM bucket_rates)
),
-- Per call: tokens x rate, in units. An unpriced call has no key rates and a call without
-- usage has no tokens, so their costs are NULL, never $0.
list_costs AS (
    SELECT c.call_id, c.event_day, c.price_model, c.discount_key,
           CASE WHEN c.status = 'no_usage' THEN 'usage_unknown'
                WHEN c.price_model IS NULL THEN 'unpriced_model'
                ELSE 'priced' END AS cost_status,
           coalesce(r.batch_discount_applied, false) AS batch_discount_applied,
           c.input_tokens * r.input_rate AS input_list,
           c.cache_read_tokens * r.cache_read_rate AS cache_read_list,
           c.cache_write_tokens * r.cache_write_rate AS cache_write_list,
           c.cache_write_1h_tokens * r.cache_write_1h_rate AS cache_write_1h_list,
           (c.output_tokens - c.reasoning_tokens) * r.output_rate
               + c.reasoning_tokens * r.reasoning_rate AS output_list,
           c.web_search_requests * r.web_search_rate AS web_search_list,
           -- the per-request fee is billed for successful calls only; unknown without usage
           CASE c.status WHEN 'ok' THEN r.request_rate WHEN 'error' THEN r.request_rate * 0
           END AS request_list
    FROM calls c
    LEFT JOIN key_rates r USING (price_key_id)
),
-- Negotiated discounts: the single most specific match per distinct situation (provider, model,
-- project, day), joined back on its integer key.
discount_situations AS (
    SELECT discount_key, any_value(provider) AS provider, any_value(model) AS model,
           any_value(price_model) AS price_model, any_value(project) AS project,
           any_value(event_day) AS event_day
    FROM calls
    WHERE discount_key IS NOT NULL
    GROUP BY discount_key
),
discount_choice AS (
    SELECT s.discount_key, d.percent
    FROM discount_situations s
    JOIN price_discounts d
        ON d.provider = s.provider
        AND (d.model IS NULL OR d.model = s.model OR d.model = s.price_model)
        AND (d.project IS NULL OR d.project = s.project)
        AND s.event_day >= d.valid_from AND (d.until IS NULL OR s.event_day <= d.until)
    QUALIFY row_number() OVER (
        PARTITION BY s.discount_key
        ORDER BY (d.project IS NOT NULL)::INT + (d.model IS NOT NULL)::INT DESC,
                 d.valid_from DESC, d.ordinal) = 1
),
discounted AS (
    SELECT b.*, coalesce(c.percent, 0) AS discount_percent,
           ((100 - coalesce(c.percent, 0)) * 10000)::BIGINT AS keep_ppm
    FROM list_costs b
    LEFT JOIN discount_choice c USING (discount_key)
),
-- A discount keeps keep_ppm millionths of each bucket, rounded half up to a whole unit (1e-13
-- USD); split so that the product never leaves 64 bits.
rounded AS (
    SELECT *,
           input_list + cache_read_list + cache_write_list + cache_write_1h_list + output_list
               + web_search_list + request_list AS list_units,
           discounted(input_list, keep_ppm) AS input_units,
           discounted(cache_read_list, keep_ppm) AS cache_read_units,
           discounted(cache_write_list, keep_ppm) AS cache_write_units,
           discounted(cache_write_1h_list, keep_ppm) AS cache_write_1h_units,
           discounted(output_list, keep_ppm) AS output_units,
           discounted(web_search_list, keep_ppm) AS web_search_units,
           discounted(request_list, keep_ppm) AS request_units
    FROM discounted
)
SELECT call_id, event_day, price_model, cost_status, cost_status = 'priced' AS is_priced,
       usd(input_units) AS input_cost, usd(cache_read_units) AS cache_read_cost,
       usd(cache_write_units) AS cache_write_cost,
       usd(cache_write_1h_units) AS cache_write_1h_cost, usd(output_units) AS output_cost,
       usd(web_search_units) AS web_search_cost, usd(request_units) AS request_cost,
       usd(input_units + cache_read_units + cache_write_units + cache_write_1h_units
           + output_units + web_search_units + request_units) AS total_cost,
       usd(list_units) AS list_cost, discount_percent, batch_discount_applied,
       $pricebook_version AS pricebook_version
FROM rounded;
