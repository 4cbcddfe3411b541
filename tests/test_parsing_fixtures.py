"""Every shared fixture (real recorded responses) parses to the buckets the provider's own
accounting rules give (docs/token-accounting.md)."""

from __future__ import annotations

import pytest

from pipelines.parsing import BUCKETS, parse_record, parse_stream_document
from tests.conftest import fixture_records

# (file, record index) -> expected fields. Buckets are derived by hand from each body's own
# numbers: e.g. OpenAI input = prompt_tokens - cached_tokens; Anthropic input excludes cache.
EXPECTED = {
    ("openai_chat_reasoning_gpt5nano.json", 0): dict(
        provider="openai", api="chat_completions", status="ok", model="gpt-5-nano-2025-08-07",
        request_id="chatcmpl-D9X7ymcBweNWeadgkGyG69kVYY16t", input_tokens=15,
        cache_read_tokens=0, output_tokens=993, reasoning_tokens=960, finish_reason="stop",
        provider_total_tokens=1008, event_at_source="response"),
    ("openai_chat_cached_tokens_gpt4omini.json", 0): dict(
        provider="openai", input_tokens=1149 - 1024, cache_read_tokens=1024, output_tokens=353,
        provider_total_tokens=1502),
    ("openai_chat_legacy_no_details_gpt35.json", 0): dict(
        provider="openai", input_tokens=68, output_tokens=16, finish_reason="tool_calls",
        finish_reason_raw="tool_calls", model="gpt-3.5-turbo-0125"),
    ("openai_chat_stream_include_usage.txt", 0): dict(
        provider="openai", api="chat_completions", is_stream=True, input_tokens=78,
        output_tokens=9, provider_total_tokens=87, finish_reason="stop",
        request_id="chatcmpl-Dx0Xq5Xx9rHB2ehcHZCRDsnuymUXc", model="gpt-4o-mini-2024-07-18"),
    ("openai_responses_cached_reasoning_web_search.json", 0): dict(
        provider="openai", api="responses", input_tokens=19681 - 3712, cache_read_tokens=3712,
        output_tokens=3773, reasoning_tokens=3136, provider_total_tokens=23454,
        request_id="resp_0953eda47ee17412006933306199c88195b44f9cf2986e1d5b"),
    ("openai_batch_output_docs.jsonl", 0): dict(
        provider="openai", is_batch=True, request_id="chatcmpl-123", input_tokens=22,
        output_tokens=2, http_status=200),
    ("openai_batch_output_docs.jsonl", 1): dict(
        provider="openai", is_batch=True, request_id="chatcmpl-abc", input_tokens=20,
        output_tokens=9),
    ("openai_embeddings.json", 0): dict(
        provider="openai", api="embeddings", input_tokens=4, output_tokens=0,
        model="text-embedding-3-small"),
    ("azure_chat_filters.json", 0): dict(
        provider="azure", api="chat_completions", input_tokens=16, output_tokens=22,
        provider_total_tokens=38),
    ("anthropic_messages_cache_read_and_5m_write.json", 0): dict(
        provider="anthropic", api="messages", input_tokens=3, cache_read_tokens=1111,
        cache_write_tokens=418, cache_write_1h_tokens=0, output_tokens=33,
        service_tier="standard", finish_reason="stop", finish_reason_raw="end_turn"),
    ("anthropic_stream_basic.txt", 0): dict(
        provider="anthropic", is_stream=True, input_tokens=20, output_tokens=5,
        request_id="msg_018E1hg8GoVTGEKQY3ovMcSJ", finish_reason="stop"),
    ("anthropic_batch_results_docs.jsonl", 0): dict(
        provider="anthropic", is_batch=True, input_tokens=11, output_tokens=36,
        model="claude-opus-5", request_id="msg_014VwiXbi91y3JMjcpyGBHX5"),
    ("anthropic_batch_results_docs.jsonl", 1): dict(
        provider="anthropic", is_batch=True, input_tokens=10, output_tokens=34),
    ("anthropic_error_overloaded_529.json", 0): dict(
        provider="anthropic", status="error", error_type="overloaded_error",
        request_id="req_011CZAau32QzxDkriovTaFCB", input_tokens=0, finish_reason="error"),
    ("anthropic_error_not_found_404.json", 0): dict(
        provider="anthropic", status="error", error_type="not_found_error"),
    ("gemini_generate_content_cached_thoughts.json", 0): dict(
        provider="google", api="generate_content", input_tokens=3520 - 3512,
        cache_read_tokens=3512, output_tokens=2 + 42, reasoning_tokens=42,
        provider_total_tokens=3564, request_id="_VQYaqvRGbW6qtsPg4TDoAg",
        model="gemini-2.5-flash"),
    ("gemini_error_not_found_404.json", 0): dict(
        provider="google", status="error", error_type="NOT_FOUND", http_status=404),
    ("bedrock_converse_cache_read_write.json", 0): dict(
        provider="aws", api="converse", input_tokens=3, cache_read_tokens=2074,
        cache_write_tokens=297, output_tokens=61, provider_total_tokens=2435, latency_ms=3447),
    ("bedrock_converse_basic_llama.json", 0): dict(
        provider="aws", api="converse", input_tokens=52, output_tokens=30),
    ("bedrock_invoke_anthropic_max_tokens_cache_read.json", 0): dict(
        provider="aws", api="invoke_model", input_tokens=4, cache_read_tokens=18131,
        output_tokens=50, finish_reason="length", finish_reason_raw="max_tokens",
        request_id="msg_bdrk_01FGEZnKNgjbRv5m4joDoq3D"),
    ("mistral_chat_cached_tokens.json", 0): dict(
        provider="mistral", input_tokens=268 - 224, cache_read_tokens=224, output_tokens=5),
    ("deepseek_chat_cache_hit_miss_reasoning.json", 0): dict(
        provider="deepseek", input_tokens=51, cache_read_tokens=512, output_tokens=116,
        reasoning_tokens=60, provider_total_tokens=679),
    ("cohere_v2_chat.json", 0): dict(
        provider="cohere", api="cohere_chat", input_tokens=1, output_tokens=9,
        finish_reason="stop", finish_reason_raw="COMPLETE"),
    ("together_chat_legacy_finish_eos.json", 0): dict(
        provider="together", input_tokens=18, output_tokens=35, finish_reason="stop",
        finish_reason_raw="eos"),
    ("openai_error_rate_limit_429.json", 0): dict(
        provider="openai", status="error", error_type="rate_limit_exceeded"),
    ("openai_error_model_not_found_404.json", 0): dict(
        provider="openai", status="error", error_type="model_not_found"),
}


def parse_fixture(name: str, index: int) -> dict:
    record = fixture_records(name)[index]
    if isinstance(record, str):
        return parse_stream_document(record)
    return parse_record(record)


def test_every_fixture_is_covered():
    from tests.conftest import FIXTURES

    names = {p.name for p in FIXTURES.iterdir() if p.name != "SOURCES.md"}
    assert names == {name for name, _ in EXPECTED}


@pytest.mark.parametrize(("name", "index"), sorted(EXPECTED))
def test_fixture_parses_to_expected_buckets(name, index):
    call = parse_fixture(name, index)
    expected = {"status": "ok", **EXPECTED[name, index]}
    assert {k: call[k] for k in expected} == expected
    # Unlisted buckets are zero: nothing is invented.
    for bucket in (*BUCKETS, "reasoning_tokens"):
        if bucket not in expected:
            assert call[bucket] == 0, bucket
    if call["provider_total_tokens"] is not None:
        assert sum(call[b] for b in BUCKETS) == call["provider_total_tokens"]


def test_provider_ids_are_kept_where_the_body_has_one():
    for (name, index), expected in EXPECTED.items():
        call = parse_fixture(name, index)
        if "request_id" in expected:
            assert call["request_id"] == expected["request_id"]
            assert call["dedup_key"] == f"{call['provider']}:{expected['request_id']}"
        if name.startswith("bedrock_converse"):  # no id in a Converse body: a content hash
            assert call["request_id"] is None  # keys the call, never posing as the provider's
            assert call["dedup_key"].startswith("aws:h:")
