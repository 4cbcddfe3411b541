"""Pure parsing of logged LLM API responses into ledger rows.

One record (a bare provider body or an envelope around one) becomes one `Call` dict with the
columns of `CALL_COLUMNS`, or raises `Rejected` with a reason a person can act on. Nothing here
touches files or the database: the reader feeds records in, the warehouse loads what comes out.

Token buckets follow docs/token-accounting.md: non-overlapping, and where the provider reports a
total, input + cache_read + cache_write + cache_write_1h + output must equal it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import orjson

CALL_COLUMNS = (
    "dedup_key", "request_id", "provider", "api", "model", "event_at", "event_at_source",
    "project", "user_id", "api_key_id", "status", "finish_reason", "finish_reason_raw",
    "is_batch", "is_stream", "has_envelope", "service_tier", "max_tokens", "request_hash",
    "input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens",
    "output_tokens", "reasoning_tokens", "web_search_requests", "provider_total_tokens",
    "provider_reported_cost", "latency_ms", "http_status", "error_type",
)
BUCKETS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens",
           "output_tokens")


class Rejected(ValueError):
    """A record that cannot become a ledger row; the message is the quarantine reason."""


# Provider names as the genai-prices package spells them, so the price book joins without a map.
PROVIDER_ALIASES = {
    "openai": "openai", "azure": "azure", "azure_openai": "azure", "azure-openai": "azure",
    "anthropic": "anthropic", "google": "google", "gemini": "google", "google_gemini": "google",
    "vertex": "google", "vertex_ai": "google", "vertexai": "google", "google_vertex": "google",
    "aws": "aws", "bedrock": "aws", "aws_bedrock": "aws", "amazon_bedrock": "aws",
    "mistral": "mistral", "mistralai": "mistral", "deepseek": "deepseek", "groq": "groq",
    "together": "together", "together_ai": "together", "togetherai": "together",
    "openrouter": "openrouter", "cohere": "cohere", "xai": "x-ai", "x-ai": "x-ai",
}

FINISH_REASONS = {
    # OpenAI-compatible
    "stop": "stop", "length": "length", "tool_calls": "tool_calls", "function_call": "tool_calls",
    "content_filter": "content_filter", "eos": "stop", "stop_sequence": "stop",
    "max_output_tokens": "length",
    # Anthropic
    "end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls", "refusal":
    "content_filter", "pause_turn": "other", "model_context_window_exceeded": "length",
    # Gemini
    "STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION":
    "content_filter", "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter", "IMAGE_SAFETY": "content_filter", "MALFORMED_FUNCTION_CALL": "error",
    "LANGUAGE": "other", "OTHER": "other", "FINISH_REASON_UNSPECIFIED": "other",
    # Bedrock Converse
    "guardrail_intervened": "content_filter", "content_filtered": "content_filter",
    # Cohere
    "COMPLETE": "stop", "STOP_SEQUENCE": "stop", "TOOL_CALL": "tool_calls", "ERROR": "error",
    "ERROR_TOXIC": "content_filter", "ERROR_LIMIT": "length", "USER_CANCEL": "other",
    # Responses API status
    "completed": "stop", "failed": "error", "incomplete": "length", "cancelled": "other",
}

# Request fields that change nothing about the prompt: left out of `request_hash` so the same
# prompt sent streamed and unstreamed, or by two users, is found as a repeat.
VOLATILE_REQUEST_FIELDS = frozenset(
    {"stream", "stream_options", "user", "metadata", "store", "service_tier", "safety_identifier",
     "prompt_cache_key"}
)
MAX_TOKENS_FIELDS = ("max_tokens", "max_completion_tokens", "max_output_tokens")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------------- helpers


def _count(container: dict, key: str, where: str) -> int:
    """A token count: absent or null is 0; anything but a non-negative integer is rejected."""
    value = container.get(key)
    if value is None:
        return 0
    if type(value) is not int:
        raise Rejected(f"non-integer token count {where}.{key}={value!r}")
    if value < 0:
        raise Rejected(f"negative token count {where}.{key}={value}")
    return value


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _content_hash(obj) -> str:
    return hashlib.blake2b(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS),
                           digest_size=16).hexdigest()


def parse_timestamp(value) -> datetime | None:
    """ISO-8601 string (any offset; naive means UTC) or unix seconds/milliseconds -> naive UTC."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, str):
            if value.endswith("Z"):  # the common case: already UTC
                parsed = datetime.fromisoformat(value[:-1])
                return parsed if 2015 <= parsed.year <= 2100 else None
            parsed = datetime.fromisoformat(value)  # any offset, or naive (taken as UTC)
        elif isinstance(value, int | float):
            parsed = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    offset = parsed.utcoffset()
    if offset is not None:
        parsed = parsed.replace(tzinfo=None)
        if offset:
            parsed -= offset
    if not 2015 <= parsed.year <= 2100:
        return None
    return parsed


def finish(raw) -> tuple[str | None, str | None]:
    if raw is None:
        return None, None
    raw = str(raw)
    return FINISH_REASONS.get(raw, FINISH_REASONS.get(raw.lower(), "other")), raw


_CALL_TEMPLATE = {
    **dict.fromkeys(CALL_COLUMNS),
    **dict.fromkeys((*BUCKETS, "reasoning_tokens", "web_search_requests"), 0),
    "is_batch": False, "is_stream": False, "has_envelope": False,
}


def new_call() -> dict:
    return _CALL_TEMPLATE.copy()


# ------------------------------------------------------------------------ usage extraction


def openai_usage(call: dict, usage: dict, where: str = "usage") -> None:
    """Chat Completions and its compatibles: cached and cache-write tokens are parts of prompt."""
    prompt = _count(usage, "prompt_tokens", where)
    completion = _count(usage, "completion_tokens", where)
    prompt_details = _dict(usage.get("prompt_tokens_details"))
    completion_details = _dict(usage.get("completion_tokens_details"))
    if "prompt_cache_hit_tokens" in usage:  # DeepSeek: hit + miss = prompt
        cached = _count(usage, "prompt_cache_hit_tokens", where)
    elif "cached_tokens" in usage and not prompt_details.get("cached_tokens"):  # Together
        cached = _count(usage, "cached_tokens", where)
    else:
        cached = _count(prompt_details, "cached_tokens", where + ".prompt_tokens_details")
    cache_write = _count(prompt_details, "cache_write_tokens", where + ".prompt_tokens_details")
    reasoning = _count(completion_details, "reasoning_tokens",
                       where + ".completion_tokens_details")
    _split_prompt(call, ("prompt_tokens", prompt), cached, cache_write,
                  ("completion_tokens", completion), reasoning)
    if "total_tokens" in usage:
        call["provider_total_tokens"] = _count(usage, "total_tokens", where)
    cost = usage.get("cost")
    if cost is not None:
        call["provider_reported_cost"] = _decimal_text(cost, where + ".cost")


def _split_prompt(call: dict, prompt: tuple[str, int], cached: int, cache_write: int,
                  completion: tuple[str, int], reasoning: int) -> None:
    """OpenAI-style usage: cache reads and writes are parts of the prompt count, reasoning a
    part of the completion count. Buckets must not overlap, so the parts come out."""
    (prompt_name, prompt_count), (completion_name, completion_count) = prompt, completion
    if cached + cache_write > prompt_count:
        raise Rejected(f"cached ({cached}) + cache-write ({cache_write}) tokens exceed "
                       f"{prompt_name} ({prompt_count})")
    if reasoning > completion_count:
        raise Rejected(f"reasoning_tokens ({reasoning}) exceed {completion_name} "
                       f"({completion_count})")
    call["input_tokens"] = prompt_count - cached - cache_write
    call["cache_read_tokens"] = cached
    call["cache_write_tokens"] = cache_write
    call["output_tokens"] = completion_count
    call["reasoning_tokens"] = reasoning


def _decimal_text(value, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Rejected(f"{where} is not a number: {value!r}")
    # orjson floats repr as the shortest round-trip text, which DECIMAL parses exactly.
    text = repr(value) if isinstance(value, float) else str(value)
    try:
        float(text)
    except ValueError as exc:
        raise Rejected(f"{where} is not a number: {value!r}") from exc
    return text


def responses_usage(call: dict, usage: dict) -> None:
    inp = _count(usage, "input_tokens", "usage")
    out = _count(usage, "output_tokens", "usage")
    in_details = _dict(usage.get("input_tokens_details"))
    out_details = _dict(usage.get("output_tokens_details"))
    cached = _count(in_details, "cached_tokens", "usage.input_tokens_details")
    cache_write = _count(in_details, "cache_write_tokens", "usage.input_tokens_details")
    reasoning = _count(out_details, "reasoning_tokens", "usage.output_tokens_details")
    _split_prompt(call, ("input_tokens", inp), cached, cache_write, ("output_tokens", out),
                  reasoning)
    if "total_tokens" in usage:
        call["provider_total_tokens"] = _count(usage, "total_tokens", "usage")


def _anthropic_step(usage: dict, where: str) -> tuple[int, int, int, int, int]:
    inp = _count(usage, "input_tokens", where)
    cache_read = _count(usage, "cache_read_input_tokens", where)
    cache_creation = _count(usage, "cache_creation_input_tokens", where)
    by_lifetime = usage.get("cache_creation")
    if isinstance(by_lifetime, dict) and by_lifetime:
        write_5m = _count(by_lifetime, "ephemeral_5m_input_tokens", where + ".cache_creation")
        write_1h = _count(by_lifetime, "ephemeral_1h_input_tokens", where + ".cache_creation")
        if write_5m + write_1h != cache_creation and "cache_creation_input_tokens" in usage:
            raise Rejected(f"cache_creation by lifetime ({write_5m} + {write_1h}) contradicts "
                           f"cache_creation_input_tokens ({cache_creation})")
    else:
        write_5m, write_1h = cache_creation, 0
    out = _count(usage, "output_tokens", where)
    return inp, cache_read, write_5m, write_1h, out


def anthropic_usage(call: dict, usage: dict) -> None:
    """Input excludes cache reads and writes; with compaction, bill the sum over iterations."""
    iterations = usage.get("iterations")
    if isinstance(iterations, list) and iterations:
        steps = [_anthropic_step(_dict(step), f"usage.iterations[{i}]")
                 for i, step in enumerate(iterations)]
    else:
        steps = [_anthropic_step(usage, "usage")]
    call["input_tokens"] = sum(s[0] for s in steps)
    call["cache_read_tokens"] = sum(s[1] for s in steps)
    call["cache_write_tokens"] = sum(s[2] for s in steps)
    call["cache_write_1h_tokens"] = sum(s[3] for s in steps)
    call["output_tokens"] = sum(s[4] for s in steps)
    thinking = _count(_dict(usage.get("output_tokens_details")), "thinking_tokens",
                      "usage.output_tokens_details")
    if thinking > call["output_tokens"]:
        raise Rejected(f"thinking_tokens ({thinking}) exceed output_tokens "
                       f"({call['output_tokens']})")
    call["reasoning_tokens"] = thinking
    call["web_search_requests"] = _count(_dict(usage.get("server_tool_use")),
                                         "web_search_requests", "usage.server_tool_use")
    tier = usage.get("service_tier")
    if isinstance(tier, str):
        call["service_tier"] = tier


def gemini_usage(call: dict, usage: dict) -> None:
    """promptTokenCount includes cached tokens; thoughts and tool-use prompts are separate."""
    prompt = _count(usage, "promptTokenCount", "usageMetadata")
    cached = _count(usage, "cachedContentTokenCount", "usageMetadata")
    candidates = _count(usage, "candidatesTokenCount", "usageMetadata")
    thoughts = _count(usage, "thoughtsTokenCount", "usageMetadata")
    tool_prompt = _count(usage, "toolUsePromptTokenCount", "usageMetadata")
    if cached > prompt:
        raise Rejected(f"cachedContentTokenCount ({cached}) exceeds promptTokenCount ({prompt})")
    call["input_tokens"] = prompt - cached + tool_prompt
    call["cache_read_tokens"] = cached
    call["output_tokens"] = candidates + thoughts
    call["reasoning_tokens"] = thoughts
    if "totalTokenCount" in usage:
        call["provider_total_tokens"] = _count(usage, "totalTokenCount", "usageMetadata")
    tier = usage.get("serviceTier")
    if isinstance(tier, str):
        call["service_tier"] = tier


def bedrock_usage(call: dict, usage: dict) -> None:
    """Converse: inputTokens excludes cache reads and writes; totalTokens includes them."""
    call["input_tokens"] = _count(usage, "inputTokens", "usage")
    call["cache_read_tokens"] = _count(usage, "cacheReadInputTokens", "usage")
    cache_write = _count(usage, "cacheWriteInputTokens", "usage")
    write_1h = 0
    for i, detail in enumerate(usage.get("cacheDetails") or ()):
        if isinstance(detail, dict) and detail.get("ttl") == "1h":
            write_1h += _count(detail, "inputTokens", f"usage.cacheDetails[{i}]")
    if write_1h > cache_write:
        raise Rejected(f"1h cache writes ({write_1h}) exceed cacheWriteInputTokens "
                       f"({cache_write})")
    call["cache_write_tokens"] = cache_write - write_1h
    call["cache_write_1h_tokens"] = write_1h
    call["output_tokens"] = _count(usage, "outputTokens", "usage")
    if "totalTokens" in usage:
        call["provider_total_tokens"] = _count(usage, "totalTokens", "usage")


def cohere_usage(call: dict, usage: dict) -> None:
    """Bill billed_units, not the processed `tokens`."""
    billed = usage.get("billed_units")
    if not isinstance(billed, dict):
        raise Rejected("cohere usage has no billed_units")
    call["input_tokens"] = _count(billed, "input_tokens", "usage.billed_units")
    call["output_tokens"] = _count(billed, "output_tokens", "usage.billed_units")


# ---------------------------------------------------------------------------- body shapes


def _openai_compatible_provider(body: dict) -> str:
    """Which OpenAI-compatible provider wrote a chat body, when no envelope says so."""
    if "prompt_filter_results" in body or any(
        isinstance(c, dict) and "content_filter_results" in c for c in body.get("choices") or ()
    ):
        return "azure"
    if "x_groq" in body:
        return "groq"
    usage = _dict(body.get("usage"))
    model = str(body.get("model") or "")
    if "prompt_cache_hit_tokens" in usage or model.startswith("deepseek"):
        return "deepseek"
    if "cost" in usage or str(body.get("id", "")).startswith("gen-") or "provider" in body:
        return "openrouter"
    if "cached_tokens" in usage or "/" in model or any(
            isinstance(c, dict) and c.get("finish_reason") == "eos"
            for c in body.get("choices") or ()):
        return "together"
    if model.startswith(("mistral", "magistral", "codestral", "ministral", "pixtral",
                         "open-mistral", "open-mixtral", "devstral")):
        return "mistral"
    return "openai"


def parse_chat_completion(call: dict, body: dict) -> None:
    call["api"] = "chat_completions"
    call["request_id"] = body.get("id")
    call["model"] = body.get("model")
    call["provider"] = call["provider"] or _openai_compatible_provider(body)
    tier = body.get("service_tier")
    if isinstance(tier, str):
        call["service_tier"] = tier
    choices = body.get("choices") or []
    raw_finish = next((c.get("finish_reason") for c in choices
                       if isinstance(c, dict) and c.get("finish_reason")), None)
    call["finish_reason"], call["finish_reason_raw"] = finish(raw_finish)
    usage = body.get("usage")
    if usage is None and isinstance(body.get("x_groq"), dict):
        usage = body["x_groq"].get("usage")
    if not isinstance(usage, dict):
        raise Rejected("chat completion has no usage object (not a stream, so usage was "
                       "expected)")
    openai_usage(call, usage)
    call["_created"] = body.get("created")


def parse_responses(call: dict, body: dict) -> None:
    call["api"] = "responses"
    call["request_id"] = body.get("id")
    call["model"] = body.get("model")
    call["provider"] = call["provider"] or "openai"
    tier = body.get("service_tier")
    if isinstance(tier, str):
        call["service_tier"] = tier
    status = body.get("status")
    incomplete = _dict(body.get("incomplete_details")).get("reason")
    raw = incomplete or status
    call["finish_reason"], call["finish_reason_raw"] = finish(raw)
    if status == "completed" and any(
        isinstance(item, dict) and item.get("type") == "function_call"
        for item in body.get("output") or ()
    ):
        call["finish_reason"] = "tool_calls"
    call["web_search_requests"] = sum(
        1 for item in body.get("output") or ()
        if isinstance(item, dict) and item.get("type") == "web_search_call"
    )
    usage = body.get("usage")
    if isinstance(usage, dict):
        responses_usage(call, usage)
    elif status == "failed":
        call["status"] = "error"
        call["error_type"] = str(_dict(body.get("error")).get("code") or "failed")
    else:
        raise Rejected(f"responses body with status {status!r} has no usage")
    call["_created"] = body.get("created_at")


def parse_embeddings(call: dict, body: dict) -> None:
    call["api"] = "embeddings"
    call["model"] = body.get("model")
    call["provider"] = call["provider"] or "openai"
    usage = body.get("usage")
    if not isinstance(usage, dict):
        raise Rejected("embeddings body has no usage object")
    call["input_tokens"] = _count(usage, "prompt_tokens", "usage")
    if "total_tokens" in usage:
        call["provider_total_tokens"] = _count(usage, "total_tokens", "usage")
    call["finish_reason"], call["finish_reason_raw"] = "stop", None


def parse_anthropic_message(call: dict, body: dict) -> None:
    call["api"] = "messages"
    call["request_id"] = body.get("id")
    call["model"] = body.get("model")
    if not call["provider"]:
        rid = str(body.get("id") or "")
        call["provider"] = ("aws" if rid.startswith("msg_bdrk_")
                            else "google" if rid.startswith("msg_vrtx_") else "anthropic")
    if call["provider"] != "anthropic":
        call["api"] = "invoke_model" if call["provider"] == "aws" else "messages"
    call["finish_reason"], call["finish_reason_raw"] = finish(body.get("stop_reason"))
    usage = body.get("usage")
    if not isinstance(usage, dict):
        raise Rejected("anthropic message has no usage object")
    anthropic_usage(call, usage)


def parse_gemini(call: dict, body: dict) -> None:
    call["api"] = "generate_content"
    call["request_id"] = body.get("responseId")
    call["model"] = body.get("modelVersion")
    call["provider"] = call["provider"] or "google"
    candidates = body.get("candidates") or []
    raw_finish = next((c.get("finishReason") for c in candidates
                       if isinstance(c, dict) and c.get("finishReason")), None)
    if raw_finish is None and _dict(body.get("promptFeedback")).get("blockReason"):
        raw_finish = "SAFETY"
    call["finish_reason"], call["finish_reason_raw"] = finish(raw_finish)
    usage = body.get("usageMetadata")
    if not isinstance(usage, dict):
        raise Rejected("gemini body has no usageMetadata")
    gemini_usage(call, usage)
    call["_created"] = body.get("createTime")


def parse_bedrock_converse(call: dict, body: dict) -> None:
    call["api"] = "converse"
    call["provider"] = call["provider"] or "aws"
    call["finish_reason"], call["finish_reason_raw"] = finish(body.get("stopReason"))
    bedrock_usage(call, _dict(body.get("usage")))
    latency = _dict(body.get("metrics")).get("latencyMs")
    if type(latency) is int and call["latency_ms"] is None:
        call["latency_ms"] = latency


def parse_cohere(call: dict, body: dict) -> None:
    call["api"] = "cohere_chat"
    call["request_id"] = body.get("id")
    call["provider"] = call["provider"] or "cohere"
    call["finish_reason"], call["finish_reason_raw"] = finish(body.get("finish_reason"))
    usage = body.get("usage")
    if not isinstance(usage, dict):
        raise Rejected("cohere chat body has no usage object")
    cohere_usage(call, usage)


def parse_error(call: dict, body: dict, error: dict | str | None) -> None:
    call["status"] = "error"
    call["finish_reason"], call["finish_reason_raw"] = "error", None
    if isinstance(error, dict):
        code = next((v for v in (error.get("code"), error.get("status"), error.get("type"))
                     if isinstance(v, str) and v), None)
        call["error_type"] = code
        if type(error.get("code")) is int and call["http_status"] is None:
            call["http_status"] = error["code"]
    else:
        call["error_type"] = str(error)[:200]
    call["request_id"] = body.get("request_id") or body.get("id")
    if not call["provider"]:
        call["provider"] = ("anthropic" if body.get("type") == "error"
                            else "google" if isinstance(error, dict) and "status" in error
                            else "openai")
    call["api"] = call["api"] or "error"


def parse_openai_batch_line(call: dict, body: dict) -> None:
    call["is_batch"] = True
    call["provider"] = call["provider"] or "openai"
    response = body.get("response")
    if isinstance(response, dict) and isinstance(response.get("body"), dict):
        inner = response["body"]
        call["http_status"] = response.get("status_code")
        if isinstance(inner.get("error"), dict):
            parse_error(call, inner, inner["error"])
            call["request_id"] = response.get("request_id") or body.get("id")
        else:
            parse_body(call, inner)
        return
    error = body.get("error")
    if not error:
        raise Rejected("batch output line has neither response.body nor error")
    parse_error(call, body, error)
    call["request_id"] = body.get("id")
    call["api"] = "batch"


def parse_anthropic_batch_line(call: dict, body: dict) -> None:
    call["is_batch"] = True
    call["provider"] = call["provider"] or "anthropic"
    result = _dict(body.get("result"))
    kind = result.get("type")
    if kind == "succeeded" and isinstance(result.get("message"), dict):
        parse_anthropic_message(call, result["message"])
        call["service_tier"] = call["service_tier"] or "batch"
        return
    if kind in ("errored", "expired", "canceled"):
        error = _dict(result.get("error"))
        parse_error(call, {}, _dict(error.get("error")) or error or kind)
        call["error_type"] = call["error_type"] if kind == "errored" else kind
        # No message id exists for a failed batch line; the batch's custom_id is the handle.
        call["request_id"] = None
        call["api"] = "messages"
        return
    raise Rejected(f"anthropic batch result of unknown type {kind!r}")


def parse_body(call: dict, body) -> None:
    """Dispatch on the body's shape."""
    if not isinstance(body, dict):
        raise Rejected(f"body is a JSON {type(body).__name__}, not an object")
    obj = body.get("object")
    kind = body.get("type")
    if obj == "chat.completion":
        return parse_chat_completion(call, body)
    if obj == "response":
        return parse_responses(call, body)
    if kind == "message":
        return parse_anthropic_message(call, body)
    if "custom_id" in body and "result" in body:
        return parse_anthropic_batch_line(call, body)
    if "custom_id" in body and ("response" in body or "error" in body):
        return parse_openai_batch_line(call, body)
    if kind == "error" or isinstance(body.get("error"), dict) and "choices" not in body:
        return parse_error(call, body, body.get("error"))
    if obj == "list" and isinstance(body.get("data"), list):
        return parse_embeddings(call, body)
    if "usageMetadata" in body or "candidates" in body:
        return parse_gemini(call, body)
    if "stopReason" in body or isinstance(body.get("usage"), dict) and "inputTokens" in body[
            "usage"]:
        return parse_bedrock_converse(call, body)
    if "finish_reason" in body and "message" in body and "choices" not in body:
        return parse_cohere(call, body)
    if "choices" in body:
        return parse_chat_completion(call, body)
    if "__type" in body or set(body) <= {"message", "Message", "__type", "id", "code"} and (
            "message" in body or "Message" in body):
        return parse_error(call, body, body.get("__type") or body.get("message")
                           or body.get("Message"))
    raise Rejected(f"unknown body shape (keys: {', '.join(sorted(body)[:8])})")


# -------------------------------------------------------------------------------- streams


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


# What a call without logged usage does not know: NULL in the ledger, never 0.
UNKNOWN_WITHOUT_USAGE = (*BUCKETS, "reasoning_tokens", "web_search_requests",
                         "provider_total_tokens")


def _no_usage(call: dict, raw_finish=None, errored: bool = False) -> None:
    call["status"] = "no_usage"
    for column in UNKNOWN_WITHOUT_USAGE:
        call[column] = None
    if errored:
        call["finish_reason"], call["finish_reason_raw"] = "error", raw_finish
    elif raw_finish is not None:
        call["finish_reason"], call["finish_reason_raw"] = finish(raw_finish)


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
        return _no_usage(call, raw_finish, errored)
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
    return _no_usage(call, None, errored)


def _anthropic_stream(call: dict, chunks: list) -> None:
    """message_start gives the initial usage; each message_delta's usage is cumulative."""
    message, usage, raw_finish, errored = {}, {}, None, False
    for chunk in chunks:
        kind = chunk.get("type")
        if kind == "message_start":
            message = _dict(chunk.get("message"))
            usage = dict(_dict(message.get("usage")))
        elif kind == "message_delta":
            usage.update(_dict(chunk.get("usage")))
            raw_finish = _dict(chunk.get("delta")).get("stop_reason") or raw_finish
        elif kind == "error":
            errored = True
    if usage and not errored:
        return parse_anthropic_message(call, {**message, "usage": usage,
                                              "stop_reason": raw_finish})
    # Cut off mid-stream: what was counted so far is not what was billed.
    parse_anthropic_message(call, {**message, "usage": {}, "stop_reason": None})
    return _no_usage(call, raw_finish, errored)


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
        return _no_usage(call)
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
        return _no_usage(call, body.get("stopReason"))
    parse_bedrock_converse(call, body)


# ------------------------------------------------------------------------------ envelopes


ENVELOPE_MARKERS = ("response", "stream", "request", "timestamp", "latency_ms", "api_key_id")


def is_envelope(record: dict) -> bool:
    """No provider body has these keys at the top; batch lines (custom_id) have `response`."""
    if "response" in record or "stream" in record or "timestamp" in record:
        return "custom_id" not in record
    return "custom_id" not in record and any(key in record for key in ENVELOPE_MARKERS)


def _request_fields(call: dict, request: dict) -> None:
    for field in MAX_TOKENS_FIELDS:
        value = request.get(field)
        if type(value) is int:
            call["max_tokens"] = value
            break
    else:
        for nested, field in (("generationConfig", "maxOutputTokens"),
                              ("inferenceConfig", "maxTokens")):
            value = _dict(request.get(nested)).get(field)
            if type(value) is int:
                call["max_tokens"] = value
                break
    if request.get("stream") is True:
        call["is_stream"] = True
    prompt = {k: v for k, v in request.items() if k not in VOLATILE_REQUEST_FIELDS}
    if prompt:
        call["request_hash"] = _content_hash(prompt)


def _text(value, limit: int = 200) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)[:limit]


def parse_record(record, file_mtime: datetime | None = None) -> dict:
    """One logged record -> one ledger row (dict of CALL_COLUMNS). Raises Rejected."""
    if not isinstance(record, dict):
        raise Rejected(f"record is a JSON {type(record).__name__}, not an object")
    call = new_call()
    request: dict = {}
    envelope_time = None
    if is_envelope(record):
        call["has_envelope"] = True
        provider = record.get("provider")
        if isinstance(provider, str) and provider.strip():
            name = provider.strip().lower()
            call["provider"] = PROVIDER_ALIASES.get(name, name)
        call["project"] = _text(record.get("project"))
        call["user_id"] = _text(record.get("user") or record.get("user_id"))
        call["api_key_id"] = _text(record.get("api_key_id"))
        latency = record.get("latency_ms")
        if isinstance(latency, int | float) and not isinstance(latency, bool) and latency >= 0:
            call["latency_ms"] = int(round(latency))
        status_code = record.get("status_code") or record.get("http_status")
        if type(status_code) is int:
            call["http_status"] = status_code
        if "timestamp" in record:
            envelope_time = parse_timestamp(record["timestamp"])
        request = _dict(record.get("request"))
        if request:
            _request_fields(call, request)
        if record.get("response") is not None:
            parse_body(call, record["response"])
        elif record.get("stream") is not None:
            parse_stream(call, record["stream"])
        else:
            raise Rejected("envelope has neither a response nor a stream")
        if not call["request_id"]:
            envelope_id = record.get("response_id") or record.get("request_id")
            call["request_id"] = _text(envelope_id)
    else:
        parse_body(call, record)
    if not call["model"]:
        call["model"] = _text(request.get("model") or request.get("modelId")
                              or record.get("model"))
    created = call.pop("_created", None)
    if envelope_time is not None:
        call["event_at"], call["event_at_source"] = envelope_time, "envelope"
    elif (response_time := parse_timestamp(created)) is not None:
        call["event_at"], call["event_at_source"] = response_time, "response"
    else:
        call["event_at"], call["event_at_source"] = file_mtime, "file_mtime"
    if call["status"] is None:
        call["status"] = "ok"
    if call["status"] == "ok":
        _check_total(call)
    if call["request_id"] is not None and not isinstance(call["request_id"], str):
        call["request_id"] = str(call["request_id"])
    # Same provider id = same call. Without an id, the whole record is the identity: a
    # re-shipped line repeats its envelope (timestamp included) byte for byte. request_id stays
    # the provider's own id or NULL: analysts join it with the providers' logs.
    call["request_id"] = call["request_id"] or None
    identity = call["request_id"] or "h:" + _content_hash(record)
    call["dedup_key"] = f"{call['provider']}:{identity}"
    return call


def parse_stream_document(text: str, file_mtime: datetime | None = None) -> dict:
    """A file holding one raw streamed HTTP body (SSE text): a bare body, not an envelope."""
    call = parse_record({"stream": text}, file_mtime)
    call["has_envelope"] = False
    return call


def _check_total(call: dict) -> None:
    total = call["provider_total_tokens"]
    if total is None:
        return
    buckets = sum(call[b] for b in BUCKETS)
    if buckets != total:
        raise Rejected(
            f"token buckets sum to {buckets} but the provider's total is {total} "
            f"(input {call['input_tokens']}, cache_read {call['cache_read_tokens']}, "
            f"cache_write {call['cache_write_tokens']}+{call['cache_write_1h_tokens']}, "
            f"output {call['output_tokens']})"
        )
