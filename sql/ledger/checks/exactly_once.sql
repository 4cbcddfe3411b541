-- Exactly one canonical occurrence (one ledger row) and one call id per call key, for every key
-- this run ($run_id) staged or removed: only those can have changed; and no call id is shared
-- with another key. Expected: no rows.
WITH touched AS (
    SELECT dedup_key FROM stg_calls WHERE run_id = $run_id
    UNION
    SELECT dedup_key FROM run_removed_keys WHERE run_id = $run_id
),
keys AS (
    SELECT dedup_key, count(*) FILTER (is_canonical) AS ledger_rows, count(*) AS occurrences,
           count(DISTINCT call_id) AS call_ids, count(*) - count(call_id) AS without_call_id,
           min(call_id) AS call_id
    FROM stg_calls
    WHERE dedup_key IN (SELECT dedup_key FROM touched)
    GROUP BY dedup_key
),
shared AS (
    SELECT call_id, count(DISTINCT dedup_key) AS keys_with_call_id
    FROM stg_calls
    WHERE call_id IN (SELECT call_id FROM keys)
    GROUP BY call_id
)
SELECT k.dedup_key, k.ledger_rows, k.occurrences, k.call_ids, k.without_call_id,
       s.keys_with_call_id
FROM keys k
LEFT JOIN shared s USING (call_id)
WHERE k.ledger_rows <> 1 OR k.call_ids <> 1 OR k.without_call_id > 0 OR s.keys_with_call_id > 1
ORDER BY k.dedup_key
LIMIT 20
