"""The ledger row: its columns, the rejection type, and helpers every body parser shares."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import orjson

CALL_COLUMNS = (
    "dedup_key", "request_id", "provider", "api", "model", "event_at", "event_at_source",
    "project", "user_id", "api_key_id", "status", "finish_reason", "finish_reason_raw",
    "is_batch", "is_stream", "has_envelope", "service_tier", "max_tokens", "request_hash",
    "input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens",
    "output_tokens", "reasoning_tokens", "web_search_requests", "provider_total_tokens",
    "provider_reported_cost", "latency_ms", "http_status", "error_type",
    "source", "session_id", "is_sidechain", "is_partial", "speed",
)
# Where a call was logged: an API log (an envelope or a bare provider body), a coding agent's
# transcript, an OpenTelemetry GenAI span, or a LiteLLM logging payload.
SOURCES = ("api_log", "claude_code", "codex_cli", "otel", "litellm")
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


def _reported_cost(value) -> Decimal | None:
    """A cost the log reports beside the usage (Claude Code's costUSD, a span's cost
    attribute), exact: informational, so one that is no non-negative number is left out."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _string(value, limit: int = 200) -> str | None:
    """A non-empty string, cut to `limit`; anything else None."""
    return value[:limit] if isinstance(value, str) and value else None


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
    "is_batch": False, "is_stream": False, "has_envelope": False, "source": "api_log",
    "is_sidechain": False, "is_partial": False,
}


def new_call() -> dict:
    return _CALL_TEMPLATE.copy()


# What a call without logged usage does not know: NULL in the ledger, never 0.
UNKNOWN_WITHOUT_USAGE = (*BUCKETS, "reasoning_tokens", "web_search_requests",
                         "provider_total_tokens")


def no_usage(call: dict, raw_finish=None, errored: bool = False) -> None:
    call["status"] = "no_usage"
    for column in UNKNOWN_WITHOUT_USAGE:
        call[column] = None
    if errored:
        call["finish_reason"], call["finish_reason_raw"] = "error", raw_finish
    elif raw_finish is not None:
        call["finish_reason"], call["finish_reason_raw"] = finish(raw_finish)
