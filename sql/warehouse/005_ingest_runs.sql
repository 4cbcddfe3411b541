-- The committed runs, recorded by the last step of each run (pipelines/warehouse/runs.py).
CREATE TABLE IF NOT EXISTS ingest_runs (
    run_id           VARCHAR NOT NULL,
    started_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP NOT NULL,
    files_seen       BIGINT NOT NULL,
    files_new        BIGINT NOT NULL,
    files_appended   BIGINT NOT NULL,
    files_rewritten  BIGINT NOT NULL,
    files_unchanged  BIGINT NOT NULL,
    bytes_read       BIGINT NOT NULL,
    records_read     BIGINT NOT NULL,
    calls_loaded     BIGINT NOT NULL,
    duplicates       BIGINT NOT NULL,
    quarantined      BIGINT NOT NULL,
    seconds          DOUBLE NOT NULL,
    without_calls    BIGINT DEFAULT 0
);
-- Warehouses made before transcripts were read lack it.
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS without_calls BIGINT DEFAULT 0;
COMMENT ON TABLE ingest_runs IS 'Committed ingest runs. Grain: one row per run that changed the warehouse (runs that found nothing new commit nothing and leave no row).';
COMMENT ON COLUMN ingest_runs.run_id IS 'Run id (UTC start time, process id, random suffix; the Dagster run id when run by Dagster).';
COMMENT ON COLUMN ingest_runs.started_at IS 'UTC time the run planned its work.';
COMMENT ON COLUMN ingest_runs.finished_at IS 'UTC time the run finished, just before its commit.';
COMMENT ON COLUMN ingest_runs.files_seen IS 'Loadable files in the landing folder.';
COMMENT ON COLUMN ingest_runs.files_new IS 'Files read for the first time.';
COMMENT ON COLUMN ingest_runs.files_appended IS 'Files read from where the previous run stopped.';
COMMENT ON COLUMN ingest_runs.files_rewritten IS 'Files whose earlier rows were replaced by a fresh read.';
COMMENT ON COLUMN ingest_runs.files_unchanged IS 'Files skipped without being opened.';
COMMENT ON COLUMN ingest_runs.bytes_read IS 'Bytes read (decompressed for .gz).';
COMMENT ON COLUMN ingest_runs.records_read IS 'Records read; = staged + quarantined + records without a call (landing_files.without_calls).';
COMMENT ON COLUMN ingest_runs.quarantined IS 'Records this run sent to quarantine.';
COMMENT ON COLUMN ingest_runs.without_calls IS 'Records this run read that hold no call (a coding agent''s lines other than its usage, OpenTelemetry exports without GenAI spans).';
COMMENT ON COLUMN ingest_runs.seconds IS 'Wall time from planning to just before its commit.';
COMMENT ON COLUMN ingest_runs.calls_loaded IS 'Net new rows in fct_requests from this run.';
COMMENT ON COLUMN ingest_runs.duplicates IS 'Calls this run staged that did not add one to the ledger (already known, logged again within the run, or a message''s repeated transcript lines).';

-- The snapshot each run committed, from the lake's own record of its commits (a run names
-- itself in the commit: warehouse/store.py). What `tokenworks sql --as-of RUN_ID` opens.
CREATE OR REPLACE VIEW run_snapshots AS
SELECT json_extract_string(commit_extra_info, '$.run_id') AS run_id, snapshot_id,
       snapshot_time
FROM ducklake_snapshots('lake')
WHERE author = 'tokenworks' AND json_extract_string(commit_extra_info, '$.run_id') IS NOT NULL;
COMMENT ON VIEW run_snapshots IS 'The lake snapshot each ingest run committed. Grain: one row per committed run (also runs of a selection of assets, which leave no ingest_runs row). Snapshots older than the retention (maintenance) are expired and leave this view.';
COMMENT ON COLUMN run_snapshots.run_id IS 'The run (ingest_runs.run_id, the Dagster run id).';
COMMENT ON COLUMN run_snapshots.snapshot_id IS 'The DuckLake snapshot its commit made: tokenworks sql --as-of RUN_ID reads the warehouse as it was then.';
COMMENT ON COLUMN run_snapshots.snapshot_time IS 'The snapshot''s time as the lake stamps it: when the run''s transaction began (UTC), so before its finished_at. --as-of TIMESTAMP reads the last snapshot stamped at or before it.';
