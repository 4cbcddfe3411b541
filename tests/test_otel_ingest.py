"""OpenTelemetry GenAI spans through the whole ingest: OTLP/JSON files in the landing folder
become ledger rows, a partial snapshot and its final count once, the attribute mapping names
project and user, and a bad span is quarantined while its neighbours load."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import orjson
from conftest import query

from pipelines.jobs import run_ingest

OTEL = Path(__file__).parent / "fixtures" / "otel"
# The logfire test export's clock starts at 1970 + 1 s: moved to a day the price book covers.
SHIFT_NS = 1_780_000_000_000_000_000  # 2026-05-28


def _shifted(record: dict) -> dict:
    for resource in record["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for key in ("startTimeUnixNano", "endTimeUnixNano"):
                    span[key] = str(int(span[key]) + SHIFT_NS)
    return record


def _logfire_lines() -> list[dict]:
    return [_shifted(orjson.loads(line)) for line in
            (OTEL / "logfire_claude_agent_sdk.otlp.jsonl").read_bytes().splitlines()]


def _raw_usage() -> dict:
    """The usage the API returned for the same call, recorded beside the spans."""
    result = orjson.loads((OTEL / "claude_agent_sdk_result_message__logfire_cassette_basic_"
                                  "conversation.json").read_bytes())
    return result["usage"]


def test_a_partial_snapshot_and_its_final_count_once_across_runs(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.ducklake"
    landing.mkdir()
    child, parent = _logfire_lines()
    spans = landing / "collector" / "traces.jsonl"
    spans.parent.mkdir()
    # the batch processor exports the child (partial usage) first: alone, it is the call
    spans.write_bytes(orjson.dumps(child) + b"\n")
    run_ingest(landing, warehouse, workers=1)
    assert query(warehouse, "SELECT count(*), bool_and(source = 'otel') FROM fct_requests") == [
        (1, True)]
    first = query(warehouse, "SELECT dedup_key, output_tokens FROM fct_requests")[0]
    # the parent's final usage arrives in the next export: it replaces the snapshot
    with open(spans, "ab") as fh:
        fh.write(orjson.dumps(parent) + b"\n")
    run_ingest(landing, warehouse, workers=1)
    usage = _raw_usage()
    rows = query(warehouse, """
        SELECT dedup_key, provider, model, input_tokens, cache_read_tokens, cache_write_tokens,
               cache_write_1h_tokens, output_tokens, provider_reported_cost, project,
               session_id, source_line FROM fct_requests""")
    assert rows == [(first[0], "anthropic", "claude-sonnet-4-6", usage["input_tokens"],
                     usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"], 0,
                     usage["output_tokens"], Decimal("0.01039005"), "claude-agent-sdk-demo",
                     "7ed3c21d-374b-491a-8c66-05e191f6a0be", 2)]
    assert first[1] != usage["output_tokens"]  # the snapshot had fewer output tokens
    assert query(warehouse, "SELECT count(*), count(*) FILTER (is_partial AND NOT is_canonical) "
                            "FROM stg_calls") == [(2, 1)]
    # writes priced as 5-minute writes (spans carry no split): here that is what they were,
    # and the call costs exactly what the SDK reported for it
    result = orjson.loads((OTEL / "claude_agent_sdk_result_message__logfire_cassette_basic_"
                                  "conversation.json").read_bytes())
    assert usage["cache_creation"]["ephemeral_5m_input_tokens"] == usage[
        "cache_creation_input_tokens"]
    assert query(warehouse, "SELECT total_cost, cache_write_1h_cost FROM fct_costs") == [
        (Decimal(str(result["total_cost_usd"])), Decimal("0"))]


def test_every_generation_loads_with_the_attribute_mapping(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.ducklake"
    landing.mkdir()
    for name in ("semconv_generations.otlp.jsonl", "agent_run_errors_and_non_calls.otlp.json",
                 "malformed_beside_good.otlp.json"):
        shutil.copy(OTEL / name, landing / name)
    run_ingest(landing, warehouse, workers=1,
               otel_attributes="project=deployment.environment|service.name,user=enduser.id")
    calls = query(warehouse, "SELECT source_file, count(*) FROM fct_requests GROUP BY 1 "
                             "ORDER BY 1")
    in_generations = len((landing / "semconv_generations.otlp.jsonl").read_bytes().splitlines())
    assert dict(calls)["semconv_generations.otlp.jsonl"] == in_generations
    # the mapping: deployment.environment where the resource has one, else service.name
    projects = {p for (p,) in query(warehouse, "SELECT DISTINCT project FROM fct_requests")}
    assert "openllmetry-app" in projects and None not in projects
    assert query(warehouse, "SELECT count(*) FROM fct_requests WHERE user_id = 'user-4711'") == [
        (1,)]
    # the manifest counts spans as records: staged + quarantined + without calls
    for path, records, staged, quarantined, without in query(
            warehouse, "SELECT path, records, staged, quarantined, without_calls "
                       "FROM landing_files"):
        assert records == staged + quarantined + without, path
    quarantined = query(warehouse, "SELECT source_file, source_line, reason FROM quarantine")
    assert quarantined and all(f == "malformed_beside_good.otlp.json" and line == 1
                               and reason.startswith("span ") for f, line, reason in quarantined)
    # the neighbours of the bad span still loaded
    assert dict(calls)["malformed_beside_good.otlp.json"] >= 1
    # statuses: errors and calls without usage are in the ledger, tokens unknown for the latter
    statuses = dict(query(warehouse, "SELECT status, count(*) FROM fct_requests GROUP BY 1"))
    assert statuses.get("error", 0) >= 1 and statuses.get("no_usage", 0) >= 1
    assert query(warehouse, "SELECT count(*) FROM fct_requests WHERE status = 'no_usage' "
                            "AND input_tokens IS NOT NULL") == [(0,)]


def test_the_same_export_in_two_files_counts_once(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.ducklake"
    for folder in ("a", "b"):
        (landing / folder).mkdir(parents=True)
        document = _shifted(orjson.loads((OTEL / "logfire_claude_agent_sdk.otlp.json")
                                         .read_bytes()))
        (landing / folder / "export.json").write_bytes(orjson.dumps(document))
    run_ingest(landing, warehouse, workers=1)
    assert query(warehouse, "SELECT count(*), sum(output_tokens) FROM fct_requests") == [
        (1, _raw_usage()["output_tokens"])]
    assert query(warehouse, "SELECT count(*) FROM stg_calls") == [(4,)]


def test_a_json_file_of_one_export_per_line_is_read_line_by_line(tmp_path):
    """The Collector's file exporter writes JSON lines, usually to a file named *.json."""
    landing, warehouse = tmp_path / "landing", tmp_path / "w.ducklake"
    landing.mkdir()
    child, parent = _logfire_lines()
    (landing / "traces.json").write_bytes(orjson.dumps(child) + b"\n" + orjson.dumps(parent)
                                          + b"\n" + b'{"resourceSpans": [{"broken"\n')
    run_ingest(landing, warehouse, workers=1)
    assert query(warehouse, "SELECT source_line, output_tokens FROM fct_requests") == [
        (2, _raw_usage()["output_tokens"])]
    assert query(warehouse, "SELECT source_line, reason LIKE 'malformed JSON%' "
                            "FROM quarantine") == [(3, True)]
    assert query(warehouse, "SELECT records, staged, quarantined, lines_consumed "
                            "FROM landing_files") == [(3, 2, 1, 3)]
