"""A corpus of bad input: each bad record is quarantined with its file, line and a reason;
everything else in the same file still loads; the run never aborts."""

from __future__ import annotations

import copy
import gzip
import os

import orjson

from pipelines.jobs import run_ingest
from tests.conftest import fixture_records, query

GOOD = fixture_records("openai_chat_cached_tokens_gpt4omini.json")[0]


def good(i: int) -> bytes:
    body = copy.deepcopy(GOOD)
    body["id"] = f"chatcmpl-good{i}"
    return orjson.dumps({"timestamp": "2026-05-01T10:00:00Z", "provider": "openai",
                         "response": body})


def bad_usage(**usage) -> bytes:
    body = copy.deepcopy(GOOD)
    body["id"] = "chatcmpl-bad"
    body["usage"].update(usage)
    return orjson.dumps({"provider": "openai", "response": body})


def test_bad_input_corpus(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    no_usage = copy.deepcopy(GOOD)
    del no_usage["usage"]
    lines = [
        good(1),                                                 # 1
        b'{"timestamp": "2026-05-01T10:00:00Z", "response": {',  # 2 truncated JSON
        os.urandom(64).replace(b"\n", b"x"),                     # 3 binary garbage
        b'{"pad": "' + b"x" * (50 * 1024 * 1024) + b'"}',        # 4 a 50 MB line
        b'{"provider": "openai", "response": {"foo": 1}}',       # 5 unknown shape
        bad_usage(prompt_tokens=-1),                             # 6 negative
        bad_usage(completion_tokens=3.5),                        # 7 non-integer
        orjson.dumps({"provider": "openai", "response": no_usage}),  # 8 missing usage
        b"",                                                     # 9 blank: not a record
        good(2),                                                 # 10
    ]
    (landing / "mixed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    whole = gzip.compress(b"".join(good(10 + i) + b"\n" for i in range(200)))
    (landing / "truncated.jsonl.gz").write_bytes(whole[: len(whole) * 2 // 3])
    (landing / "not-gzip.jsonl.gz").write_bytes(b"this is not gzip data\n" * 3)
    (landing / "broken.json").write_bytes(b'{"id": "x", ')
    (landing / "array.json").write_bytes(orjson.dumps(
        [orjson.loads(good(300)), {"foo": "bar"}, orjson.loads(good(301))]))
    (landing / "empty-stream.sse").write_bytes(b": keep-alive\n\n")
    (landing / "notes.md").write_text("not a log")

    summary = run_ingest(landing, tmp_path / "wh.ducklake", workers=1)
    wh = tmp_path / "wh.ducklake"

    quarantined = {(f, line): reason for f, line, reason in query(
        wh, "SELECT source_file, source_line, reason FROM quarantine")}
    expected = {
        ("mixed.jsonl", 2): "malformed JSON",
        ("mixed.jsonl", 3): "malformed JSON",
        ("mixed.jsonl", 4): "over the 8 MiB limit",
        ("mixed.jsonl", 5): "unknown body shape",
        ("mixed.jsonl", 6): "negative token count",
        ("mixed.jsonl", 7): "non-integer token count",
        ("mixed.jsonl", 8): "no usage",
        ("not-gzip.jsonl.gz", 1): "gzip stream is corrupt",
        ("broken.json", 1): "malformed JSON document",
        ("array.json", 2): "unknown body shape",
        ("empty-stream.sse", 1): "stream holds no events",
    }
    for key, phrase in expected.items():
        assert phrase in quarantined.get(key, ""), (key, quarantined.get(key))
    truncated = [(line, r) for (f, line), r in quarantined.items() if f == "truncated.jsonl.gz"]
    assert len(truncated) == 1 and "truncated" in truncated[0][1]

    loaded = dict(query(wh, "SELECT source_file, count(*) FROM fct_requests GROUP BY 1"))
    assert loaded["mixed.jsonl"] == 2
    assert loaded["array.json"] == 2
    # every complete line before the gzip damage loaded, and the damage is one record
    assert loaded["truncated.jsonl.gz"] == truncated[0][0] - 1 > 50

    # nothing lost: per file, records = loaded + duplicates + quarantined
    for path, records, staged, q in query(
            wh, "SELECT path, records, staged, quarantined FROM landing_files"):
        assert records == staged + q, path
    assert "notes.md" not in {r[0] for r in query(wh, "SELECT path FROM landing_files")}
    assert summary.quarantined == len(quarantined) == 12
    assert summary.records_read == summary.calls_loaded + summary.duplicates + summary.quarantined

    # the 50 MB line is kept as a short excerpt, not stored whole
    size, excerpt_len = query(wh, "SELECT raw_bytes, length(raw_excerpt) FROM quarantine "
                                  "WHERE source_line = 4 AND source_file = 'mixed.jsonl'")[0]
    assert size > 50 * 1024 * 1024 and excerpt_len <= 600
