"""Real processes on a real lake, with its catalog embedded (SQLite) and in a PostgreSQL server
the tests start: a reader querying throughout an ingest, an ingest killed with -9, several
writers at once, and the same result whatever the catalog or the data path."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipelines.jobs import run_ingest
from tests.conftest import query, synthetic_lines, warehouse_state

pytestmark = pytest.mark.slow


@pytest.fixture(params=["embedded", "postgres"])
def lake(request, tmp_path) -> dict:
    """Where the lake under test is: `warehouse` and `data_path`, as ingest takes them."""
    if request.param == "embedded":
        return {"warehouse": str(tmp_path / "wh.ducklake"), "data_path": None,
                "files": tmp_path / "wh.ducklake.files"}
    conninfo = request.getfixturevalue("postgres_database")
    return {"warehouse": f"ducklake:postgres:{conninfo}",
            "data_path": str(tmp_path / "lake-data" / "new-folder"),
            "files": tmp_path / "lake-data" / "new-folder"}


def write_landing(landing: Path, files: int, lines_per_file: int, seed: int) -> None:
    landing.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        lines = synthetic_lines(lines_per_file, seed=seed * 1000 + i)
        (landing / f"day-{seed}-{i:03d}.jsonl").write_bytes(b"\n".join(lines) + b"\n")


def start_ingest(landing: Path, lake: dict, prefix: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "TOKENWORKS_WORKERS": "1"}
    command = [sys.executable, "-m", "pipelines.cli", "ingest", "--landing", str(landing),
               "--warehouse", lake["warehouse"]]
    if lake["data_path"]:
        command += ["--data-path", lake["data_path"]]
    if prefix:
        command += ["--prefix", prefix]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def ingest(landing: Path, lake: dict, **options):
    return run_ingest(landing, lake["warehouse"], data_path=lake["data_path"], workers=1,
                      **options)


READER = textwrap.dedent("""
    import sys, time, json
    from pathlib import Path
    from pipelines.warehouse.lake import Lake
    from pipelines.warehouse.store import WarehouseMissing, connect_reader
    warehouse, stop, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    seen, errors, kept = [], [], None
    while not stop.exists():
        try:
            conn = connect_reader(Lake.locate(warehouse))  # `tokenworks sql` opens anew
            kept = kept or connect_reader(Lake.locate(warehouse))  # a dashboard keeps one
            seen.append(conn.execute(
                "SELECT (SELECT count(*) FROM fct_requests), (SELECT count(*) FROM fct_costs), "
                "(SELECT coalesce(sum(calls), 0) FROM mart_daily_spend)").fetchone())
            conn.close()
            seen.append(kept.execute(
                "SELECT (SELECT count(*) FROM fct_requests), (SELECT count(*) FROM fct_costs), "
                "(SELECT coalesce(sum(calls), 0) FROM mart_daily_spend)").fetchone())
        except WarehouseMissing as exc:
            if seen:  # before the first commit there is nothing to read yet
                errors.append(repr(exc))
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.01)
    Path(out).write_text(json.dumps({"seen": seen, "errors": errors}))
""")


@pytest.fixture
def processes():
    """Every process a test starts, killed when it ends, failed or not: a reader left running
    would load the machine for the rest of the suite."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def start_reader(lake: dict, tmp_path: Path, processes: list
                 ) -> tuple[subprocess.Popen, Path, Path]:
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, lake["warehouse"], str(stop),
                               str(out)])
    processes.append(reader)
    return reader, stop, out


def stop_reader(reader: subprocess.Popen, stop: Path, out: Path) -> dict:
    stop.touch()
    reader.wait(timeout=60)
    assert reader.returncode == 0, f"the reader died (exit {reader.returncode})"
    return json.loads(out.read_text())


def counts(warehouse: str) -> tuple:
    return query(warehouse, "SELECT (SELECT count(*) FROM fct_requests), "
                            "(SELECT count(*) FROM fct_costs), "
                            "(SELECT coalesce(sum(calls), 0) FROM mart_daily_spend)")[0]


def test_readers_never_fail_while_an_ingest_runs(tmp_path, lake, processes):
    landing = tmp_path / "landing"
    write_landing(landing, files=2, lines_per_file=500, seed=1)
    ingest(landing, lake)
    before = counts(lake["warehouse"])
    write_landing(landing, files=30, lines_per_file=1000, seed=2)

    reader, stop, out = start_reader(lake, tmp_path, processes)
    time.sleep(1.5)
    process = start_ingest(landing, lake)
    processes.append(process)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()
    time.sleep(1.0)
    result = stop_reader(reader, stop, out)
    after = counts(lake["warehouse"])

    assert result["errors"] == []
    assert len(result["seen"]) > 50, "the reader must have queried throughout the ingest"
    # ledger, costs and marts move together: the old run or the new one, never a mix
    assert {tuple(seen) for seen in result["seen"]} == {before, after}
    assert after[0] > before[0]


HOLDER = textwrap.dedent("""
    import sys, time
    from pipelines.warehouse.lake import Lake
    from pipelines.warehouse.store import connect_reader
    kept = connect_reader(Lake.locate(sys.argv[1]))  # a dashboard's cached connection
    kept.execute("SELECT count(*) FROM fct_requests").fetchone()
    another = connect_reader(Lake.locate(sys.argv[1]))  # and a query of its own
    another.execute("SELECT count(*) FROM fct_requests").fetchone()
    another.close()
    print("ready", flush=True)
    time.sleep(60)
""")


def test_a_process_opening_a_second_reader_keeps_its_hold_on_the_catalog(tmp_path, processes):
    """A process reading the embedded lake holds SQLite's shared lock on the catalog's shared
    memory for as long as it keeps a connection. When a second connection dropped it (POSIX
    locks are per process), the next writer took the shared memory for unused and truncated it
    under the reader, which died of SIGBUS: a dashboard during the nightly run."""
    landing = tmp_path / "landing"
    write_landing(landing, files=1, lines_per_file=50, seed=8)
    warehouse = str(tmp_path / "wh.ducklake")
    run_ingest(landing, warehouse, workers=1)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, warehouse], stdout=subprocess.PIPE,
                              text=True)
    processes.append(holder)
    assert holder.stdout is not None and holder.stdout.readline() == "ready\n"

    # What a connecting SQLite does first: ask for the "dead man switch" byte of the shared
    # memory (offset 128) exclusively; it is granted only when no process holds it shared.
    shared_memory = os.open(f"{warehouse}-shm", os.O_RDWR)
    try:
        with pytest.raises(OSError):
            fcntl.lockf(shared_memory, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)
    finally:
        os.close(shared_memory)


def test_a_run_killed_mid_way_leaves_nothing_and_its_files_are_cleaned(tmp_path, lake,
                                                                        processes):
    landing = tmp_path / "landing"
    write_landing(landing, files=2, lines_per_file=300, seed=3)
    ingest(landing, lake)
    committed_before = warehouse_state(lake["warehouse"])
    files_before = set(lake["files"].rglob("*.parquet"))
    write_landing(landing, files=40, lines_per_file=1000, seed=4)

    process = start_ingest(landing, lake)
    processes.append(process)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill once the run is writing data files
        if set(lake["files"].rglob("*.parquet")) - files_before:
            time.sleep(1.0)
            break
        time.sleep(0.05)
    assert process.poll() is None, "the ingest finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    orphans = set(lake["files"].rglob("*.parquet")) - files_before
    assert orphans, "the killed run had written files"
    assert warehouse_state(lake["warehouse"]) == committed_before, (
        "a killed run must not change readers' view")

    # A later run deletes them once they are older than any run could be (younger ones may be
    # another writer's, not yet committed): age them as a night would.
    past = time.time() - 13 * 3600
    for path in orphans:
        os.utime(path, (past, past))
    rerun = ingest(landing, lake)
    assert rerun.files_new == 40
    assert not any(path.exists() for path in orphans), "the killed run's files are deleted"

    clean = str(tmp_path / "clean.ducklake")
    run_ingest(landing, clean, workers=1)
    assert warehouse_state(lake["warehouse"]) == warehouse_state(clean)


def test_concurrent_writers_all_commit_and_equal_one_serial_run(tmp_path, lake, processes):
    """Three ingests, one per landing prefix, at the same time, with a reader alongside. The
    same calls arrive through two of them and are counted once."""
    landing = tmp_path / "landing"
    for prefix, seed in (("east", 5), ("west", 6), ("north", 7)):
        write_landing(landing / prefix, files=6, lines_per_file=400, seed=seed)
    for path in sorted((landing / "east").iterdir())[:2]:  # logged by both gateways
        (landing / "north" / f"copy-{path.name}").write_bytes(path.read_bytes())

    reader, stop, out = start_reader(lake, tmp_path, processes)
    writers = [start_ingest(landing, lake, prefix) for prefix in ("east", "west", "north")]
    processes.extend(writers)
    for writer in writers:
        _, stderr = writer.communicate(timeout=600)
        assert writer.returncode == 0, stderr.decode()
    result = stop_reader(reader, stop, out)
    assert result["errors"] == []

    serial = str(tmp_path / "serial.ducklake")
    run_ingest(landing, serial, workers=1)
    assert warehouse_state(lake["warehouse"]) == warehouse_state(serial)
    calls, keys = query(lake["warehouse"],
                        "SELECT count(*), count(DISTINCT dedup_key) FROM fct_requests")[0]
    assert calls == keys
    assert query(lake["warehouse"], "SELECT count(*) FROM ingest_runs")[0][0] == 3
