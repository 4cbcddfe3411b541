"""The scale-out mode on real services the tests start: the catalog in PostgreSQL, the data on
an S3-compatible server (moto) reached through DuckDB's httpfs, and Dagster's own instance on
PostgreSQL from deploy/dagster.yaml. The same code as the embedded lake gives the same result."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg2
import pytest

from pipelines import config
from pipelines.jobs import run_ingest, run_job
from tests.conftest import query, warehouse_state
from tests.test_cli import tokenworks

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent


def test_the_lake_on_object_storage_equals_the_embedded_one(
        fixture_landing, tmp_path, postgres_database, s3_server, s3_bucket, monkeypatch):
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    warehouse = f"ducklake:postgres:{postgres_database}"
    first = run_ingest(fixture_landing, warehouse, data_path=f"{s3_bucket}lake/", workers=1)
    assert first.calls_loaded > 20

    bucket = s3_bucket.removeprefix("s3://").rstrip("/")
    keys = [item["Key"] for item in s3_server.client().list_objects_v2(
        Bucket=bucket)["Contents"]]
    assert keys and all(key.startswith("lake/") and key.endswith(".parquet") for key in keys)
    assert not list(tmp_path.rglob("*.parquet")), "nothing is written locally"

    embedded = tmp_path / "embedded.ducklake"
    run_ingest(fixture_landing, embedded, workers=1)
    assert warehouse_state(warehouse) == warehouse_state(embedded)

    # Readers need only the catalog: the data path is where the catalog says.
    done = tokenworks("sql", "--warehouse", warehouse, "--format", "csv",
                      "SELECT count(*) AS calls FROM analytics.requests", cwd=tmp_path,
                      env=s3_server.env)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.splitlines()[1]) == query(
        embedded, "SELECT count(*) FROM analytics.requests")[0][0]
    again = run_ingest(fixture_landing, warehouse, workers=1)  # --data-path not needed now
    assert again.calls_loaded == 0


def test_dagster_keeps_its_runs_in_postgres_from_the_deploy_template(
        fixture_landing, tmp_path, postgres_server, postgres_database, monkeypatch):
    from dagster import DagsterInstance

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    postgres_server.create_database("dagster")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", postgres_server.url("dagster"))
    warehouse = f"ducklake:postgres:{postgres_database}"
    settings = config.resolve(fixture_landing, warehouse, data_path=tmp_path / "lake")

    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        outcome = run_job(settings, instance=instance)
        assert outcome.success, outcome.problems
        run_id = outcome.summary["run_id"]
    with psycopg2.connect(postgres_server.conninfo("dagster")) as conn, conn.cursor() as cur:
        cur.execute("SELECT status FROM runs WHERE run_id = %s", [run_id])
        assert cur.fetchall() == [("SUCCESS",)]
    assert query(warehouse, "SELECT run_id FROM analytics.ingestion_runs") == [(run_id,)]
