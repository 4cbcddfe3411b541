-- One run's scratch tables: the plan, the run's start, the calls a rewritten file took away, the
-- days whose costs changed. TEMP tables of the run's connection, outside the lake: made by the
-- first step that needs them, dropped when the run finishes (warehouse/runs.py), never committed,
-- and private to the run, so writers running at once never share them.
CREATE TEMP TABLE IF NOT EXISTS run_plan (
    run_id VARCHAR, path VARCHAR, action VARCHAR, format VARCHAR, gzipped BOOLEAN,
    size_bytes BIGINT, mtime_ns BIGINT, start_offset BIGINT, start_line BIGINT,
    prior_records BIGINT, prior_staged BIGINT, prior_quarantined BIGINT,
    prior_without_calls BIGINT, reader_state VARCHAR, first_run_id VARCHAR,
    done BOOLEAN DEFAULT false, bytes_read BIGINT DEFAULT 0, records BIGINT DEFAULT 0,
    staged BIGINT DEFAULT 0, quarantined BIGINT DEFAULT 0, without_calls BIGINT DEFAULT 0);
CREATE TEMP TABLE IF NOT EXISTS run_state (
    run_id VARCHAR, started_at TIMESTAMP, files_seen BIGINT, files_unchanged BIGINT,
    fct_rows_before BIGINT);
CREATE TEMP TABLE IF NOT EXISTS run_removed_keys (run_id VARCHAR, dedup_key VARCHAR, call_id BIGINT);
-- The days whose costs the run changed: what the marts and the estimates of that run redo.
CREATE TEMP TABLE IF NOT EXISTS run_changed_days (run_id VARCHAR, day DATE);
