-- One ledger row per distinct call key in staging, each pointing at a staged occurrence.
-- Expected: no rows.
SELECT 'calls in staging but not in the ledger' AS problem, count(*) AS n
FROM (SELECT DISTINCT dedup_key FROM stg_calls) s
ANTI JOIN fct_requests f USING (dedup_key)
HAVING count(*) > 0
UNION ALL
SELECT 'keys with more than one ledger row', count(*)
FROM (SELECT dedup_key FROM fct_requests GROUP BY dedup_key HAVING count(*) > 1)
HAVING count(*) > 0
UNION ALL
SELECT 'ledger rows with no staged occurrence', count(*)
FROM fct_requests f
ANTI JOIN stg_calls s ON s.dedup_key = f.dedup_key AND s.source_file = f.source_file
    AND s.source_line = f.source_line
HAVING count(*) > 0
