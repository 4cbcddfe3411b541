-- Re-choose the canonical occurrence of every call whose key this run touched (temp table
-- touched_keys): the best status (ok, error, no_usage), an envelope before a bare body, then the
-- first by file and line. Only touched keys are updated, so the nightly cost follows the new data.
UPDATE stg_calls SET is_canonical = ranked.rank = 1
FROM (
    SELECT rowid AS occurrence,
           row_number() OVER (
               PARTITION BY dedup_key
               ORDER BY CASE status WHEN 'ok' THEN 0 WHEN 'error' THEN 1 ELSE 2 END,
                        has_envelope DESC, source_file, source_line) AS rank
    FROM stg_calls
    WHERE dedup_key IN (SELECT dedup_key FROM touched_keys)
) AS ranked
WHERE stg_calls.rowid = ranked.occurrence;
