"""Costs in SQL against an implementation nobody here wrote: genai_prices.calc_price."""

from __future__ import annotations

import random
import shutil
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest
from genai_prices import Usage, calc_price
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipelines.jobs import run_ingest
from pipelines.pricing import costs, pricebook
from pipelines.samples import generate
from tests.conftest import FIXTURES, open_lake

TOLERANCE = Decimal("0.000000001")


@pytest.fixture(scope="module")
def priced(tmp_path_factory):
    base = tmp_path_factory.mktemp("costs")
    landing = base / "landing"
    generate(landing, requests=6000, days=90, seed=21)
    shutil.copytree(FIXTURES, landing / "fixtures", ignore=shutil.ignore_patterns("SOURCES.md"))
    run_ingest(landing, base / "wh.ducklake", workers=1)
    conn = open_lake(base / "wh.ducklake", read_only=False)
    conn.execute("BEGIN TRANSACTION")  # re-priced here, never committed
    version = pricebook.pricebook_version()
    pricebook.load_prices(conn, version)
    pricebook.match_models(conn, version)
    costs.cost_calls(conn, version)
    yield conn
    conn.close()


def package_price(row: dict, web_searches: bool = True) -> Decimal:
    usage = Usage(
        input_tokens=row["input_tokens"] + row["cache_read_tokens"] + row["cache_write_tokens"]
        + row["cache_write_1h_tokens"],
        cache_read_tokens=row["cache_read_tokens"],
        cache_write_tokens=row["cache_write_tokens"] + row["cache_write_1h_tokens"],
        cache_write_5m_tokens=row["cache_write_tokens"],
        cache_write_1h_tokens=row["cache_write_1h_tokens"],
        output_tokens=row["output_tokens"],
        output_reasoning_tokens=row["reasoning_tokens"],
        web_searches=row["web_search_requests"] if web_searches else 0,
    )
    context = {}
    if row["service_tier"]:
        context["service_tier"] = row["service_tier"]
    if row["is_batch"]:
        context["processing"] = "batch"
    return calc_price(usage, row["model"], provider_id=row["provider"],
                      genai_request_timestamp=row["event_at"].replace(tzinfo=UTC),
                      price_context=context or None).total_price


def test_sql_cost_equals_calc_price_on_2000_calls(priced):
    cursor = priced.execute(
        "SELECT f.*, c.total_cost, c.batch_discount_applied FROM fct_requests f "
        "JOIN fct_costs c USING (call_id) WHERE c.is_priced")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    from_fixtures = [r for r in rows if r["source_file"].startswith("fixtures/")]
    assert len(from_fixtures) >= 15
    sample = random.Random(5).sample(rows, 2000) + from_fixtures
    # the sample must exercise what makes pricing hard
    assert sum(r["cache_read_tokens"] > 0 for r in sample) > 200
    assert sum(r["cache_write_tokens"] + r["cache_write_1h_tokens"] > 0 for r in sample) > 20
    assert sum(r["is_batch"] for r in sample) > 20
    assert sum(r["status"] == "error" for r in sample) > 5
    deepseek_hours = {r["event_at"].hour for r in sample if r["provider"] == "deepseek"}
    assert deepseek_hours & set(range(1, 16)) and deepseek_hours & set(range(17, 23)), (
        "DeepSeek's off-peak window (16:30-00:30 UTC) must be exercised on both sides")
    assert sum(r["input_tokens"] + r["cache_read_tokens"] > 200_000 for r in rows) > 0
    mismatches = []
    for row in sample + [r for r in rows if r["input_tokens"] + r["cache_read_tokens"] > 200_000]:
        expected = package_price(row)
        if row["batch_discount_applied"]:
            # deliberate (docs/pricing.md): the batch APIs bill tokens at half price where the
            # price book has no batch price; server-tool fees such as web searches are not halved
            tokens_only = package_price(row, web_searches=False)
            expected = tokens_only / 2 + (expected - tokens_only)
        if abs(row["total_cost"] - expected) > TOLERANCE:
            mismatches.append((row["provider"], row["model"], row["event_at"], row["is_batch"],
                               row["service_tier"], row["total_cost"], expected))
    assert mismatches == []


def test_provider_reported_cost_is_kept_beside_the_computed_one(priced):
    rows = priced.execute("SELECT provider, provider_reported_cost, total_cost, difference "
                          "FROM cost_vs_reported").fetchall()
    assert rows and {r[0] for r in rows} == {"openrouter"}
    assert all(r[3] == r[2] - r[1] and r[3] != 0 for r in rows if r[2] is not None)
    reported = priced.execute("SELECT count(*) FROM fct_requests "
                              "WHERE provider_reported_cost IS NOT NULL").fetchone()[0]
    assert reported >= len(rows)


def test_daily_mart_adds_up_to_the_calls(priced):
    mart = priced.execute("SELECT sum(calls), sum(output_tokens), sum(total_cost), "
                          "sum(cache_read_cost), sum(unpriced_calls), "
                          "sum(usage_unknown_calls), sum(estimated_cost) FROM mart_daily_spend"
                          ).fetchone()
    calls = priced.execute(
        "SELECT count(*), sum(output_tokens), sum(total_cost), sum(cache_read_cost), "
        "count(*) FILTER (cost_status = 'unpriced_model'), "
        "count(*) FILTER (cost_status = 'usage_unknown'), sum(estimated_cost) "
        "FROM fct_request_costs JOIN fct_requests USING (dedup_key)").fetchone()
    assert mart == calls
    assert calls[5] > 0 and calls[6] > 0  # the generated logs hold streams without usage
    grain = priced.execute(
        "SELECT count(*) FROM (SELECT day, provider, model, project, user_id, api_key_id, "
        "status, source FROM mart_daily_spend GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
    assert grain == 0


def test_unmatched_models_are_never_priced_at_zero(priced):
    unpriced = priced.execute("SELECT count(*) FROM fct_costs WHERE NOT is_priced").fetchone()[0]
    assert unpriced > 0
    assert priced.execute("SELECT count(*) FROM fct_costs WHERE NOT is_priced AND "
                          "(total_cost IS NOT NULL OR input_cost IS NOT NULL)").fetchone()[0] == 0
    listed = priced.execute("SELECT sum(calls) FROM unpriced_models").fetchone()[0]
    ok_unpriced = priced.execute(
        "SELECT count(*) FROM fct_request_costs WHERE NOT is_priced AND status = 'ok'"
    ).fetchone()[0]
    assert listed == ok_unpriced


@pytest.fixture(scope="module")
def money_macros():
    """The money macros of sql/pricing/fct_costs.sql, defined as the costing defines them."""
    from pipelines.warehouse.sql import read_sql

    conn = duckdb.connect()
    text = read_sql("pricing/fct_costs.sql")
    for statement in text.split(";"):
        body = "\n".join(line for line in statement.splitlines()
                         if not line.lstrip().startswith("--")).strip()
        if body.startswith("CREATE OR REPLACE TEMP MACRO"):
            conn.execute(body)
    yield conn
    conn.close()


@settings(max_examples=300, deadline=None)
@example(units=1, percent=Decimal(50))  # exactly half a unit: rounds up
@example(units=3_000_001, percent=Decimal(50))
@example(units=9_000_000_000_000_000, percent=Decimal("0.0001"))
@given(units=st.integers(0, 9_000_000_000_000_000),
       percent=st.decimals(0, 100, places=4, allow_nan=False))
def test_a_discount_keeps_its_share_rounded_half_up_to_1e13_usd(money_macros, units, percent):
    """discounted() works on 64-bit integers of 1e-13 USD; it must equal the exact decimal
    product rounded half up, for any amount a bucket can hold and any discount."""
    keep_ppm = int((100 - percent) * 10_000)
    got, usd = money_macros.execute("SELECT discounted($u::BIGINT, $k::BIGINT), "
                                    "usd(discounted($u::BIGINT, $k::BIGINT))",
                                    {"u": units, "k": keep_ppm}).fetchone()
    expected = (Decimal(units) * keep_ppm / 1_000_000).quantize(Decimal(1), ROUND_HALF_UP)
    assert got == expected
    assert usd == expected.scaleb(-13)
