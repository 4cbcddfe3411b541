-- The days whose spend-at-risk estimates a run ($run_id) redoes: a call's estimate depends on the
-- 30 days up to its day, so the 30 days from every day whose costs the run changed; every day
-- after a full re-pricing. Re-running gives what one clean run gives.
CREATE OR REPLACE TEMP TABLE estimate_days AS
SELECT DISTINCT a.day + r.i::INTEGER AS day
FROM run_changed_days a, range(30) r(i)
WHERE a.run_id = $run_id
UNION
SELECT DISTINCT event_day FROM fct_costs WHERE $full;
