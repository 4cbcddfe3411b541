"""The published file is only ever replaced whole, by a run that started from it."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pipelines.jobs import run_ingest
from pipelines.warehouse.store import (
    ConcurrentPublish,
    Warehouse,
    WarehouseMissing,
    connect_reader,
)
from tests.conftest import query


def test_a_run_whose_base_was_replaced_meanwhile_publishes_nothing(fixture_landing, tmp_path):
    wh_path = tmp_path / "wh.duckdb"
    run_ingest(fixture_landing, wh_path, workers=1)
    warehouse = Warehouse(wh_path)
    workspace = warehouse.workspace("late-run")
    conn = workspace.connect()
    conn.execute("DELETE FROM stg_calls")  # whatever this run would publish

    replacement = tmp_path / "replacement.duckdb"
    shutil.copy(wh_path, replacement)
    with duckdb.connect(str(replacement)) as other:
        other.execute("DELETE FROM quarantine")
    replacement.replace(wh_path)  # someone else published meanwhile

    with pytest.raises(ConcurrentPublish, match="nothing was published"):
        workspace.publish()
    workspace.discard()
    assert query(wh_path, "SELECT count(*) FROM stg_calls")[0][0] > 0
    assert not list(warehouse.work_dir.glob("*"))


def test_reader_on_a_missing_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(WarehouseMissing, match="tokenworks ingest"):
        connect_reader(tmp_path / "nope.duckdb")
