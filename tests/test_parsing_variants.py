"""Rules real logs exercise beyond the recorded fixtures (docs/token-accounting.md)."""

from __future__ import annotations

import copy
from datetime import datetime

import orjson
import pytest

from pipelines.parsing import BUCKETS, Rejected, parse_record, parse_stream_document
from tests.conftest import fixture_records

ANTHROPIC = fixture_records("anthropic_messages_cache_read_and_5m_write.json")[0]
OPENAI_CHAT = fixture_records("openai_chat_cached_tokens_gpt4omini.json")[0]
GEMINI = fixture_records("gemini_generate_content_cached_thoughts.json")[0]
RESPONSES = fixture_records("openai_responses_cached_reasoning_web_search.json")[0]
OPENAI_STREAM = fixture_records("openai_chat_stream_include_usage.txt")[0]
ANTHROPIC_STREAM = fixture_records("anthropic_stream_basic.txt")[0]
BEDROCK = fixture_records("bedrock_converse_cache_read_write.json")[0]


def with_usage(body: dict, **usage) -> dict:
    body = copy.deepcopy(body)
    body["usage"].update(usage)
    return body


def buckets(call: dict) -> dict:
    return {b: call[b] for b in (*BUCKETS, "reasoning_tokens")}


# ------------------------------------------------------------------------------ Anthropic


def test_anthropic_cache_writes_split_by_lifetime():
    body = with_usage(ANTHROPIC, cache_creation_input_tokens=500,
                      cache_creation={"ephemeral_5m_input_tokens": 200,
                                      "ephemeral_1h_input_tokens": 300})
    call = parse_record(body)
    assert (call["cache_write_tokens"], call["cache_write_1h_tokens"]) == (200, 300)


def test_anthropic_without_lifetime_split_counts_writes_as_5_minute():
    body = with_usage(ANTHROPIC, cache_creation_input_tokens=77)
    del body["usage"]["cache_creation"]
    assert parse_record(body)["cache_write_tokens"] == 77


def test_anthropic_compaction_iterations_are_summed():
    steps = [{"input_tokens": 1000, "output_tokens": 200, "cache_read_input_tokens": 50,
              "cache_creation_input_tokens": 10},
             {"input_tokens": 300, "output_tokens": 40, "cache_read_input_tokens": 5,
              "cache_creation_input_tokens": 0}]
    # The top level covers only the final step.
    body = with_usage(ANTHROPIC, input_tokens=300, output_tokens=40, cache_read_input_tokens=5,
                      cache_creation_input_tokens=0, iterations=steps)
    del body["usage"]["cache_creation"]
    call = parse_record(body)
    assert buckets(call) == {"input_tokens": 1300, "cache_read_tokens": 55,
                             "cache_write_tokens": 10, "cache_write_1h_tokens": 0,
                             "output_tokens": 240, "reasoning_tokens": 0}


def test_anthropic_server_tool_use_and_thinking():
    body = with_usage(ANTHROPIC, server_tool_use={"web_search_requests": 3},
                      output_tokens=900, output_tokens_details={"thinking_tokens": 700})
    call = parse_record(body)
    assert call["web_search_requests"] == 3
    assert (call["output_tokens"], call["reasoning_tokens"]) == (900, 700)


def test_anthropic_thinking_beyond_output_is_rejected():
    body = with_usage(ANTHROPIC, output_tokens=10, output_tokens_details={"thinking_tokens": 11})
    with pytest.raises(Rejected, match="thinking_tokens"):
        parse_record(body)


def test_anthropic_stream_last_message_delta_wins_field_by_field():
    text = ANTHROPIC_STREAM.replace(
        '"usage":{"input_tokens":20,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,'
        '"output_tokens":5}',
        '"usage":{"input_tokens":25,"cache_read_input_tokens":7,"output_tokens":5,'
        '"server_tool_use":{"web_search_requests":2}}')
    call = parse_stream_document(text)
    assert (call["input_tokens"], call["cache_read_tokens"], call["output_tokens"]) == (25, 7, 5)
    assert call["web_search_requests"] == 2


def test_anthropic_stream_cut_off_by_error_has_no_usage():
    text = ANTHROPIC_STREAM.split("event: message_delta")[0] + (
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",'
        '"message":"Overloaded"}}\n\n')
    call = parse_stream_document(text)
    assert call["status"] == "no_usage"
    assert call["finish_reason"] == "error"
    assert call["request_id"] == "msg_018E1hg8GoVTGEKQY3ovMcSJ"
    assert [call[b] for b in BUCKETS] == [None] * len(BUCKETS)  # unknown, not 0


def test_anthropic_stream_ending_before_its_message_delta_has_no_usage():
    # message_start's output_tokens (1) is a placeholder: the count comes in message_delta.
    call = parse_stream_document(ANTHROPIC_STREAM.split("event: message_delta")[0])
    assert (call["status"], call["request_id"]) == ("no_usage", "msg_018E1hg8GoVTGEKQY3ovMcSJ")
    assert call["output_tokens"] is None and call["finish_reason"] is None


@pytest.mark.parametrize(("kind", "error_type"), [("expired", "expired"),
                                                  ("canceled", "canceled"),
                                                  ("errored", "invalid_request_error")])
def test_anthropic_batch_failed_lines(kind, error_type):
    result = {"type": kind}
    if kind == "errored":
        result["error"] = {"type": "error", "error": {"type": "invalid_request_error",
                                                      "message": "bad"}}
    call = parse_record({"custom_id": "c-1", "result": result})
    assert (call["status"], call["is_batch"], call["error_type"]) == ("error", True, error_type)


# --------------------------------------------------------------------- OpenAI and friends


def test_openai_cache_write_tokens_are_part_of_prompt():
    body = with_usage(OPENAI_CHAT, prompt_tokens_details={"cached_tokens": 1024,
                                                          "cache_write_tokens": 100})
    call = parse_record(body)
    assert (call["input_tokens"], call["cache_read_tokens"], call["cache_write_tokens"]) == (
        1149 - 1024 - 100, 1024, 100)


def test_openai_stream_without_include_usage_is_a_gap_not_zero_spend():
    text = "\n\n".join(line for line in OPENAI_STREAM.split("\n\n") if '"choices":[]' not in line)
    call = parse_stream_document(text)
    assert call["status"] == "no_usage"
    assert call["finish_reason"] == "stop"
    assert call["request_id"] == "chatcmpl-Dx0Xq5Xx9rHB2ehcHZCRDsnuymUXc"


def test_openai_stream_as_list_of_chunks_in_an_envelope():
    chunks = [orjson.loads(line[6:]) for line in OPENAI_STREAM.splitlines()
              if line.startswith("data: {")]
    call = parse_record({"timestamp": "2026-07-02T01:30:18Z", "provider": "openai",
                         "stream": chunks})
    assert call["is_stream"] and (call["input_tokens"], call["output_tokens"]) == (78, 9)


def test_groq_stream_counts_usage_once():
    usage = {"prompt_tokens": 40, "completion_tokens": 10, "total_tokens": 50}
    chunks = [
        {"id": "chatcmpl-g1", "object": "chat.completion.chunk", "model": "llama-3.3-70b",
         "created": 1782955818, "choices": [{"index": 0, "delta": {"content": "hi"},
                                             "finish_reason": None}], "x_groq": {"id": "req_1"}},
        {"id": "chatcmpl-g1", "object": "chat.completion.chunk", "model": "llama-3.3-70b",
         "created": 1782955818, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
         "x_groq": {"id": "req_1", "usage": usage}, "usage": usage},
    ]
    call = parse_record({"provider": "groq", "stream": chunks})
    assert (call["provider"], call["input_tokens"], call["output_tokens"]) == ("groq", 40, 10)


def test_openrouter_reported_cost_is_kept_exactly():
    body = with_usage(OPENAI_CHAT, cost=0.000123456789)
    body["id"] = "gen-123"
    call = parse_record(body)
    assert call["provider"] == "openrouter"
    assert call["provider_reported_cost"] == "0.000123456789"


def test_responses_incomplete_at_max_output_tokens():
    body = copy.deepcopy(RESPONSES)
    body["status"] = "incomplete"
    body["incomplete_details"] = {"reason": "max_output_tokens"}
    call = parse_record(body)
    assert (call["finish_reason"], call["finish_reason_raw"]) == ("length", "max_output_tokens")


@pytest.mark.parametrize("status", ["queued", "in_progress"])
def test_a_responses_body_not_finished_yet_has_no_usage(status):
    call = parse_record({**RESPONSES, "status": status, "usage": None})
    assert (call["status"], call["request_id"]) == ("no_usage", RESPONSES["id"])
    assert call["input_tokens"] is None
    with pytest.raises(Rejected, match="status 'cancelled' has no usage"):
        parse_record({**RESPONSES, "status": "cancelled", "usage": None})


def test_responses_stream_takes_the_final_response():
    events = [{"type": "response.created", "response": {**RESPONSES, "usage": None,
                                                        "status": "in_progress"}},
              {"type": "response.output_text.delta", "delta": "x"},
              {"type": "response.completed", "response": RESPONSES}]
    text = "".join(f"event: {e['type']}\ndata: {orjson.dumps(e).decode()}\n\n" for e in events)
    call = parse_stream_document(text)
    assert call["is_stream"] and call["request_id"] == RESPONSES["id"]
    assert call["output_tokens"] == 3773


def test_gemini_tool_use_prompt_is_billed_as_input():
    body = copy.deepcopy(GEMINI)
    body["usageMetadata"]["toolUsePromptTokenCount"] = 100
    body["usageMetadata"]["totalTokenCount"] += 100
    call = parse_record(body)
    assert call["input_tokens"] == 3520 - 3512 + 100


def test_bedrock_one_hour_cache_writes_from_cache_details():
    body = copy.deepcopy(BEDROCK)
    body["usage"]["cacheDetails"] = [{"inputTokens": 200, "ttl": "5m"},
                                     {"inputTokens": 97, "ttl": "1h"}]
    call = parse_record(body)
    assert (call["cache_write_tokens"], call["cache_write_1h_tokens"]) == (200, 97)


def test_openai_batch_error_line():
    call = parse_record({"id": "batch_req_9", "custom_id": "r-9", "response": None,
                         "error": {"code": "batch_expired", "message": "expired"}})
    assert (call["status"], call["is_batch"], call["error_type"]) == ("error", True,
                                                                       "batch_expired")
    assert call["request_id"] == "batch_req_9"


# ---------------------------------------------------------------------- envelope and time


def envelope(**fields) -> dict:
    return {"provider": "openai", "response": OPENAI_CHAT, **fields}


def test_event_time_prefers_envelope_then_response_then_file():
    mtime = datetime(2026, 1, 2, 3, 4, 5)
    assert parse_record(envelope(timestamp="2026-03-04T12:00:00+02:00"), mtime)[
        "event_at"] == datetime(2026, 3, 4, 10, 0, 0)
    call = parse_record(envelope(timestamp="not a time"), mtime)
    assert (call["event_at"], call["event_at_source"]) == (datetime(2025, 4, 18, 15, 37, 6),
                                                           "response")
    call = parse_record(fixture_records("anthropic_messages_cache_read_and_5m_write.json")[0],
                        mtime)
    assert (call["event_at"], call["event_at_source"]) == (mtime, "file_mtime")


def test_envelope_fields_and_request_summary():
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "SECRET"}],
               "max_completion_tokens": 512, "stream": True}
    call = parse_record(envelope(project="p", user="u", api_key_id="k", latency_ms=812.4,
                                 request=request))
    assert (call["project"], call["user_id"], call["api_key_id"], call["latency_ms"]) == (
        "p", "u", "k", 812)
    assert (call["max_tokens"], call["is_stream"]) == (512, True)
    assert "SECRET" not in repr(call)
    same_prompt = parse_record(envelope(request={**request, "stream": False, "user": "other"}))
    other_prompt = parse_record(envelope(request={**request, "max_completion_tokens": 10}))
    assert call["request_hash"] == same_prompt["request_hash"] != other_prompt["request_hash"]


def test_envelope_provider_aliases():
    assert parse_record(envelope(provider="Azure_OpenAI"))["provider"] == "azure"
    assert parse_record({"provider": "bedrock", "response": BEDROCK})["provider"] == "aws"


# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(("record", "reason"), [
    (with_usage(OPENAI_CHAT, prompt_tokens=-5), "negative token count"),
    (with_usage(OPENAI_CHAT, completion_tokens=12.5), "non-integer token count"),
    (with_usage(OPENAI_CHAT, completion_tokens="12"), "non-integer token count"),
    (with_usage(OPENAI_CHAT, total_tokens=9999), "provider's total is 9999"),
    (with_usage(OPENAI_CHAT, prompt_tokens=10), "exceed prompt_tokens"),
    ({k: v for k, v in OPENAI_CHAT.items() if k != "usage"}, "no usage"),
    ({"foo": 1}, "unknown body shape"),
    ({"provider": "openai", "request": {}}, "neither a response nor a stream"),
    ([1, 2], "not an object"),
    ({"provider": "openai", "stream": "data: {not json}\n\n"}, "not JSON"),
])
def test_rejected_records_say_why(record, reason):
    with pytest.raises(Rejected, match=reason):
        parse_record(record)
