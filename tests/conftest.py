from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import orjson
import pytest

from pipelines.warehouse.lake import Lake

FIXTURES = Path(__file__).parent / "fixtures" / "responses"
# Streams whose usage was never logged (issue #13), written from the providers' formats.
NO_USAGE_STREAMS = Path(__file__).parent / "fixtures" / "streams_without_usage"

# Real PostgreSQL and S3 servers for the tests (tests/ is on sys.path: it is not a package).
pytest_plugins = ["services"]


def fixture_records(name: str) -> list:
    """The records a shared fixture file holds, as the landing reader would see them."""
    path = FIXTURES / name
    text = path.read_text()
    if path.suffix == ".txt":
        return [text]
    if path.suffix == ".jsonl":
        return [orjson.loads(line) for line in text.splitlines() if line.strip()]
    return [orjson.loads(text)]


def open_lake(warehouse, read_only: bool = True, **options) -> duckdb.DuckDBPyConnection:
    """The warehouse at `warehouse` (a path or ducklake:postgres:…), as the product opens it."""
    return Lake.locate(warehouse).connect(read_only=read_only, **options)


def query(warehouse, sql: str, params=None) -> list[tuple]:
    conn = open_lake(warehouse)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


def warehouse_state(warehouse: Path) -> dict:
    """Everything a run leaves that must not depend on how many runs it took. Call ids are
    numbered in the order keys first arrive, so they are compared through the keys they
    stand for (tests/test_incremental.py checks the ids themselves)."""
    return {
        "fct": query(warehouse, "SELECT * EXCLUDE (call_id) FROM fct_requests "
                                "ORDER BY dedup_key"),
        "stg": query(warehouse, "SELECT * EXCLUDE (run_id, call_id) FROM stg_calls "
                                "ORDER BY source_file, source_line"),
        "quarantine": query(warehouse, "SELECT * EXCLUDE (run_id) FROM quarantine "
                                       "ORDER BY source_file, source_line"),
        "manifest": query(warehouse, "SELECT path, bytes_consumed, lines_consumed, records, "
                                     "staged, quarantined FROM landing_files ORDER BY path"),
        # priced incrementally run by run, these must equal one full pricing
        "costs": query(warehouse, "SELECT f.dedup_key, c.* EXCLUDE (call_id) FROM fct_costs c "
                                  "LEFT JOIN fct_requests f USING (call_id) "
                                  "ORDER BY f.dedup_key"),
        "estimates": query(warehouse, "SELECT f.dedup_key, e.* EXCLUDE (call_id) "
                                      "FROM fct_cost_estimates e "
                                      "LEFT JOIN fct_requests f USING (call_id) "
                                      "ORDER BY f.dedup_key"),
        "daily_spend": query(warehouse, "SELECT * FROM mart_daily_spend ORDER BY ALL"),
    }


@pytest.fixture
def schema_lake():
    """A new lake with the schema files applied, nothing loaded."""
    from pipelines.warehouse.store import scratch_lake

    with scratch_lake() as conn:
        yield conn


@pytest.fixture
def fixture_landing(tmp_path) -> Path:
    """A landing folder of every shared fixture, as bare bodies and inside envelopes."""
    landing = tmp_path / "landing"
    bare = landing / "bare"
    bare.mkdir(parents=True)
    for path in sorted([*FIXTURES.iterdir(), *NO_USAGE_STREAMS.iterdir()]):
        if path.name != "SOURCES.md":
            (bare / path.name).write_bytes(path.read_bytes())
    lines = []
    for i, path in enumerate(sorted(FIXTURES.glob("*.json"))):
        body = orjson.loads(path.read_bytes())
        lines.append({"timestamp": f"2026-05-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
                      "provider": None, "project": f"proj-{i % 3}", "user": f"user-{i % 5}",
                      "api_key_id": f"key-{i % 4}", "latency_ms": 100 + i,
                      "request": {"model": "m", "messages": [{"role": "user",
                                                              "content": f"q{i % 4}"}],
                                  "max_tokens": 256},
                      "response": body})
    (landing / "gateway.jsonl").write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
    return landing


def synthetic_lines(n: int, seed: int = 1) -> list[bytes]:
    """n envelope lines built from the fixtures: unique ids, some repeats, some bad lines."""
    import copy
    import random

    rng = random.Random(seed)
    bodies = [fixture_records(name)[0] for name in (
        "openai_chat_cached_tokens_gpt4omini.json",
        "anthropic_messages_cache_read_and_5m_write.json",
        "gemini_generate_content_cached_thoughts.json", "bedrock_converse_cache_read_write.json",
        "openai_error_rate_limit_429.json", "deepseek_chat_cache_hit_miss_reasoning.json")]
    lines: list[bytes] = []
    for i in range(n):
        roll = rng.random()
        if lines and roll < 0.05:
            lines.append(rng.choice(lines))  # the same record logged again
            continue
        if roll < 0.08:
            lines.append(b'{"timestamp": "2026-05-01T00:00:00Z", "response": {"broken"')
            continue
        body = copy.deepcopy(rng.choice(bodies))
        for key in ("id", "responseId"):
            if key in body:
                body[key] = f"{body[key]}-{seed}-{i}"
        lines.append(orjson.dumps({
            "timestamp": f"2026-05-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}Z",
            "project": f"p{i % 3}", "user": f"u{i % 7}", "latency_ms": i,
            "response": body}))
    return lines


# ----------------------------------------------------------------------- billing reports


def day_seconds(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def openai_costs_page(amounts: dict[date, Decimal | None]) -> bytes:
    """An OpenAI Costs API page: a bucket per day, amounts in dollars as strings (None: an
    empty bucket)."""
    return json.dumps({"object": "page", "has_more": False, "next_page": None, "data": [
        {"object": "bucket", "start_time": day_seconds(day),
         "end_time": day_seconds(day + timedelta(days=1)),
         "results": [] if amount is None else [
             {"object": "organization.costs.result", "line_item": "completions",
              "project_id": "proj_1", "amount": {"value": str(amount), "currency": "usd"}}]}
        for day, amount in amounts.items()]}).encode()


def anthropic_cost_page(amounts: dict[date, Decimal], model: str) -> bytes:
    """An Anthropic cost report page: amounts in cents, as decimal strings."""
    return json.dumps({"has_more": False, "next_page": None, "data": [
        {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{day + timedelta(days=1)}T00:00:00Z",
         "results": [{"currency": "USD", "amount": str(amount * 100), "model": model,
                      "workspace_id": "wrkspc_1", "description": "Usage",
                      "cost_type": "tokens", "token_type": "uncached_input_tokens"}]}
        for day, amount in amounts.items()]}).encode()


def bill_the_ledger(landing: Path, warehouse, over: dict[tuple[str, date], Decimal]) -> None:
    """Billing reports made from the ledger's own daily costs (mart_daily_spend), each
    (provider, day) in `over` billed that much more: an OpenAI Costs API page (dollars) and an
    Anthropic cost report page (cents), under <landing>/billing/."""
    billed = {}
    for provider in ("openai", "anthropic"):
        billed[provider] = {day: cost + over.get((provider, day), 0) for day, cost in query(
            warehouse, "SELECT day, sum(total_cost) FROM mart_daily_spend WHERE provider = ? "
                       "AND total_cost IS NOT NULL GROUP BY day ORDER BY day", [provider])}
    folder = landing / "billing"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "openai-costs.json").write_bytes(openai_costs_page(billed["openai"]))
    (folder / "anthropic-cost-report.json").write_bytes(
        anthropic_cost_page(billed["anthropic"], "claude-sonnet-4-20250514"))
