-- Files this run read ($run_id) where records != staged + quarantined + without_calls, or where
-- the manifest's counts disagree with the rows present. Earlier runs checked the files they read, and a file
-- only changes when a run reads it, so the nightly cost follows the new data. Expected: no rows.
WITH touched AS (
    SELECT * FROM landing_files WHERE last_run_id = $run_id
), staged AS (
    SELECT source_file, count(*) AS n FROM stg_calls
    WHERE source_file IN (SELECT path FROM touched) GROUP BY source_file
), quarantined AS (
    SELECT source_file, count(*) AS n FROM quarantine
    WHERE source_file IN (SELECT path FROM touched) GROUP BY source_file
)
SELECT m.path, m.records, m.staged, m.quarantined, m.without_calls,
       coalesce(s.n, 0) AS staged_rows, coalesce(q.n, 0) AS quarantined_rows
FROM touched m
LEFT JOIN staged s ON s.source_file = m.path
LEFT JOIN quarantined q ON q.source_file = m.path
WHERE m.records <> m.staged + m.quarantined + m.without_calls
   OR m.staged <> coalesce(s.n, 0)
   OR m.quarantined <> coalesce(q.n, 0)
UNION ALL
-- rows this run staged for a file the manifest does not know
SELECT source_file, NULL, NULL, NULL, NULL, count(*), NULL FROM stg_calls
WHERE run_id = $run_id AND source_file NOT IN (SELECT path FROM landing_files)
GROUP BY source_file
ORDER BY 1
