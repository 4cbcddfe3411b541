-- Closed months (pipelines/closing): a month's figures as they stood when it was closed, kept
-- apart from everything a run makes again. None of these tables is derived (warehouse/sql.py
-- DERIVED_TABLES): a schema change never drops them, a re-pricing or a late log never touches
-- them. Written only by `tokenworks close` (or the Dagster job close_month), in one commit.
CREATE TABLE IF NOT EXISTS closed_months (
    month                  DATE NOT NULL,
    closed_at              TIMESTAMP NOT NULL,
    closed_by              VARCHAR NOT NULL,
    close_run_id           VARCHAR NOT NULL,
    forced                 BOOLEAN NOT NULL,
    snapshot_id            BIGINT NOT NULL,
    snapshot_time          TIMESTAMP WITH TIME ZONE,
    last_ingest_run_id     VARCHAR,
    last_ingest_finished_at TIMESTAMP,
    pricebook_versions     VARCHAR[] NOT NULL,
    schema_version         VARCHAR NOT NULL,
    calls                  BIGINT NOT NULL,
    total_cost             DECIMAL(38, 13),
    list_cost              DECIMAL(38, 13),
    unpriced_calls         BIGINT NOT NULL,
    usage_unknown_calls    BIGINT NOT NULL,
    focus_rows             BIGINT NOT NULL,
    focus_columns          VARCHAR NOT NULL,
    focus_csv_sha256       VARCHAR NOT NULL
);
COMMENT ON TABLE closed_months IS 'Closed accounting months and the warehouse state their figures came from. Grain: one row per closed month (a month is closed once; closing it again is refused). Its figures never change: later changes to the month show in the view restatements.';
COMMENT ON COLUMN closed_months.month IS 'The month closed: its first day (UTC calendar month).';
COMMENT ON COLUMN closed_months.closed_at IS 'UTC time the month was closed (the close''s transaction, committed just after).';
COMMENT ON COLUMN closed_months.closed_by IS 'Who closed it: the operating-system user of tokenworks close, or the Dagster run of the job close_month.';
COMMENT ON COLUMN closed_months.close_run_id IS 'Id of the close; its commit names it, so run_snapshots lists the snapshot that made the month closed.';
COMMENT ON COLUMN closed_months.forced IS 'Closed with --force (force: true in Dagster): before the month ended, before an ingest after its end, or with no calls.';
COMMENT ON COLUMN closed_months.snapshot_id IS 'The lake snapshot the closed figures were read from (the last commit before the close). Time travel to it works only until maintenance expires it; the closed tables do not depend on it.';
COMMENT ON COLUMN closed_months.snapshot_time IS 'That snapshot''s time as the lake stamps it.';
COMMENT ON COLUMN closed_months.last_ingest_run_id IS 'The last ingest run (ingest_runs) the figures include.';
COMMENT ON COLUMN closed_months.last_ingest_finished_at IS 'When that run finished, UTC.';
COMMENT ON COLUMN closed_months.pricebook_versions IS 'Price-book versions (fct_costs.pricebook_version) that priced the month''s calls at the close.';
COMMENT ON COLUMN closed_months.schema_version IS 'Hash of the schema files the warehouse was made with at the close (warehouse_meta key schema).';
COMMENT ON COLUMN closed_months.calls IS 'Calls of the month in the ledger at the close (every status).';
COMMENT ON COLUMN closed_months.total_cost IS 'Exact cost of the month''s calls whose cost was known, USD after negotiated discounts (sum of closed_month_totals.total_cost).';
COMMENT ON COLUMN closed_months.list_cost IS 'The same calls at list price, USD.';
COMMENT ON COLUMN closed_months.unpriced_calls IS 'Calls whose model matched no price: cost unknown, not in total_cost.';
COMMENT ON COLUMN closed_months.usage_unknown_calls IS 'Calls whose log held no usage: cost unknown, not in total_cost.';
COMMENT ON COLUMN closed_months.focus_rows IS 'FOCUS 1.2 charge rows kept for the month (closed_focus_rows).';
COMMENT ON COLUMN closed_months.focus_columns IS 'The FOCUS export''s columns at the close, in order (a JSON array): what tokenworks export --month writes for this month, whatever sql/analysts/focus.sql becomes.';
COMMENT ON COLUMN closed_months.focus_csv_sha256 IS 'SHA-256 of the month''s FOCUS export as CSV at the close: every later export of the closed month is checked against it, byte for byte.';

CREATE TABLE IF NOT EXISTS closed_month_totals (
    month                  DATE NOT NULL,
    provider               VARCHAR,
    model                  VARCHAR,
    project                VARCHAR,
    calls                  BIGINT NOT NULL,
    input_tokens           BIGINT,
    cache_read_tokens      BIGINT,
    cache_write_tokens     BIGINT,
    cache_write_1h_tokens  BIGINT,
    output_tokens          BIGINT,
    reasoning_tokens       BIGINT,
    web_search_requests    BIGINT,
    total_tokens           BIGINT,
    total_cost             DECIMAL(38, 13),
    list_cost              DECIMAL(38, 13),
    unpriced_calls         BIGINT NOT NULL,
    usage_unknown_calls    BIGINT NOT NULL,
    pricebook_version      VARCHAR
);
COMMENT ON TABLE closed_month_totals IS 'A closed month''s figures as they stood at the close, from analytics.requests. Grain: one row per closed month, provider, model and project with calls (project may be NULL). Tokens and costs are sums of the known values; calls whose cost is unknown count in calls and in unpriced_calls or usage_unknown_calls and add nothing (NULL where no call of the row has one, never 0). Never changed after the close: see restatements.';
COMMENT ON COLUMN closed_month_totals.month IS 'The closed month: its first day.';
COMMENT ON COLUMN closed_month_totals.provider IS 'As in fct_requests.';
COMMENT ON COLUMN closed_month_totals.model IS 'The model string as logged (fct_requests.model).';
COMMENT ON COLUMN closed_month_totals.project IS 'As in fct_requests; NULL where the log named none.';
COMMENT ON COLUMN closed_month_totals.calls IS 'Calls in the group, every status.';
COMMENT ON COLUMN closed_month_totals.input_tokens IS 'Sum of input_tokens (uncached input).';
COMMENT ON COLUMN closed_month_totals.cache_read_tokens IS 'Sum of cache_read_tokens.';
COMMENT ON COLUMN closed_month_totals.cache_write_tokens IS 'Sum of cache_write_tokens (5-minute writes).';
COMMENT ON COLUMN closed_month_totals.cache_write_1h_tokens IS 'Sum of cache_write_1h_tokens.';
COMMENT ON COLUMN closed_month_totals.output_tokens IS 'Sum of output_tokens (reasoning included).';
COMMENT ON COLUMN closed_month_totals.reasoning_tokens IS 'Sum of reasoning_tokens (part of output_tokens).';
COMMENT ON COLUMN closed_month_totals.web_search_requests IS 'Sum of web_search_requests.';
COMMENT ON COLUMN closed_month_totals.total_tokens IS 'Sum of total_tokens: prompt (input and cache reads and writes) plus output.';
COMMENT ON COLUMN closed_month_totals.total_cost IS 'Exact cost in USD after negotiated discounts, of the calls whose cost was known.';
COMMENT ON COLUMN closed_month_totals.list_cost IS 'The same calls at list price, USD.';
COMMENT ON COLUMN closed_month_totals.unpriced_calls IS 'Calls whose model matched no price (cost_status unpriced_model).';
COMMENT ON COLUMN closed_month_totals.usage_unknown_calls IS 'Calls whose log held no usage (cost_status usage_unknown).';
COMMENT ON COLUMN closed_month_totals.pricebook_version IS 'Price-book version(s) that priced the group''s calls, comma-separated.';

CREATE TABLE IF NOT EXISTS closed_month_calls (
    month                  DATE NOT NULL,
    dedup_key              VARCHAR NOT NULL,
    event_day              DATE,
    provider               VARCHAR,
    model                  VARCHAR,
    project                VARCHAR,
    status                 VARCHAR,
    cost_status            VARCHAR,
    input_tokens           BIGINT,
    cache_read_tokens      BIGINT,
    cache_write_tokens     BIGINT,
    cache_write_1h_tokens  BIGINT,
    output_tokens          BIGINT,
    reasoning_tokens       BIGINT,
    web_search_requests    BIGINT,
    total_tokens           BIGINT,
    total_cost             DECIMAL(18, 13),
    list_cost              DECIMAL(18, 13),
    pricebook_version      VARCHAR
);
COMMENT ON TABLE closed_month_calls IS 'Each call of a closed month as it stood at the close: what restatements compares the ledger with, call by call, to say why a figure moved. Grain: one row per closed month and call (dedup_key, the exactly-once key).';
COMMENT ON COLUMN closed_month_calls.month IS 'The closed month: its first day.';
COMMENT ON COLUMN closed_month_calls.dedup_key IS 'The call''s exactly-once key (fct_requests.dedup_key).';
COMMENT ON COLUMN closed_month_calls.event_day IS 'UTC day of the call.';
COMMENT ON COLUMN closed_month_calls.provider IS 'As in fct_requests.';
COMMENT ON COLUMN closed_month_calls.model IS 'As in fct_requests.';
COMMENT ON COLUMN closed_month_calls.project IS 'As in fct_requests.';
COMMENT ON COLUMN closed_month_calls.status IS 'As in fct_requests: ok, error or no_usage.';
COMMENT ON COLUMN closed_month_calls.cost_status IS 'As in fct_costs: priced, unpriced_model or usage_unknown.';
COMMENT ON COLUMN closed_month_calls.input_tokens IS 'As in fct_requests.';
COMMENT ON COLUMN closed_month_calls.cache_read_tokens IS 'As in fct_requests.';
COMMENT ON COLUMN closed_month_calls.cache_write_tokens IS 'As in fct_requests.';
COMMENT ON COLUMN closed_month_calls.cache_write_1h_tokens IS 'As in fct_requests.';
COMMENT ON COLUMN closed_month_calls.output_tokens IS 'As in fct_requests.';
COMMENT ON COLUMN closed_month_calls.reasoning_tokens IS 'As in fct_requests.';
COMMENT ON COLUMN closed_month_calls.web_search_requests IS 'As in fct_requests.';
COMMENT ON COLUMN closed_month_calls.total_tokens IS 'As in analytics.requests: prompt plus output tokens.';
COMMENT ON COLUMN closed_month_calls.total_cost IS 'As in fct_costs at the close; NULL when the cost was unknown.';
COMMENT ON COLUMN closed_month_calls.list_cost IS 'As in fct_costs at the close.';
COMMENT ON COLUMN closed_month_calls.pricebook_version IS 'Price-book version that priced the call at the close.';

-- The FOCUS 1.2 rows of a closed month, as sql/analysts/focus.sql made them at the close, with
-- its column names and types (tests/test_closing.py checks they still match focus.sql).
CREATE TABLE IF NOT EXISTS closed_focus_rows (
    month DATE NOT NULL,
    line BIGINT NOT NULL,
    AvailabilityZone VARCHAR,
    BilledCost DECIMAL(38, 13),
    BillingAccountId VARCHAR,
    BillingAccountName VARCHAR,
    BillingAccountType VARCHAR,
    BillingCurrency VARCHAR,
    BillingPeriodEnd TIMESTAMP,
    BillingPeriodStart TIMESTAMP,
    CapacityReservationId VARCHAR,
    CapacityReservationStatus VARCHAR,
    ChargeCategory VARCHAR,
    ChargeClass VARCHAR,
    ChargeDescription VARCHAR,
    ChargeFrequency VARCHAR,
    ChargePeriodEnd TIMESTAMP,
    ChargePeriodStart TIMESTAMP,
    CommitmentDiscountCategory VARCHAR,
    CommitmentDiscountId VARCHAR,
    CommitmentDiscountName VARCHAR,
    CommitmentDiscountQuantity DECIMAL(38, 13),
    CommitmentDiscountStatus VARCHAR,
    CommitmentDiscountType VARCHAR,
    CommitmentDiscountUnit VARCHAR,
    ConsumedQuantity HUGEINT,
    ConsumedUnit VARCHAR,
    ContractedCost DECIMAL(38, 13),
    ContractedUnitPrice DECIMAL(38, 13),
    EffectiveCost DECIMAL(38, 13),
    InvoiceId VARCHAR,
    InvoiceIssuerName VARCHAR,
    ListCost DECIMAL(38, 13),
    ListUnitPrice DECIMAL(38, 13),
    PricingCategory VARCHAR,
    PricingCurrency VARCHAR,
    PricingCurrencyContractedUnitPrice DECIMAL(38, 13),
    PricingCurrencyEffectiveCost DECIMAL(38, 13),
    PricingCurrencyListUnitPrice DECIMAL(38, 13),
    PricingQuantity HUGEINT,
    PricingUnit VARCHAR,
    ProviderName VARCHAR,
    PublisherName VARCHAR,
    RegionId VARCHAR,
    RegionName VARCHAR,
    ResourceId VARCHAR,
    ResourceName VARCHAR,
    ResourceType VARCHAR,
    ServiceCategory VARCHAR,
    ServiceName VARCHAR,
    ServiceSubcategory VARCHAR,
    SkuId VARCHAR,
    SkuMeter VARCHAR,
    SkuPriceDetails VARCHAR,
    SkuPriceId VARCHAR,
    SubAccountId VARCHAR,
    SubAccountName VARCHAR,
    SubAccountType VARCHAR,
    Tags VARCHAR,
    x_Calls BIGINT,
    x_InputTokens HUGEINT,
    x_CacheReadTokens HUGEINT,
    x_CacheWriteTokens HUGEINT,
    x_OutputTokens HUGEINT,
    x_PricebookVersion VARCHAR,
    x_Source VARCHAR
);
-- Months closed before the export had x_Source lack it; their exports write the columns
-- recorded at their close (closed_months.focus_columns), so it stays NULL and unwritten there.
ALTER TABLE closed_focus_rows ADD COLUMN IF NOT EXISTS x_Source VARCHAR;
COMMENT ON TABLE closed_focus_rows IS 'The FOCUS 1.2 cost export of each closed month as it was at the close (sql/analysts/focus.sql; meanings in docs/analyst-guide.md, Exports): tokenworks export --format focus --month writes a closed month from these rows, byte-identical every time, whatever the ledger, the prices or the snapshots kept become. Grain: one row per closed month and FOCUS charge row (UTC day, provider, model, project, user, API key and source with priced calls).';
COMMENT ON COLUMN closed_focus_rows.month IS 'The closed month: its first day.';
COMMENT ON COLUMN closed_focus_rows.line IS 'Position of the row in the month''s export, from 1.';
COMMENT ON COLUMN closed_focus_rows.AvailabilityZone IS 'FOCUS AvailabilityZone: NULL (no meaning for API usage).';
COMMENT ON COLUMN closed_focus_rows.BilledCost IS 'FOCUS BilledCost: exact cost after negotiated discounts, USD.';
COMMENT ON COLUMN closed_focus_rows.BillingAccountId IS 'FOCUS BillingAccountId: provider:API key.';
COMMENT ON COLUMN closed_focus_rows.BillingAccountName IS 'FOCUS BillingAccountName.';
COMMENT ON COLUMN closed_focus_rows.BillingAccountType IS 'FOCUS BillingAccountType: API key.';
COMMENT ON COLUMN closed_focus_rows.BillingCurrency IS 'FOCUS BillingCurrency: USD.';
COMMENT ON COLUMN closed_focus_rows.BillingPeriodEnd IS 'FOCUS BillingPeriodEnd: the first instant of the next month (exclusive).';
COMMENT ON COLUMN closed_focus_rows.BillingPeriodStart IS 'FOCUS BillingPeriodStart: the month''s first instant, UTC.';
COMMENT ON COLUMN closed_focus_rows.CapacityReservationId IS 'FOCUS CapacityReservationId: NULL.';
COMMENT ON COLUMN closed_focus_rows.CapacityReservationStatus IS 'FOCUS CapacityReservationStatus: NULL.';
COMMENT ON COLUMN closed_focus_rows.ChargeCategory IS 'FOCUS ChargeCategory: Usage.';
COMMENT ON COLUMN closed_focus_rows.ChargeClass IS 'FOCUS ChargeClass: NULL (not a correction).';
COMMENT ON COLUMN closed_focus_rows.ChargeDescription IS 'FOCUS ChargeDescription: tokens, model, API and calls.';
COMMENT ON COLUMN closed_focus_rows.ChargeFrequency IS 'FOCUS ChargeFrequency: Usage-Based.';
COMMENT ON COLUMN closed_focus_rows.ChargePeriodEnd IS 'FOCUS ChargePeriodEnd: the next UTC day (exclusive).';
COMMENT ON COLUMN closed_focus_rows.ChargePeriodStart IS 'FOCUS ChargePeriodStart: the UTC day.';
COMMENT ON COLUMN closed_focus_rows.CommitmentDiscountCategory IS 'FOCUS CommitmentDiscountCategory: NULL.';
COMMENT ON COLUMN closed_focus_rows.CommitmentDiscountId IS 'FOCUS CommitmentDiscountId: NULL.';
COMMENT ON COLUMN closed_focus_rows.CommitmentDiscountName IS 'FOCUS CommitmentDiscountName: NULL.';
COMMENT ON COLUMN closed_focus_rows.CommitmentDiscountQuantity IS 'FOCUS CommitmentDiscountQuantity: NULL.';
COMMENT ON COLUMN closed_focus_rows.CommitmentDiscountStatus IS 'FOCUS CommitmentDiscountStatus: NULL.';
COMMENT ON COLUMN closed_focus_rows.CommitmentDiscountType IS 'FOCUS CommitmentDiscountType: NULL.';
COMMENT ON COLUMN closed_focus_rows.CommitmentDiscountUnit IS 'FOCUS CommitmentDiscountUnit: NULL.';
COMMENT ON COLUMN closed_focus_rows.ConsumedQuantity IS 'FOCUS ConsumedQuantity: tokens.';
COMMENT ON COLUMN closed_focus_rows.ConsumedUnit IS 'FOCUS ConsumedUnit: Tokens.';
COMMENT ON COLUMN closed_focus_rows.ContractedCost IS 'FOCUS ContractedCost: = BilledCost.';
COMMENT ON COLUMN closed_focus_rows.ContractedUnitPrice IS 'FOCUS ContractedUnitPrice: NULL.';
COMMENT ON COLUMN closed_focus_rows.EffectiveCost IS 'FOCUS EffectiveCost: = BilledCost.';
COMMENT ON COLUMN closed_focus_rows.InvoiceId IS 'FOCUS InvoiceId: NULL.';
COMMENT ON COLUMN closed_focus_rows.InvoiceIssuerName IS 'FOCUS InvoiceIssuerName: the provider.';
COMMENT ON COLUMN closed_focus_rows.ListCost IS 'FOCUS ListCost: the same usage at list price, USD.';
COMMENT ON COLUMN closed_focus_rows.ListUnitPrice IS 'FOCUS ListUnitPrice: NULL.';
COMMENT ON COLUMN closed_focus_rows.PricingCategory IS 'FOCUS PricingCategory: Committed with a negotiated discount, else Standard.';
COMMENT ON COLUMN closed_focus_rows.PricingCurrency IS 'FOCUS PricingCurrency: USD.';
COMMENT ON COLUMN closed_focus_rows.PricingCurrencyContractedUnitPrice IS 'FOCUS PricingCurrencyContractedUnitPrice: NULL.';
COMMENT ON COLUMN closed_focus_rows.PricingCurrencyEffectiveCost IS 'FOCUS PricingCurrencyEffectiveCost: = BilledCost.';
COMMENT ON COLUMN closed_focus_rows.PricingCurrencyListUnitPrice IS 'FOCUS PricingCurrencyListUnitPrice: NULL.';
COMMENT ON COLUMN closed_focus_rows.PricingQuantity IS 'FOCUS PricingQuantity: tokens.';
COMMENT ON COLUMN closed_focus_rows.PricingUnit IS 'FOCUS PricingUnit: Tokens.';
COMMENT ON COLUMN closed_focus_rows.ProviderName IS 'FOCUS ProviderName.';
COMMENT ON COLUMN closed_focus_rows.PublisherName IS 'FOCUS PublisherName.';
COMMENT ON COLUMN closed_focus_rows.RegionId IS 'FOCUS RegionId: NULL.';
COMMENT ON COLUMN closed_focus_rows.RegionName IS 'FOCUS RegionName: NULL.';
COMMENT ON COLUMN closed_focus_rows.ResourceId IS 'FOCUS ResourceId: provider/model.';
COMMENT ON COLUMN closed_focus_rows.ResourceName IS 'FOCUS ResourceName: the model.';
COMMENT ON COLUMN closed_focus_rows.ResourceType IS 'FOCUS ResourceType: Model.';
COMMENT ON COLUMN closed_focus_rows.ServiceCategory IS 'FOCUS ServiceCategory: AI and Machine Learning.';
COMMENT ON COLUMN closed_focus_rows.ServiceName IS 'FOCUS ServiceName: <provider> API.';
COMMENT ON COLUMN closed_focus_rows.ServiceSubcategory IS 'FOCUS ServiceSubcategory: Generative AI.';
COMMENT ON COLUMN closed_focus_rows.SkuId IS 'FOCUS SkuId: provider/model family.';
COMMENT ON COLUMN closed_focus_rows.SkuMeter IS 'FOCUS SkuMeter: Tokens.';
COMMENT ON COLUMN closed_focus_rows.SkuPriceDetails IS 'FOCUS SkuPriceDetails: NULL.';
COMMENT ON COLUMN closed_focus_rows.SkuPriceId IS 'FOCUS SkuPriceId: provider/model family@price-book version.';
COMMENT ON COLUMN closed_focus_rows.SubAccountId IS 'FOCUS SubAccountId: the project, (none) without one.';
COMMENT ON COLUMN closed_focus_rows.SubAccountName IS 'FOCUS SubAccountName: the project.';
COMMENT ON COLUMN closed_focus_rows.SubAccountType IS 'FOCUS SubAccountType: Project.';
COMMENT ON COLUMN closed_focus_rows.Tags IS 'FOCUS Tags: JSON object of project, user, API key and model.';
COMMENT ON COLUMN closed_focus_rows.x_Calls IS 'Calls in the charge row.';
COMMENT ON COLUMN closed_focus_rows.x_InputTokens IS 'Uncached input tokens.';
COMMENT ON COLUMN closed_focus_rows.x_CacheReadTokens IS 'Cache-read tokens.';
COMMENT ON COLUMN closed_focus_rows.x_CacheWriteTokens IS 'Cache-write tokens (5-minute and 1-hour).';
COMMENT ON COLUMN closed_focus_rows.x_OutputTokens IS 'Output tokens.';
COMMENT ON COLUMN closed_focus_rows.x_PricebookVersion IS 'Price-book version that priced the row.';
COMMENT ON COLUMN closed_focus_rows.x_Source IS 'What logged the row''s calls (fct_requests.source); NULL in months closed before the export had it.';
