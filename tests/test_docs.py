"""The warehouse documents itself, and docs/warehouse.md is that documentation."""

from __future__ import annotations

from pathlib import Path

from pipelines.analysts.catalog_docs import render_fresh

REPO = Path(__file__).resolve().parent.parent

LEDGER_COLUMNS = {
    "request_id", "provider", "api", "model", "event_at", "event_at_source", "project",
    "user_id", "api_key_id", "status", "finish_reason", "finish_reason_raw", "is_batch",
    "is_stream", "service_tier", "max_tokens", "request_hash", "input_tokens",
    "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "output_tokens",
    "reasoning_tokens", "web_search_requests", "provider_reported_cost", "latency_ms",
    "source_file", "source_line",
}


def test_every_table_view_and_column_has_a_comment(schema_lake):
    conn = schema_lake
    undocumented = conn.execute(
        "SELECT table_name, column_name FROM catalog_columns WHERE true "
        "AND schema_name IN ('main', 'analytics') "
        "AND (comment IS NULL OR comment = '')").fetchall()
    assert undocumented == []
    relations = conn.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = 'lake' UNION ALL "
        "SELECT view_name, comment FROM duckdb_views() WHERE database_name = 'lake'").fetchall()
    assert all(comment and "Grain" in comment for name, comment in relations
               if name in ("fct_requests", "stg_calls", "quarantine", "landing_files",
                           "ingest_runs")), relations
    ledger = {row[0] for row in conn.execute(
        "SELECT column_name FROM catalog_columns WHERE table_name = 'fct_requests'").fetchall()}
    assert ledger >= LEDGER_COLUMNS


def test_warehouse_doc_is_generated_from_the_catalog():
    assert (REPO / "docs" / "warehouse.md").read_text() == render_fresh(), (
        "docs/warehouse.md is stale: python -m pipelines.analysts.catalog_docs > docs/warehouse.md")
