-- The calls a run ($run_id) added, changed or removed (a temp table the costing reads), and the
-- days their costs stood on before this costing (run_changed_days; the costing adds the days
-- they stand on after it). Everything after a full re-pricing.
-- calls_to_cost is what fct_costs.sql prices: the run's calls, kept in a temp table first. In a
-- run's transaction that staged calls, the optimizer's estimate of the ledger is far too low
-- (1,800 rows for 10M), and it would join every call to the models before keeping the run's:
-- 1.9 s instead of 0.2 s for one new day on 10M calls of history. A full re-pricing reads the
-- ledger itself (costs.py).
CREATE OR REPLACE TEMP TABLE cost_scope AS
    SELECT call_id FROM stg_calls WHERE run_id = $run_id
    UNION SELECT call_id FROM run_removed_keys WHERE run_id = $run_id;
INSERT INTO run_changed_days
    SELECT DISTINCT $run_id, event_day FROM fct_costs
    WHERE call_id IN (SELECT call_id FROM cost_scope);
CREATE OR REPLACE TEMP TABLE run_calls AS
    SELECT * FROM fct_requests WHERE NOT $full AND call_id IN (SELECT call_id FROM cost_scope);
CREATE OR REPLACE TEMP VIEW calls_to_cost AS SELECT * FROM run_calls;
