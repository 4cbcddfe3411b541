-- The price book, exported from the pinned genai-prices package (pipelines/pricebook.py).
CREATE TABLE IF NOT EXISTS dim_price (
    price_provider   VARCHAR NOT NULL,
    price_model      VARCHAR NOT NULL,
    set_kind         VARCHAR NOT NULL,
    set_ordinal      INTEGER NOT NULL,
    constraint_kind  VARCHAR NOT NULL,
    start_date       DATE,
    start_time       TIME,
    end_time         TIME,
    when_key         VARCHAR,
    when_value       VARCHAR,
    price_key        VARCHAR NOT NULL,
    tier_start       BIGINT NOT NULL,
    unit_price       DECIMAL(30, 18) NOT NULL,
    per              BIGINT NOT NULL,
    price_per_unit   DECIMAL(18, 12) NOT NULL,
    pricebook_version VARCHAR NOT NULL
);
COMMENT ON TABLE dim_price IS 'Price book. Grain: one row per price-book model, price set, price key and tier. Standard sets (set_kind standard) are chosen by date or time of day: of the sets whose constraint holds at the call''s time the highest set_ordinal wins, and if none holds, set 0. Variant sets (set_kind variant) override single keys when the call''s context matches when_key = when_value (processing = batch, service_tier = flex/priority/…, speed = fast); the lowest set_ordinal wins per key. Tiers are cliffs: the whole call pays the price of the highest tier_start its total input tokens exceed.';
COMMENT ON COLUMN dim_price.price_provider IS 'Provider id in the price book (genai-prices).';
COMMENT ON COLUMN dim_price.price_model IS 'Model id in the price book.';
COMMENT ON COLUMN dim_price.set_kind IS 'standard (a full price set, chosen by time) or variant (overrides for a request context).';
COMMENT ON COLUMN dim_price.set_ordinal IS 'Position of the set in the package''s list: later standard sets take precedence when active; earlier variants do.';
COMMENT ON COLUMN dim_price.constraint_kind IS 'always, start_date (in force from start_date, UTC) or time_of_day (in force between start_time and end_time UTC, e.g. off-peak prices).';
COMMENT ON COLUMN dim_price.start_date IS 'First UTC day the set is in force (constraint_kind start_date).';
COMMENT ON COLUMN dim_price.start_time IS 'Start of the daily UTC window (constraint_kind time_of_day).';
COMMENT ON COLUMN dim_price.end_time IS 'End of the daily UTC window, exclusive; a window may wrap midnight.';
COMMENT ON COLUMN dim_price.when_key IS 'Context key a variant needs: processing, service_tier or speed (the price book has others, e.g. route, search_type, that no logged call carries: never applied).';
COMMENT ON COLUMN dim_price.when_value IS 'Context value a variant needs, e.g. batch, flex, priority.';
COMMENT ON COLUMN dim_price.price_key IS 'What is priced: input_mtok, cache_read_mtok, cache_write_mtok, cache_write_5m_mtok, cache_write_1h_mtok, output_mtok, output_reasoning_mtok (per million tokens), web_searches_kcount, requests_kcount (per thousand).';
COMMENT ON COLUMN dim_price.tier_start IS '0 for the base price; otherwise the total-input-token count a call must exceed for this price.';
COMMENT ON COLUMN dim_price.unit_price IS 'USD per `per` units, exactly as the package states it.';
COMMENT ON COLUMN dim_price.per IS 'Units the unit price is for: 1,000,000 tokens or 1,000 searches/requests.';
COMMENT ON COLUMN dim_price.price_per_unit IS 'unit_price / per: USD for one token, search or request, to 1e-12 USD (exact for prices with up to 6 decimals per million tokens).';
COMMENT ON COLUMN dim_price.pricebook_version IS 'Price-book version these rows belong to (package version and data fingerprint).';

CREATE TABLE IF NOT EXISTS dim_model (
    provider          VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    price_provider    VARCHAR,
    price_model       VARCHAR,
    via_fallback      BOOLEAN NOT NULL,
    pricebook_version VARCHAR NOT NULL
);
COMMENT ON TABLE dim_model IS 'Model matches. Grain: one row per distinct (provider, model) string in the ledger, matched once to a price-book model by the package''s own rules, including its provider fallbacks (Azure -> OpenAI, …). price_model NULL means unmatched: such calls are unpriced, never $0.';
COMMENT ON COLUMN dim_model.provider IS 'Provider as in fct_requests.';
COMMENT ON COLUMN dim_model.model IS 'Model string as in fct_requests.';
COMMENT ON COLUMN dim_model.price_provider IS 'Price-book provider whose list holds the match.';
COMMENT ON COLUMN dim_model.price_model IS 'Matched price-book model; NULL when nothing matches.';
COMMENT ON COLUMN dim_model.via_fallback IS 'Matched in another provider''s list; request-context variants (batch, service tier) then do not apply, as in the package.';
COMMENT ON COLUMN dim_model.pricebook_version IS 'Price-book version that made the match.';

CREATE TABLE IF NOT EXISTS price_discounts (
    ordinal           INTEGER NOT NULL,
    provider          VARCHAR NOT NULL,
    model             VARCHAR,
    project           VARCHAR,
    percent           DECIMAL(7, 4) NOT NULL,
    valid_from        DATE NOT NULL,
    until             DATE,
    pricebook_version VARCHAR NOT NULL
);
COMMENT ON TABLE price_discounts IS 'Negotiated discounts from pricing/overrides.yaml. Grain: one row per discount entry. A call takes the single most specific discount that matches it (project and model named beat model named beats provider only; then the latest valid_from; then file order).';
COMMENT ON COLUMN price_discounts.ordinal IS 'Position in the overrides file.';
COMMENT ON COLUMN price_discounts.provider IS 'Provider the discount applies to (fct_requests.provider).';
COMMENT ON COLUMN price_discounts.model IS 'Model it applies to (raw model string or price-book model id); NULL for all.';
COMMENT ON COLUMN price_discounts.project IS 'Project it applies to; NULL for all.';
COMMENT ON COLUMN price_discounts.percent IS 'Percent off the list cost, 0 to 100.';
COMMENT ON COLUMN price_discounts.valid_from IS 'First UTC day the discount applies.';
COMMENT ON COLUMN price_discounts.until IS 'Last UTC day it applies (inclusive); NULL for open-ended.';
COMMENT ON COLUMN price_discounts.pricebook_version IS 'Price-book version (with the overrides fingerprint) it was loaded with.';

-- The standard prices in force on a day, per price-book model: the base tier of the standard
-- set chosen by date (time-of-day sets aside), per token. Used by the scenarios' levers and the
-- Prices dashboard; analysts can call it: SELECT * FROM prices_in_force(DATE '2026-11-01').
CREATE OR REPLACE MACRO prices_in_force(on_day) AS TABLE
WITH sets AS (
    SELECT price_provider, price_model, max(set_ordinal) AS set_ordinal
    FROM dim_price
    WHERE set_kind = 'standard'
      AND (constraint_kind = 'always' OR set_ordinal = 0
           OR (constraint_kind = 'start_date' AND start_date <= on_day))
    GROUP BY ALL
)
SELECT p.price_provider, p.price_model,
       max(p.price_per_unit) FILTER (WHERE p.price_key = 'input_mtok' AND p.tier_start = 0)
           AS input_rate,
       max(p.price_per_unit) FILTER (WHERE p.price_key = 'cache_read_mtok' AND p.tier_start = 0)
           AS cache_read_rate,
       max(p.price_per_unit) FILTER (WHERE p.price_key = 'cache_write_mtok'
                                     AND p.tier_start = 0) AS cache_write_rate,
       max(p.price_per_unit) FILTER (WHERE p.price_key = 'output_mtok' AND p.tier_start = 0)
           AS output_rate,
       max(p.tier_start) AS highest_tier_start, max(p.start_date) AS in_force_since
FROM dim_price p
JOIN sets s USING (price_provider, price_model, set_ordinal)
WHERE p.set_kind = 'standard'
GROUP BY ALL;
