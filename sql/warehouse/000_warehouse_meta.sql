-- Bookkeeping every run reads first (which schema files the warehouse was made with, what the
-- projections were built from): applied before the other schema files, on every run.
CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR, value VARCHAR);
COMMENT ON TABLE warehouse_meta IS 'Bookkeeping. Grain: one row per key; schema = hash of the schema files (sql/*/NNN_*.sql) last applied; projection_inputs = the scenario and hardware files the projections were built from.';
COMMENT ON COLUMN warehouse_meta.key IS 'What the row records.';
COMMENT ON COLUMN warehouse_meta.value IS 'Its value.';

-- DuckLake keeps comments on tables, views and table columns, not on a view's columns: those
-- are kept here (warehouse/sql.py), and catalog_columns shows every column with its comment.
CREATE TABLE IF NOT EXISTS view_column_comments (
    schema_name VARCHAR NOT NULL, view_name VARCHAR NOT NULL, column_name VARCHAR NOT NULL,
    comment VARCHAR NOT NULL);
COMMENT ON TABLE view_column_comments IS 'What each column of a view means (the lake keeps comments only on table columns). Grain: one row per documented view column. Read it through catalog_columns.';
COMMENT ON COLUMN view_column_comments.schema_name IS 'Schema of the view: main or analytics.';
COMMENT ON COLUMN view_column_comments.view_name IS 'The view.';
COMMENT ON COLUMN view_column_comments.column_name IS 'The column.';
COMMENT ON COLUMN view_column_comments.comment IS 'What it means.';

CREATE OR REPLACE VIEW catalog_columns AS
SELECT c.schema_name, c.table_name, c.column_name, c.column_index, c.data_type,
       coalesce(nullif(c.comment, ''), v.comment) AS comment
FROM duckdb_columns() c
LEFT JOIN view_column_comments v
       ON v.schema_name = c.schema_name AND v.view_name = c.table_name
      AND v.column_name = c.column_name
WHERE c.database_name = current_database() AND NOT c.internal
  AND c.schema_name IN ('main', 'analytics');
COMMENT ON VIEW catalog_columns IS 'Every column of the warehouse''s tables and views with its type and meaning (docs/warehouse.md is made from it). Grain: one row per column.';
