-- Provider billing reports as they were delivered (pipelines/billing), loaded from
-- <landing>/billing/. Every line of every report is kept as reported; the views billed_costs and
-- billed_usage keep, for each provider, report and day, only the file that reported that day
-- last: a page delivered again, or a later export of the same days, replaces and never doubles.
CREATE TABLE IF NOT EXISTS billing_files (
    path           VARCHAR NOT NULL,
    bytes          BIGINT NOT NULL,
    mtime_ns       BIGINT NOT NULL,
    provider       VARCHAR,
    report         VARCHAR,
    source_format  VARCHAR,
    pages          INTEGER NOT NULL,
    days           INTEGER NOT NULL,
    cost_lines     INTEGER NOT NULL,
    usage_lines    INTEGER NOT NULL,
    problems       INTEGER NOT NULL,
    run_id         VARCHAR NOT NULL
);
COMMENT ON TABLE billing_files IS 'The billing report files read from <landing>/billing/. Grain: one row per file. A file that could not be read at all has NULL provider and report, and its reason in quarantine.';
COMMENT ON COLUMN billing_files.path IS 'Relative to the landing folder (billing/…): the file''s identity.';
COMMENT ON COLUMN billing_files.bytes IS 'Size when read.';
COMMENT ON COLUMN billing_files.mtime_ns IS 'Modification time when read, in ns: of two files reporting the same day, the later one counts.';
COMMENT ON COLUMN billing_files.provider IS 'openai or anthropic (the ledger''s provider names).';
COMMENT ON COLUMN billing_files.report IS 'costs (what was billed) or usage (tokens and requests).';
COMMENT ON COLUMN billing_files.source_format IS 'What the file is: openai_costs_api, openai_usage_completions_api, anthropic_cost_report_api, anthropic_usage_report_messages_api, or a console export (openai_cost_export_csv, openai_usage_export_csv, anthropic_cost_export_csv, anthropic_usage_export_csv).';
COMMENT ON COLUMN billing_files.pages IS 'API pages in the file (1 for a CSV export).';
COMMENT ON COLUMN billing_files.days IS 'UTC days the file reports, empty days included.';
COMMENT ON COLUMN billing_files.cost_lines IS 'Rows it gave billing_cost_lines.';
COMMENT ON COLUMN billing_files.usage_lines IS 'Rows it gave billing_usage_lines.';
COMMENT ON COLUMN billing_files.problems IS 'Results or lines that could not be read: each is in quarantine with its page or line and the reason.';
COMMENT ON COLUMN billing_files.run_id IS 'Ingest run that read it.';

CREATE TABLE IF NOT EXISTS billing_days (
    source_file  VARCHAR NOT NULL,
    provider     VARCHAR NOT NULL,
    report       VARCHAR NOT NULL,
    day          DATE NOT NULL
);
COMMENT ON TABLE billing_days IS 'The days each billing report file covers, including days it reports with nothing billed (an empty bucket). Grain: one row per file and UTC day.';
COMMENT ON COLUMN billing_days.source_file IS 'billing_files.path.';
COMMENT ON COLUMN billing_days.provider IS 'openai or anthropic (the ledger''s provider names).';
COMMENT ON COLUMN billing_days.report IS 'costs or usage.';
COMMENT ON COLUMN billing_days.day IS 'A UTC day the file reports (a one-day bucket, end exclusive).';

CREATE TABLE IF NOT EXISTS billing_cost_lines (
    source_file      VARCHAR NOT NULL,
    page             INTEGER NOT NULL,
    line             INTEGER NOT NULL,
    provider         VARCHAR NOT NULL,
    source_format    VARCHAR NOT NULL,
    day              DATE NOT NULL,
    amount_reported  VARCHAR NOT NULL,
    amount_unit      VARCHAR NOT NULL,
    amount_usd       DECIMAL(38, 18) NOT NULL,
    currency         VARCHAR NOT NULL,
    line_item        VARCHAR,
    model            VARCHAR,
    project_id       VARCHAR,
    api_key_id       VARCHAR,
    token_type       VARCHAR,
    cost_type        VARCHAR,
    service_tier     VARCHAR,
    context_window   VARCHAR,
    quantity         DECIMAL(38, 18),
    quantity_unit    VARCHAR
);
COMMENT ON TABLE billing_cost_lines IS 'Every amount the providers'' cost reports state, as reported. Grain: one row per result of a daily bucket (API pages) or per line (console exports), of every file read; see billed_costs for the lines that count.';
COMMENT ON COLUMN billing_cost_lines.source_file IS 'billing_files.path.';
COMMENT ON COLUMN billing_cost_lines.page IS 'Page of the file, from 1 (API pages); for a CSV export, the line of the file (the header is line 1).';
COMMENT ON COLUMN billing_cost_lines.line IS 'Result within its day''s bucket, from 1; 0 for a CSV line.';
COMMENT ON COLUMN billing_cost_lines.amount_reported IS 'The amount exactly as the report wrote it, in its own unit.';
COMMENT ON COLUMN billing_cost_lines.amount_unit IS 'dollars (OpenAI; the consoles'' exports) or cents (Anthropic''s cost report API: "123.45" is $1.2345).';
COMMENT ON COLUMN billing_cost_lines.amount_usd IS 'The amount in USD, exact (cents divided by 100, never through a float).';
COMMENT ON COLUMN billing_cost_lines.currency IS 'Always USD: a line in another currency is quarantined, since it cannot be set against the ledger.';
COMMENT ON COLUMN billing_cost_lines.line_item IS 'OpenAI''s line_item, Anthropic''s description (console export: usage and token type).';
COMMENT ON COLUMN billing_cost_lines.model IS 'Model, where the report groups by it (Anthropic).';
COMMENT ON COLUMN billing_cost_lines.project_id IS 'OpenAI''s project_id or Anthropic''s workspace_id, where the report groups by it.';
COMMENT ON COLUMN billing_cost_lines.provider IS 'openai or anthropic (the ledger''s provider names).';
COMMENT ON COLUMN billing_cost_lines.source_format IS 'As billing_files.source_format.';
COMMENT ON COLUMN billing_cost_lines.day IS 'The UTC day of the bucket (or of the export line).';
COMMENT ON COLUMN billing_cost_lines.api_key_id IS 'API key, where the report groups by it.';
COMMENT ON COLUMN billing_cost_lines.cost_type IS 'Anthropic: tokens, web_search, code_execution, …';
COMMENT ON COLUMN billing_cost_lines.service_tier IS 'Anthropic: standard, batch, priority (Priority Tier costs never appear in the cost report).';
COMMENT ON COLUMN billing_cost_lines.context_window IS 'Anthropic: 0-200k or 200k-1M.';
COMMENT ON COLUMN billing_cost_lines.quantity IS 'OpenAI: the quantity billed (e.g. tokens), where reported.';
COMMENT ON COLUMN billing_cost_lines.quantity_unit IS 'Unit of quantity.';
COMMENT ON COLUMN billing_cost_lines.token_type IS 'Anthropic: uncached_input_tokens, output_tokens, cache_read_input_tokens, cache_creation.ephemeral_5m_input_tokens, …';

CREATE TABLE IF NOT EXISTS billing_usage_lines (
    source_file            VARCHAR NOT NULL,
    page                   INTEGER NOT NULL,
    line                   INTEGER NOT NULL,
    provider               VARCHAR NOT NULL,
    source_format          VARCHAR NOT NULL,
    day                    DATE NOT NULL,
    model                  VARCHAR,
    project_id             VARCHAR,
    api_key_id             VARCHAR,
    service_tier           VARCHAR,
    batch                  BOOLEAN,
    input_tokens           BIGINT,
    cache_read_tokens      BIGINT,
    cache_write_tokens     BIGINT,
    cache_write_1h_tokens  BIGINT,
    output_tokens          BIGINT,
    web_search_requests    BIGINT,
    requests               BIGINT
);
COMMENT ON TABLE billing_usage_lines IS 'Every line of the providers'' usage reports, in the warehouse''s token buckets. Grain: one row per result of a daily bucket or per export line, of every file read; see billed_usage for the lines that count.';
COMMENT ON COLUMN billing_usage_lines.source_file IS 'billing_files.path.';
COMMENT ON COLUMN billing_usage_lines.page IS 'Page of the file, from 1; for a CSV export, the line of the file.';
COMMENT ON COLUMN billing_usage_lines.line IS 'Result within its day''s bucket, from 1; 0 for a CSV line.';
COMMENT ON COLUMN billing_usage_lines.provider IS 'openai or anthropic (the ledger''s provider names).';
COMMENT ON COLUMN billing_usage_lines.source_format IS 'As billing_files.source_format.';
COMMENT ON COLUMN billing_usage_lines.day IS 'The UTC day of the bucket (or of the export line).';
COMMENT ON COLUMN billing_usage_lines.model IS 'Model, where the report groups by it (the provider''s name for it, as the ledger''s model).';
COMMENT ON COLUMN billing_usage_lines.project_id IS 'OpenAI''s project_id or Anthropic''s workspace_id, where the report groups by it.';
COMMENT ON COLUMN billing_usage_lines.api_key_id IS 'API key, where the report groups by it.';
COMMENT ON COLUMN billing_usage_lines.service_tier IS 'Service tier, where the report groups by it.';
COMMENT ON COLUMN billing_usage_lines.batch IS 'OpenAI: whether the usage was of the Batch API, where the report groups by it.';
COMMENT ON COLUMN billing_usage_lines.output_tokens IS 'Output tokens, reasoning included.';
COMMENT ON COLUMN billing_usage_lines.web_search_requests IS 'Anthropic server_tool_use.web_search_requests.';
COMMENT ON COLUMN billing_usage_lines.input_tokens IS 'Prompt tokens at the base input rate, cache reads and writes excluded: OpenAI''s input_uncached_tokens (or input_tokens less its cached and cache-write tokens), Anthropic''s uncached_input_tokens.';
COMMENT ON COLUMN billing_usage_lines.cache_read_tokens IS 'OpenAI input_cached_tokens; Anthropic cache_read_input_tokens.';
COMMENT ON COLUMN billing_usage_lines.cache_write_tokens IS 'OpenAI input_cache_write_tokens; Anthropic 5-minute cache writes.';
COMMENT ON COLUMN billing_usage_lines.cache_write_1h_tokens IS 'Anthropic 1-hour cache writes.';
COMMENT ON COLUMN billing_usage_lines.requests IS 'OpenAI num_model_requests; Anthropic reports none (NULL).';

-- For each provider, report and day: the file whose report of that day counts (the latest).
CREATE OR REPLACE VIEW billing_report_days AS
SELECT provider, report, day, source_file
FROM (
    SELECT d.provider, d.report, d.day, d.source_file,
           row_number() OVER (PARTITION BY d.provider, d.report, d.day
                              ORDER BY f.mtime_ns DESC, d.source_file DESC) AS rank
    FROM main.billing_days d JOIN main.billing_files f ON f.path = d.source_file
)
WHERE rank = 1;
COMMENT ON VIEW billing_report_days IS 'Which file''s report of a day counts: of the files reporting a provider''s costs (or usage) for a UTC day, the last modified (then the last by path). Grain: one row per provider, report and day reported.';

CREATE OR REPLACE VIEW billed_costs AS
SELECT c.*
FROM main.billing_cost_lines c
JOIN main.billing_report_days r
  ON r.report = 'costs' AND r.provider = c.provider AND r.day = c.day
 AND r.source_file = c.source_file;
COMMENT ON VIEW billed_costs IS 'What the providers billed: the cost lines of the file whose report of each day counts (billing_report_days), so that a page delivered again or a later export of the same days replaces and never doubles. Grain: as billing_cost_lines.';

CREATE OR REPLACE VIEW billed_usage AS
SELECT u.*
FROM main.billing_usage_lines u
JOIN main.billing_report_days r
  ON r.report = 'usage' AND r.provider = u.provider AND r.day = u.day
 AND r.source_file = u.source_file;
COMMENT ON VIEW billed_usage IS 'The providers'' usage reports, one file per day as billed_costs. Grain: as billing_usage_lines.';
