-- Files where records != staged + quarantined, or where the manifest's counts disagree with
-- the rows actually present. Expected: no rows.
WITH staged AS (
    SELECT source_file, count(*) AS n FROM stg_calls GROUP BY source_file
), quarantined AS (
    SELECT source_file, count(*) AS n FROM quarantine GROUP BY source_file
)
SELECT m.path, m.records, m.staged, m.quarantined,
       coalesce(s.n, 0) AS staged_rows, coalesce(q.n, 0) AS quarantined_rows
FROM landing_files m
LEFT JOIN staged s ON s.source_file = m.path
LEFT JOIN quarantined q ON q.source_file = m.path
WHERE m.records <> m.staged + m.quarantined
   OR m.staged <> coalesce(s.n, 0)
   OR m.quarantined <> coalesce(q.n, 0)
UNION ALL
-- rows whose file is missing from the manifest
SELECT source_file, NULL, NULL, NULL, count(*), NULL FROM stg_calls
WHERE source_file NOT IN (SELECT path FROM landing_files) GROUP BY source_file
ORDER BY 1
