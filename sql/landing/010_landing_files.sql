-- The landing manifest: one row per file ever seen, and how much of it has been read.
CREATE TABLE IF NOT EXISTS landing_files (
    path            VARCHAR NOT NULL,
    format          VARCHAR NOT NULL,
    gzipped         BOOLEAN NOT NULL,
    size_bytes      BIGINT NOT NULL,
    mtime_ns        BIGINT NOT NULL,
    bytes_consumed  BIGINT NOT NULL,
    lines_consumed  BIGINT NOT NULL,
    records         BIGINT NOT NULL,
    staged          BIGINT NOT NULL,
    quarantined     BIGINT NOT NULL,
    without_calls   BIGINT NOT NULL DEFAULT 0,
    reader_state    VARCHAR,
    head_hash       VARCHAR,
    tail_hash       VARCHAR,
    last_action     VARCHAR NOT NULL,
    first_run_id    VARCHAR NOT NULL,
    last_run_id     VARCHAR NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
-- Warehouses made before coding agents' transcripts were read lack these two.
ALTER TABLE landing_files ADD COLUMN IF NOT EXISTS without_calls BIGINT DEFAULT 0;
ALTER TABLE landing_files ADD COLUMN IF NOT EXISTS reader_state VARCHAR;
COMMENT ON TABLE landing_files IS 'Landing manifest. Grain: one row per file path (relative to the landing folder) ever ingested. records = staged + quarantined + without_calls always holds; staged splits into loaded + duplicates (see file_reconciliation).';
COMMENT ON COLUMN landing_files.path IS 'Path relative to the landing folder, forward slashes; the file''s identity.';
COMMENT ON COLUMN landing_files.format IS 'jsonl (a record per line), json (one record or an array), sse (one raw streamed body).';
COMMENT ON COLUMN landing_files.gzipped IS 'True for .gz files; offsets then count decompressed bytes.';
COMMENT ON COLUMN landing_files.size_bytes IS 'File size on disk when last read.';
COMMENT ON COLUMN landing_files.mtime_ns IS 'Modification time (ns since epoch) when last read; size and mtime unchanged means skip.';
COMMENT ON COLUMN landing_files.bytes_consumed IS 'Decompressed bytes read so far; an appended file is read from here.';
COMMENT ON COLUMN landing_files.lines_consumed IS 'Physical lines (or array elements) read so far.';
COMMENT ON COLUMN landing_files.records IS 'Records read (blank lines excluded): a line or array element, except that an OpenTelemetry export counts each GenAI span it holds (staged or rejected) as a record, and one record when it holds none.';
COMMENT ON COLUMN landing_files.staged IS 'Records that parsed into stg_calls (loaded or duplicate).';
COMMENT ON COLUMN landing_files.quarantined IS 'Records sent to quarantine.';
COMMENT ON COLUMN landing_files.without_calls IS 'Records that are no API call and no error: a coding agent''s transcript lines other than its usage (the user''s messages, tool results, progress, a repeated Codex total), OpenTelemetry exports without GenAI spans.';
COMMENT ON COLUMN landing_files.reader_state IS 'What a Codex session file said before bytes_consumed (its session, working directory, model and last cumulative usage, as JSON): an append is read on from there. NULL for other files.';
COMMENT ON COLUMN landing_files.head_hash IS 'Hash of the first 64 KiB on disk: changed means the file was rewritten.';
COMMENT ON COLUMN landing_files.tail_hash IS 'Hash of the 64 KiB on disk before the consumed end: changed means rewritten, not appended.';
COMMENT ON COLUMN landing_files.last_action IS 'new, appended or rewritten: what the last run that touched the file did.';
COMMENT ON COLUMN landing_files.first_run_id IS 'Ingest run that first read the file.';
COMMENT ON COLUMN landing_files.last_run_id IS 'Ingest run that last read the file.';
COMMENT ON COLUMN landing_files.updated_at IS 'UTC time of the last read.';
