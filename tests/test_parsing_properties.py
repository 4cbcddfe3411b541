"""Properties over generated usage numbers: buckets never overlap and always sum to the
provider's own total; a contradiction is rejected, never loaded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipelines.parsing import BUCKETS, Rejected, parse_record

count = st.integers(min_value=0, max_value=2_000_000)


def bucket_sum(call: dict) -> int:
    return sum(call[b] for b in BUCKETS)


@st.composite
def openai_usage(draw):
    prompt = draw(count)
    cached = draw(st.integers(0, prompt))
    written = draw(st.integers(0, prompt - cached))
    completion = draw(count)
    reasoning = draw(st.integers(0, completion))
    return prompt, cached, written, completion, reasoning


@given(openai_usage())
def test_openai_chat_buckets_partition_the_total(usage):
    prompt, cached, written, completion, reasoning = usage
    call = parse_record({"object": "chat.completion", "id": "chatcmpl-x", "model": "gpt-4o",
                         "choices": [], "usage": {
                             "prompt_tokens": prompt, "completion_tokens": completion,
                             "total_tokens": prompt + completion,
                             "prompt_tokens_details": {"cached_tokens": cached,
                                                       "cache_write_tokens": written},
                             "completion_tokens_details": {"reasoning_tokens": reasoning}}})
    assert bucket_sum(call) == prompt + completion == call["provider_total_tokens"]
    assert call["cache_read_tokens"] == cached and call["output_tokens"] == completion
    assert 0 <= call["reasoning_tokens"] <= call["output_tokens"]


@given(openai_usage())
def test_responses_buckets_partition_the_total(usage):
    prompt, cached, written, completion, reasoning = usage
    call = parse_record({"object": "response", "id": "resp_x", "status": "completed",
                         "model": "gpt-5", "output": [], "usage": {
                             "input_tokens": prompt, "output_tokens": completion,
                             "total_tokens": prompt + completion,
                             "input_tokens_details": {"cached_tokens": cached,
                                                      "cache_write_tokens": written},
                             "output_tokens_details": {"reasoning_tokens": reasoning}}})
    assert bucket_sum(call) == prompt + completion


@given(count, count, count, count, count)
def test_anthropic_input_excludes_cache_so_nothing_is_subtracted(inp, read, w5, w1, out):
    call = parse_record({"type": "message", "id": "msg_x", "model": "claude-sonnet-4-5",
                         "stop_reason": "end_turn", "usage": {
                             "input_tokens": inp, "cache_read_input_tokens": read,
                             "cache_creation_input_tokens": w5 + w1,
                             "cache_creation": {"ephemeral_5m_input_tokens": w5,
                                                "ephemeral_1h_input_tokens": w1},
                             "output_tokens": out}})
    assert (call["input_tokens"], call["cache_read_tokens"], call["cache_write_tokens"],
            call["cache_write_1h_tokens"], call["output_tokens"]) == (inp, read, w5, w1, out)


@given(count, count, count, count, count)
def test_gemini_thoughts_and_tool_prompts_are_billed(prompt, cached_share, candidates, thoughts,
                                                     tool_prompt):
    cached = cached_share % (prompt + 1)
    total = prompt + candidates + thoughts + tool_prompt
    call = parse_record({"responseId": "r", "modelVersion": "gemini-2.5-pro", "candidates": [],
                         "usageMetadata": {
                             "promptTokenCount": prompt, "cachedContentTokenCount": cached,
                             "candidatesTokenCount": candidates,
                             "thoughtsTokenCount": thoughts,
                             "toolUsePromptTokenCount": tool_prompt,
                             "totalTokenCount": total}})
    assert bucket_sum(call) == total
    assert call["output_tokens"] == candidates + thoughts
    assert call["reasoning_tokens"] == thoughts


@given(count, count, count, count)
def test_bedrock_total_includes_cache(inp, read, write, out):
    call = parse_record({"stopReason": "end_turn", "usage": {
        "inputTokens": inp, "cacheReadInputTokens": read, "cacheWriteInputTokens": write,
        "outputTokens": out, "totalTokens": inp + read + write + out}})
    assert bucket_sum(call) == inp + read + write + out


@given(count, count, count)
def test_deepseek_hit_plus_miss_is_prompt(hit, miss, completion):
    call = parse_record({"object": "chat.completion", "id": "d-1", "model": "deepseek-chat",
                         "choices": [], "usage": {
                             "prompt_tokens": hit + miss, "completion_tokens": completion,
                             "total_tokens": hit + miss + completion,
                             "prompt_cache_hit_tokens": hit, "prompt_cache_miss_tokens": miss,
                             "prompt_tokens_details": {"cached_tokens": hit}}})
    assert (call["input_tokens"], call["cache_read_tokens"]) == (miss, hit)


@given(openai_usage(), st.integers(min_value=1, max_value=1000))
def test_a_total_that_disagrees_is_rejected(usage, off_by):
    prompt, _cached, _written, completion, _reasoning = usage
    body = {"object": "chat.completion", "id": "chatcmpl-x", "choices": [], "usage": {
        "prompt_tokens": prompt, "completion_tokens": completion,
        "total_tokens": prompt + completion + off_by}}
    try:
        parse_record(body)
    except Rejected as exc:
        assert "provider's total" in str(exc)
    else:
        raise AssertionError("a contradicting total was accepted")
