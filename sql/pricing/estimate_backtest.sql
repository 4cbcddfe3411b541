-- How far the estimate of fct_cost_estimates.sql is from the truth, on calls whose cost is known
-- (after estimate_backtest_calls.sql and estimate_windows.sql): each call is estimated as if its
-- usage were unknown, from the same windows less the call itself (leave one out). Errors are
-- relative to the true cost: per call, and per day, provider and model (the estimate's sum over
-- the cell against the cell's true cost), as a spend-at-risk figure is read.
WITH estimated AS (
    SELECT e.call_id, e.event_day, e.provider, e.model, e.actual_cost,
           CASE WHEN w.project_calls > 1 THEN 'model_project_mean_30d'
                WHEN w.model_calls > 1 THEN 'model_mean_30d'
                ELSE 'no_reference' END AS estimate_method,
           CASE WHEN w.project_calls > 1
                THEN mean_usd(w.project_cost - e.actual_cost, w.project_calls - 1)
                ELSE mean_usd(w.model_cost - e.actual_cost, w.model_calls - 1)
           END AS estimated_cost
    FROM estimate_calls e
    JOIN estimate_windows w
        ON w.provider = e.provider AND w.model = e.model
        AND w.project IS NOT DISTINCT FROM e.project AND w.event_day = e.event_day
),
per_call AS (
    SELECT 'call' AS grain, estimate_method,
           abs(estimated_cost - actual_cost) / actual_cost AS relative_error
    FROM estimated WHERE estimated_cost IS NOT NULL
),
per_cell AS (
    SELECT 'day, provider and model' AS grain, 'as applied' AS estimate_method,
           abs(sum(estimated_cost) - sum(actual_cost)) / sum(actual_cost) AS relative_error
    FROM estimated WHERE estimated_cost IS NOT NULL
    GROUP BY event_day, provider, model
)
SELECT grain, estimate_method, count(*) AS estimates,
       round(median(relative_error), 4)::DOUBLE AS median_relative_error,
       round(quantile_cont(relative_error, 0.9), 4)::DOUBLE AS p90_relative_error
FROM (SELECT * FROM per_call
      UNION ALL SELECT 'call', 'as applied', relative_error FROM per_call
      UNION ALL SELECT * FROM per_cell)
GROUP BY ALL
UNION ALL
SELECT 'call', 'no_reference', count(*), NULL, NULL FROM estimated
WHERE estimated_cost IS NULL
ORDER BY grain, estimate_method;
