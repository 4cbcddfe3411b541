"""The Dagster code location: it loads, the whole graph materializes into a temp folder with
its checks, the sensor sees new files, the schedule is nightly and configurable, and a failing
blocking check keeps the published warehouse unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    RunRequest,
    SkipReason,
    build_sensor_context,
    instance_for_test,
)

import pipelines.definitions as definitions_module
from pipelines import config
from pipelines.definitions import build_definitions, landing_sensor
from tests.conftest import query


@pytest.fixture
def instance():
    with instance_for_test() as inst:
        yield inst


def run_job(settings: config.Settings, instance: DagsterInstance):
    defs = build_definitions(settings)
    return defs.resolve_job_def("ingest").execute_in_process(instance=instance,
                                                              raise_on_error=False)


def test_code_location_loads_as_dagster_dev_loads_it():
    repo_root = Path(__file__).resolve().parent.parent
    validated = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate",
         "-w", "workspace.yaml"], cwd=repo_root, capture_output=True, text=True)
    assert validated.returncode == 0, validated.stderr
    assert "Validation successful for code location tokenworks" in (
        validated.stdout + validated.stderr)
    defs = definitions_module.defs
    assert {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()} >= {
        "landing_files", "stg_calls", "quarantine", "fct_requests", "dim_price", "dim_model",
        "fct_costs", "mart_daily_spend", "published_warehouse"}
    assert defs.resolve_job_def("ingest") is not None
    assert defs.resolve_sensor_def("landing_sensor") is not None
    schedule = defs.resolve_schedule_def("nightly_ingest")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "UTC")


def test_schedule_is_configurable_by_environment():
    out = subprocess.run(
        [sys.executable, "-c", "from pipelines.definitions import defs; "
         "print(defs.resolve_schedule_def('nightly_ingest').cron_schedule)"],
        env={**os.environ, "TOKENWORKS_NIGHTLY_CRON": "30 4 * * *"},
        capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "30 4 * * *"


def test_whole_graph_materializes_with_checks_and_metadata(fixture_landing, tmp_path, instance):
    settings = config.resolve(fixture_landing, tmp_path / "wh.duckdb")
    result = run_job(settings, instance)
    assert result.success
    materialized = {e.asset_key.to_user_string(): e.materialization.metadata
                    for e in result.get_asset_materialization_events()}
    assert set(materialized) == {"landing_files", "stg_calls", "quarantine", "fct_requests",
                                 "dim_price", "dim_model", "fct_costs", "mart_daily_spend",
                                 "dim_hardware_generation", "scenario_base",
                                 "scenario_projection", "scenario_sensitivity",
                                 "published_warehouse"}
    for name, metadata in materialized.items():
        assert "seconds" in metadata, name
    assert materialized["stg_calls"]["rows"].value > 20
    assert materialized["landing_files"]["files_new"].value == materialized[
        "landing_files"]["files"].value
    checks = {e.event_specific_data.check_name: e.event_specific_data.passed
              for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    unpriced = query(settings.warehouse, "SELECT count(*) FROM unpriced_models")[0][0]
    assert unpriced > 0  # the fixtures hold models newer than the price book
    assert checks == {"records_reconcile": True, "exactly_once": True,
                      "buckets_match_total": True, "every_call_priced": False,
                      "usage_logged": False}  # the fixtures hold streams without usage
    warned = next(e.event_specific_data for e in result.all_events
                  if e.event_type_value == "ASSET_CHECK_EVALUATION"
                  and e.event_specific_data.check_name == "usage_logged")
    assert warned.severity.value == "WARN"
    assert warned.metadata["calls_without_usage"].value == query(
        settings.warehouse, "SELECT count(*) FROM fct_requests WHERE status = 'no_usage'")[0][0]
    listing = warned.metadata["models"].value
    assert "| azure | gpt-4o-2024-11-20 |" in listing and "| groq |" in listing
    assert 'stream_options: {"include_usage": true}' in listing
    assert materialized["fct_costs"]["rows"].value == materialized["fct_requests"]["rows"].value
    assert materialized["dim_hardware_generation"]["rows"].value == query(
        settings.warehouse, "SELECT count(*) FROM dim_hardware_generation")[0][0] >= 14
    assert materialized["scenario_projection"]["rows"].value == query(
        settings.warehouse, "SELECT count(*) FROM scenario_projection")[0][0] > 0
    rows = materialized["published_warehouse"]["rows"].value
    assert query(settings.warehouse, "SELECT count(*) FROM fct_requests")[0][0] == rows
    assert query(settings.warehouse, "SELECT count(*) FROM ingest_runs")[0][0] == 1

    again = run_job(settings, instance)
    assert again.success
    published = [e for e in again.get_asset_materialization_events()
                 if e.asset_key.to_user_string() == "published_warehouse"][0]
    assert published.materialization.metadata["published"].value is False


def test_sensor_requests_a_run_only_when_there_is_something_new(
        fixture_landing, tmp_path, instance, monkeypatch):
    monkeypatch.setenv("TOKENWORKS_LANDING", str(fixture_landing))
    monkeypatch.setenv("TOKENWORKS_WAREHOUSE", str(tmp_path / "wh.duckdb"))
    first = landing_sensor(build_sensor_context(instance=instance))
    assert isinstance(first, RunRequest)
    assert first.tags["tokenworks/new"] == first.tags["tokenworks/files"]

    assert run_job(config.resolve(), instance).success
    assert isinstance(landing_sensor(build_sensor_context(instance=instance)), SkipReason)

    (fixture_landing / "late.jsonl").write_bytes(
        (fixture_landing / "gateway.jsonl").read_bytes()[:2000].rsplit(b"\n", 1)[0] + b"\n")
    later = landing_sensor(build_sensor_context(instance=instance))
    assert isinstance(later, RunRequest) and later.tags["tokenworks/new"] == "1"
    assert later.run_key != first.run_key


def test_failing_blocking_check_publishes_nothing(fixture_landing, tmp_path, instance,
                                                  monkeypatch):
    real_refresh = definitions_module.ingest.refresh_fct

    def refresh_with_a_bug(conn, run_id):  # a ledger bug: duplicates become ledger rows too
        touched = real_refresh(conn, run_id)
        conn.execute("UPDATE stg_calls SET is_canonical = true")
        return touched

    monkeypatch.setattr(definitions_module.ingest, "refresh_fct", refresh_with_a_bug)
    settings = config.resolve(fixture_landing, tmp_path / "wh.duckdb")
    result = run_job(settings, instance)
    assert not result.success
    failed = [e.event_specific_data.check_name for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"
              and not e.event_specific_data.passed]
    assert failed == ["exactly_once"]
    assert not settings.warehouse.exists()
    assert not list((tmp_path / "wh.duckdb.runs").glob("*.duckdb"))
