-- The daily spend mart, filled by mart_daily_spend.sql (pipelines/marts).
-- Token sums are BIGINT: a day's group never nears 9.2e18, and scanning 128-bit HUGEINT columns
-- made the dashboards' reads of this mart twenty times slower.
CREATE TABLE IF NOT EXISTS mart_daily_spend (
    day                  DATE,
    provider             VARCHAR,
    model                VARCHAR,
    project              VARCHAR,
    user_id              VARCHAR,
    api_key_id           VARCHAR,
    status               VARCHAR,
    source               VARCHAR,
    calls                BIGINT,
    unpriced_calls       BIGINT,
    usage_unknown_calls  BIGINT,
    input_tokens         BIGINT,
    cache_read_tokens    BIGINT,
    cache_write_tokens   BIGINT,
    cache_write_1h_tokens BIGINT,
    output_tokens        BIGINT,
    reasoning_tokens     BIGINT,
    web_search_requests  BIGINT,
    input_cost           DECIMAL(38, 13),
    cache_read_cost      DECIMAL(38, 13),
    cache_write_cost     DECIMAL(38, 13),
    cache_write_1h_cost  DECIMAL(38, 13),
    output_cost          DECIMAL(38, 13),
    web_search_cost      DECIMAL(38, 13),
    request_cost         DECIMAL(38, 13),
    total_cost           DECIMAL(38, 13),
    estimated_cost       DECIMAL(38, 13)
);
COMMENT ON TABLE mart_daily_spend IS 'Daily spend. Grain: one row per UTC day, provider, model, project, user_id, api_key_id, status and source that had calls. Tokens and costs are sums of the known values over those calls: a call whose cost is unknown counts in calls and in unpriced_calls or usage_unknown_calls, and adds nothing to the tokens or costs (NULL where no call of the row has one, never 0). A day''s spend is complete only where both counts are 0; estimated_cost is the spend at risk of its usage_unknown calls, never part of total_cost.';
COMMENT ON COLUMN mart_daily_spend.day IS 'UTC day of event_at.';
COMMENT ON COLUMN mart_daily_spend.provider IS 'As in fct_requests.';
COMMENT ON COLUMN mart_daily_spend.model IS 'As in fct_requests.';
COMMENT ON COLUMN mart_daily_spend.project IS 'As in fct_requests.';
COMMENT ON COLUMN mart_daily_spend.user_id IS 'As in fct_requests.';
COMMENT ON COLUMN mart_daily_spend.api_key_id IS 'As in fct_requests.';
COMMENT ON COLUMN mart_daily_spend.status IS 'As in fct_requests.';
COMMENT ON COLUMN mart_daily_spend.source IS 'As in fct_requests.';
COMMENT ON COLUMN mart_daily_spend.calls IS 'Calls in the group.';
COMMENT ON COLUMN mart_daily_spend.unpriced_calls IS 'Calls whose model has no price (cost_status unpriced_model): their cost is unknown.';
COMMENT ON COLUMN mart_daily_spend.usage_unknown_calls IS 'Calls whose log holds no usage (cost_status usage_unknown): their tokens and cost are unknown.';
COMMENT ON COLUMN mart_daily_spend.estimated_cost IS 'Spend at risk: the sum of fct_cost_estimates.estimated_cost over the usage_unknown calls (an estimate, never part of total_cost); NULL where the row has none.';
COMMENT ON COLUMN mart_daily_spend.input_tokens IS 'Sum of fct_requests.input_tokens.';
COMMENT ON COLUMN mart_daily_spend.cache_read_tokens IS 'Sum of fct_requests.cache_read_tokens.';
COMMENT ON COLUMN mart_daily_spend.cache_write_tokens IS 'Sum of fct_requests.cache_write_tokens.';
COMMENT ON COLUMN mart_daily_spend.cache_write_1h_tokens IS 'Sum of fct_requests.cache_write_1h_tokens.';
COMMENT ON COLUMN mart_daily_spend.output_tokens IS 'Sum of fct_requests.output_tokens.';
COMMENT ON COLUMN mart_daily_spend.reasoning_tokens IS 'Sum of fct_requests.reasoning_tokens.';
COMMENT ON COLUMN mart_daily_spend.web_search_requests IS 'Sum of fct_requests.web_search_requests.';
COMMENT ON COLUMN mart_daily_spend.input_cost IS 'Sum of fct_costs.input_cost.';
COMMENT ON COLUMN mart_daily_spend.cache_read_cost IS 'Sum of fct_costs.cache_read_cost.';
COMMENT ON COLUMN mart_daily_spend.cache_write_cost IS 'Sum of fct_costs.cache_write_cost.';
COMMENT ON COLUMN mart_daily_spend.cache_write_1h_cost IS 'Sum of fct_costs.cache_write_1h_cost.';
COMMENT ON COLUMN mart_daily_spend.output_cost IS 'Sum of fct_costs.output_cost.';
COMMENT ON COLUMN mart_daily_spend.web_search_cost IS 'Sum of fct_costs.web_search_cost.';
COMMENT ON COLUMN mart_daily_spend.request_cost IS 'Sum of fct_costs.request_cost.';
COMMENT ON COLUMN mart_daily_spend.total_cost IS 'Sum of fct_costs.total_cost.';
