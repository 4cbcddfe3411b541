"""The Dagster code location: it loads, the whole graph materializes into a temp folder with
its checks, the sensor sees new files, the schedule is nightly and configurable, and a failing
blocking check keeps the published warehouse unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    RunRequest,
    SkipReason,
    build_sensor_context,
    instance_for_test,
)

import pipelines.ledger.assets as ledger_assets
from pipelines import config
from pipelines.definitions import build_definitions
from pipelines.warehouse.lake import Lake
from pipelines.warehouse.resource import TokenworksWarehouse
from pipelines.warehouse.store import RunTransaction, WarehouseMissing, connect_reader
from tests.conftest import open_lake, openai_costs_page, query, synthetic_lines


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
    defs = build_definitions()
    assert {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()} >= {
        "landing_files", "stg_calls", "quarantine", "fct_requests", "dim_price", "dim_model",
        "fct_costs", "mart_daily_spend", "ingest_runs"}
    assert defs.resolve_job_def("ingest") is not None
    assert defs.resolve_sensor_def("landing_sensor") is not None
    schedule = defs.resolve_schedule_def("nightly_ingest")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "UTC")


def test_schedule_is_configurable_by_environment():
    out = subprocess.run(
        [sys.executable, "-c", "from pipelines.definitions import build_definitions; "
         "print(build_definitions().resolve_schedule_def('nightly_ingest').cron_schedule)"],
        env={**os.environ, "TOKENWORKS_NIGHTLY_CRON": "30 4 * * *"},
        capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "30 4 * * *"


def test_whole_graph_materializes_with_checks_and_metadata(fixture_landing, tmp_path, instance):
    settings = config.resolve(fixture_landing, tmp_path / "wh.ducklake")
    result = run_job(settings, instance)
    assert result.success
    materialized = {e.asset_key.to_user_string(): e.materialization.metadata
                    for e in result.get_asset_materialization_events()}
    assert set(materialized) == {
        "landing_files", "stg_calls", "quarantine", "fct_requests", "dim_price",
        "price_discounts", "dim_model", "fct_costs", "mart_daily_drivers",
        "mart_daily_distribution", "fct_cost_estimates", "mart_daily_spend",
        "dim_hardware_generation", "hardware_sources", "scenario_routes",
        "scenario_batch_discounts", "scenario_parameters", "scenario_trend_history",
        "forecast_backtest", "forecast_methods", "scenario_trend", "scenario_base",
        "scenario_projection", "scenario_sensitivity", "billing_reports", "reconciliation",
        "budget_status", "ingest_runs", "budget_alerts"}
    for name in ("stg_calls", "fct_requests", "dim_price", "dim_model", "fct_costs",
                 "mart_daily_drivers", "fct_cost_estimates", "mart_daily_spend",
                 "dim_hardware_generation", "scenario_base", "scenario_projection",
                 "scenario_sensitivity"):
        assert "seconds" in materialized[name], name
    assert materialized["stg_calls"]["rows"].value > 20
    assert materialized["landing_files"]["files_new"].value == materialized[
        "landing_files"]["files_seen"].value
    checks = {e.event_specific_data.check_name: e.event_specific_data.passed
              for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    unpriced = query(settings.warehouse, "SELECT count(*) FROM unpriced_models")[0][0]
    assert unpriced > 0  # the fixtures hold models newer than the price book
    assert checks == {"records_reconcile": True, "exactly_once": True,
                      "buckets_match_total": True, "every_call_priced": False,
                      "usage_logged": False,  # the fixtures hold streams without usage
                      "closed_days_reconcile": True}  # no bill to set the ledger against
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
    rows = materialized["ingest_runs"]["rows"].value
    assert query(settings.warehouse, "SELECT count(*) FROM fct_requests")[0][0] == rows
    assert query(settings.warehouse, "SELECT count(*) FROM ingest_runs")[0][0] == 1

    again = run_job(settings, instance)
    assert again.success
    recorded = next(e for e in again.get_asset_materialization_events()
                if e.asset_key.to_user_string() == "ingest_runs")
    assert recorded.materialization.metadata["changed"].value is False

    # The next night's calls: the checks judge the calls the run costed, and count what the
    # warehouse still holds.
    (fixture_landing / "next-night.jsonl").write_bytes(
        b"\n".join(synthetic_lines(60, seed=11)) + b"\n")
    night = run_job(settings, instance)
    assert night.success
    judged = {e.event_specific_data.check_name: e.event_specific_data
              for e in night.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    unpriced_tonight = query(settings.warehouse, """
        SELECT count(DISTINCT (f.provider, f.model)), count(*) FROM fct_requests f
        JOIN fct_costs c USING (call_id)
        WHERE NOT c.is_priced AND f.status = 'ok' AND f.source_file = 'next-night.jsonl'""")[0]
    priced = judged["every_call_priced"]
    assert (priced.metadata["unpriced_models"].value,
            priced.metadata["unpriced_calls"].value) == unpriced_tonight
    assert unpriced_tonight[0] < query(settings.warehouse,
                                       "SELECT count(*) FROM unpriced_models")[0][0]
    assert priced.metadata["unpriced_calls_in_warehouse"].value == query(
        settings.warehouse, "SELECT count(*) FROM fct_costs "
                            "WHERE cost_status = 'unpriced_model'")[0][0]
    assert judged["usage_logged"].passed  # tonight's logs all hold their usage
    assert judged["usage_logged"].metadata["calls_without_usage_in_warehouse"].value == query(
        settings.warehouse, "SELECT count(*) FROM fct_requests WHERE status = 'no_usage'")[0][0] > 0


def test_sensor_requests_a_run_only_when_there_is_something_new(
        fixture_landing, tmp_path, instance, monkeypatch):
    # The sensor reads the resource's settings, not the environment.
    monkeypatch.setenv("TOKENWORKS_LANDING", str(tmp_path / "elsewhere"))
    settings = config.resolve(fixture_landing, tmp_path / "wh.ducklake")
    sensor = build_definitions(settings).resolve_sensor_def("landing_sensor")

    def evaluate():
        with build_sensor_context(instance=instance, resources={
                "tokenworks": TokenworksWarehouse.from_settings(settings)}) as context:
            return sensor(context)

    first = evaluate()
    assert isinstance(first, RunRequest)
    assert first.tags["tokenworks/new"] == first.tags["tokenworks/files"]

    assert run_job(settings, instance).success
    assert isinstance(evaluate(), SkipReason)

    (fixture_landing / "late.jsonl").write_bytes(
        (fixture_landing / "gateway.jsonl").read_bytes()[:2000].rsplit(b"\n", 1)[0] + b"\n")
    later = evaluate()
    assert isinstance(later, RunRequest) and later.tags["tokenworks/new"] == "1"
    assert later.run_key != first.run_key

    # A billing report dropped in is work too, though no call log changed.
    assert run_job(settings, instance).success
    assert isinstance(evaluate(), SkipReason)
    (fixture_landing / "billing").mkdir()
    (fixture_landing / "billing" / "costs.json").write_bytes(
        openai_costs_page({date(2026, 5, 1): Decimal("1.5")}))
    billed = evaluate()
    assert isinstance(billed, RunRequest) and billed.tags["tokenworks/files"] == "0"
    assert run_job(settings, instance).success
    assert isinstance(evaluate(), SkipReason)


def test_the_asset_graph_is_the_snapshot(tmp_path):
    """Asset keys, their dependencies and groups, and the checks: a change to the graph shows
    as a diff of tests/contract/asset_graph.json (regenerate it with UPDATE_SNAPSHOTS=1)."""
    graph = build_definitions(config.resolve(tmp_path, tmp_path / "wh.ducklake")
                              ).resolve_asset_graph()
    snapshot = {
        "assets": {key.to_user_string(): {
            "group": graph.get(key).group_name,
            "deps": sorted(parent.to_user_string() for parent in graph.get(key).parent_keys)}
            for key in sorted(graph.get_all_asset_keys())},
        "checks": sorted(f"{c.asset_key.to_user_string()}:{c.name}"
                         for c in graph.asset_check_keys),
    }
    path = Path(__file__).parent / "contract" / "asset_graph.json"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(json.dumps(snapshot, indent=2) + "\n")
    assert snapshot == json.loads(path.read_text())


def test_an_asset_materializes_on_its_own_from_what_the_warehouse_holds(
        fixture_landing, tmp_path, instance):
    from pipelines.jobs import run_job as run_selection

    settings = config.resolve(fixture_landing, tmp_path / "wh.ducklake")
    assert run_job(settings, instance).success
    expected = query(settings.warehouse, "SELECT * FROM mart_daily_spend ORDER BY ALL")
    conn = open_lake(settings.warehouse, read_only=False)
    conn.execute("DELETE FROM mart_daily_spend")
    conn.execute("DELETE FROM warehouse_meta WHERE key LIKE 'mart_daily_spend.%'")
    conn.close()
    outcome = run_selection(settings, selection=["mart_daily_spend"], instance=instance)
    assert outcome.success
    assert query(settings.warehouse, "SELECT * FROM mart_daily_spend ORDER BY ALL") == expected
    # nothing to do is nothing done: no new snapshot
    last_snapshot = "SELECT max(snapshot_id) FROM ducklake_snapshots('lake')"
    before = query(settings.warehouse, last_snapshot)
    assert run_selection(settings, selection=["fct_costs"], instance=instance).success
    assert query(settings.warehouse, last_snapshot) == before


def test_failing_blocking_check_publishes_nothing(fixture_landing, tmp_path, instance,
                                                  monkeypatch):
    real_refresh = ledger_assets.refresh_fct

    def refresh_with_a_bug(conn, run_id):  # a ledger bug: duplicates become ledger rows too
        touched = real_refresh(conn, run_id)
        conn.execute("UPDATE stg_calls SET is_canonical = true")
        return touched

    monkeypatch.setattr(ledger_assets, "refresh_fct", refresh_with_a_bug)
    settings = config.resolve(fixture_landing, tmp_path / "wh.ducklake")
    result = run_job(settings, instance)
    assert not result.success
    failed = [e.event_specific_data.check_name for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"
              and not e.event_specific_data.passed]
    assert failed == ["exactly_once"]
    with pytest.raises(WarehouseMissing, match="holds no run yet"):
        connect_reader(Lake.of(settings))


def test_the_code_location_takes_settings_from_the_environment_as_env_vars(
        fixture_landing, tmp_path, instance, monkeypatch):
    from dagster import EnvVar

    from pipelines.definitions import defs

    monkeypatch.setenv("TOKENWORKS_LANDING", str(fixture_landing))
    monkeypatch.setenv("TOKENWORKS_WAREHOUSE", str(tmp_path / "from-env.ducklake"))
    monkeypatch.delenv("TOKENWORKS_SCENARIOS", raising=False)
    loaded = defs()
    resource = loaded.resources["tokenworks"]
    assert resource.landing == EnvVar("TOKENWORKS_LANDING")
    assert resource.warehouse == EnvVar("TOKENWORKS_WAREHOUSE")
    assert resource.scenarios == str(config.DEFAULT_SCENARIOS)  # not in the environment
    result = loaded.resolve_job_def("ingest").execute_in_process(instance=instance)
    assert result.success
    assert query(tmp_path / "from-env.ducklake", "SELECT count(*) FROM fct_requests")[0][0] > 20


def test_a_commit_that_fails_fails_the_run(fixture_landing, tmp_path, instance, monkeypatch):
    """Another writer committed while the run worked: the lake refuses this run's commit, and
    the run fails there, visibly (tokenworks ingest then runs it again: test_warehouse.py)."""
    settings = config.resolve(fixture_landing, tmp_path / "wh.ducklake")
    assert run_job(settings, instance).success
    (fixture_landing / "late.jsonl").write_bytes(
        (fixture_landing / "gateway.jsonl").read_bytes()[:2000].rsplit(b"\n", 1)[0] + b"\n")
    real_refresh = ledger_assets.refresh_fct

    def refresh_while_another_writer_commits(conn, run_id):
        other = RunTransaction(Lake.of(settings), "other-writer")
        other.begin()
        other.connection()
        other.mark_work()
        other.commit()
        other.close()
        return real_refresh(conn, run_id)

    monkeypatch.setattr(ledger_assets, "refresh_fct", refresh_while_another_writer_commits)
    result = run_job(settings, instance)
    assert not result.success
    failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failed == ["ingest_runs"]
    assert query(settings.warehouse, "SELECT count(*) FROM ingest_runs")[0][0] == 1
    assert query(settings.warehouse, "SELECT value FROM warehouse_meta WHERE key = "
                                     "'last_commit'") == [("other-writer",)]
    assert query(settings.warehouse, "SELECT value FROM warehouse_meta WHERE key = "
                                     "'last_commit'") == [("other-writer",)]


def test_a_selection_cannot_leave_a_schema_change_half_made(fixture_landing, tmp_path,
                                                             instance):
    """New schema files drop the costs and marts to make them again whole: a selection that
    would publish them missing fails instead, and the whole job then makes them."""
    from pipelines.jobs import run_job as run_selection

    settings = config.resolve(fixture_landing, tmp_path / "wh.ducklake")
    assert run_job(settings, instance).success
    expected = query(settings.warehouse, "SELECT count(*), sum(total_cost) FROM fct_costs")
    conn = open_lake(settings.warehouse, read_only=False)
    conn.execute("UPDATE warehouse_meta SET value = 'older-schema' WHERE key = 'schema'")
    conn.close()
    outcome = run_selection(settings, selection=["mart_daily_spend"], instance=instance)
    assert not outcome.success
    assert any("other schema files" in problem for problem in outcome.problems)
    assert query(settings.warehouse, "SELECT count(*), sum(total_cost) FROM fct_costs"
                 ) == expected  # nothing was committed
    assert run_selection(settings, instance=instance).success
    assert query(settings.warehouse, "SELECT count(*), sum(total_cost) FROM fct_costs"
                 ) == expected


def test_sensor_wakes_for_an_agents_folder_and_for_a_manifest_from_before_it(
        fixture_landing, tmp_path, instance):
    """A Claude Code session growing in TOKENWORKS_CLAUDE_DIR is work; so is everything when
    the committed manifest predates its without_calls column (the run brings it up to date)."""
    claude_dir = tmp_path / ".claude"
    session = claude_dir / "projects" / "p" / "s.jsonl"
    session.parent.mkdir(parents=True)
    line = {"sessionId": "s", "timestamp": "2026-05-02T00:00:00Z", "requestId": "r1",
            "message": {"id": "msg_1", "role": "assistant", "model": "claude-sonnet-4-5",
                        "usage": {"input_tokens": 5, "output_tokens": 7}}}
    session.write_text(json.dumps(line) + "\n")
    settings = config.resolve(fixture_landing, tmp_path / "wh.ducklake", claude_dir=claude_dir)
    sensor = build_definitions(settings).resolve_sensor_def("landing_sensor")

    def evaluate():
        with build_sensor_context(instance=instance, resources={
                "tokenworks": TokenworksWarehouse.from_settings(settings)}) as context:
            return sensor(context)

    assert run_job(settings, instance).success
    assert query(settings.warehouse, "SELECT count(*) FROM fct_requests "
                                     "WHERE source = 'claude_code'") == [(1,)]
    assert isinstance(evaluate(), SkipReason)
    line["message"]["id"], line["requestId"] = "msg_2", "r2"
    with open(session, "a") as fh:
        fh.write(json.dumps(line) + "\n")
    grown = evaluate()
    assert isinstance(grown, RunRequest) and grown.tags["tokenworks/append"] == "1"
    assert run_job(settings, instance).success
    assert isinstance(evaluate(), SkipReason)

    conn = open_lake(settings.warehouse, read_only=False)
    try:
        conn.execute("ALTER TABLE landing_files DROP COLUMN without_calls")
    finally:
        conn.close()
    assert isinstance(evaluate(), RunRequest)
