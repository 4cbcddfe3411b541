-- Re-choose the canonical occurrence of every call whose key this run touched (temp table
-- touched_keys: dedup_key, and the call id of rows a rewritten file took away): the best status
-- (ok, error, no_usage), a final usage before a partial span's, a main line before a Claude Code
-- sub-agent's copy, an envelope before a bare body, the largest token total (a transcript logs a
-- streamed message on several lines, the final one last and largest), one that says its speed
-- (as ccusage prefers), then the first by file, line and item. Only touched keys are updated, so the nightly cost follows the new data.
-- Call ids: a touched key keeps the id it has (on its other occurrences, or on the rows a
-- rewritten file took away); a key seen for the first time gets the next free one.
-- The touched keys' occurrences are read from staging once (a scan of every key in history)
-- and kept: both the ids and the ranking need them.
CREATE OR REPLACE TEMP TABLE touched_occurrences AS
SELECT source_file, source_line, source_item, dedup_key, call_id, status, has_envelope,
       is_partial, is_sidechain, speed,
       coalesce(input_tokens + cache_read_tokens + cache_write_tokens + cache_write_1h_tokens
                + output_tokens, 0) AS token_total
FROM stg_calls
WHERE dedup_key IN (SELECT dedup_key FROM touched_keys);

CREATE OR REPLACE TEMP TABLE touched_ids AS
WITH touched AS (
    SELECT dedup_key, max(call_id) AS removed_call_id FROM touched_keys GROUP BY dedup_key
),
known AS (
    SELECT t.dedup_key, coalesce(s.call_id, t.removed_call_id) AS call_id
    FROM touched t
    LEFT JOIN (SELECT dedup_key, max(call_id) AS call_id FROM touched_occurrences
               GROUP BY dedup_key) s USING (dedup_key)
),
high_water AS (
    SELECT coalesce(greatest(max(s.call_id), (SELECT max(call_id) FROM touched_keys)), 0) AS id
    FROM stg_calls s
)
SELECT dedup_key,
       coalesce(call_id, (SELECT id FROM high_water)
                         + row_number() OVER (PARTITION BY call_id IS NULL ORDER BY dedup_key))
           AS call_id
FROM known;

-- An occurrence is named by its file, line and item, not its rowid: in a
-- DuckLake transaction, rows it inserted have rowids that an UPDATE confuses with committed
-- rows' (measured with ducklake 1.5.5: both rows were updated).
UPDATE stg_calls SET is_canonical = ranked.rank = 1, call_id = ranked.call_id
FROM (
    SELECT o.source_file, o.source_line, o.source_item, i.call_id,
           row_number() OVER (
               PARTITION BY o.dedup_key
               ORDER BY CASE o.status WHEN 'ok' THEN 0 WHEN 'error' THEN 1 ELSE 2 END,
                        o.is_partial, o.is_sidechain, o.has_envelope DESC, o.token_total DESC,
                        o.speed IS NULL, o.source_file, o.source_line, o.source_item) AS rank
    FROM touched_occurrences o
    JOIN touched_ids i USING (dedup_key)
) AS ranked
WHERE stg_calls.source_file = ranked.source_file AND stg_calls.source_line = ranked.source_line
  AND stg_calls.source_item = ranked.source_item;
