-- Spend at risk: what each call without usage probably cost (after estimate_calls.sql and
-- estimate_windows.sql), the mean cost of its project's calls of the same model in the 30 days
-- up to its day, else of every project's. Method and its measured error: docs/pricing.md.
INSERT INTO fct_cost_estimates BY NAME
SELECT e.call_id, e.event_day,
       CASE WHEN w.project_calls > 0 THEN 'model_project_mean_30d'
            WHEN w.model_calls > 0 THEN 'model_mean_30d'
            ELSE 'no_reference' END AS estimate_method,
       CASE WHEN w.project_calls > 0 THEN w.project_calls
            WHEN w.model_calls > 0 THEN w.model_calls END AS reference_calls,
       CASE WHEN w.project_calls > 0 THEN mean_usd(w.project_cost, w.project_calls)
            ELSE mean_usd(w.model_cost, w.model_calls) END::DECIMAL(18, 13) AS estimated_cost
FROM estimate_calls e
JOIN estimate_windows w
    ON w.provider = e.provider AND w.model = e.model
    AND w.project IS NOT DISTINCT FROM e.project AND w.event_day = e.event_day;
