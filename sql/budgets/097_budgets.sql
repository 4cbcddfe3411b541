-- Budgets and their alerts (issue #18; docs/budgets.md). `budgets` and `budget_daily` are made
-- again whole from the budgets file and the spend mart by pipelines/budgets; `budget_alerts`
-- is the record of every alert ever raised and is never rebuilt.
CREATE TABLE IF NOT EXISTS budgets (
    budget           VARCHAR NOT NULL,
    period           VARCHAR NOT NULL,
    amount_usd       DECIMAL(18, 6) NOT NULL,
    scope_provider   VARCHAR,
    scope_model      VARCHAR,
    scope_project    VARCHAR,
    scope_user       VARCHAR,
    scope_api_key_id VARCHAR,
    thresholds       DECIMAL(9, 4)[] NOT NULL,
    forecast_method  VARCHAR NOT NULL,
    scope_source     VARCHAR
);
-- Warehouses made before calls had a source lack it (budgets is filled by column name).
ALTER TABLE budgets ADD COLUMN IF NOT EXISTS scope_source VARCHAR;
COMMENT ON TABLE budgets IS 'The budgets of the budgets file (TOKENWORKS_BUDGETS, default budgets/budgets.yaml). Grain: one row per budget.';
COMMENT ON COLUMN budgets.budget IS 'The budget''s name (unique).';
COMMENT ON COLUMN budgets.period IS 'month or quarter: calendar periods in UTC.';
COMMENT ON COLUMN budgets.amount_usd IS 'What the budget allows per period, USD.';
COMMENT ON COLUMN budgets.scope_provider IS 'Only calls of this provider (as in fct_requests); NULL: any.';
COMMENT ON COLUMN budgets.scope_model IS 'Only calls of this model: the model as logged or its price-book model; NULL: any.';
COMMENT ON COLUMN budgets.scope_project IS 'Only calls of this project; NULL: any.';
COMMENT ON COLUMN budgets.scope_user IS 'Only calls of this user (fct_requests.user_id); NULL: any.';
COMMENT ON COLUMN budgets.scope_api_key_id IS 'Only calls made with this API key id; NULL: any.';
COMMENT ON COLUMN budgets.scope_source IS 'Only calls logged by this source (fct_requests.source: api_log, claude_code, codex_cli, otel); NULL: any.';
COMMENT ON COLUMN budgets.thresholds IS 'Shares of the amount that raise an alert when the spend reaches them, ascending (1 = the whole amount).';
COMMENT ON COLUMN budgets.forecast_method IS 'The trend method forecast_usd uses: the baseline scenario''s (scenarios/scenarios.yaml trend_method; auto resolved to the one that backtests best, forecast_methods).';

CREATE TABLE IF NOT EXISTS budget_daily (
    budget             VARCHAR NOT NULL,
    period_start       DATE NOT NULL,
    period_end         DATE NOT NULL,
    day                DATE NOT NULL,
    spent_usd          DECIMAL(38, 13),
    cost_unknown_calls BIGINT,
    forecast_usd       DECIMAL(24, 6)
);
COMMENT ON TABLE budget_daily IS 'Each budget''s spend per day, from the period holding the warehouse''s first call day to the end of the open period (the one holding its last call day); the open period''s days after the last call day carry a forecast instead. Grain: one row per budget and day.';
COMMENT ON COLUMN budget_daily.budget IS 'The budget (budgets).';
COMMENT ON COLUMN budget_daily.period_start IS 'First day of the budget period holding the day.';
COMMENT ON COLUMN budget_daily.period_end IS 'Last day of that period.';
COMMENT ON COLUMN budget_daily.day IS 'UTC day.';
COMMENT ON COLUMN budget_daily.spent_usd IS 'Exact cost of the day''s calls in the budget''s scope (mart_daily_spend.total_cost); 0 on a day without such calls; NULL after the last call day.';
COMMENT ON COLUMN budget_daily.cost_unknown_calls IS 'Calls of the day in scope whose cost is unknown (unpriced model or usage not logged): not in spent_usd.';
COMMENT ON COLUMN budget_daily.forecast_usd IS 'The open period''s forecast spend: for each day after the last call day, the scope''s spend per day over the 30 days before the last call day times the trend method''s factor for that month (within the baseline''s growth bounds); for the last call day, what that rate leaves beyond its spend so far (the day may not be over). An estimate, to 1e-6 USD.';

CREATE TABLE IF NOT EXISTS budget_alerts (
    alert_id        VARCHAR NOT NULL,
    budget          VARCHAR NOT NULL,
    period_start    DATE NOT NULL,
    kind            VARCHAR NOT NULL,
    threshold       DECIMAL(9, 4) NOT NULL,
    triggered_at    TIMESTAMPTZ NOT NULL,
    triggered_by_run VARCHAR NOT NULL,
    spent_usd       DECIMAL(38, 13) NOT NULL,
    amount_usd      DECIMAL(18, 6) NOT NULL,
    forecast_usd    DECIMAL(24, 6),
    payload         VARCHAR NOT NULL,
    attempts        INTEGER NOT NULL,
    last_attempt_at TIMESTAMPTZ,
    sending_since   TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ,
    superseded_by   VARCHAR,
    last_error      VARCHAR
);
COMMENT ON TABLE budget_alerts IS 'Every budget alert ever raised, with its delivery to TOKENWORKS_ALERT_WEBHOOK. Raised once per budget, period, kind and threshold, ever, and only for the open period; one not yet delivered (nor superseded) is sent again by each run until it is. Grain: one row per alert.';
COMMENT ON COLUMN budget_alerts.alert_id IS 'budget/period_start/kind/threshold: the key, sent in the payload so a receiver can drop a repeat.';
COMMENT ON COLUMN budget_alerts.budget IS 'The budget.';
COMMENT ON COLUMN budget_alerts.period_start IS 'First day of the period it is about.';
COMMENT ON COLUMN budget_alerts.kind IS 'threshold (the spend reached a threshold) or forecast (the forecast passed the amount).';
COMMENT ON COLUMN budget_alerts.threshold IS 'The share of the amount reached (1 for a forecast alert).';
COMMENT ON COLUMN budget_alerts.triggered_at IS 'When the run that raised it evaluated the budgets.';
COMMENT ON COLUMN budget_alerts.triggered_by_run IS 'That run''s id.';
COMMENT ON COLUMN budget_alerts.spent_usd IS 'The period''s spend then.';
COMMENT ON COLUMN budget_alerts.amount_usd IS 'The budget''s amount then.';
COMMENT ON COLUMN budget_alerts.forecast_usd IS 'The forecast to the period''s end then.';
COMMENT ON COLUMN budget_alerts.payload IS 'The JSON body POSTed (the same on every attempt).';
COMMENT ON COLUMN budget_alerts.attempts IS 'Deliveries tried.';
COMMENT ON COLUMN budget_alerts.last_attempt_at IS 'When the last was tried.';
COMMENT ON COLUMN budget_alerts.sending_since IS 'Set while a run is sending it (another run leaves it alone for 10 minutes, after which a run that died is presumed gone); NULL once its outcome is recorded.';
COMMENT ON COLUMN budget_alerts.superseded_by IS 'A higher threshold of the same budget and period raised by the same run: this one is recorded, never sent (the higher one says where the spend is).';
COMMENT ON COLUMN budget_alerts.delivered_at IS 'When the webhook answered 2xx; NULL until then.';
COMMENT ON COLUMN budget_alerts.last_error IS 'Why the last attempt failed (HTTP status and body excerpt, or the connection error); NULL once delivered.';

CREATE OR REPLACE VIEW budget_status AS
WITH periods AS (
    SELECT budget, period_start, any_value(period_end) AS period_end,
           coalesce(sum(spent_usd), 0) AS spent_usd,
           sum(forecast_usd) AS forecast_rest,
           coalesce(sum(cost_unknown_calls), 0) AS cost_unknown_calls,
           max(day) FILTER (WHERE spent_usd IS NOT NULL) AS as_of
    FROM budget_daily
    GROUP BY budget, period_start
),
judged AS (
    SELECT p.*, b.period, b.amount_usd, b.thresholds, b.forecast_method,
           p.period_start = max(p.period_start) OVER (PARTITION BY p.budget) AS is_open,
           -- exact, as the alerts judge it (a share in floating point can fall just short)
           list_max(list_filter(b.thresholds, t -> p.spent_usd >= t * b.amount_usd))
               AS threshold_reached
    FROM periods p JOIN budgets b USING (budget)
),
forecast AS (
    SELECT *, CASE WHEN is_open THEN (spent_usd + coalesce(forecast_rest, 0))::DECIMAL(38, 6)
              END AS forecast_usd
    FROM judged
)
SELECT budget, period, period_start, period_end, is_open, spent_usd, amount_usd,
       (spent_usd / amount_usd)::DOUBLE AS share, forecast_usd, threshold_reached,
       CASE WHEN spent_usd >= amount_usd THEN 'over'
            WHEN forecast_usd > amount_usd THEN 'forecast_over'
            WHEN threshold_reached IS NOT NULL THEN 'warning'
            ELSE 'ok' END AS status,
       cost_unknown_calls, forecast_method, as_of
FROM forecast;
COMMENT ON VIEW budget_status IS 'Each budget per period: spend, share of the amount, forecast to the period''s end and status. Grain: one row per budget and period; is_open marks the one holding the warehouse''s last call day.';
COMMENT ON COLUMN budget_status.budget IS 'The budget (budgets).';
COMMENT ON COLUMN budget_status.period IS 'month or quarter.';
COMMENT ON COLUMN budget_status.period_start IS 'First day of the period.';
COMMENT ON COLUMN budget_status.period_end IS 'Last day of the period.';
COMMENT ON COLUMN budget_status.is_open IS 'The open period: the one holding the warehouse''s last call day. Earlier periods are history.';
COMMENT ON COLUMN budget_status.spent_usd IS 'Exact spend of the period in the budget''s scope so far.';
COMMENT ON COLUMN budget_status.amount_usd IS 'The budget''s amount.';
COMMENT ON COLUMN budget_status.share IS 'spent_usd / amount_usd (1 = all of it).';
COMMENT ON COLUMN budget_status.forecast_usd IS 'Open period only: spent_usd plus the forecast of its remaining days (budget_daily.forecast_usd). NULL for history.';
COMMENT ON COLUMN budget_status.threshold_reached IS 'The highest threshold the spend has reached; NULL for none.';
COMMENT ON COLUMN budget_status.status IS 'over (spent the amount), forecast_over (open, forecast above the amount), warning (a threshold reached), ok.';
COMMENT ON COLUMN budget_status.cost_unknown_calls IS 'Calls in scope whose cost is unknown: the spend is a floor while this is above 0.';
COMMENT ON COLUMN budget_status.forecast_method IS 'The trend method of the forecast.';
COMMENT ON COLUMN budget_status.as_of IS 'Last day with spend figures in the period (the warehouse''s last call day for the open period).';
