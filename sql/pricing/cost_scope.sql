-- The calls a run ($run_id) added, changed or removed, and their days: what the costing, the
-- marts and the estimates of that run redo (everything after a full re-pricing).
CREATE OR REPLACE TEMP TABLE cost_scope AS
    SELECT call_id FROM stg_calls WHERE run_id = $run_id
    UNION SELECT call_id FROM run_removed_keys WHERE run_id = $run_id;
CREATE OR REPLACE TEMP TABLE affected_days AS
    SELECT DISTINCT event_day AS day FROM fct_costs
    WHERE call_id IN (SELECT call_id FROM cost_scope);
