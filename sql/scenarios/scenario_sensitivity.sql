-- The sensitivity grid of the hardware scenario (pipelines/scenarios/projection.py
-- build_sensitivity): the scenario projected once with prices as today through the macro
-- project_scenario (its named arguments filled in by the caller, their values bound), then every
-- combination of the grid's factors, shares, lags and ramps prices those monthly totals.
DELETE FROM scenario_sensitivity;
INSERT INTO scenario_sensitivity
WITH monthly AS (
    SELECT month, sum(baseline_cost) AS baseline, sum(projected_cost) AS levered
    FROM project_scenario({arguments}) GROUP BY month
),
availability AS (
    SELECT coalesce(max(coalesce(cloud_available, first_shipped)), DATE '9999-01-01')
        AS day
    FROM dim_hardware_generation WHERE generation_id = $hardware_generation
),
combos AS (
    SELECT f AS factor, s AS share, l::INTEGER AS lag, r::INTEGER AS ramp,
           (a.day + to_months(l::INTEGER))::DATE AS pass_through_date
    FROM unnest($factors) t(f), unnest($shares) u(s), unnest($lags) v(l),
         unnest($ramps) w(r), availability a
),
priced AS (
    SELECT c.*, m.baseline, m.levered,
           CASE WHEN m.month < c.pass_through_date THEN 0
                WHEN c.ramp = 0 THEN 1
                ELSE least(1, (datediff('month', c.pass_through_date, m.month) + 1)
                              / c.ramp::DOUBLE) END AS ramp_share
    FROM combos c, monthly m
)
SELECT $scenario_id, factor, share, lag, ramp, pass_through_date,
       sum(baseline),
       sum(round(levered::DOUBLE * (1 - share * (1 - 1 / factor) * ramp_share), 6)
           ::DECIMAL(24, 6)) AS projected,
       sum(baseline) - projected
FROM priced GROUP BY ALL;
