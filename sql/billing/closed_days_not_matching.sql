-- Closed days that do not match ($statuses), from each provider's first reported day on: the
-- ledger's days before a provider's first report predate the reports, and would be named
-- forever. Expected: no rows.
WITH first_reported AS (
    SELECT provider, min(day) AS first_day
    FROM billing_report_days
    WHERE report = 'costs'
    GROUP BY provider
)
SELECT r.day, r.provider, r.status, r.ledger_cost, r.billed_cost, r.difference
FROM reconciliation_daily r
JOIN first_reported f USING (provider)
WHERE r.day >= f.first_day AND list_contains($statuses, r.status)
ORDER BY r.day DESC, r.provider
