-- Marts the dashboards read (dashboards/queries.py), rebuilt with mart_daily_spend for the days a
-- run touched (sql/marts/mart_daily_*.sql): pages never scan the ledger.
CREATE TABLE IF NOT EXISTS mart_daily_drivers (
    day                  DATE,
    provider             VARCHAR,
    model                VARCHAR,
    project              VARCHAR,
    source               VARCHAR,
    calls                BIGINT,
    priced_calls         BIGINT,
    usage_unknown_calls  BIGINT,
    total_cost           DECIMAL(38, 13),
    runaway_calls        BIGINT,
    runaway_cost         DECIMAL(38, 13),
    runaway_output_tokens BIGINT,
    input_tokens         BIGINT,
    cache_read_tokens    BIGINT,
    cache_write_tokens   BIGINT,
    cache_write_1h_tokens BIGINT,
    input_cost           DECIMAL(38, 13),
    cache_read_cost      DECIMAL(38, 13),
    repeat_calls         BIGINT,
    repeat_cost          DECIMAL(38, 13),
    reference_calls      BIGINT,
    reference_cost       DECIMAL(38, 13),
    batch_calls          BIGINT,
    batch_cost           DECIMAL(38, 13),
    batch_list_discount  DECIMAL(38, 13),
    output_tokens        BIGINT,
    reasoning_tokens     BIGINT,
    stream_calls         BIGINT,
    latency_calls        BIGINT,
    latency_ms_sum       BIGINT
);
COMMENT ON TABLE mart_daily_drivers IS 'What drives the spend, per UTC day, provider, model, project and source with calls: runaway generations, caching, exact repeats, batch use, reasoning, streaming. Sums over the calls of the cell.';
COMMENT ON COLUMN mart_daily_drivers.day IS 'UTC day of the calls.';
COMMENT ON COLUMN mart_daily_drivers.provider IS 'Provider as in fct_requests.';
COMMENT ON COLUMN mart_daily_drivers.model IS 'Model string as logged.';
COMMENT ON COLUMN mart_daily_drivers.project IS 'Project (NULL for bare bodies).';
COMMENT ON COLUMN mart_daily_drivers.source IS 'As in fct_requests.';
COMMENT ON COLUMN mart_daily_drivers.calls IS 'Calls.';
COMMENT ON COLUMN mart_daily_drivers.priced_calls IS 'Calls with a known cost (is_priced).';
COMMENT ON COLUMN mart_daily_drivers.usage_unknown_calls IS 'Calls whose log holds no usage (cost_status usage_unknown); calls - priced_calls - usage_unknown_calls have an unpriced model.';
COMMENT ON COLUMN mart_daily_drivers.total_cost IS 'Their known cost (calls whose cost is unknown add nothing).';
COMMENT ON COLUMN mart_daily_drivers.runaway_calls IS 'Calls stopped at their output cap (finish_reason = length).';
COMMENT ON COLUMN mart_daily_drivers.runaway_cost IS 'Total cost of those calls.';
COMMENT ON COLUMN mart_daily_drivers.runaway_output_tokens IS 'Output tokens of those calls.';
COMMENT ON COLUMN mart_daily_drivers.input_tokens IS 'Base-rate input tokens.';
COMMENT ON COLUMN mart_daily_drivers.cache_read_tokens IS 'Prompt tokens served from a cache.';
COMMENT ON COLUMN mart_daily_drivers.input_cost IS 'Cost of the base-rate input tokens.';
COMMENT ON COLUMN mart_daily_drivers.cache_read_cost IS 'Cost of the cache reads.';
COMMENT ON COLUMN mart_daily_drivers.repeat_calls IS 'Exact repeats: calls whose request_hash was already sent earlier the same UTC day (what a response cache kept for a day would have answered).';
COMMENT ON COLUMN mart_daily_drivers.repeat_cost IS 'Cost of those repeats: what that cache would have saved.';
COMMENT ON COLUMN mart_daily_drivers.reference_calls IS 'Successful, priced, non-batch calls: what the cost of a call without usage is estimated from (fct_cost_estimates).';
COMMENT ON COLUMN mart_daily_drivers.reference_cost IS 'Their exact cost.';
COMMENT ON COLUMN mart_daily_drivers.batch_calls IS 'Calls through a batch API.';
COMMENT ON COLUMN mart_daily_drivers.batch_cost IS 'Their cost.';
COMMENT ON COLUMN mart_daily_drivers.batch_list_discount IS 'What batching saved where the 50% batch rule priced the call (batch_discount_applied): equal to its cost. Calls priced from a batch price of the price book are not counted here.';
COMMENT ON COLUMN mart_daily_drivers.cache_write_tokens IS 'Prompt tokens written to a cache (5-minute or unstated lifetime); with input_tokens, cache_read_tokens and cache_write_1h_tokens, the prompt (the scenarios'' usage trends are fitted on these sums).';
COMMENT ON COLUMN mart_daily_drivers.cache_write_1h_tokens IS 'Prompt tokens written to a 1-hour cache.';
COMMENT ON COLUMN mart_daily_drivers.output_tokens IS 'Output tokens.';
COMMENT ON COLUMN mart_daily_drivers.reasoning_tokens IS 'Of which reasoning.';
COMMENT ON COLUMN mart_daily_drivers.stream_calls IS 'Streamed calls.';
COMMENT ON COLUMN mart_daily_drivers.latency_calls IS 'Calls with a logged latency.';
COMMENT ON COLUMN mart_daily_drivers.latency_ms_sum IS 'Sum of their latency_ms (mean = latency_ms_sum / latency_calls).';

CREATE TABLE IF NOT EXISTS mart_daily_distribution (
    day      DATE,
    provider VARCHAR,
    model    VARCHAR,
    source   VARCHAR,
    metric   VARCHAR,
    bin      INTEGER,
    calls    BIGINT
);
COMMENT ON TABLE mart_daily_distribution IS 'Histograms for distributions and percentiles over any date range: calls per logarithmic bin of a metric. Grain: one row per UTC day, provider, model, source, metric and bin with calls (no project: a project filter does not apply to distributions). Bin b holds values in [2^(b/4), 2^((b+1)/4)), about 19% wide; percentiles read from it are within half a bin.';
COMMENT ON COLUMN mart_daily_distribution.day IS 'UTC day of the calls.';
COMMENT ON COLUMN mart_daily_distribution.provider IS 'Provider as in fct_requests.';
COMMENT ON COLUMN mart_daily_distribution.model IS 'Model string as logged.';
COMMENT ON COLUMN mart_daily_distribution.source IS 'As in fct_requests.';
COMMENT ON COLUMN mart_daily_distribution.metric IS 'prompt_tokens (input + cache reads and writes, calls with usage), cost_usd (priced calls with a cost > 0), latency_ms, output_tokens_per_s (output tokens / latency, calls with both).';
COMMENT ON COLUMN mart_daily_distribution.bin IS 'floor(4 * log2(value)); values below 1 fall in negative bins.';
COMMENT ON COLUMN mart_daily_distribution.calls IS 'Calls whose value falls in the bin.';
