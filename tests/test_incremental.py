"""Incremental and re-runnable: what is already loaded is skipped, appends load only what is
new, rewrites are reconciled, and the warehouse never depends on how many runs built it."""

from __future__ import annotations

import gzip
import itertools
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.jobs import run_ingest
from tests.conftest import open_lake, query, synthetic_lines, warehouse_state


def ingest(landing, warehouse, **kw):
    return run_ingest(landing, warehouse, workers=kw.pop("workers", 1), **kw)


def test_ingesting_twice_equals_once(fixture_landing, tmp_path):
    wh = tmp_path / "wh.ducklake"
    first = ingest(fixture_landing, wh)
    state = warehouse_state(wh)
    second = ingest(fixture_landing, wh)
    assert first.calls_loaded > 20 and first.duplicates > 0
    assert (second.files_new, second.records_read, second.calls_loaded) == (0, 0, 0)
    assert second.files_unchanged == second.files_seen
    assert warehouse_state(wh) == state


def test_fixture_bodies_and_their_envelopes_count_once(fixture_landing, tmp_path):
    wh = tmp_path / "wh.ducklake"
    summary = ingest(fixture_landing, wh)
    keys = query(wh, "SELECT dedup_key, count(*) FROM stg_calls GROUP BY 1 HAVING count(*) > 1")
    assert keys, "the envelope copies of bodies with ids must be recognised as the same call"
    assert query(wh, "SELECT count(*) FROM fct_requests")[0][0] == query(
        wh, "SELECT count(DISTINCT dedup_key) FROM stg_calls")[0][0] == summary.calls_loaded
    # the envelope occurrence wins over the bare body: it carries project and user
    assert query(wh, "SELECT count(*) FROM fct_requests WHERE request_id = "
                     "'chatcmpl-BNi420iFNtIOHzy8Gq2fVS5utTus7' AND project IS NOT NULL")[0][0] == 1


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(1, 239), min_size=1, max_size=3, unique=True),
       gzipped=st.booleans())
def test_a_file_split_into_appended_parts_equals_the_whole(tmp_path_factory, cuts, gzipped):
    base = tmp_path_factory.mktemp("split")
    lines = synthetic_lines(240, seed=3)
    name = "gateway.jsonl.gz" if gzipped else "gateway.jsonl"
    whole, parts = base / "whole", base / "parts"
    whole.mkdir()
    parts.mkdir()

    def encode(chunk):
        data = b"".join(line + b"\n" for line in chunk)
        return gzip.compress(data, mtime=0) if gzipped else data

    (whole / name).write_bytes(encode(lines))
    ingest(whole, base / "whole.ducklake")

    bounds = [0, *sorted(cuts), len(lines)]
    for start, end in itertools.pairwise(bounds):
        with open(parts / name, "ab") as fh:  # gzip: a new member, as `gzip >>` appends
            fh.write(encode(lines[start:end]))
        summary = ingest(parts, base / "parts.ducklake")
        assert summary.files_appended == (1 if start else 0)
        assert summary.records_read == sum(1 for x in lines[start:end] if x.strip())
    assert warehouse_state(base / "parts.ducklake") == warehouse_state(base / "whole.ducklake")


def test_rewritten_file_is_reconciled(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    lines = synthetic_lines(120, seed=5)
    (landing / "a.jsonl").write_bytes(b"\n".join(lines[:80]) + b"\n")
    (landing / "b.jsonl").write_bytes(b"\n".join(lines[60:100]) + b"\n")
    wh = tmp_path / "wh.ducklake"
    ingest(landing, wh)
    # a.jsonl is rewritten: shorter, different content
    (landing / "a.jsonl").write_bytes(b"\n".join(lines[100:120]) + b"\n")
    summary = ingest(landing, wh)
    assert (summary.files_rewritten, summary.files_unchanged) == (1, 1)

    fresh = tmp_path / "fresh.ducklake"
    ingest(landing, fresh)
    assert warehouse_state(wh) == warehouse_state(fresh)
    # calls only a.jsonl held before are gone; those b.jsonl also holds survive
    assert query(wh, "SELECT count(*) FROM fct_requests WHERE source_file = 'a.jsonl'")[0][0] > 0


def test_deleting_the_warehouse_and_rerunning_reproduces_it(fixture_landing, tmp_path):
    wh = tmp_path / "wh.ducklake"
    ingest(fixture_landing, wh)
    before = warehouse_state(wh)
    shutil.rmtree(tmp_path / "wh.duckdb.runs", ignore_errors=True)
    wh.unlink()
    ingest(fixture_landing, wh)
    assert warehouse_state(wh) == before


def test_parallel_chunked_reading_equals_serial(tmp_path, monkeypatch):
    import pipelines.ledger.staging

    monkeypatch.setattr(pipelines.ledger.staging, "PARALLEL_MIN_BYTES", 0)  # use the worker pool
    landing = tmp_path / "landing"
    landing.mkdir()
    lines = synthetic_lines(3000, seed=9)
    (landing / "big.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (landing / "small.jsonl").write_bytes(b"\n".join(lines[:50]) + b"\n")
    run_ingest(landing, tmp_path / "serial.ducklake", workers=1)
    run_ingest(landing, tmp_path / "parallel.ducklake", workers=2, chunk_bytes=64 * 1024)
    serial = warehouse_state(tmp_path / "serial.ducklake")
    assert serial == warehouse_state(tmp_path / "parallel.ducklake")
    assert len(serial["fct"]) > 2000


def test_a_call_keeps_its_id_and_no_two_calls_share_one(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    lines = synthetic_lines(160, seed=11)
    (landing / "a.jsonl").write_bytes(b"\n".join(lines[:80]) + b"\n")
    wh = tmp_path / "wh.ducklake"
    ingest(landing, wh)
    before = dict(query(wh, "SELECT dedup_key, call_id FROM fct_requests"))
    # a.jsonl is rewritten with its calls in another order plus new ones, and b.jsonl repeats
    # some of them: the rewritten file's rows are dropped and read again
    (landing / "a.jsonl").write_bytes(b"\n".join([*reversed(lines[:80]), *lines[120:]]) + b"\n")
    (landing / "b.jsonl").write_bytes(b"\n".join(lines[40:120]) + b"\n")
    summary = ingest(landing, wh)
    assert summary.files_rewritten == 1
    after = dict(query(wh, "SELECT dedup_key, call_id FROM fct_requests"))
    assert {key: after[key] for key in before} == before
    new_ids = [after[key] for key in after.keys() - before.keys()]
    assert new_ids and min(new_ids) > max(before.values())
    assert len(set(after.values())) == len(after)
    assert query(wh, "SELECT count(*) FROM stg_calls WHERE call_id IS NULL")[0][0] == 0
    assert query(wh, "SELECT count(*) FROM fct_requests f JOIN fct_costs c USING (call_id)"
                 )[0][0] == query(wh, "SELECT count(*) FROM fct_costs")[0][0] == len(after)


def test_other_schema_files_remake_the_costs_and_marts_whole(fixture_landing, tmp_path):
    """A lake made with other schema files, whose fct_costs had another shape: the next run
    drops what is made from the ledger and makes it again, with no new log to read."""
    wh = tmp_path / "wh.ducklake"
    ingest(fixture_landing, wh)
    expected = warehouse_state(wh)
    conn = open_lake(wh, read_only=False)
    conn.execute("DROP TABLE fct_costs")
    conn.execute("CREATE TABLE fct_costs (dedup_key VARCHAR, total_cost DECIMAL(18, 13))")
    conn.execute("UPDATE warehouse_meta SET value = 'older-schema' WHERE key = 'schema'")
    conn.close()
    summary = ingest(fixture_landing, wh)
    assert (summary.files_new, summary.calls_loaded) == (0, 0)
    assert warehouse_state(wh) == expected
