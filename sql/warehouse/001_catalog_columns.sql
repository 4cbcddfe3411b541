-- DuckLake keeps comments on tables, views and table columns, not on a view's columns: those
-- are kept here (warehouse/sql.py), and catalog_columns shows every column with its comment.
CREATE TABLE IF NOT EXISTS view_column_comments (
    schema_name VARCHAR NOT NULL, view_name VARCHAR NOT NULL, column_name VARCHAR NOT NULL,
    comment VARCHAR NOT NULL);
-- Made again from the schema files whenever they are applied (warehouse/sql.py).
DELETE FROM view_column_comments;
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
COMMENT ON COLUMN catalog_columns.schema_name IS 'Schema: main (internal) or analytics (the analysts'' contract).';
COMMENT ON COLUMN catalog_columns.table_name IS 'Table or view.';
COMMENT ON COLUMN catalog_columns.column_name IS 'Column.';
COMMENT ON COLUMN catalog_columns.column_index IS 'Position of the column, from 1.';
COMMENT ON COLUMN catalog_columns.data_type IS 'Its type.';
COMMENT ON COLUMN catalog_columns.comment IS 'What it means.';
