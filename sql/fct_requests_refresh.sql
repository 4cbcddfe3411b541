-- Re-choose the canonical occurrence of every call whose key this run touched (temp table
-- touched_keys). Only touched keys are rewritten, so the nightly cost follows the new data.
DELETE FROM fct_requests WHERE dedup_key IN (SELECT dedup_key FROM touched_keys);

INSERT INTO fct_requests BY NAME
SELECT * EXCLUDE (has_envelope, run_id)
FROM stg_calls
WHERE dedup_key IN (SELECT dedup_key FROM touched_keys)
QUALIFY row_number() OVER (
    PARTITION BY dedup_key
    ORDER BY CASE status WHEN 'ok' THEN 0 WHEN 'error' THEN 1 ELSE 2 END,
             has_envelope DESC, source_file, source_line
) = 1;
