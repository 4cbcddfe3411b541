-- The days each budget's forecast covers, with the run rate it starts from
-- (pipelines/budgets/evaluate.py): the open period's last call day (spent_usd given: the day may
-- not be over) and the days after it (spent_usd NULL). The rate is the spend per day of the
-- $days days before the last call day; that day's own spend when it is the whole history.
WITH known AS (
    SELECT budget, day, spent_usd FROM budget_daily WHERE spent_usd IS NOT NULL
),
last AS (
    SELECT budget, max(day) AS last_day FROM known GROUP BY budget
),
rates AS (
    SELECT k.budget,
           coalesce(sum(k.spent_usd) FILTER (WHERE k.day < l.last_day)::DOUBLE
                    / nullif(count(*) FILTER (WHERE k.day < l.last_day), 0),
                    sum(k.spent_usd)::DOUBLE) AS rate
    FROM known k JOIN last l USING (budget)
    WHERE k.day >= l.last_day - $days
    GROUP BY k.budget
),
open_periods AS (
    SELECT budget, max(period_start) AS period_start FROM budget_daily GROUP BY budget
)
SELECT d.budget, d.day, d.spent_usd, r.rate
FROM budget_daily d
JOIN open_periods o USING (budget, period_start)
JOIN last l USING (budget)
JOIN rates r USING (budget)
WHERE d.spent_usd IS NULL OR d.day = l.last_day
ORDER BY d.budget, d.day;
