-- The reconciliation's settings as this run has them: the views read them (one row).
DELETE FROM reconciliation_settings;
INSERT INTO reconciliation_settings VALUES ($open_days, $tolerance_usd, $tolerance_percent);
