-- Exactly one canonical occurrence (one ledger row) per distinct call key. Expected: no rows.
SELECT dedup_key, count(*) FILTER (is_canonical) AS ledger_rows, count(*) AS occurrences
FROM stg_calls
GROUP BY dedup_key
HAVING count(*) FILTER (is_canonical) <> 1
LIMIT 20
