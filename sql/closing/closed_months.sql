-- The month $month's row: its totals (summed from closed_month_totals, just written) and the
-- warehouse state they came from: the snapshot the close read, the last ingest run, the
-- price-book versions, the schema.
INSERT INTO closed_months
SELECT $month, $closed_at, $closed_by, $close_run_id, $forced, $snapshot_id,
       (SELECT snapshot_time FROM ducklake_snapshots('lake') WHERE snapshot_id = $snapshot_id),
       $last_ingest_run_id, $last_ingest_finished_at,
       coalesce((SELECT list(DISTINCT pricebook_version ORDER BY pricebook_version)
                 FROM closed_month_calls
                 WHERE month = $month AND pricebook_version IS NOT NULL), []::VARCHAR[]),
       $schema_version,
       coalesce(sum(calls), 0), sum(total_cost), sum(list_cost),
       coalesce(sum(unpriced_calls), 0), coalesce(sum(usage_unknown_calls), 0),
       $focus_rows, $focus_columns, $focus_csv_sha256
FROM closed_month_totals
WHERE month = $month;
