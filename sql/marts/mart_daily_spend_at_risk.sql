-- mart_daily_spend.estimated_cost: the spend at risk of every day whose estimates were made
-- again (estimate_days.sql, fct_cost_estimates.sql); only no_usage rows have any.
UPDATE mart_daily_spend SET estimated_cost = e.estimated_cost
FROM (
    SELECT e.event_day AS day, f.provider, f.model, f.project, f.user_id, f.api_key_id,
           f.source, sum(e.estimated_cost) AS estimated_cost
    FROM fct_cost_estimates e
    JOIN fct_requests f USING (call_id)
    WHERE e.event_day IN (SELECT day FROM estimate_days)
    GROUP BY ALL
) e
WHERE mart_daily_spend.status = 'no_usage' AND mart_daily_spend.day = e.day
  AND mart_daily_spend.provider IS NOT DISTINCT FROM e.provider
  AND mart_daily_spend.model IS NOT DISTINCT FROM e.model
  AND mart_daily_spend.project IS NOT DISTINCT FROM e.project
  AND mart_daily_spend.user_id IS NOT DISTINCT FROM e.user_id
  AND mart_daily_spend.api_key_id IS NOT DISTINCT FROM e.api_key_id
  AND mart_daily_spend.source IS NOT DISTINCT FROM e.source;
