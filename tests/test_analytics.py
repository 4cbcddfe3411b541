"""The analysts' layer (issue #6): the stable `analytics` views, `tokenworks sql` (files,
parameters, formats, the shell, read-only), the Parquet and FOCUS exports, and the analyst
guide's ready queries, all on a warehouse the real ingest built from generated logs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from pipelines.analysts.catalog_docs import contract
from pipelines.jobs import run_ingest
from pipelines.samples import generate
from tests.conftest import open_lake, query
from tests.test_cli import tokenworks

REPO = Path(__file__).resolve().parent.parent
CONTRACT = Path(__file__).parent / "contract" / "analytics_views.json"
GUIDE = REPO / "docs" / "analyst-guide.md"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("analytics")
    generate(base / "landing", requests=4000, days=120, seed=13, end_date=date(2026, 11, 27))
    run_ingest(base / "landing", base / "wh.ducklake", workers=1)
    return base / "wh.ducklake"


# --- the contract ---------------------------------------------------------------------------

def test_the_analytics_views_keep_their_shape(schema_lake):
    conn = schema_lake
    expected = json.loads(CONTRACT.read_text())
    actual = contract(conn)
    assert set(actual) == {"requests", "daily_spend", "models", "prices", "hardware",
                           "scenarios", "scenario_parameters", "quarantine", "ingestion_runs",
                           "unknown_usage"}
    assert {view: list(columns.items()) for view, columns in actual.items()} == {
        view: list(columns.items()) for view, columns in expected.items()}, (
        "an analytics view changed shape: if deliberate, regenerate the contract with python -m "
        "pipelines.analysts.catalog_docs --contract > tests/contract/analytics_views.json")


def test_every_analytics_view_documents_its_grain_and_columns(schema_lake):
    conn = schema_lake
    views = conn.execute("SELECT view_name, comment FROM duckdb_views() "
                         "WHERE database_name = 'lake' AND schema_name = 'analytics'").fetchall()
    assert len(views) == 10 and all("Grain" in (comment or "") for _, comment in views)
    assert conn.execute("SELECT count(*) FROM catalog_columns WHERE schema_name = 'analytics' "
                        "AND coalesce(comment, '') = ''").fetchone()[0] == 0
    doc = (REPO / "docs" / "warehouse.md").read_text()
    for view, _ in views:
        assert f"## `analytics.{view}` (view)" in doc


def test_the_views_agree_with_the_ledger(warehouse):
    calls, priced_cost = query(warehouse, "SELECT count(*), sum(total_cost) FROM fct_costs")[0]
    assert query(warehouse, "SELECT count(*), sum(total_cost) FROM analytics.requests") == [
        (calls, priced_cost)]
    assert query(warehouse, "SELECT sum(total_cost) FROM analytics.daily_spend")[0][0] == \
        priced_cost
    with_model = query(warehouse, "SELECT count(*) FROM analytics.requests "
                                  "WHERE model IS NOT NULL")[0][0]
    assert query(warehouse, "SELECT sum(calls) FROM analytics.models")[0][0] == with_model
    for view in ("prices", "hardware", "scenarios", "scenario_parameters", "quarantine",
                 "ingestion_runs"):
        assert query(warehouse, f"SELECT count(*) FROM analytics.{view}")[0][0] > 0, view


def test_the_views_tell_what_logged_each_call(warehouse):
    """source (an API log, a coding agent's transcript, an OpenTelemetry span), with the
    agent's session and sub-agent flag, in the calls and in the daily spend alike."""
    by_call = query(warehouse, "SELECT source, count(*), sum(total_cost), "
                               "count(session_id), count(*) FILTER (is_sidechain) "
                               "FROM analytics.requests GROUP BY ALL ORDER BY source")
    assert [row[0] for row in by_call] == ["api_log", "claude_code", "codex_cli", "otel"]
    assert query(warehouse, "SELECT source, sum(calls), sum(total_cost) FROM "
                            "analytics.daily_spend GROUP BY ALL ORDER BY source") == [
        row[:3] for row in by_call]
    sessions = {source: (calls, with_session, sidechain)
                for source, calls, _, with_session, sidechain in by_call}
    assert sessions["api_log"] == (sessions["api_log"][0], 0, 0)
    assert all(with_session == calls for source, (calls, with_session, _) in sessions.items()
               if source != "api_log")
    assert sessions["claude_code"][2] > 0 and sessions["codex_cli"][2] == sessions["otel"][2] == 0


# --- tokenworks sql -------------------------------------------------------------------------

def test_sql_from_a_file_with_parameters_in_every_format(warehouse, tmp_path):
    script = tmp_path / "spend.sql"
    script.write_text("-- spend of one provider since a day\n"
                      "SELECT provider, count(*) AS calls, sum(total_cost) AS spend\n"
                      "FROM analytics.requests\n"
                      "WHERE provider = $provider AND event_day >= $since\n"
                      "GROUP BY provider;\n")
    expected = query(warehouse, "SELECT count(*), sum(total_cost) FROM analytics.requests "
                                "WHERE provider = 'openai' AND event_day >= '2026-10-01'")[0]
    args = ["sql", "--warehouse", warehouse, "-f", script, "-p", "provider=openai",
            "-p", "since=2026-10-01"]
    as_json = tokenworks(*args, "--format", "json", cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    row = json.loads(as_json.stdout)[0]
    assert (row["calls"], Decimal(row["spend"])) == expected
    as_csv = tokenworks(*args, "--format", "csv", cwd=tmp_path)
    assert as_csv.stdout.splitlines()[1].split(",")[:2] == ["openai", str(expected[0])]
    as_table = tokenworks(*args, cwd=tmp_path)
    assert "openai" in as_table.stdout and f"{expected[0]}" in as_table.stdout
    parquet = tmp_path / "spend.parquet"
    as_parquet = tokenworks(*args, "--format", "parquet", "--out", parquet, cwd=tmp_path)
    assert as_parquet.returncode == 0, as_parquet.stderr
    assert duckdb.sql(f"SELECT calls, spend FROM '{parquet}'").fetchall() == [expected]
    missing = tokenworks("sql", "--warehouse", warehouse, "-p", "oops", "SELECT 1",
                         cwd=tmp_path)
    assert missing.returncode == 2 and "name=value" in missing.stderr


def test_sql_refuses_writes_clearly(warehouse, tmp_path):
    before = query(warehouse, "SELECT count(*) FROM quarantine")[0][0]
    for statement in ("DELETE FROM quarantine", "CREATE TABLE x AS SELECT 1",
                      "UPDATE fct_costs SET total_cost = 0"):
        refused = tokenworks("sql", "--warehouse", warehouse, statement, cwd=tmp_path)
        assert refused.returncode == 2
        assert "read-only" in refused.stderr and "tokenworks ingest" in refused.stderr
    assert query(warehouse, "SELECT count(*) FROM quarantine")[0][0] == before


def test_the_shell_runs_statements_and_keeps_history(warehouse, tmp_path):
    session = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "sql", "--warehouse", str(warehouse)],
        input="SELECT 40 + 2 AS answer;\n.tables\nSELECT count(*) AS calls\n"
              "FROM analytics.requests;\nDROP TABLE quarantine;\n.quit\nSELECT 'not run';\n",
        capture_output=True, text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin"},
        timeout=120)
    assert "42" in session.stdout and "analytics.requests" in session.stdout
    calls = query(warehouse, "SELECT count(*) FROM analytics.requests")[0][0]
    assert str(calls) in session.stdout and "not run" not in session.stdout
    assert "read-only" in session.stderr and session.returncode == 1
    history = (tmp_path / ".tokenworks_history").read_text()
    assert "SELECT 40 + 2 AS answer;" in history
    assert "SELECT count(*) AS calls FROM analytics.requests;" in history


def test_sql_works_while_an_ingest_runs(warehouse, tmp_path):
    copy = tmp_path / "wh.ducklake"
    copy.write_bytes(warehouse.read_bytes())
    landing = tmp_path / "more"
    generate(landing, requests=4000, days=3, seed=77, end_date=date(2026, 11, 30))
    ingest = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "ingest", "--landing",
                               str(landing), "--warehouse", str(copy)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    counts = set()
    while ingest.poll() is None or not counts:
        answered = tokenworks("sql", "--warehouse", copy, "--format", "csv",
                              "SELECT count(*) AS n FROM analytics.requests", cwd=tmp_path)
        assert answered.returncode == 0, answered.stderr
        counts.add(int(answered.stdout.splitlines()[1]))
    assert ingest.returncode == 0, ingest.stdout.read()
    before = query(warehouse, "SELECT count(*) FROM analytics.requests")[0][0]
    after = query(copy, "SELECT count(*) FROM analytics.requests")[0][0]
    assert counts <= {before, after} and after > before


# --- exports --------------------------------------------------------------------------------

def test_parquet_export_is_partitioned_by_month_and_read_by_another_engine(warehouse,
                                                                           tmp_path):
    out = tmp_path / "ledger"
    done = tokenworks("export", "--warehouse", warehouse, "--format", "parquet", "--out", out,
                      cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    months = sorted(p.name for p in out.iterdir())
    expected_months = [f"month={m}" for (m,) in query(
        warehouse, "SELECT DISTINCT strftime(event_day, '%Y-%m') FROM analytics.requests "
                   "ORDER BY 1")]
    assert months == expected_months
    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    calls, cost = query(warehouse, "SELECT count(*), sum(total_cost) FROM analytics.requests")[0]
    assert table.num_rows == calls
    assert sum(v for v in table.column("total_cost").to_pylist() if v is not None) == cost
    assert set(table.column("month").to_pylist()) == {m.split("=")[1] for m in months}
    again = tokenworks("export", "--warehouse", warehouse, "--format", "parquet", "--out", out,
                       cwd=tmp_path)  # replaces, never appends
    assert again.returncode == 0
    assert ds.dataset(out, format="parquet", partitioning="hive").count_rows() == calls


FOCUS_COLUMNS = {"BilledCost", "EffectiveCost", "ListCost", "ContractedCost",
                 "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart",
                 "BillingPeriodEnd", "BillingCurrency", "BillingAccountId", "ChargeCategory",
                 "ServiceName", "ServiceCategory", "ServiceSubcategory", "SkuId", "SkuPriceId",
                 "ConsumedQuantity", "ConsumedUnit", "PricingQuantity", "PricingUnit",
                 "ProviderName", "PublisherName", "InvoiceIssuerName", "SubAccountId", "Tags",
                 "ChargeFrequency", "PricingCategory", "ResourceId", "RegionId"}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_focus_export_adds_up_to_the_ledger(warehouse, tmp_path, suffix):
    out = tmp_path / f"focus{suffix}"
    done = tokenworks("export", "--warehouse", warehouse, "--format", "focus", "--out", out,
                      "--from", "2026-10-01", "--to", "2026-10-31", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    reader = "read_csv" if suffix == ".csv" else "read_parquet"
    conn = duckdb.connect()
    columns = {c[0] for c in conn.execute(f"DESCRIBE SELECT * FROM {reader}('{out}')")
               .fetchall()}
    assert columns >= FOCUS_COLUMNS
    assert all(c[0].isupper() or c.startswith("x_") for c in columns)  # FOCUS or custom x_
    billed, listed, tokens, first, last, units, categories, subcategories = conn.execute(f"""
        SELECT sum(BilledCost::DECIMAL(38, 13)), sum(ListCost::DECIMAL(38, 13)),
               sum(ConsumedQuantity), min(ChargePeriodStart), max(ChargePeriodEnd),
               list(DISTINCT ConsumedUnit), list(DISTINCT ServiceCategory),
               list(DISTINCT ServiceSubcategory)
        FROM {reader}('{out}')""").fetchone()
    expected = query(warehouse, """
        SELECT sum(total_cost), sum(list_cost), sum(total_tokens), count(*) FILTER (NOT is_priced)
        FROM analytics.requests WHERE event_day BETWEEN '2026-10-01' AND '2026-10-31'""")[0]
    assert (billed, listed, tokens) == (expected[0], expected[1], query(warehouse, """
        SELECT sum(total_tokens) FROM analytics.requests WHERE is_priced
        AND event_day BETWEEN '2026-10-01' AND '2026-10-31'""")[0][0])
    assert str(first)[:10] == "2026-10-01" and str(last)[:10] == "2026-11-01"
    assert units == ["Tokens"] and categories == ["AI and Machine Learning"]
    assert subcategories == ["Generative AI"]
    # what logged the calls, in a custom column: each source's rows add up to its calls
    by_source = dict(conn.execute(f"SELECT x_Source, sum(BilledCost::DECIMAL(38, 13)) "
                                  f"FROM {reader}('{out}') GROUP BY ALL").fetchall())
    assert by_source == dict(query(warehouse, """
        SELECT source, sum(total_cost) FROM analytics.requests
        WHERE is_priced AND event_day BETWEEN '2026-10-01' AND '2026-10-31' GROUP BY ALL"""))
    assert {"api_log", "claude_code"} <= set(by_source)
    tags = conn.execute(f"SELECT Tags FROM {reader}('{out}') LIMIT 1").fetchone()[0]
    assert set(json.loads(tags)) <= {"project", "user", "api_key", "model"}
    if expected[3]:
        assert f"{expected[3]:,} calls whose cost is unknown are not in it" in done.stdout


# --- the analyst guide ----------------------------------------------------------------------

def guide_queries() -> list[tuple[str, str]]:
    text = GUIDE.read_text()
    return re.findall(r"### (.+?)\n.*?```sql\n(.+?)```", text, flags=re.S)


def test_the_guide_has_at_least_ten_ready_queries():
    titles = [title for title, _ in guide_queries()]
    assert len(titles) >= 10
    for wanted in ("Spend by project last month", "Cost per 1,000 calls by model",
                   "What prompt caching saved", "most expensive runaway generations"):
        assert any(wanted in title for title in titles), wanted


@pytest.mark.parametrize("title,sql", guide_queries(), ids=[t for t, _ in guide_queries()])
def test_every_guide_query_runs_and_answers(warehouse, title, sql):
    conn = open_lake(warehouse)
    try:
        rows = conn.execute(sql).fetchall()
    finally:
        conn.close()
    assert rows, title
    assert any(value not in (None, 0) for row in rows for value in row), title
