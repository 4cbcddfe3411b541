-- Views the Data quality page reads (dashboards/queries.py), so that no page reads staging or
-- the manifest itself.
CREATE OR REPLACE VIEW quality_summary AS
SELECT (SELECT max(event_at) FROM fct_requests) AS last_event,
       (SELECT max(finished_at) FROM ingest_runs) AS last_run,
       (SELECT count(*) FROM fct_requests) AS calls,
       (SELECT count(*) FROM stg_calls WHERE NOT is_canonical) AS duplicates,
       (SELECT count(*) FROM quarantine) AS quarantined;
COMMENT ON VIEW quality_summary IS 'The warehouse at a glance. Grain: one row.';
COMMENT ON COLUMN quality_summary.last_event IS 'Latest event_at in the ledger.';
COMMENT ON COLUMN quality_summary.last_run IS 'When the last published run finished.';
COMMENT ON COLUMN quality_summary.calls IS 'Calls in the ledger.';
COMMENT ON COLUMN quality_summary.duplicates IS 'Logged occurrences that repeat a call already in the ledger.';
COMMENT ON COLUMN quality_summary.quarantined IS 'Records in quarantine.';

CREATE OR REPLACE VIEW quality_duplicates AS
WITH repeated AS (
    SELECT call_id, count(*) AS extra FROM stg_calls WHERE NOT is_canonical GROUP BY ALL
)
SELECT any_value(s.dedup_key) AS dedup_key, r.extra + 1 AS occurrences,
       list(s.source_file || ':' || s.source_line ORDER BY s.is_canonical DESC,
            s.source_file, s.source_line)::VARCHAR AS logged_at
FROM repeated r
JOIN stg_calls s USING (call_id)
GROUP BY r.call_id, r.extra;
COMMENT ON VIEW quality_duplicates IS 'Calls logged more than once: every occurrence fct_requests did not choose is a duplicate of the one it did. Grain: one row per such call.';
COMMENT ON COLUMN quality_duplicates.dedup_key IS 'As in fct_requests.';
COMMENT ON COLUMN quality_duplicates.occurrences IS 'How often the call was logged.';
COMMENT ON COLUMN quality_duplicates.logged_at IS 'Where: file:line of each occurrence, the chosen one first.';

CREATE OR REPLACE VIEW quality_files AS
SELECT path, format, gzipped, size_bytes, records, staged, quarantined,
       records = staged + quarantined AS reconciles, last_action, last_run_id
FROM landing_files;
COMMENT ON VIEW quality_files IS 'Per landing file, from the manifest: records read = calls staged + records quarantined (each run''s blocking check also matched these counts to the rows present). Grain: one row per landing file.';
COMMENT ON COLUMN quality_files.path IS 'As in landing_files.';
COMMENT ON COLUMN quality_files.reconciles IS 'records = staged + quarantined.';
