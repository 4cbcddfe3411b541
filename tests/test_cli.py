"""The `tokenworks` command, run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.warehouse.lake import Lake
from pipelines.warehouse.store import WarehouseMissing, connect_reader
from tests.conftest import query

pytestmark = pytest.mark.slow


def tokenworks(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TOKENWORKS_")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *map(str, args)], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=600)


def test_generate_ingest_sql_round_trip(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.ducklake"
    generated = tokenworks("generate", "--out", landing, "--requests", 3000, "--days", 20,
                           "--seed", 5, cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    assert "wrote" in generated.stdout and any(landing.rglob("*.jsonl"))

    ingested = tokenworks("ingest", "--landing", landing, "--warehouse", wh, cwd=tmp_path)
    assert ingested.returncode == 0, ingested.stderr
    calls, api_calls = query(wh, "SELECT count(*), count(*) FILTER (source = 'api_log') "
                                 "FROM fct_requests")[0]
    quarantined = query(wh, "SELECT count(*) FROM quarantine")[0][0]
    # the API logs' calls, and the sample coding agents' and spans' beside them
    assert api_calls == 3000 < calls and quarantined > 0
    assert "coding-agent transcripts and span exports" in generated.stdout
    for words in ("files:", f"calls loaded: {calls:,}", "duplicates:",
                  f"quarantined: {quarantined:,}", "seconds:"):
        assert words in ingested.stdout
    no_usage, at_risk = query(wh, "SELECT count(*) FILTER (status = 'no_usage'), "
                                  "(SELECT sum(estimated_cost) FROM mart_daily_spend) "
                                  "FROM fct_requests")[0]
    assert no_usage > 0
    assert (f"usage not logged: {no_usage:,} calls, cost unknown (spend at risk, estimated: "
            f"${at_risk:,.2f})") in ingested.stdout
    first_file, first_line = query(wh, "SELECT source_file, source_line FROM quarantine "
                                       "ORDER BY ALL LIMIT 1")[0]
    assert f"    {first_file}:{first_line}: " in ingested.stdout

    again = tokenworks("ingest", "--landing", landing, "--warehouse", wh, cwd=tmp_path)
    assert again.returncode == 0 and "nothing new" in again.stdout

    as_csv = tokenworks("sql", "--warehouse", wh, "--format", "csv",
                        "SELECT status, count(*) AS n FROM fct_requests GROUP BY 1 ORDER BY 1",
                        cwd=tmp_path)
    lines = as_csv.stdout.strip().splitlines()
    assert lines[0] == "status,n" and sum(int(x.split(",")[1]) for x in lines[1:]) == calls

    as_json = tokenworks("sql", "--warehouse", wh, "--format", "json",
                         "SELECT sum(provider_reported_cost) AS cost, count(*) AS n "
                         "FROM fct_requests", cwd=tmp_path)
    rows = json.loads(as_json.stdout)
    assert rows[0]["n"] == calls

    table = tokenworks("sql", "--warehouse", wh, "SELECT 41 + 1 AS answer", cwd=tmp_path)
    assert "answer" in table.stdout and "42" in table.stdout

    refused = tokenworks("sql", "--warehouse", wh, "DELETE FROM stg_calls", cwd=tmp_path)
    assert refused.returncode == 2 and "read-only" in refused.stderr
    assert query(wh, "SELECT count(*) FROM fct_requests")[0][0] == calls


def test_defaults_come_from_environment_then_data_folder(tmp_path):
    landing = tmp_path / "elsewhere"
    assert tokenworks("generate", "--out", landing, "--requests", 300, "--days", 3,
                      cwd=tmp_path).returncode == 0
    env = {"TOKENWORKS_LANDING": str(landing), "TOKENWORKS_WAREHOUSE": str(tmp_path / "e.db")}
    assert tokenworks("ingest", cwd=tmp_path, env=env).returncode == 0
    assert query(tmp_path / "e.db", "SELECT count(*) FROM fct_requests "
                                    "WHERE source = 'api_log'")[0][0] == 300

    missing = tokenworks("ingest", cwd=tmp_path)  # ./data/landing does not exist here
    assert missing.returncode == 1
    assert str(tmp_path / "data" / "landing") in missing.stderr
    no_warehouse = tokenworks("sql", "SELECT 1", cwd=tmp_path)
    assert no_warehouse.returncode == 1 and "tokenworks ingest" in no_warehouse.stderr


def test_demo_generates_once_then_ingests_and_shows(tmp_path):
    first = tokenworks("demo", "--no-serve", "--requests", 2000, "--days", 30, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "generating sample logs" in first.stdout
    assert "Calls and tokens by provider" in first.stdout and "openai" in first.stdout
    wh = tmp_path / "data" / "warehouse.ducklake"
    assert query(wh, "SELECT count(*) FROM fct_requests WHERE source = 'api_log'")[0][0] == 2000
    assert "Spend by source" in first.stdout and "claude_code" in first.stdout

    second = tokenworks("demo", "--no-serve", cwd=tmp_path)
    assert second.returncode == 0
    assert "generating" not in second.stdout and "nothing new" in second.stdout


def test_a_bad_overrides_file_stops_the_run_naming_line_and_field(tmp_path):
    landing, wh, overrides = tmp_path / "landing", tmp_path / "wh.ducklake", tmp_path / "o.yaml"
    assert tokenworks("generate", "--out", landing, "--requests", 200, "--days", 2,
                      cwd=tmp_path).returncode == 0
    overrides.write_text("discounts:\n  - provider: openai\n    percent: 150\n"
                         "    from: 2026-01-01\n")
    failed = tokenworks("ingest", "--landing", landing, "--warehouse", wh, cwd=tmp_path,
                        env={"TOKENWORKS_PRICE_OVERRIDES": str(overrides)})
    assert failed.returncode == 1
    assert f"{overrides} line 3, field 'percent': must be between 0 and 100" in failed.stderr
    assert "nothing was committed" in failed.stderr
    with pytest.raises(WarehouseMissing, match="holds no run yet"):
        connect_reader(Lake.locate(wh))
