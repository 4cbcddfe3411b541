-- The reference for estimating what a call without usage cost (fct_cost_estimates.sql) and for
-- measuring that estimate (estimate_backtest.sql): for each cell of the temp table
-- estimate_cells (provider, model, project, event_day), the successful, priced, non-batch calls
-- of the same provider and model in the 30 days ending on event_day, and their exact cost:
-- those of the same project, and those of every project. Read from the drivers mart, which
-- counts them per day (reference_calls, reference_cost), so no run scans the ledger for it.
CREATE OR REPLACE TEMP TABLE estimate_reference AS
SELECT d.provider, d.model, d.project, d.day, d.reference_calls AS calls,
       d.reference_cost AS cost
FROM mart_daily_drivers d
SEMI JOIN (SELECT DISTINCT provider, model FROM estimate_cells) m
    ON m.provider = d.provider AND m.model = d.model
WHERE d.reference_calls > 0
  AND d.day BETWEEN (SELECT min(event_day) - 29 FROM estimate_cells)
                AND (SELECT max(event_day) FROM estimate_cells);

CREATE OR REPLACE TEMP TABLE estimate_windows AS
WITH by_project AS (
    SELECT c.provider, c.model, c.project, c.event_day, sum(r.calls) AS calls,
           sum(r.cost) AS cost
    FROM estimate_cells c
    JOIN estimate_reference r
        ON r.provider = c.provider AND r.model = c.model
        AND r.project IS NOT DISTINCT FROM c.project
        AND r.day BETWEEN c.event_day - 29 AND c.event_day
    GROUP BY ALL
),
by_model AS (
    SELECT c.provider, c.model, c.event_day, sum(r.calls) AS calls, sum(r.cost) AS cost
    FROM (SELECT DISTINCT provider, model, event_day FROM estimate_cells) c
    JOIN estimate_reference r
        ON r.provider = c.provider AND r.model = c.model
        AND r.day BETWEEN c.event_day - 29 AND c.event_day
    GROUP BY ALL
)
SELECT c.provider, c.model, c.project, c.event_day,
       coalesce(p.calls, 0) AS project_calls, coalesce(p.cost, 0) AS project_cost,
       coalesce(m.calls, 0) AS model_calls, coalesce(m.cost, 0) AS model_cost
FROM estimate_cells c
LEFT JOIN by_project p
    ON p.provider = c.provider AND p.model = c.model
    AND p.project IS NOT DISTINCT FROM c.project AND p.event_day = c.event_day
LEFT JOIN by_model m
    ON m.provider = c.provider AND m.model = c.model AND m.event_day = c.event_day;

-- The mean of `cost` (USD) over `calls`, exact and rounded half up to 1e-13 USD.
CREATE OR REPLACE TEMP MACRO mean_usd(cost, calls) AS
    CASE WHEN calls > 0
         THEN ((((cost * 10000000000000)::HUGEINT) * 2 + calls) // (2 * calls))::DECIMAL(38, 0)
              * 0.0000000000001::DECIMAL(18, 13) END;
