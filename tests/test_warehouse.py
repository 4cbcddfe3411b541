"""The lake: a run commits whole or not at all, a run that overlapped another's commit is refused
and made again, and readers are told clearly what is wrong."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from pipelines import config
from pipelines.jobs import run_ingest, run_job
from pipelines.warehouse.lake import Lake, WarehouseFormatError
from pipelines.warehouse.store import (
    CommitConflict,
    RunTransaction,
    WarehouseMissing,
    connect_reader,
)
from tests.conftest import query, synthetic_lines, warehouse_state
from tests.test_cli import tokenworks


def test_a_run_that_overlapped_another_commit_commits_nothing(fixture_landing, tmp_path):
    wh = tmp_path / "wh.ducklake"
    run_ingest(fixture_landing, wh, workers=1)
    late = RunTransaction(Lake.locate(wh), "late-run")
    late.begin()
    conn = late.connection()
    late.mark_work()
    conn.execute("DELETE FROM stg_calls")  # whatever this run would commit

    other = RunTransaction(Lake.locate(wh), "other-run")  # another writer commits meanwhile
    other.begin()
    other.connection().execute("DELETE FROM quarantine WHERE source_line = 1")
    other.mark_work()
    other.commit()
    other.close()

    with pytest.raises(CommitConflict, match="nothing was committed"):
        late.commit()
    late.close()
    assert query(wh, "SELECT count(*) FROM stg_calls")[0][0] > 0


def test_a_run_whose_commit_conflicts_is_made_again_whole(tmp_path, monkeypatch):
    """Writer B starts from the snapshot before A's commit; its commit is refused, it runs
    again from A's, and the warehouse equals one serial run (the shared call counted once)."""
    landing = tmp_path / "landing"
    for name, seed in (("a", 1), ("b", 2)):
        (landing / name).mkdir(parents=True)
        lines = synthetic_lines(200, seed=seed)
        (landing / name / "calls.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    shared = synthetic_lines(200, seed=1)[:20]  # the same calls through both writers
    (landing / "b" / "shared.jsonl").write_bytes(b"\n".join(shared) + b"\n")

    wh = tmp_path / "wh.ducklake"
    begin = RunTransaction.begin

    def begin_then_let_a_commit(self):
        begin(self)
        if not getattr(begin_then_let_a_commit, "done", False):
            begin_then_let_a_commit.done = True  # type: ignore[attr-defined]
            self.connection()  # B has read its snapshot; A commits now
            run_ingest(landing, wh, prefix="a", workers=1)

    run_ingest(landing, wh, prefix="a", workers=1)
    (landing / "a" / "more.jsonl").write_bytes(
        b"\n".join(synthetic_lines(50, seed=3)) + b"\n")
    monkeypatch.setattr(RunTransaction, "begin", begin_then_let_a_commit)
    outcome = run_job(config.resolve(landing, wh, landing_prefix="b", workers=1))
    monkeypatch.undo()
    assert outcome.success, outcome.problems
    assert outcome.attempts == 2

    serial = tmp_path / "serial.ducklake"
    run_ingest(landing, serial, workers=1)
    assert warehouse_state(wh) == warehouse_state(serial)
    keys = query(wh, "SELECT count(*), count(DISTINCT dedup_key) FROM fct_requests")[0]
    assert keys[0] == keys[1]


def test_reader_on_a_missing_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(WarehouseMissing, match="tokenworks ingest"):
        connect_reader(Lake.locate(tmp_path / "nope.ducklake"))
    assert not (tmp_path / "nope.ducklake").exists(), "a reader never makes a lake"


def test_a_warehouse_of_the_format_before_the_lake_is_refused_clearly(tmp_path):
    old = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(old)).execute("CREATE TABLE fct_requests (x INT)").close()
    with pytest.raises(WarehouseFormatError, match="ingest the landing folder into a new lake"):
        connect_reader(Lake.locate(old))


def locks_held_on(path: Path) -> list[str]:
    """This process's POSIX locks on a file, from /proc/locks."""
    inode = os.stat(path).st_ino
    return [line for line in Path("/proc/locks").read_text().splitlines()
            if line.split()[4] == str(os.getpid())
            and int(line.split()[5].split(":")[2]) == inode]


def test_a_connection_opened_beside_a_reader_leaves_the_readers_lock_on_the_catalog(tmp_path):
    """The dashboards keep a connection and open others: none may drop the kept one's shared
    lock on the SQLite catalog, or a writer closing its last connection resets the write-ahead
    log under it (readers then failed with 'database disk image is malformed')."""
    lake = Lake.locate(tmp_path / "wh.ducklake")
    conn = lake.connect()
    conn.execute("CREATE TABLE warehouse_meta AS SELECT 'k' AS key, 'v' AS value")
    conn.close()
    kept = connect_reader(lake)
    kept.execute("SELECT count(*) FROM warehouse_meta").fetchone()
    held = locks_held_on(tmp_path / "wh.ducklake")
    assert held, "a reader holds a shared lock on the catalog"
    for _ in range(3):
        connect_reader(Lake.locate(tmp_path / "wh.ducklake")).close()
        assert locks_held_on(tmp_path / "wh.ducklake") == held
    kept.close()


def test_locations_name_the_embedded_lake_or_a_postgres_catalog(tmp_path):
    embedded = Lake.locate(tmp_path / "wh.ducklake")
    assert embedded.catalog == f"ducklake:sqlite:{tmp_path / 'wh.ducklake'}"
    assert embedded.default_data_path == f"{tmp_path / 'wh.ducklake'}.files/"
    remote = Lake.locate("ducklake:postgres:host=db port=5432 dbname=lake password=secret",
                         "s3://bucket/lake/")
    assert remote.embedded_file is None and remote.data_path == "s3://bucket/lake/"
    assert "secret" not in str(remote) and str(remote) == "ducklake:postgres:db/5432/lake"
    with pytest.raises(ValueError, match="unsupported warehouse"):
        Lake.locate("ducklake:mysql:db")


def two_runs(tmp_path) -> tuple[Path, Path, list[str]]:
    landing, wh = tmp_path / "landing", tmp_path / "wh.ducklake"
    landing.mkdir()
    run_ids = []
    for seed in (1, 2):
        lines = synthetic_lines(150, seed=seed)
        (landing / f"day-{seed}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        run_ids.append(run_ingest(landing, wh, workers=1).run_id)
    return landing, wh, run_ids


def test_time_travel_answers_as_a_run_or_a_moment_left_the_warehouse(tmp_path):
    _, wh, (first, second) = two_runs(tmp_path)
    runs = query(wh, "SELECT run_id, snapshot_id, snapshot_time, calls_loaded "
                     "FROM analytics.ingestion_runs ORDER BY snapshot_id")
    assert [run[0] for run in runs] == [first, second]
    assert runs[0][1] < runs[1][1] and all(run[2] is not None for run in runs)

    def count(*args):
        done = tokenworks("sql", "--warehouse", wh, "--format", "csv", *args,
                          "SELECT count(*) AS calls FROM fct_requests", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return int(done.stdout.splitlines()[1])

    assert count("--as-of", first) == runs[0][3]
    assert count("--as-of", second) == count() == runs[0][3] + runs[1][3]
    between = runs[0][2] + (runs[1][2] - runs[0][2]) / 2
    assert count("--as-of", between.isoformat()) == runs[0][3]
    unknown = tokenworks("sql", "--warehouse", wh, "--as-of", "no-such-run", "SELECT 1",
                         cwd=tmp_path)
    assert unknown.returncode == 2 and "neither an ingest run id" in unknown.stderr
    early = tokenworks("sql", "--warehouse", wh, "--as-of", "2001-01-01", "SELECT 1",
                       cwd=tmp_path)
    assert early.returncode == 2 and "before the first snapshot" in early.stderr


def test_maintenance_compacts_expires_and_deletes_what_no_snapshot_needs(tmp_path):
    """Snapshots are aged in the catalog as time would age them; the weekly job then expires
    those past the retention, and the warehouse reads the same with fewer files."""
    import contextlib
    import sqlite3

    from pipelines.definitions import build_definitions

    landing, wh, (first, _) = two_runs(tmp_path)
    (landing / "day-1.jsonl").write_bytes(  # a rewritten file replaces its calls' rows
        b"\n".join(synthetic_lines(120, seed=1)) + b"\n")
    run_ingest(landing, wh, workers=1)
    state = warehouse_state(wh)
    data = Path(f"{wh}.files")
    parquet_before = set(data.rglob("*.parquet"))
    with sqlite3.connect(wh) as catalog:  # the first run's commit and all before it: 100 days
        catalog.execute("UPDATE ducklake_snapshot SET snapshot_time = strftime("
                        "'%Y-%m-%d %H:%M:%f', replace(snapshot_time, '+00', ''), '-100 days') "
                        "|| '+00' WHERE snapshot_id <= (SELECT snapshot_id FROM "
                        "ducklake_snapshot_changes WHERE commit_extra_info LIKE ?)",
                        [f'%{first}%'])
    catalog.close()

    settings = config.resolve(landing, wh)
    result = build_definitions(settings).resolve_job_def("maintenance").execute_in_process()
    assert result.success
    done = {key: value.value for key, value in
            result.asset_materializations_for_node("lake_maintenance")[0].metadata.items()}
    assert done["retention_days"] == 90
    # writing out the rows the catalog held adds files (a small table's first); merging takes
    # more away
    assert done["files_after"] < done["files_after_flush"]
    assert done["snapshots_expired"] > 0 and done["files_deleted"] > 0
    assert warehouse_state(wh) == state, "maintenance never changes what the warehouse says"
    parquet_after = set(data.rglob("*.parquet"))
    assert parquet_before - parquet_after, "files only expired snapshots read are deleted"
    with contextlib.closing(sqlite3.connect(f"file:{wh}?mode=ro", uri=True)) as catalog:
        known = {Path(path).name for (path,) in catalog.execute(
            "SELECT path FROM ducklake_data_file UNION ALL SELECT path FROM ducklake_delete_file")}
    assert {path.name for path in parquet_after} == known, (
        "what is left on disk is exactly what the remaining snapshots need")
    expired = tokenworks("sql", "--warehouse", wh, "--as-of", first, "SELECT 1", cwd=tmp_path)
    assert expired.returncode == 2 and "neither an ingest run id" in expired.stderr
