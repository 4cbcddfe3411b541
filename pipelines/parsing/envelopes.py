"""Records: envelopes around a body or stream, request fields, and the finished ledger row."""

from __future__ import annotations

from datetime import datetime

from pipelines.parsing.bodies import parse_body
from pipelines.parsing.records import (
    BUCKETS,
    PROVIDER_ALIASES,
    Rejected,
    _content_hash,
    _dict,
    new_call,
    parse_timestamp,
)
from pipelines.parsing.streams import parse_stream

# Request fields that change nothing about the prompt: left out of `request_hash` so the same
# prompt sent streamed and unstreamed, or by two users, is found as a repeat.
VOLATILE_REQUEST_FIELDS = frozenset(
    {"stream", "stream_options", "user", "metadata", "store", "service_tier", "safety_identifier",
     "prompt_cache_key"}
)
MAX_TOKENS_FIELDS = ("max_tokens", "max_completion_tokens", "max_output_tokens")


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
            call["latency_ms"] = round(latency)
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
