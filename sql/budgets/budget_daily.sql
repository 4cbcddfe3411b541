-- Each budget's exact spend per day in its scope (docs/budgets.md), from the period holding the
-- warehouse's first call day to the end of the open period; pipelines/budgets/evaluate.py then
-- fills the forecast of the open period's remaining days. Rebuilt whole after `budgets`.
DELETE FROM budget_daily;
INSERT INTO budget_daily BY NAME
WITH span AS (
    SELECT min(day) AS first_day, max(day) AS as_of FROM mart_daily_spend
),
periods AS (
    SELECT b.budget, p.period_start::DATE AS period_start,
           (p.period_start + CASE b.period WHEN 'quarter' THEN INTERVAL 3 MONTH
                                           ELSE INTERVAL 1 MONTH END - INTERVAL 1 DAY)::DATE
               AS period_end
    FROM budgets b, span s,
         LATERAL (SELECT unnest(generate_series(
             date_trunc(b.period, s.first_day), date_trunc(b.period, s.as_of),
             CASE b.period WHEN 'quarter' THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END))
             AS period_start) p
),
days AS (
    SELECT p.budget, p.period_start, p.period_end, d.day::DATE AS day
    FROM periods p, span s,
         LATERAL (SELECT unnest(generate_series(greatest(p.period_start, s.first_day),
                                                p.period_end, INTERVAL 1 DAY)) AS day) d
),
in_scope AS (
    SELECT b.budget, m.day, sum(m.total_cost) AS spent,
           sum(m.unpriced_calls + m.usage_unknown_calls) AS cost_unknown_calls
    FROM mart_daily_spend m
    LEFT JOIN dim_model dm ON dm.provider = m.provider AND dm.model = m.model
    JOIN budgets b
      ON (b.scope_provider IS NULL OR m.provider = b.scope_provider)
     AND (b.scope_model IS NULL OR m.model = b.scope_model OR dm.price_model = b.scope_model)
     AND (b.scope_project IS NULL OR m.project = b.scope_project)
     AND (b.scope_user IS NULL OR m.user_id = b.scope_user)
     AND (b.scope_api_key_id IS NULL OR m.api_key_id = b.scope_api_key_id)
     AND (b.scope_source IS NULL OR m.source = b.scope_source)
    GROUP BY ALL
)
SELECT d.budget, d.period_start, d.period_end, d.day,
       CASE WHEN d.day <= s.as_of THEN coalesce(i.spent, 0) END AS spent_usd,
       CASE WHEN d.day <= s.as_of THEN coalesce(i.cost_unknown_calls, 0) END
           AS cost_unknown_calls,
       NULL AS forecast_usd
FROM days d
CROSS JOIN span s
LEFT JOIN in_scope i USING (budget, day);
