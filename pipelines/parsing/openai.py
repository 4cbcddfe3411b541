"""OpenAI and OpenAI-compatible bodies: Chat Completions, the Responses API, embeddings."""

from __future__ import annotations

from pipelines.parsing.records import Rejected, _count, _dict, finish, no_usage

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
    elif status in ("queued", "in_progress"):
        # A background response logged before it finished: a call whose usage is not known
        # yet. Its finished body, logged later, is the same call and replaces it.
        no_usage(call)
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
