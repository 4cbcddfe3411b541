"""Streamed bodies: SSE splitting, then one reducer per family folds the events into a call."""

from __future__ import annotations

import orjson

from pipelines.parsing.anthropic import parse_anthropic_message
from pipelines.parsing.bedrock import parse_bedrock_converse
from pipelines.parsing.errors import parse_error
from pipelines.parsing.google import parse_gemini
from pipelines.parsing.openai import _openai_compatible_provider, openai_usage, parse_responses
from pipelines.parsing.records import Rejected, _dict, finish, no_usage


def sse_events(text: str) -> list:
    """The JSON payloads of a raw SSE body, in order; `[DONE]` and comments are skipped."""
    events = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if not payload or payload == "[DONE]":
            continue
        try:
            events.append(orjson.loads(payload))
        except orjson.JSONDecodeError as exc:
            raise Rejected(f"stream line {line_no}: data is not JSON ({exc})") from None
    return events


def parse_stream(call: dict, chunks) -> None:
    call["is_stream"] = True
    if isinstance(chunks, str):
        chunks = sse_events(chunks)
    if not isinstance(chunks, list):
        raise Rejected(f"stream is a JSON {type(chunks).__name__}, not SSE text or a list")
    chunks = [c for c in chunks if isinstance(c, dict)]
    if not chunks:
        raise Rejected("stream holds no events")
    first = chunks[0]
    kind = first.get("type")
    if first.get("object") == "chat.completion.chunk" or "choices" in first:
        return _openai_chat_stream(call, chunks)
    if isinstance(kind, str) and kind.startswith("response."):
        return _responses_stream(call, chunks)
    if kind in ("message_start", "ping"):
        return _anthropic_stream(call, chunks)
    if "candidates" in first or "usageMetadata" in first or "responseId" in first:
        return _gemini_stream(call, chunks)
    if {"messageStart", "contentBlockDelta", "metadata", "messageStop"} & set(first):
        return _bedrock_stream(call, chunks)
    if isinstance(first.get("error"), dict) or kind == "error":
        parse_error(call, first, first.get("error"))
        return None
    raise Rejected(f"unknown stream shape (first event keys: {', '.join(sorted(first)[:8])})")


def _openai_chat_stream(call: dict, chunks: list) -> None:
    call["api"] = "chat_completions"
    head = next((c for c in chunks if c.get("id")), chunks[0])
    call["request_id"] = head.get("id")
    call["model"] = head.get("model")
    call["_created"] = head.get("created")
    if isinstance(head.get("service_tier"), str):
        call["service_tier"] = head["service_tier"]
    call["provider"] = call["provider"] or _openai_compatible_provider(head | {
        "usage": next((c["usage"] for c in chunks if isinstance(c.get("usage"), dict)), {})})
    raw_finish, usage, errored = None, None, False
    for chunk in chunks:
        if isinstance(chunk.get("error"), dict):
            errored = True
        for choice in chunk.get("choices") or ():
            if isinstance(choice, dict) and choice.get("finish_reason"):
                raw_finish = choice["finish_reason"]
        # Groq repeats usage in x_groq.usage on the same chunk: take one of them, once.
        chunk_usage = chunk.get("usage")
        if not isinstance(chunk_usage, dict):
            chunk_usage = _dict(chunk.get("x_groq")).get("usage")
        if isinstance(chunk_usage, dict):
            usage = chunk_usage
    if usage is None:
        return no_usage(call, raw_finish, errored)
    call["finish_reason"], call["finish_reason_raw"] = finish(raw_finish)
    openai_usage(call, usage)


def _responses_stream(call: dict, chunks: list) -> None:
    final = None
    for chunk in chunks:
        if chunk.get("type") in ("response.completed", "response.incomplete", "response.failed"):
            final = chunk.get("response")
    if isinstance(final, dict):
        return parse_responses(call, final)
    call["api"] = "responses"
    call["provider"] = call["provider"] or "openai"
    created: dict = next((c.get("response") for c in chunks
                    if isinstance(c.get("response"), dict)), {})
    call["request_id"] = created.get("id")
    call["model"] = created.get("model")
    call["_created"] = created.get("created_at")
    errored = any(c.get("type") == "error" for c in chunks)
    return no_usage(call, None, errored)


def _anthropic_stream(call: dict, chunks: list) -> None:
    """message_start gives the initial usage; each message_delta's usage is cumulative."""
    message, usage, raw_finish, errored, delta_seen = {}, {}, None, False, False
    for chunk in chunks:
        kind = chunk.get("type")
        if kind == "message_start":
            message = _dict(chunk.get("message"))
            usage = dict(_dict(message.get("usage")))
        elif kind == "message_delta":
            usage.update(_dict(chunk.get("usage")))
            raw_finish = _dict(chunk.get("delta")).get("stop_reason") or raw_finish
            delta_seen = True
        elif kind == "error":
            errored = True
    if usage and delta_seen and not errored:
        return parse_anthropic_message(call, {**message, "usage": usage,
                                              "stop_reason": raw_finish})
    # Cut off mid-stream (an error event, or a stream the caller abandoned before its
    # message_delta): message_start's output count is a placeholder, not what was billed.
    parse_anthropic_message(call, {**message, "usage": {}, "stop_reason": None})
    return no_usage(call, raw_finish, errored)


def _gemini_stream(call: dict, chunks: list) -> None:
    last_usage = None
    merged = {}
    for chunk in chunks:
        merged.update({k: v for k, v in chunk.items() if k != "usageMetadata"})
        if isinstance(chunk.get("usageMetadata"), dict):
            last_usage = chunk["usageMetadata"]
        for cand in chunk.get("candidates") or ():
            if isinstance(cand, dict) and cand.get("finishReason"):
                merged["candidates"] = [cand]
    if last_usage is None:
        call["api"] = "generate_content"
        call["provider"] = call["provider"] or "google"
        call["request_id"] = merged.get("responseId")
        call["model"] = merged.get("modelVersion")
        return no_usage(call)
    parse_gemini(call, {**merged, "usageMetadata": last_usage})


def _bedrock_stream(call: dict, chunks: list) -> None:
    body: dict = {}
    for chunk in chunks:
        if isinstance(chunk.get("messageStop"), dict):
            body["stopReason"] = chunk["messageStop"].get("stopReason")
        meta = chunk.get("metadata")
        if isinstance(meta, dict):
            body["usage"] = meta.get("usage")
            body["metrics"] = meta.get("metrics")
    if not isinstance(body.get("usage"), dict):
        call["api"] = "converse"
        call["provider"] = call["provider"] or "aws"
        return no_usage(call, body.get("stopReason"))
    parse_bedrock_converse(call, body)
