-- Costs per call, filled by fct_costs.sql and fct_cost_estimates.sql (pipelines/pricing).
CREATE TABLE IF NOT EXISTS fct_costs (
    call_id                BIGINT NOT NULL,
    event_day              DATE,
    price_model            VARCHAR,
    cost_status            VARCHAR NOT NULL,
    is_priced              BOOLEAN NOT NULL,
    input_cost             DECIMAL(18, 13),
    cache_read_cost        DECIMAL(18, 13),
    cache_write_cost       DECIMAL(18, 13),
    cache_write_1h_cost    DECIMAL(18, 13),
    output_cost            DECIMAL(18, 13),
    web_search_cost        DECIMAL(18, 13),
    request_cost           DECIMAL(18, 13),
    total_cost             DECIMAL(18, 13),
    list_cost              DECIMAL(18, 13),
    discount_percent       DECIMAL(7, 4) NOT NULL,
    batch_discount_applied BOOLEAN NOT NULL,
    pricebook_version      VARCHAR NOT NULL
);
COMMENT ON TABLE fct_costs IS 'Cost of each call in USD, exact DECIMAL(18,13) (prices are kept per token to 1e-12 USD, exact for every price stated with up to 6 decimals per million tokens; the few price-book entries carrying float artifacts such as 0.18000000000000002 are rounded there), at the price in force at its event_at. Grain: one row per fct_requests row (join on call_id; fct_request_costs is that join, keyed by request_id). A call whose cost cannot be known has NULL costs, never $0, and cost_status says why: an unmatched model (unpriced_models) or usage the log does not hold (unknown_usage; its estimate is in fct_cost_estimates, never in these columns).';
COMMENT ON COLUMN fct_costs.call_id IS 'As in fct_requests: the join key.';
COMMENT ON COLUMN fct_costs.event_day IS 'UTC day of the call''s event_at: the day whose prices apply, and its mart_daily_spend day.';
COMMENT ON COLUMN fct_costs.price_model IS 'Price-book model that prices the call (its provider is in dim_model); NULL when the model is unpriced. Set for usage_unknown calls too: the price their tokens would pay.';
COMMENT ON COLUMN fct_costs.cost_status IS 'Whether the cost is known, and if not why: priced (the costs are exact); unpriced_model (the model matches nothing in the price book: unpriced_models); usage_unknown (status no_usage: the log holds no usage, so the tokens and the costs are unknown; the call runs up spend at risk, estimated in fct_cost_estimates). A no_usage call of an unpriced model is usage_unknown.';
COMMENT ON COLUMN fct_costs.is_priced IS 'cost_status = priced: the call has an exact cost. false means the costs are unknown (NULL), not zero.';
COMMENT ON COLUMN fct_costs.input_cost IS 'input_tokens at the input rate (its long-context tier when the call''s total input passes the threshold).';
COMMENT ON COLUMN fct_costs.cache_read_cost IS 'cache_read_tokens at the cache-read rate (the input rate where the model has none).';
COMMENT ON COLUMN fct_costs.cache_write_cost IS 'cache_write_tokens (5-minute) at the cache-write rate (the input rate where the model has none).';
COMMENT ON COLUMN fct_costs.cache_write_1h_cost IS 'cache_write_1h_tokens at the 1-hour cache-write rate (else the cache-write rate, else the input rate).';
COMMENT ON COLUMN fct_costs.output_cost IS 'output_tokens at the output rate (reasoning at the reasoning rate where the model has one).';
COMMENT ON COLUMN fct_costs.web_search_cost IS 'web_search_requests at the price per 1,000 searches.';
COMMENT ON COLUMN fct_costs.request_cost IS 'Per-request fee where the model has one (successful calls only).';
COMMENT ON COLUMN fct_costs.total_cost IS 'Sum of the cost columns: what the call cost after any negotiated discount.';
COMMENT ON COLUMN fct_costs.list_cost IS 'The same call at list price (the price book, batch rate included), before negotiated discounts.';
COMMENT ON COLUMN fct_costs.discount_percent IS 'Negotiated discount applied to every cost column (price_discounts), 0 when none.';
COMMENT ON COLUMN fct_costs.batch_discount_applied IS 'A batch call of the OpenAI or Anthropic batch API priced at 50% of its token rates because the price book had no batch price in force.';
COMMENT ON COLUMN fct_costs.pricebook_version IS 'Price-book version that priced the row: a closed month re-prices identically under the same version.';

-- Spend at risk: what the calls without usage probably cost. Kept apart from fct_costs so that
-- no sum of total_cost can ever include a guess.
CREATE TABLE IF NOT EXISTS fct_cost_estimates (
    call_id          BIGINT NOT NULL,
    event_day        DATE,
    estimate_method  VARCHAR NOT NULL,
    reference_calls  BIGINT,
    estimated_cost   DECIMAL(18, 13)
);
COMMENT ON TABLE fct_cost_estimates IS 'Estimated cost of each call whose usage the log does not hold (fct_costs.cost_status = usage_unknown): spend at risk, never added into total_cost. Grain: one row per such call (join on call_id). Method and its measured error: docs/pricing.md.';
COMMENT ON COLUMN fct_cost_estimates.call_id IS 'As in fct_requests.';
COMMENT ON COLUMN fct_cost_estimates.event_day IS 'UTC day of the call.';
COMMENT ON COLUMN fct_cost_estimates.estimate_method IS 'model_project_mean_30d: the mean total_cost of the successful, priced, non-batch calls of the same provider, model and project in the 30 days ending on the call''s day; model_mean_30d: the same over every project, where the project had none; no_reference: no such call (estimated_cost NULL).';
COMMENT ON COLUMN fct_cost_estimates.reference_calls IS 'How many calls the mean is taken over.';
COMMENT ON COLUMN fct_cost_estimates.estimated_cost IS 'The estimate in USD (exact mean of exact costs, rounded half up to 1e-13); NULL for no_reference.';

-- Views over fct_costs that analysts and checks rely on.
-- Each is a view over every call, made from a macro that takes the name of a relation with
-- fct_requests' columns: the nightly checks ask the same question of the calls their run
-- costed (the temp view calls_to_cost), so they cost what the new data costs.
CREATE OR REPLACE MACRO unpriced_models_among(call_relation) AS TABLE
SELECT f.provider, f.model, count(*) AS calls,
       sum(f.input_tokens) AS input_tokens, sum(f.cache_read_tokens) AS cache_read_tokens,
       sum(f.cache_write_tokens + f.cache_write_1h_tokens) AS cache_write_tokens,
       sum(f.output_tokens) AS output_tokens,
       min(f.event_at) AS first_seen, max(f.event_at) AS last_seen
FROM query_table(call_relation) f
JOIN fct_costs c USING (call_id)
WHERE NOT c.is_priced AND f.status = 'ok'
GROUP BY ALL
ORDER BY calls DESC;
CREATE OR REPLACE VIEW unpriced_models AS SELECT * FROM unpriced_models_among('fct_requests');
COMMENT ON VIEW unpriced_models IS 'Calls whose model matches nothing in the price book (nor an override): never priced at $0, listed here with their tokens. Grain: one row per (provider, model) string.';

CREATE OR REPLACE VIEW cost_vs_reported AS
SELECT f.request_id, f.provider, f.model, f.event_at, f.provider_reported_cost,
       c.total_cost, c.total_cost - f.provider_reported_cost AS difference
FROM fct_requests f
JOIN fct_costs c USING (call_id)
WHERE f.provider_reported_cost IS NOT NULL
  AND (c.total_cost IS NULL OR c.total_cost <> f.provider_reported_cost);
COMMENT ON VIEW cost_vs_reported IS 'Calls whose log reported a cost (OpenRouter usage.cost, Claude Code costUSD, a span''s cost, LiteLLM response_cost) that differs from the computed one. Grain: one row per such call.';
COMMENT ON COLUMN unpriced_models.provider IS 'As in fct_requests.';
COMMENT ON COLUMN unpriced_models.model IS 'Model string that matched no price; add it to pricing/overrides.yaml or wait for the package.';
COMMENT ON COLUMN unpriced_models.calls IS 'Successful calls with this model.';
COMMENT ON COLUMN unpriced_models.input_tokens IS 'Their input tokens (base rate bucket).';
COMMENT ON COLUMN unpriced_models.cache_read_tokens IS 'Their cache-read tokens.';
COMMENT ON COLUMN unpriced_models.cache_write_tokens IS 'Their cache-write tokens, both lifetimes.';
COMMENT ON COLUMN unpriced_models.output_tokens IS 'Their output tokens.';
COMMENT ON COLUMN unpriced_models.first_seen IS 'First event_at with this model.';
COMMENT ON COLUMN unpriced_models.last_seen IS 'Last event_at with this model.';
COMMENT ON COLUMN cost_vs_reported.request_id IS 'As in fct_requests.';
COMMENT ON COLUMN cost_vs_reported.provider IS 'As in fct_requests.';
COMMENT ON COLUMN cost_vs_reported.model IS 'As in fct_requests.';
COMMENT ON COLUMN cost_vs_reported.event_at IS 'As in fct_requests.';
COMMENT ON COLUMN cost_vs_reported.provider_reported_cost IS 'The provider''s own cost for the call (USD).';
COMMENT ON COLUMN cost_vs_reported.total_cost IS 'The computed cost (fct_costs.total_cost); NULL when unpriced.';
COMMENT ON COLUMN cost_vs_reported.difference IS 'total_cost - provider_reported_cost.';

CREATE OR REPLACE VIEW fct_request_costs AS
SELECT f.request_id, f.dedup_key, f.call_id, f.provider, f.model, f.event_at, f.project,
       f.user_id, f.api_key_id, f.status, f.is_batch, f.service_tier,
       c.* EXCLUDE (call_id), e.estimated_cost, e.estimate_method
FROM fct_requests f
JOIN fct_costs c USING (call_id)
LEFT JOIN fct_cost_estimates e USING (call_id);
COMMENT ON VIEW fct_request_costs IS 'Each call with its costs: fct_requests joined to fct_costs, and the estimate of a call whose usage is unknown (fct_cost_estimates). Grain: one row per API call, keyed by dedup_key (request_id, the provider''s id, is NULL where the log has none).';

CREATE OR REPLACE MACRO unknown_usage_among(call_relation) AS TABLE
SELECT f.provider, f.model, f.api, f.is_stream, count(*) AS calls,
       count(*) FILTER (f.finish_reason = 'error') AS cut_by_error,
       sum(e.estimated_cost) AS estimated_cost,
       min(f.event_at) AS first_seen, max(f.event_at) AS last_seen,
       CASE WHEN f.api = 'chat_completions' AND f.is_stream
                 AND count(*) FILTER (f.finish_reason = 'error') < count(*)
            THEN 'Send stream_options: {"include_usage": true} with every streamed chat '
                 || 'completion (OpenAI, Azure and most OpenAI-compatible servers leave usage '
                 || 'out of streams by default), and log the stream to its last chunk.'
            WHEN f.is_stream
            THEN 'Log each stream to its end: usage arrives in its last events, and a stream '
                 || 'cut off by an error or a client that stopped reading never reports it.'
            ELSE 'Log the whole response body, usage included.'
       END AS fix
FROM query_table(call_relation) f
LEFT JOIN fct_cost_estimates e USING (call_id)
WHERE f.status = 'no_usage'
GROUP BY f.provider, f.model, f.api, f.is_stream
ORDER BY calls DESC, f.provider, f.model;
CREATE OR REPLACE VIEW unknown_usage AS SELECT * FROM unknown_usage_among('fct_requests');
COMMENT ON VIEW unknown_usage IS 'Calls that ran but whose log holds no usage (status no_usage): their tokens and cost are unknown, and how to fix that where the calls are logged. Grain: one row per provider, model, api and is_stream.';
COMMENT ON COLUMN unknown_usage.provider IS 'As in fct_requests.';
COMMENT ON COLUMN unknown_usage.model IS 'As in fct_requests.';
COMMENT ON COLUMN unknown_usage.api IS 'As in fct_requests.';
COMMENT ON COLUMN unknown_usage.is_stream IS 'As in fct_requests.';
COMMENT ON COLUMN unknown_usage.calls IS 'Calls without usage.';
COMMENT ON COLUMN unknown_usage.cut_by_error IS 'Of which the stream ended in an error event.';
COMMENT ON COLUMN unknown_usage.estimated_cost IS 'Their spend at risk (fct_cost_estimates), an estimate.';
COMMENT ON COLUMN unknown_usage.first_seen IS 'First event_at.';
COMMENT ON COLUMN unknown_usage.last_seen IS 'Last event_at.';
COMMENT ON COLUMN unknown_usage.fix IS 'What to change where the calls are made or logged so that their usage is recorded.';
