-- The backtest of the estimate (estimate_backtest.sql): every call the estimate could have been
-- asked about whose cost is known, with that cost.
CREATE OR REPLACE TEMP TABLE estimate_calls AS
SELECT f.call_id, c.event_day, f.provider, f.model, f.project, c.total_cost AS actual_cost
FROM fct_costs c
JOIN fct_requests f USING (call_id)
WHERE c.is_priced AND f.status = 'ok' AND NOT f.is_batch AND c.total_cost > 0;

CREATE OR REPLACE TEMP TABLE estimate_cells AS
SELECT DISTINCT provider, model, project, event_day FROM estimate_calls;
