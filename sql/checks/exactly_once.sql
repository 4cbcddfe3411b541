-- Exactly one canonical occurrence (one ledger row) per call key, for every key this run
-- ($run_id) staged or removed: only those can have changed. Expected: no rows.
WITH touched AS (
    SELECT dedup_key FROM stg_calls WHERE run_id = $run_id
    UNION
    SELECT dedup_key FROM run_removed_keys WHERE run_id = $run_id
)
SELECT dedup_key, count(*) FILTER (is_canonical) AS ledger_rows, count(*) AS occurrences
FROM stg_calls
WHERE dedup_key IN (SELECT dedup_key FROM touched)
GROUP BY dedup_key
HAVING count(*) FILTER (is_canonical) <> 1
LIMIT 20
