"""LiteLLM's logging payloads (StandardLoggingPayload): recognised by shape, one ledger row each.

Fixtures: tests/fixtures/litellm/ (see its SOURCES.md): LiteLLM's own test payload, unchanged,
and hand-built payloads in the current TypedDict's shape.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from conftest import query

from pipelines import config
from pipelines.jobs import run_ingest
from pipelines.parsing.envelopes import parse_record
from pipelines.parsing.lines import FileContext, Mappings, parse_line
from pipelines.parsing.litellm import (
    DEFAULT_PROJECT_MAPPING,
    is_litellm_payload,
    parse_litellm_payload,
    parse_project_mapping,
)
from pipelines.parsing.records import BUCKETS, SOURCES, Rejected

LITELLM = Path(__file__).parent / "fixtures" / "litellm"
RESPONSES = Path(__file__).parent / "fixtures" / "responses"
EXAMPLE = "standard_logging_payload_gcs_pubsub.json"
ANTHROPIC = "current_anthropic_cache_epoch_times.json"
OPENAI = "openai_cached_reasoning_stream.json"
FAILURE = "failure_azure_rate_limit.json"
CACHE_HIT = "cache_hit_openai.json"
TOKENS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens",
          "output_tokens", "reasoning_tokens", "provider_total_tokens")


def load(name: str) -> dict:
    return orjson.loads((LITELLM / name).read_bytes())


def one(record: dict, context: FileContext | None = None) -> dict:
    calls, rejected = parse_line(record, context or FileContext("litellm.jsonl"))
    assert rejected == []
    assert len(calls) == 1
    return calls[0]


def tokens(call: dict) -> tuple:
    return tuple(call[column] for column in TOKENS)


# ----------------------------------------------------------------------------- recognition


def test_every_fixture_is_recognised_and_sourced_litellm():
    assert "litellm" in SOURCES
    for path in sorted(LITELLM.glob("*.json")):
        record = orjson.loads(path.read_bytes())
        assert is_litellm_payload(record), path.name
        assert one(record)["source"] == "litellm", path.name


@pytest.mark.parametrize("name", sorted(p.name for p in RESPONSES.glob("*.json")))
def test_recorded_api_bodies_stay_api_logs(name):
    body = orjson.loads((RESPONSES / name).read_bytes())
    assert not is_litellm_payload(body)
    assert not is_litellm_payload({"timestamp": "2026-03-04T12:00:00Z", "provider": "openai",
                                   "response": body})
    try:
        calls, _ = parse_line(body, FileContext("bare.json"))
    except Rejected:
        return  # some recorded bodies are rejected on their own; never as a LiteLLM payload
    assert calls and all(call["source"] == "api_log" for call in calls)


def test_an_envelope_around_a_recorded_body_stays_an_api_log():
    body = orjson.loads((RESPONSES / "openai_chat_cached_tokens_gpt4omini.json").read_bytes())
    envelope = {"timestamp": "2026-03-04T12:00:00Z", "provider": "openai", "latency_ms": 12,
                "metadata": {"call_type": "acompletion"}, "response": body}
    call = one(envelope)
    assert call["source"] == "api_log"
    assert call == parse_record(envelope)


def test_shape_rules():
    example = load(EXAMPLE)
    assert not is_litellm_payload({k: v for k, v in example.items() if k != "call_type"})
    assert not is_litellm_payload({k: v for k, v in example.items()
                                   if k not in ("response_cost", "model_map_information",
                                                "hidden_params")})
    assert not is_litellm_payload({k: v for k, v in example.items()
                                   if k not in ("status", "custom_llm_provider")})
    assert not is_litellm_payload({**example, "call_type": 3})


# ----------------------------------------------------------------------------- the fixtures


def test_the_litellm_example_row():
    call = one(load(EXAMPLE))
    assert call["dedup_key"] == "openai:chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f"
    assert call["request_id"] == "chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f"
    assert (call["provider"], call["api"], call["model"]) == ("openai", "chat_completions",
                                                              "gpt-4o")
    assert tokens(call) == (10, 0, 0, 0, 20, 0, 30)
    # exactly the logged text (a float sum's artifact); DECIMAL(20, 12) stores 0.000225
    assert call["provider_reported_cost"] == Decimal("0.00022500000000000002")
    assert call["event_at"] == datetime(2025, 1, 24, 9, 20, 46, 847371)
    assert call["event_at_source"] == "payload"
    assert call["latency_ms"] == 5  # 09:20:46.851954 - 09:20:46.847371 = 4.583 ms
    assert call["is_stream"] is True
    assert call["status"] == "ok" and call["finish_reason"] == "stop"
    assert (call["project"], call["user_id"], call["api_key_id"]) == (None, None, None)


def test_current_payload_anthropic_upstream_with_cache_reads_and_writes():
    record = load(ANTHROPIC)
    call = one(record)
    usage = record["response"]["usage"]
    details = usage["prompt_tokens_details"]
    # LiteLLM's prompt_tokens = input + cache reads + cache writes (2512 = 12 + 2000 + 500)
    assert usage["prompt_tokens"] == (details["text_tokens"] + usage["cache_read_input_tokens"]
                                      + usage["cache_creation_input_tokens"])
    assert tokens(call) == (12, 2000, 400, 100, 300, 120, 2812)
    assert sum(call[b] for b in BUCKETS) == record["total_tokens"]
    assert call["provider"] == "anthropic"
    assert call["model"] == "claude-sonnet-4-5-20250929"  # not the proxy alias "claude-sonnet"
    assert call["dedup_key"] == "anthropic:msg_01XFDUDYJgAACzvnptvVoYEL"
    assert call["provider_reported_cost"] == Decimal("0.007236")
    assert call["event_at"] == datetime(2026, 1, 1, 0, 0, 0, 123000)  # epoch float
    assert call["latency_ms"] == 1477
    assert (call["project"], call["user_id"], call["api_key_id"]) == (
        "search", "u-42", record["metadata"]["user_api_key_hash"])


def test_openai_upstream_cached_and_reasoning_tokens_are_parts_of_the_counts():
    record = load(OPENAI)
    call = one(record)
    assert tokens(call) == (1200 - 1024, 1024, 0, 0, 500, 320, 1700)
    assert (call["model"], call["finish_reason"], call["service_tier"]) == (
        "o4-mini", "length", "default")
    assert call["is_stream"] is True
    assert (call["project"], call["user_id"], call["api_key_id"]) == (
        "proj-atlas", "customer-7", "atlas-batch")  # first tag; end_user; key alias
    assert call["provider_reported_cost"] == Decimal("0.0026752")
    assert call["latency_ms"] == 6250


def test_a_failure_is_an_error_with_no_tokens():
    record = load(FAILURE)
    call = one(record)
    assert (call["status"], call["error_type"], call["http_status"]) == (
        "error", "RateLimitError", 429)
    assert tokens(call) == (0, 0, 0, 0, 0, 0, None)
    assert call["provider"] == "azure" and call["model"] == "gpt-4o-mini"
    assert call["request_id"] is None
    assert call["dedup_key"] == "azure:litellm:a7d3e9f1-2b4c-4d6e-8f0a-1b2c3d4e5f60"
    assert call["project"] == "team-9a7b"  # no team alias: the team id
    assert call["user_id"] == "u-7"  # no end_user: the key's user


def test_a_failure_without_error_information_keeps_error_str():
    record = load(FAILURE)
    record["error_information"] = None
    assert one(record)["error_type"] == record["error_str"][:200]


def test_a_cache_hit_has_no_tokens_and_its_own_identity():
    example, hit = load(EXAMPLE), load(CACHE_HIT)
    assert hit["response"]["id"] == example["response"]["id"]  # the cached response's id
    call = one(hit)
    assert call["status"] == "ok"
    assert tokens(call) == (0, 0, 0, 0, 0, 0, None)
    assert call["request_id"] is None
    assert call["dedup_key"] == "openai:litellm:d2b4f6a8-0c1e-4a3b-9d5f-7e9a1c3b5d70"
    assert call["dedup_key"] != one(example)["dedup_key"]
    assert call["provider_reported_cost"] == Decimal("0.0")
    assert call["project"] == "search"


# ------------------------------------------------------------------------ usage variations


def test_without_a_response_the_top_level_counts():
    record = load(EXAMPLE)
    record["response"] = "redacted by litellm. 'litellm.turn_off_message_logging=True'"
    call = one(record)
    assert tokens(call) == (10, 0, 0, 0, 20, 0, 30)
    assert call["request_id"] == record["id"] and call["model"] == "gpt-4o"


def test_without_a_response_the_usage_object():
    record = load(ANTHROPIC)
    record["response"] = None
    assert tokens(one(record)) == (12, 2000, 400, 100, 300, 120, 2812)
    record["hidden_params"]["usage_object"] = None  # metadata.usage_object next
    assert tokens(one(record)) == (12, 2000, 400, 100, 300, 120, 2812)


def test_cache_counts_only_at_the_usage_top_level():
    record = load(ANTHROPIC)
    usage = record["response"]["usage"]
    usage["prompt_tokens_details"] = None
    call = one(record)
    assert tokens(call) == (12, 2000, 500, 0, 300, 120, 2812)  # no split: 5-minute writes


def test_an_anthropic_messages_response_is_read_as_anthropic_usage():
    body = orjson.loads((RESPONSES / "anthropic_messages_cache_read_and_5m_write.json")
                        .read_bytes())
    record = load(ANTHROPIC)
    record.update(call_type="anthropic_messages", response=body, id=body["id"])
    call = one(record)
    usage = body["usage"]
    assert (call["input_tokens"], call["cache_read_tokens"], call["output_tokens"]) == (
        usage["input_tokens"], usage["cache_read_input_tokens"], usage["output_tokens"])
    assert call["cache_write_tokens"] + call["cache_write_1h_tokens"] == usage[
        "cache_creation_input_tokens"]
    assert call["api"] == "messages" and call["dedup_key"] == f"anthropic:{body['id']}"


def test_totals_that_do_not_add_up_are_rejected():
    record = load(EXAMPLE)
    record["response"]["usage"]["total_tokens"] = 31
    with pytest.raises(Rejected, match="sum to 30 but the provider's total is 31"):
        one(record)
    record = load(EXAMPLE)
    record["response"] = None
    record["total_tokens"] = 29
    with pytest.raises(Rejected, match="sum to 30 but the provider's total is 29"):
        one(record)


def test_cache_writes_left_out_of_prompt_tokens_are_rejected_not_guessed():
    record = load(ANTHROPIC)
    usage = record["response"]["usage"]
    usage["prompt_tokens"] = 12 + 2000  # a LiteLLM version that left the writes out
    usage["total_tokens"] = usage["prompt_tokens"] + 300
    with pytest.raises(Rejected, match=r"fewer than the cache writes \(500\)"):
        one(record)


def test_bad_counts_and_statuses_are_rejected():
    record = load(EXAMPLE)
    record["response"]["usage"]["prompt_tokens"] = -1
    with pytest.raises(Rejected, match="negative token count"):
        one(record)
    record = load(EXAMPLE)
    record["status"] = "pending"
    with pytest.raises(Rejected, match="status 'pending'"):
        one(record)
    record = load(EXAMPLE)
    record["response"] = None
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        del record[key]
    with pytest.raises(Rejected, match="no usage"):
        one(record)


def test_provider_aliases_model_prefixes_and_ids():
    record = load(EXAMPLE)
    record.update(custom_llm_provider="vertex_ai", model="gemini-pro-alias",
                  hidden_params={"litellm_model_name": None},
                  model_map_information={"model_map_key": "vertex_ai/gemini-2.5-flash"})
    call = one(record)
    assert (call["provider"], call["model"]) == ("google", "gemini-2.5-flash")
    record["custom_llm_provider"] = "bedrock"
    assert one(record)["provider"] == "aws"
    # no id anywhere: LiteLLM's call id, else a hash of the payload
    record = load(EXAMPLE)
    record["id"], record["response"] = None, None
    assert one(record)["dedup_key"].startswith("openai:h:")
    record["litellm_call_id"] = "c-1"
    call = one(record)
    assert call["dedup_key"] == "openai:litellm:c-1" and call["request_id"] is None
    record["id"] = "c-1"  # LiteLLM falls back to its call id for `id`: not a provider id
    assert one(record)["request_id"] is None


def test_times_as_strings_epoch_floats_or_missing():
    record = load(ANTHROPIC)
    record["startTime"], record["endTime"] = "2026-01-01 00:00:00.123000", 1767225601.6
    call = one(record)
    assert (call["event_at"], call["latency_ms"]) == (datetime(2026, 1, 1, 0, 0, 0, 123000),
                                                      1477)
    # Epoch milliseconds, read as times everywhere (latency too, not 1000 times too long).
    record["startTime"], record["endTime"] = 1767225600123, 1767225601600
    assert one(record)["latency_ms"] == 1477
    record["startTime"] = None
    mtime = datetime(2026, 2, 2)
    call = one(record, FileContext("x.jsonl", mtime))
    assert (call["event_at"], call["event_at_source"], call["latency_ms"]) == (
        mtime, "file_mtime", None)


# ------------------------------------------------------------------------- project mapping


def test_project_mapping_setting():
    assert parse_project_mapping(config.DEFAULT_LITELLM_PROJECT) == DEFAULT_PROJECT_MAPPING
    assert parse_project_mapping(" tag | key_alias ") == ("tag", "key_alias")
    record = load(ANTHROPIC)
    assert parse_litellm_payload(record, ("tag",))["project"] == "feature:autocomplete"
    assert parse_litellm_payload(record, ("team_id",))["project"] == "team-4e1c"
    assert parse_litellm_payload(record, ("project_alias", "key_alias"))["project"] == (
        "search-prod")
    assert parse_litellm_payload(record, ("org_id",))["project"] is None
    mappings = Mappings(litellm_project=("tag", "team_alias"))
    call = one(record, FileContext("x.jsonl", mappings=mappings))
    assert call["project"] == "feature:autocomplete"


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty name"), ("team_alias||tag", "empty name"), ("team", "unknown source 'team'"),
    ("tag|tag", "named twice")])
def test_project_mapping_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_project_mapping(text)


def test_a_bad_project_setting_names_its_variable(monkeypatch):
    monkeypatch.setenv("TOKENWORKS_LITELLM_PROJECT", "team_alias|teams")
    with pytest.raises(config.SettingError, match=r"TOKENWORKS_LITELLM_PROJECT=.*unknown source"):
        config.resolve()
    monkeypatch.setenv("TOKENWORKS_LITELLM_PROJECT", "tag|team_id")
    assert config.resolve().litellm_project == "tag|team_id"


# ------------------------------------------------------------------------------ end to end


def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    (landing / "litellm").mkdir(parents=True)
    lines = [orjson.dumps(load(p.name)) for p in sorted(LITELLM.glob("*.json"))]
    (landing / "litellm" / "payloads.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return landing


def test_run_ingest_loads_every_payload_beside_its_reported_cost(tmp_path):
    landing, warehouse = _landing(tmp_path), tmp_path / "w.ducklake"
    summary = run_ingest(landing, warehouse, workers=1)
    assert (summary.calls_loaded, summary.quarantined) == (5, 0)
    rows = query(warehouse, """
        SELECT r.dedup_key, r.source, r.status, r.project, r.provider_reported_cost,
               c.cost_status, c.total_cost
        FROM fct_requests r JOIN fct_costs c USING (call_id) ORDER BY r.event_at""")
    assert [row[1] for row in rows] == ["litellm"] * 5
    by_key = {row[0]: row for row in rows}
    example = by_key["openai:chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f"]
    assert example[2:6] == ("ok", None, Decimal("0.000225"), "priced")
    # 10 input + 20 output tokens of gpt-4o at $2.50 / $10 per million: what LiteLLM reported
    assert example[6] == Decimal("0.000225")
    anthropic = by_key["anthropic:msg_01XFDUDYJgAACzvnptvVoYEL"]
    assert anthropic[3:6] == ("search", Decimal("0.007236"), "priced")
    assert anthropic[6] > 0
    failure = by_key["azure:litellm:a7d3e9f1-2b4c-4d6e-8f0a-1b2c3d4e5f60"]
    assert (failure[2], failure[6]) == ("error", Decimal("0"))
    openai = by_key["openai:chatcmpl-BxQ7fJ2kL9mN3pR5tV8wY1zA4cE6"]
    assert (openai[3], openai[4], openai[5]) == ("proj-atlas", Decimal("0.0026752"), "priced")


def test_a_cache_hit_is_counted_at_zero_dollars(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.ducklake"
    landing.mkdir()
    example, hit = load(EXAMPLE), load(CACHE_HIT)
    (landing / "proxy.jsonl").write_bytes(orjson.dumps(example) + b"\n" + orjson.dumps(hit)
                                          + b"\n")
    run_ingest(landing, warehouse, workers=1)
    rows = query(warehouse, """
        SELECT r.request_id, r.status, r.input_tokens + r.cache_read_tokens
                   + r.cache_write_tokens + r.cache_write_1h_tokens + r.output_tokens,
               c.cost_status, c.total_cost
        FROM fct_requests r JOIN fct_costs c USING (call_id) ORDER BY r.event_at""")
    # the original call and its cache hit (same response id) are two calls; the hit costs $0
    assert rows == [(example["id"], "ok", 30, "priced", Decimal("0.000225")),
                    (None, "ok", 0, "priced", Decimal("0"))]


def test_the_project_setting_reaches_the_ledger(tmp_path):
    landing, warehouse = _landing(tmp_path), tmp_path / "w.ducklake"
    run_ingest(landing, warehouse, workers=1, litellm_project="tag|team_alias")
    projects = dict(query(warehouse, "SELECT dedup_key, project FROM fct_requests"))
    assert projects["anthropic:msg_01XFDUDYJgAACzvnptvVoYEL"] == "feature:autocomplete"
    assert projects["openai:litellm:d2b4f6a8-0c1e-4a3b-9d5f-7e9a1c3b5d70"] == "search"
    # the Inspector re-reads a logged payload with the same setting
    from pipelines.analysts.inspector import parse_logged
    from pipelines.parsing.litellm import parse_project_mapping

    file, line, key = query(warehouse, "SELECT source_file, source_line, dedup_key "
                                       "FROM fct_requests WHERE dedup_key = "
                                       "'anthropic:msg_01XFDUDYJgAACzvnptvVoYEL'")[0]
    for setting in ("tag|team_alias", "team_alias|tag"):
        _, call, _ = parse_logged(landing, file, line, key,
                                  mappings=Mappings(litellm_project=parse_project_mapping(
                                      setting)))
        run_ingest(landing, tmp_path / f"{setting}.ducklake", workers=1, litellm_project=setting)
        assert call["project"] == query(tmp_path / f"{setting}.ducklake",
                                        "SELECT project FROM fct_requests WHERE dedup_key = ?",
                                        [key])[0][0]


def test_fixtures_are_unchanged_copies_where_sources_md_says_so():
    text = (LITELLM / "SOURCES.md").read_text()
    for path in LITELLM.glob("*.json"):
        assert path.name in text
    digest = hashlib.sha256((LITELLM / EXAMPLE).read_bytes()).hexdigest()
    assert digest == "3e50c74b20d8098376f105a180aaaa7ce922c810b9e436876082b3052f5d75e4"
    assert digest in text
