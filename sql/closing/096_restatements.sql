-- What changed in closed months since they were closed: the ledger now (analytics.requests)
-- against each call as it stood at the close (closed_month_calls), call by call, so every
-- difference has a reason. The closed figures themselves never change.
CREATE OR REPLACE VIEW restatements AS
WITH current_calls AS (
    SELECT date_trunc('month', r.event_day)::DATE AS month, r.dedup_key, r.provider, r.model,
           r.project, r.status, r.cost_status, r.input_tokens, r.cache_read_tokens,
           r.cache_write_tokens, r.cache_write_1h_tokens, r.output_tokens, r.reasoning_tokens,
           r.web_search_requests, r.total_tokens::BIGINT AS total_tokens, r.total_cost,
           r.list_cost, r.pricebook_version
    FROM analytics.requests r
    WHERE date_trunc('month', r.event_day)::DATE IN (SELECT month FROM main.closed_months)
),
pairs AS (
    SELECT coalesce(c.month, r.month) AS month,
           c.dedup_key IS NOT NULL AS in_closed, r.dedup_key IS NOT NULL AS in_current,
           c.provider AS c_provider, c.model AS c_model, c.project AS c_project,
           r.provider AS r_provider, r.model AS r_model, r.project AS r_project,
           c.total_tokens AS c_tokens, r.total_tokens AS r_tokens,
           c.total_cost AS c_cost, r.total_cost AS r_cost,
           c.list_cost AS c_list_cost, r.list_cost AS r_list_cost,
           c.pricebook_version AS c_pricebook, r.pricebook_version AS r_pricebook,
           c.provider IS DISTINCT FROM r.provider OR c.model IS DISTINCT FROM r.model
               OR c.project IS DISTINCT FROM r.project AS moved,
           c.status IS DISTINCT FROM r.status
               OR c.input_tokens IS DISTINCT FROM r.input_tokens
               OR c.cache_read_tokens IS DISTINCT FROM r.cache_read_tokens
               OR c.cache_write_tokens IS DISTINCT FROM r.cache_write_tokens
               OR c.cache_write_1h_tokens IS DISTINCT FROM r.cache_write_1h_tokens
               OR c.output_tokens IS DISTINCT FROM r.output_tokens
               OR c.reasoning_tokens IS DISTINCT FROM r.reasoning_tokens
               OR c.web_search_requests IS DISTINCT FROM r.web_search_requests AS usage_changed,
           c.cost_status IS DISTINCT FROM r.cost_status
               OR c.total_cost IS DISTINCT FROM r.total_cost
               OR c.list_cost IS DISTINCT FROM r.list_cost AS cost_changed
    FROM main.closed_month_calls c
    FULL JOIN current_calls r ON r.month = c.month AND r.dedup_key = c.dedup_key
),
sides AS (
    -- every call of the close, under the key it was closed under
    SELECT month, c_provider AS provider, c_model AS model, c_project AS project,
           CASE WHEN NOT in_current THEN 'calls removed'
                WHEN moved THEN 're-attributed'
                WHEN usage_changed THEN 'usage changed'
                WHEN cost_changed THEN 're-priced' END AS reason,
           true AS has_closed, in_current AND NOT moved AS has_current,
           c_tokens AS closed_tokens, c_cost AS closed_cost, c_list_cost AS closed_list_cost,
           c_pricebook AS closed_pricebook,
           CASE WHEN in_current AND NOT moved THEN r_tokens END AS current_tokens,
           CASE WHEN in_current AND NOT moved THEN r_cost END AS current_cost,
           CASE WHEN in_current AND NOT moved THEN r_list_cost END AS current_list_cost,
           CASE WHEN in_current AND NOT moved THEN r_pricebook END AS current_pricebook
    FROM pairs
    WHERE in_closed
    UNION ALL
    -- calls of the ledger now that the close did not hold under this key
    SELECT month, r_provider, r_model, r_project,
           CASE WHEN in_closed THEN 're-attributed' ELSE 'late calls' END,
           false, true, NULL, NULL, NULL, NULL, r_tokens, r_cost, r_list_cost, r_pricebook
    FROM pairs
    WHERE in_current AND (NOT in_closed OR moved)
),
grouped AS (
    SELECT month, provider, model, project, reason,
           count(*) FILTER (has_closed) AS closed_calls,
           count(*) FILTER (has_current) AS current_calls,
           sum(closed_tokens)::BIGINT AS closed_tokens,
           sum(current_tokens)::BIGINT AS current_tokens,
           sum(closed_cost) AS closed_cost, sum(current_cost) AS current_cost,
           sum(closed_list_cost) AS closed_list_cost, sum(current_list_cost) AS current_list_cost,
           count(*) FILTER (has_closed AND closed_cost IS NULL) AS closed_unknown_cost_calls,
           count(*) FILTER (has_current AND current_cost IS NULL) AS current_unknown_cost_calls,
           string_agg(DISTINCT closed_pricebook, ',' ORDER BY closed_pricebook)
               AS closed_pricebook_version,
           string_agg(DISTINCT current_pricebook, ',' ORDER BY current_pricebook)
               AS current_pricebook_version
    FROM sides
    WHERE reason IS NOT NULL
    GROUP BY ALL
)
SELECT g.month, g.provider, g.model, g.project, g.reason,
       concat_ws(', ',
                 CASE WHEN g.current_calls <> g.closed_calls THEN 'calls' END,
                 CASE WHEN coalesce(g.current_tokens, 0) <> coalesce(g.closed_tokens, 0)
                      THEN 'tokens' END,
                 CASE WHEN coalesce(g.current_cost, 0) <> coalesce(g.closed_cost, 0)
                        OR coalesce(g.current_list_cost, 0) <> coalesce(g.closed_list_cost, 0)
                        OR g.current_unknown_cost_calls <> g.closed_unknown_cost_calls
                      THEN 'cost' END) AS changed,
       g.closed_calls, g.current_calls, g.current_calls - g.closed_calls AS calls_difference,
       g.closed_tokens, g.current_tokens,
       coalesce(g.current_tokens, 0) - coalesce(g.closed_tokens, 0) AS tokens_difference,
       g.closed_cost, g.current_cost,
       coalesce(g.current_cost, 0) - coalesce(g.closed_cost, 0) AS cost_difference,
       coalesce(g.current_list_cost, 0) - coalesce(g.closed_list_cost, 0)
           AS list_cost_difference,
       g.closed_unknown_cost_calls, g.current_unknown_cost_calls,
       g.closed_pricebook_version, g.current_pricebook_version, m.closed_at
FROM grouped g
JOIN main.closed_months m USING (month);
COMMENT ON VIEW restatements IS 'Changes to closed months since their close, which the closed figures (closed_month_totals) never take in. Grain: one row per closed month, provider, model, project and reason with a change. Reasons: late calls (in the ledger now, not at the close: logs ingested after it), calls removed (at the close, gone now: a re-shipped log without them, or moved to another month), re-attributed (the call''s provider, model or project changed: one row out of the old key, one into the new), usage changed (the same call''s status or tokens changed: a re-shipped or better log), re-priced (same call and tokens, another cost: a price-book or overrides change). Closed and current figures are those of the calls the row concerns; the differences of a key add up to its current figures less its closed ones (costs and tokens as sums of the known values; unknown costs counted apart).';
COMMENT ON COLUMN restatements.month IS 'The closed month: its first day.';
COMMENT ON COLUMN restatements.provider IS 'As in closed_month_totals.';
COMMENT ON COLUMN restatements.model IS 'As in closed_month_totals.';
COMMENT ON COLUMN restatements.project IS 'As in closed_month_totals (NULL: no project).';
COMMENT ON COLUMN restatements.reason IS 'Why the figures moved: late calls, calls removed, re-attributed, usage changed or re-priced (the view''s comment says when each applies).';
COMMENT ON COLUMN restatements.changed IS 'What changed, comma-separated: calls, tokens, cost.';
COMMENT ON COLUMN restatements.closed_calls IS 'Calls concerned as closed (0 for late calls).';
COMMENT ON COLUMN restatements.current_calls IS 'Calls concerned in the ledger now (0 for calls removed).';
COMMENT ON COLUMN restatements.calls_difference IS 'current_calls - closed_calls.';
COMMENT ON COLUMN restatements.closed_tokens IS 'Their total_tokens at the close (known usage only; NULL: none).';
COMMENT ON COLUMN restatements.current_tokens IS 'Their total_tokens now.';
COMMENT ON COLUMN restatements.tokens_difference IS 'current_tokens - closed_tokens (NULL taken as 0).';
COMMENT ON COLUMN restatements.closed_cost IS 'Their exact cost at the close, USD (known costs only; NULL: none known).';
COMMENT ON COLUMN restatements.current_cost IS 'Their exact cost now, USD.';
COMMENT ON COLUMN restatements.cost_difference IS 'current_cost - closed_cost, USD (NULL taken as 0): what the month''s total_cost would move by for this row.';
COMMENT ON COLUMN restatements.list_cost_difference IS 'The same at list price, USD.';
COMMENT ON COLUMN restatements.closed_unknown_cost_calls IS 'Of the closed calls, those whose cost was unknown (unpriced model or no usage logged).';
COMMENT ON COLUMN restatements.current_unknown_cost_calls IS 'Of the current calls, those whose cost is unknown now.';
COMMENT ON COLUMN restatements.closed_pricebook_version IS 'Price-book version(s) that priced these calls at the close.';
COMMENT ON COLUMN restatements.current_pricebook_version IS 'Price-book version(s) that price them now.';
COMMENT ON COLUMN restatements.closed_at IS 'When the month was closed (closed_months.closed_at).';
