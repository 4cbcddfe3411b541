-- The calls a run ($run_id) added, changed or removed (a temp table the costing reads), and the
-- days their costs stood on before this costing (run_changed_days; the costing adds the days
-- they stand on after it). Everything after a full re-pricing.
CREATE OR REPLACE TEMP TABLE cost_scope AS
    SELECT call_id FROM stg_calls WHERE run_id = $run_id
    UNION SELECT call_id FROM run_removed_keys WHERE run_id = $run_id;
INSERT INTO run_changed_days
    SELECT DISTINCT $run_id, event_day FROM fct_costs
    WHERE call_id IN (SELECT call_id FROM cost_scope);
