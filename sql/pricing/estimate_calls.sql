-- The calls to estimate (cost_status usage_unknown), for estimate_windows.sql and then
-- fct_cost_estimates.sql. A call's estimate depends on the 30 days up to its day, so the calls
-- re-estimated are those of the 30 days from every day this run changed (every day after a full
-- re-pricing): re-running gives what one clean run gives.
CREATE OR REPLACE TEMP TABLE estimate_days AS
SELECT DISTINCT a.day + r.i::INTEGER AS day FROM affected_days a, range(30) r(i)
UNION
SELECT DISTINCT event_day FROM fct_costs WHERE $full;

DELETE FROM fct_cost_estimates
WHERE $full OR event_day IN (SELECT day FROM estimate_days)
   OR call_id IN (SELECT call_id FROM cost_scope);

CREATE OR REPLACE TEMP TABLE estimate_calls AS
SELECT f.call_id, c.event_day, f.provider, f.model, f.project
FROM fct_costs c
JOIN fct_requests f USING (call_id)
WHERE c.cost_status = 'usage_unknown' AND c.event_day IN (SELECT day FROM estimate_days);

CREATE OR REPLACE TEMP TABLE estimate_cells AS
SELECT DISTINCT provider, model, project, event_day FROM estimate_calls;
