"""Real processes: a reader querying throughout an ingest, and an ingest killed with -9."""

from __future__ import annotations

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


def write_landing(landing: Path, files: int, lines_per_file: int, seed: int) -> None:
    landing.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        lines = synthetic_lines(lines_per_file, seed=seed * 1000 + i)
        (landing / f"day-{seed}-{i:03d}.jsonl").write_bytes(b"\n".join(lines) + b"\n")


def start_ingest(landing: Path, warehouse: Path) -> subprocess.Popen:
    env = {**os.environ, "TOKENWORKS_WORKERS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "ingest", "--landing", str(landing),
         "--warehouse", str(warehouse)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


READER = textwrap.dedent("""
    import sys, time, duckdb, json
    from pathlib import Path
    from pipelines.warehouse.store import connect_reader
    wh, stop, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    seen, errors = [], []
    while not stop.exists():
        try:
            conn = connect_reader(Path(wh), retries=1)
            seen.append(conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0])
            conn.close()
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.01)
    Path(out).write_text(json.dumps({"seen": seen, "errors": errors}))
""")


def test_readers_never_fail_while_an_ingest_runs(tmp_path):
    import json

    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_landing(landing, files=2, lines_per_file=500, seed=1)
    run_ingest(landing, wh, workers=1)
    before = query(wh, "SELECT count(*) FROM fct_requests")[0][0]
    write_landing(landing, files=30, lines_per_file=1000, seed=2)

    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(wh), str(stop), str(out)])
    time.sleep(1.0)
    ingest = start_ingest(landing, wh)
    _, stderr = ingest.communicate(timeout=300)
    assert ingest.returncode == 0, stderr.decode()
    time.sleep(0.5)
    stop.touch()
    reader.wait(timeout=30)
    result = json.loads(out.read_text())
    after = query(wh, "SELECT count(*) FROM fct_requests")[0][0]

    assert result["errors"] == []
    assert len(result["seen"]) > 50, "the reader must have queried throughout the ingest"
    # readers see the old snapshot or the new one, never a half-loaded warehouse
    assert set(result["seen"]) == {before, after} and after > before


def test_a_run_killed_mid_way_then_rerun_equals_one_clean_run(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_landing(landing, files=2, lines_per_file=300, seed=3)
    run_ingest(landing, wh, workers=1)
    published_before = warehouse_state(wh)
    write_landing(landing, files=40, lines_per_file=1000, seed=4)

    ingest = start_ingest(landing, wh)
    work_dir = Path(str(wh) + ".runs")
    deadline = time.monotonic() + 120
    # kill once the run is writing into its working copy
    while time.monotonic() < deadline:
        copies = list(work_dir.glob("*.duckdb")) if work_dir.exists() else []
        if copies and copies[0].stat().st_size > 0:
            time.sleep(1.0)
            break
        time.sleep(0.05)
    assert ingest.poll() is None, "the ingest finished before it could be killed"
    os.kill(ingest.pid, signal.SIGKILL)
    ingest.wait()
    assert list(work_dir.glob("*")), "the killed run left its working copy behind"
    assert warehouse_state(wh) == published_before, "a killed run must not change readers' view"

    rerun = run_ingest(landing, wh, workers=1)
    assert rerun.files_new == 40
    assert not list(work_dir.glob("*")), "the leftover working copy is cleaned up"

    clean = tmp_path / "clean.duckdb"
    run_ingest(landing, clean, workers=1)
    assert warehouse_state(wh) == warehouse_state(clean)
