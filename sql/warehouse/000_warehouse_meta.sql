-- Bookkeeping every run reads first (which schema files the warehouse was made with, what the
-- projections were built from): applied before the other schema files, on every run.
CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR, value VARCHAR);
COMMENT ON TABLE warehouse_meta IS 'Bookkeeping. Grain: one row per key; schema = hash of the schema files (sql/*/NNN_*.sql) last applied; projection_inputs = the scenario and hardware files the projections were built from.';
COMMENT ON COLUMN warehouse_meta.key IS 'What the row records.';
COMMENT ON COLUMN warehouse_meta.value IS 'Its value.';

