-- The ledger set against what the providers billed (docs/reconciliation.md). Views, so that a
-- day's status is judged against the clock whenever it is read: a day stays open until its
-- bill is final.
CREATE TABLE IF NOT EXISTS reconciliation_settings (
    open_days          INTEGER NOT NULL,
    tolerance_usd      DECIMAL(18, 6) NOT NULL,
    tolerance_percent  DECIMAL(9, 4) NOT NULL
);
COMMENT ON TABLE reconciliation_settings IS 'The reconciliation''s settings, as the last run had them (TOKENWORKS_BILLING_OPEN_DAYS, TOKENWORKS_RECONCILE_TOLERANCE_USD, TOKENWORKS_RECONCILE_TOLERANCE_PERCENT). Grain: one row (none before the first run: the views then use the defaults 2 days, $0.01 and 1%).';
COMMENT ON COLUMN reconciliation_settings.open_days IS 'Days after a UTC day ends before its bill is taken as final and the day is judged.';
COMMENT ON COLUMN reconciliation_settings.tolerance_usd IS 'A closed day matches when |ledger - billed| is at most the larger of this and tolerance_percent of the billed cost.';
COMMENT ON COLUMN reconciliation_settings.tolerance_percent IS 'See tolerance_usd.';

CREATE OR REPLACE MACRO reconciliation_status(day, covered, ledger_calls, billed_cost,
                                              difference, tolerance, open_days) AS
    CASE
        WHEN day + to_days(1 + open_days) > (current_timestamp AT TIME ZONE 'UTC') THEN 'open'
        WHEN NOT covered THEN 'missing_billing'
        WHEN coalesce(ledger_calls, 0) = 0 AND billed_cost <> 0 THEN 'missing_ledger'
        WHEN abs(difference) <= tolerance THEN 'match'
        ELSE 'mismatch'
    END;

CREATE OR REPLACE VIEW reconciliation_daily AS
WITH settings AS (
    SELECT coalesce(max(open_days), 2) AS open_days,
           coalesce(max(tolerance_usd), 0.01) AS tolerance_usd,
           coalesce(max(tolerance_percent), 1) AS tolerance_percent
    FROM main.reconciliation_settings
), covered AS (
    SELECT provider, day, source_file FROM main.billing_report_days WHERE report = 'costs'
), billed AS (
    SELECT provider, day, sum(amount_usd) AS billed_sum, count(*) AS billed_lines
    FROM main.billed_costs GROUP BY ALL
), ledger AS (
    SELECT provider, day, sum(total_cost) AS ledger_sum, sum(calls) AS ledger_calls,
           sum(unpriced_calls + usage_unknown_calls) AS unknown_cost_calls
    FROM main.mart_daily_spend
    WHERE provider IN (SELECT provider FROM covered)
    GROUP BY ALL
), cells AS (
    SELECT provider, day FROM covered UNION SELECT provider, day FROM ledger
), judged AS (
    SELECT c.day, c.provider,
           coalesce(l.ledger_sum, 0)::DECIMAL(38, 13) AS ledger_cost,
           CASE WHEN v.day IS NOT NULL THEN coalesce(b.billed_sum, 0) END AS billed_cost,
           ledger_cost - billed_cost AS difference,
           greatest(s.tolerance_usd, abs(coalesce(billed_cost, 0)) * s.tolerance_percent / 100)
               AS tolerance,
           coalesce(l.ledger_calls, 0) AS ledger_calls,
           coalesce(l.unknown_cost_calls, 0) AS unknown_cost_calls,
           coalesce(b.billed_lines, 0) AS billed_lines, v.source_file AS billing_file,
           reconciliation_status(c.day, v.day IS NOT NULL, l.ledger_calls, billed_cost,
                                 difference, tolerance, s.open_days) AS status
    FROM cells c
    CROSS JOIN settings s
    LEFT JOIN covered v USING (provider, day)
    LEFT JOIN billed b USING (provider, day)
    LEFT JOIN ledger l USING (provider, day)
)
SELECT day, provider, ledger_cost, billed_cost, difference, status, tolerance, ledger_calls,
       unknown_cost_calls, billed_lines, billing_file
FROM judged;
COMMENT ON VIEW reconciliation_daily IS 'The ledger''s cost against the provider''s bill. Grain: one row per UTC day and provider, for the providers with a cost report loaded, on every day either the ledger or a report has. status: open (the bill is not final yet: fewer than open_days days since the day ended, judged against the clock), missing_billing (no cost report covers the day), missing_ledger (billed, but the ledger has no call that day), match (|difference| within the tolerance), mismatch.';
COMMENT ON COLUMN reconciliation_daily.day IS 'UTC day.';
COMMENT ON COLUMN reconciliation_daily.provider IS 'The ledger''s provider name (openai, anthropic).';
COMMENT ON COLUMN reconciliation_daily.ledger_cost IS 'Sum of the day''s exact call costs (mart_daily_spend.total_cost), USD. Calls whose cost is unknown add nothing: see unknown_cost_calls.';
COMMENT ON COLUMN reconciliation_daily.billed_cost IS 'Sum of the day''s billed amounts (billed_costs), USD; 0 for a day reported with nothing billed, NULL where no report covers the day.';
COMMENT ON COLUMN reconciliation_daily.difference IS 'ledger_cost - billed_cost: positive when the ledger counts more than was billed.';
COMMENT ON COLUMN reconciliation_daily.status IS 'open, missing_billing, missing_ledger, match or mismatch (see the view).';
COMMENT ON COLUMN reconciliation_daily.tolerance IS 'The largest |difference| that still matches: the larger of tolerance_usd and tolerance_percent of the billed cost.';
COMMENT ON COLUMN reconciliation_daily.ledger_calls IS 'Calls in the ledger that day.';
COMMENT ON COLUMN reconciliation_daily.unknown_cost_calls IS 'Of those, calls whose cost is unknown (unpriced model, or no usage logged): a cause of a difference.';
COMMENT ON COLUMN reconciliation_daily.billed_lines IS 'Cost lines billed that day.';
COMMENT ON COLUMN reconciliation_daily.billing_file IS 'The report file the day''s billed figures come from.';

CREATE OR REPLACE VIEW reconciliation_by_model AS
WITH covered AS (
    SELECT provider, day FROM main.billing_report_days WHERE report = 'costs'
), billed AS (
    SELECT provider, day, coalesce(model, '(not itemized)') AS model,
           sum(amount_usd) AS billed_cost
    FROM main.billed_costs GROUP BY ALL
), ledger AS (
    SELECT m.provider, m.day, m.model, sum(m.total_cost) AS ledger_cost, sum(m.calls) AS calls
    FROM main.mart_daily_spend m JOIN covered USING (provider, day)
    GROUP BY ALL
)
SELECT day, provider, model, l.ledger_cost, b.billed_cost,
       coalesce(l.ledger_cost, 0) - coalesce(b.billed_cost, 0) AS difference,
       coalesce(l.calls, 0) AS ledger_calls
FROM ledger l FULL JOIN billed b USING (provider, day, model);
COMMENT ON VIEW reconciliation_by_model IS 'reconciliation_daily by model, on the days a cost report covers. Grain: one row per UTC day, provider and model that the ledger or the report has. Where the report does not itemize by model (OpenAI''s costs report), its amounts are under model ''(not itemized)''.';

COMMENT ON COLUMN reconciliation_by_model.day IS 'UTC day.';
COMMENT ON COLUMN reconciliation_by_model.provider IS 'The ledger''s provider name (openai, anthropic).';
COMMENT ON COLUMN reconciliation_by_model.ledger_calls IS 'Calls of the model in the ledger that day.';
COMMENT ON COLUMN reconciliation_by_model.model IS 'The model as the ledger and the report name it (matched exactly); ''(not itemized)'' for billed amounts the report does not give by model.';
COMMENT ON COLUMN reconciliation_by_model.ledger_cost IS 'The model''s exact call costs that day (NULL: no call of it in the ledger).';
COMMENT ON COLUMN reconciliation_by_model.billed_cost IS 'The amounts billed for the model that day (NULL: none).';
COMMENT ON COLUMN reconciliation_by_model.difference IS 'ledger_cost - billed_cost, a missing side counted as 0.';

CREATE OR REPLACE VIEW reconciliation_by_line_item AS
WITH ledger AS (
    SELECT provider, day, model, sum(input_cost) AS input_cost,
           sum(cache_read_cost) AS cache_read_cost, sum(cache_write_cost) AS cache_write_cost,
           sum(cache_write_1h_cost) AS cache_write_1h_cost, sum(output_cost) AS output_cost,
           sum(web_search_cost) AS web_search_cost
    FROM main.mart_daily_spend GROUP BY ALL
), billed AS (
    SELECT provider, day, line_item, model, token_type, cost_type,
           sum(amount_usd) AS billed_cost
    FROM main.billed_costs GROUP BY ALL
)
SELECT b.day, b.provider, b.line_item, b.model, b.token_type, b.cost_type, b.billed_cost,
       CASE WHEN b.model IS NULL THEN NULL
            WHEN b.token_type = 'uncached_input_tokens' THEN l.input_cost
            WHEN b.token_type = 'output_tokens' THEN l.output_cost
            WHEN b.token_type = 'cache_read_input_tokens' THEN l.cache_read_cost
            WHEN b.token_type = 'cache_creation.ephemeral_5m_input_tokens' THEN l.cache_write_cost
            WHEN b.token_type = 'cache_creation.ephemeral_1h_input_tokens'
                THEN l.cache_write_1h_cost
            WHEN b.cost_type = 'web_search' THEN l.web_search_cost
       END AS ledger_cost
FROM billed b
LEFT JOIN ledger l USING (provider, day, model);
COMMENT ON VIEW reconciliation_by_line_item IS 'What was billed, line item by line item (summed over projects and workspaces), with the ledger''s cost of the same model and token bucket where the report says which (Anthropic''s model and token_type). Grain: one row per UTC day, provider, line item, model, token type and cost type billed.';

COMMENT ON COLUMN reconciliation_by_line_item.day IS 'UTC day.';
COMMENT ON COLUMN reconciliation_by_line_item.provider IS 'The ledger''s provider name (openai, anthropic).';
COMMENT ON COLUMN reconciliation_by_line_item.line_item IS 'As billing_cost_lines.line_item.';
COMMENT ON COLUMN reconciliation_by_line_item.model IS 'As billing_cost_lines.model.';
COMMENT ON COLUMN reconciliation_by_line_item.token_type IS 'As billing_cost_lines.token_type.';
COMMENT ON COLUMN reconciliation_by_line_item.cost_type IS 'As billing_cost_lines.cost_type.';
COMMENT ON COLUMN reconciliation_by_line_item.billed_cost IS 'The amounts billed for the line item that day, USD.';
COMMENT ON COLUMN reconciliation_by_line_item.ledger_cost IS 'The ledger''s cost of the same model and token bucket that day (input, cache reads, 5-minute or 1-hour cache writes, output, web search), where the report names a model and a bucket; NULL otherwise.';

CREATE OR REPLACE VIEW reconciliation_by_project AS
WITH covered AS (
    SELECT provider, day FROM main.billing_report_days WHERE report = 'costs'
), billed AS (
    SELECT provider, day, coalesce(project_id, '(not itemized)') AS project,
           sum(amount_usd) AS billed_cost
    FROM main.billed_costs GROUP BY ALL
), ledger AS (
    SELECT m.provider, m.day, coalesce(m.project, '(none)') AS project,
           sum(m.total_cost) AS ledger_cost, sum(m.calls) AS calls
    FROM main.mart_daily_spend m JOIN covered USING (provider, day)
    GROUP BY ALL
)
SELECT day, provider, project, l.ledger_cost, b.billed_cost,
       coalesce(l.ledger_cost, 0) - coalesce(b.billed_cost, 0) AS difference,
       coalesce(l.calls, 0) AS ledger_calls
FROM ledger l FULL JOIN billed b USING (provider, day, project);
COMMENT ON VIEW reconciliation_by_project IS 'reconciliation_daily by project, on the days a cost report covers. Grain: one row per UTC day, provider and project that the ledger or the report has. The report''s projects are OpenAI''s project_id or Anthropic''s workspace_id, matched exactly with the project the logs name: where the logs carry the provider''s ids, the two sides meet; where they carry names of their own, each side shows on rows of its own. Amounts the report does not give by project are under ''(not itemized)''.';
COMMENT ON COLUMN reconciliation_by_project.day IS 'UTC day.';
COMMENT ON COLUMN reconciliation_by_project.provider IS 'The ledger''s provider name (openai, anthropic).';
COMMENT ON COLUMN reconciliation_by_project.project IS 'The ledger''s project ((none) where the log names none) or the report''s project_id / workspace_id.';
COMMENT ON COLUMN reconciliation_by_project.ledger_cost IS 'The project''s exact call costs that day (NULL: no call of it in the ledger).';
COMMENT ON COLUMN reconciliation_by_project.billed_cost IS 'The amounts billed for the project that day (NULL: none).';
COMMENT ON COLUMN reconciliation_by_project.difference IS 'ledger_cost - billed_cost, a missing side counted as 0.';
COMMENT ON COLUMN reconciliation_by_project.ledger_calls IS 'Calls of the project in the ledger that day.';

CREATE OR REPLACE VIEW reconciliation_tokens_daily AS
WITH covered AS (
    SELECT provider, day FROM main.billing_report_days WHERE report = 'usage'
), reported AS (
    SELECT provider, day, coalesce(model, '(all models)') AS model,
           sum(input_tokens) AS reported_input_tokens,
           sum(cache_read_tokens) AS reported_cache_read_tokens,
           sum(coalesce(cache_write_tokens, 0) + coalesce(cache_write_1h_tokens, 0))
               AS reported_cache_write_tokens,
           sum(output_tokens) AS reported_output_tokens, sum(requests) AS reported_requests
    FROM main.billed_usage GROUP BY ALL
), ledger AS (
    SELECT m.provider, m.day, m.model, sum(m.input_tokens) AS ledger_input_tokens,
           sum(m.cache_read_tokens) AS ledger_cache_read_tokens,
           sum(coalesce(m.cache_write_tokens, 0) + coalesce(m.cache_write_1h_tokens, 0))
               AS ledger_cache_write_tokens,
           sum(m.output_tokens) AS ledger_output_tokens, sum(m.calls) AS ledger_calls
    FROM main.mart_daily_spend m JOIN covered USING (provider, day)
    GROUP BY ALL
)
SELECT day, provider, model,
       ledger_input_tokens, reported_input_tokens,
       coalesce(ledger_input_tokens, 0) - coalesce(reported_input_tokens, 0)
           AS input_tokens_difference,
       ledger_cache_read_tokens, reported_cache_read_tokens,
       coalesce(ledger_cache_read_tokens, 0) - coalesce(reported_cache_read_tokens, 0)
           AS cache_read_tokens_difference,
       ledger_cache_write_tokens, reported_cache_write_tokens,
       coalesce(ledger_cache_write_tokens, 0) - coalesce(reported_cache_write_tokens, 0)
           AS cache_write_tokens_difference,
       ledger_output_tokens, reported_output_tokens,
       coalesce(ledger_output_tokens, 0) - coalesce(reported_output_tokens, 0)
           AS output_tokens_difference,
       ledger_calls, reported_requests
FROM ledger FULL JOIN reported USING (provider, day, model);
COMMENT ON VIEW reconciliation_tokens_daily IS 'The ledger''s tokens against the providers'' usage reports, in the warehouse''s buckets (input excludes cache reads and writes on both sides), on the days a usage report covers: a token difference explains a cost difference. Grain: one row per UTC day, provider and model that either side has (a report not grouped by model is under ''(all models)'').';
COMMENT ON COLUMN reconciliation_tokens_daily.day IS 'UTC day.';
COMMENT ON COLUMN reconciliation_tokens_daily.provider IS 'The ledger''s provider name (openai, anthropic).';
COMMENT ON COLUMN reconciliation_tokens_daily.model IS 'As reconciliation_by_model.model; ''(all models)'' for a report not grouped by model.';
COMMENT ON COLUMN reconciliation_tokens_daily.ledger_input_tokens IS 'The ledger''s input tokens (no cache reads or writes) that day.';
COMMENT ON COLUMN reconciliation_tokens_daily.reported_input_tokens IS 'The usage report''s input tokens, in the same bucket (OpenAI''s input_tokens less its cached and cache-write tokens).';
COMMENT ON COLUMN reconciliation_tokens_daily.input_tokens_difference IS 'ledger - reported, a missing side counted as 0.';
COMMENT ON COLUMN reconciliation_tokens_daily.ledger_cache_read_tokens IS 'The ledger''s cache-read tokens.';
COMMENT ON COLUMN reconciliation_tokens_daily.reported_cache_read_tokens IS 'The report''s cached input tokens.';
COMMENT ON COLUMN reconciliation_tokens_daily.cache_read_tokens_difference IS 'ledger - reported.';
COMMENT ON COLUMN reconciliation_tokens_daily.ledger_cache_write_tokens IS 'The ledger''s cache writes, 5-minute and 1-hour.';
COMMENT ON COLUMN reconciliation_tokens_daily.reported_cache_write_tokens IS 'The report''s cache writes, 5-minute and 1-hour.';
COMMENT ON COLUMN reconciliation_tokens_daily.cache_write_tokens_difference IS 'ledger - reported.';
COMMENT ON COLUMN reconciliation_tokens_daily.ledger_output_tokens IS 'The ledger''s output tokens.';
COMMENT ON COLUMN reconciliation_tokens_daily.reported_output_tokens IS 'The report''s output tokens.';
COMMENT ON COLUMN reconciliation_tokens_daily.output_tokens_difference IS 'ledger - reported.';
COMMENT ON COLUMN reconciliation_tokens_daily.ledger_calls IS 'Calls in the ledger.';
COMMENT ON COLUMN reconciliation_tokens_daily.reported_requests IS 'Requests the report counts (OpenAI num_model_requests; NULL for Anthropic).';
