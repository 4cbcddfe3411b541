-- The analysts' contract (issue #6): stable views in the schema `analytics`. Internal tables may
-- change; these names, columns and types may not without a deliberate change of
-- tests/contract/analytics_views.json. Columns re-exposed from the internal tables inherit their
-- documentation (pipelines/warehouse.py); new ones are documented here. Internal tables are
-- named with their schema: inside `analytics`, `quarantine` would be the view itself.
CREATE SCHEMA IF NOT EXISTS analytics;

CREATE OR REPLACE VIEW analytics.requests AS
SELECT f.request_id, f.dedup_key, f.provider, f.api, f.model,
       coalesce(c.price_model, f.model) AS model_family, f.event_at,
       f.event_at::DATE AS event_day, f.project, f.user_id, f.api_key_id, f.status,
       f.finish_reason, f.is_batch, f.is_stream, f.service_tier, f.max_tokens, f.request_hash,
       f.input_tokens, f.cache_read_tokens, f.cache_write_tokens, f.cache_write_1h_tokens,
       f.output_tokens, f.reasoning_tokens, f.web_search_requests,
       prompt_tokens(f.input_tokens, f.cache_read_tokens, f.cache_write_tokens,
                     f.cache_write_1h_tokens) AS prompt_tokens,
       prompt_tokens(f.input_tokens, f.cache_read_tokens, f.cache_write_tokens,
                     f.cache_write_1h_tokens) + f.output_tokens AS total_tokens,
       f.latency_ms, f.http_status, f.error_type, c.cost_status, c.is_priced, c.input_cost,
       c.cache_read_cost, c.cache_write_cost, c.cache_write_1h_cost, c.output_cost,
       c.web_search_cost, c.request_cost, c.total_cost, c.list_cost, c.discount_percent,
       c.batch_discount_applied, e.estimated_cost, e.estimate_method,
       f.provider_reported_cost, c.pricebook_version, f.source, f.session_id, f.is_sidechain,
       f.speed,
       f.source_file, f.source_line
FROM main.fct_requests f
JOIN main.fct_costs c USING (call_id)
LEFT JOIN main.fct_cost_estimates e USING (call_id);
COMMENT ON VIEW analytics.requests IS 'Every API call with its tokens and exact cost, whatever logged it (source: an API log, a coding agent''s transcript, an OpenTelemetry span). Grain: one row per call (dedup_key is unique; request_id is the provider''s id, NULL where the log has none). Tokens are NULL where the log holds no usage (status no_usage), and costs are NULL whenever they cannot be known (cost_status says why), never 0; estimated_cost is a labelled estimate for the calls without usage, never part of total_cost.';
COMMENT ON COLUMN analytics.requests.model_family IS 'The price-book model the call was priced as (dated snapshots and aliases of one model together), else the raw model string.';
COMMENT ON COLUMN analytics.requests.event_day IS 'UTC day of event_at.';
COMMENT ON COLUMN analytics.requests.prompt_tokens IS 'input + cache reads + cache writes (5 minutes and 1 hour): the whole prompt. NULL when status = no_usage.';
COMMENT ON COLUMN analytics.requests.total_tokens IS 'prompt_tokens + output_tokens. NULL when status = no_usage.';

CREATE OR REPLACE VIEW analytics.daily_spend AS
SELECT * FROM main.mart_daily_spend;
COMMENT ON VIEW analytics.daily_spend IS 'Daily spend. Grain: one row per UTC day, provider, model, project, user_id, api_key_id, status and source that had calls; known tokens and exact costs summed over those calls. Calls whose cost is unknown count in calls and in unpriced_calls or usage_unknown_calls and add nothing: a day''s spend is complete only where both are 0. estimated_cost is the spend at risk, never part of total_cost.';

CREATE OR REPLACE VIEW analytics.unknown_usage AS
SELECT * FROM main.unknown_usage;
COMMENT ON VIEW analytics.unknown_usage IS 'Calls that ran but whose log holds no usage, their estimated spend at risk, and the fix where they are logged. Grain: one row per provider, model, api and is_stream.';

CREATE OR REPLACE VIEW analytics.models AS
SELECT m.provider, m.model, m.price_provider, m.price_model, m.via_fallback,
       m.price_model IS NOT NULL AS is_priced, s.calls, s.first_day, s.last_day,
       m.pricebook_version
FROM main.dim_model m
LEFT JOIN (SELECT provider, model, sum(calls) AS calls, min(day) AS first_day,
                  max(day) AS last_day
           FROM main.mart_daily_spend GROUP BY ALL) s USING (provider, model);
COMMENT ON VIEW analytics.models IS 'Every model string seen in the logs and the price-book model it matched. Grain: one row per (provider, model).';
COMMENT ON COLUMN analytics.models.is_priced IS 'The model matched the price book (or an override): its calls have costs.';
COMMENT ON COLUMN analytics.models.calls IS 'Calls of this model in the ledger.';
COMMENT ON COLUMN analytics.models.first_day IS 'First UTC day with a call.';
COMMENT ON COLUMN analytics.models.last_day IS 'Last UTC day with a call.';

CREATE OR REPLACE VIEW analytics.prices AS
SELECT price_provider, price_model, set_kind, set_ordinal, constraint_kind, start_date,
       start_time, end_time, when_key, when_value, price_key, tier_start, unit_price, per,
       price_per_unit, pricebook_version
FROM main.dim_price;
COMMENT ON VIEW analytics.prices IS 'The price book with its effective dates, context variants and tiers. Grain: one row per price-book model, price set, price key and tier (rules in dim_price''s comment).';

CREATE OR REPLACE VIEW analytics.hardware AS
SELECT * FROM main.dim_hardware_generation;
COMMENT ON VIEW analytics.hardware IS 'Inference hardware generations with a source for every figure (hardware_sources). Grain: one row per generation.';

CREATE OR REPLACE VIEW analytics.scenarios AS
SELECT p.scenario_id, t.title AS scenario_title, p.month, p.month_index, p.provider,
       p.model_family, p.project, p.baseline_cost, p.projected_cost, p.savings,
       p.usage_factor, p.lever_factor, p.price_factor
FROM main.scenario_projection p
LEFT JOIN (SELECT DISTINCT scenario_id, title FROM main.scenario_parameters) t USING (scenario_id);
COMMENT ON VIEW analytics.scenarios IS 'Projected monthly spend per scenario for the months after the last actual one (docs/scenarios.md). Grain: one row per scenario, month, provider, model_family and project. Parameters: analytics.scenario_parameters.';
COMMENT ON COLUMN analytics.scenarios.scenario_title IS 'The scenario''s title in scenarios/scenarios.yaml.';

CREATE OR REPLACE VIEW analytics.scenario_parameters AS
SELECT * FROM main.scenario_parameters;
COMMENT ON VIEW analytics.scenario_parameters IS 'The value every scenario used for every parameter. Grain: one row per scenario and parameter.';

CREATE OR REPLACE VIEW analytics.quarantine AS
SELECT source_file, source_line, reason, raw_excerpt, raw_bytes, run_id FROM main.quarantine;
COMMENT ON VIEW analytics.quarantine IS 'Records that could not become calls, with file, line and reason. Grain: one row per rejected record.';

CREATE OR REPLACE VIEW analytics.ingestion_runs AS
SELECT r.*, s.snapshot_id, s.snapshot_time
FROM main.ingest_runs r
LEFT JOIN main.run_snapshots s USING (run_id);
COMMENT ON VIEW analytics.ingestion_runs IS 'Committed ingest runs, their counts and the snapshot each committed (time travel: tokenworks sql --as-of RUN_ID). Grain: one row per run that changed the warehouse.';
