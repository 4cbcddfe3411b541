-- The calls to estimate (cost_status usage_unknown) on the days of estimate_days.sql, for
-- estimate_windows.sql and then fct_cost_estimates.sql; the estimates they replace go, and so
-- do those of the calls run $run_id changed or removed.

DELETE FROM fct_cost_estimates
WHERE $full OR event_day IN (SELECT day FROM estimate_days)
   OR call_id IN (SELECT call_id FROM stg_calls WHERE run_id = $run_id
                  UNION SELECT call_id FROM run_removed_keys WHERE run_id = $run_id);

CREATE OR REPLACE TEMP TABLE estimate_calls AS
SELECT f.call_id, c.event_day, f.provider, f.model, f.project
FROM fct_costs c
JOIN fct_requests f USING (call_id)
WHERE c.cost_status = 'usage_unknown' AND c.event_day IN (SELECT day FROM estimate_days);

CREATE OR REPLACE TEMP TABLE estimate_cells AS
SELECT DISTINCT provider, model, project, event_day FROM estimate_calls;
