"""LiteLLM's logging payloads (`StandardLoggingPayload`) become ledger rows (source "litellm").

LiteLLM's proxy and SDK build one `StandardLoggingPayload` per call (BerriAI/litellm
`litellm/types/utils.py`) and ship it to S3, GCS, Pub/Sub and other loggers: one JSON object per
call, in JSONL or JSON files. Pure: no files, no database.

Recognition
    A dict with a string `call_type`, one of `response_cost` / `model_map_information` /
    `hidden_params`, and `status` or `custom_llm_provider`. No provider body or envelope has
    `call_type` at its top.

Usage, in this order
    1. `response` when it is a provider body with a `usage` object: read by `parse_body`, like an
       API log. LiteLLM normalizes every upstream to the OpenAI chat shape, where
       `prompt_tokens_details.cached_tokens` is part of `prompt_tokens` and
       `completion_tokens_details.reasoning_tokens` part of `completion_tokens`. For Anthropic
       upstreams (Anthropic, Bedrock, Vertex) LiteLLM's `Usage` also carries
       `cache_read_input_tokens` (= `cached_tokens`) and `cache_creation_input_tokens`
       (= `prompt_tokens_details.cache_creation_tokens`), and its Anthropic transformation adds
       BOTH to `prompt_tokens` (`calculate_usage` in `litellm/llms/anthropic/chat/
       transformation.py`); the 1-hour share of the writes is
       `prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens`. So the
       warehouse's input is prompt - cache reads - cache writes; a negative result (LiteLLM
       versions after BerriAI/litellm#9838 left writes out of `prompt_tokens` for a while) is
       rejected, naming the numbers, rather than guessed. An Anthropic-shaped `response`
       (`call_type` anthropic_messages, /v1/messages) is read as Anthropic's own usage.
    2. Else `hidden_params.usage_object` / `metadata.usage_object` (LiteLLM's usage dict), the
       same way.
    3. Else the payload's `prompt_tokens` / `completion_tokens` / `total_tokens` (no cache or
       reasoning split is known then: all of the prompt is input).
    The buckets must sum to the total where one is given, else the payload is rejected.
    `cost_breakdown` holds costs only (no counts): it is not read.

Other columns
    provider      `custom_llm_provider` through PROVIDER_ALIASES (vertex_ai -> google, bedrock ->
                  aws, azure -> azure, ...); unknown: as given, lower-cased.
    model         `hidden_params.litellm_model_name` (the model id LiteLLM sent upstream), else
                  `model_map_information.model_map_key`, else the response's model, else
                  `model`; a leading `provider/` is removed. Not `model_group`: that is the
                  proxy's alias, which the price book does not know.
    request_id    the response's id, else the payload's `id` (unless it is LiteLLM's own call
                  id); dedup_key provider:request_id like an API log, so a call logged both by
                  LiteLLM and by an envelope counts once. Without one: provider:litellm:<call
                  id> (`litellm_call_id`, older `call_id`), else a hash of the payload.
    event_at      `startTime` (epoch seconds, or "YYYY-MM-DD HH:MM:SS.ffffff", naive = UTC),
                  event_at_source "payload"; latency_ms = endTime - startTime.
    project       from a ProjectMapping (TOKENWORKS_LITELLM_PROJECT, default
                  team_alias|team_id|tag); user_id `end_user`, else
                  `metadata.user_api_key_user_id`; api_key_id `metadata.user_api_key_hash`, else
                  `user_api_key_alias`.
    status        `status_fields.llm_api_status`, else `status`: "failure" is an error (tokens
                  0; error_type from `error_information.error_class` / `error_code`, else
                  `error_str`).
    cache hit     `cache_hit: true`: LiteLLM answered from its own cache, nothing was sent
                  upstream. The row is status ok with 0 in every token bucket (so fct_costs
                  prices it at $0 while it is counted), request_id NULL (the cached response
                  carries the ORIGINAL call's id) and the dedup key the LiteLLM call id.
    provider_reported_cost
                  `response_cost`, as an exact Decimal.
    is_stream     `stream`. `api_base` is not stored.
"""

from __future__ import annotations

from datetime import datetime

from pipelines.parsing.bodies import parse_body
from pipelines.parsing.envelopes import _check_total
from pipelines.parsing.openai import openai_usage
from pipelines.parsing.records import (
    BUCKETS,
    PROVIDER_ALIASES,
    Rejected,
    _content_hash,
    _count,
    _dict,
    _reported_cost,
    new_call,
    parse_timestamp,
)

LITELLM_SOURCE = "litellm"

# Project sources: name -> the `metadata` keys tried in order ("tag": the first request tag).
PROJECT_SOURCES: dict[str, tuple[str, ...]] = {
    "team_alias": ("user_api_key_team_alias", "team_alias"),
    "team_id": ("user_api_key_team_id", "team_id"),
    "project_alias": ("user_api_key_project_alias",),
    "project_id": ("user_api_key_project_id",),
    "org_id": ("user_api_key_org_id",),
    "key_alias": ("user_api_key_alias",),
    "tag": (),
}
ProjectMapping = tuple[str, ...]
DEFAULT_PROJECT_MAPPING: ProjectMapping = ("team_alias", "team_id", "tag")

# call_type -> api, when no response body says it.
_CALL_TYPE_API = {
    "completion": "chat_completions", "acompletion": "chat_completions",
    "text_completion": "completions", "atext_completion": "completions",
    "embedding": "embeddings", "aembedding": "embeddings",
    "responses": "responses", "aresponses": "responses",
    "anthropic_messages": "messages", "aanthropic_messages": "messages",
}
_TOKEN_COLUMNS = (*BUCKETS, "reasoning_tokens", "web_search_requests")


def parse_project_mapping(text: str) -> ProjectMapping:
    """'team_alias|team_id|tag': the sources tried in order. Raises ValueError on an empty,
    unknown or repeated name."""
    names = tuple(name.strip() for name in text.split("|"))
    if not all(names):
        raise ValueError(f"project mapping {text!r}: empty name (expected e.g. "
                         "team_alias|team_id|tag)")
    for name in names:
        if name not in PROJECT_SOURCES:
            raise ValueError(f"project mapping: unknown source {name!r} "
                             f"(known: {', '.join(PROJECT_SOURCES)})")
    if len(set(names)) != len(names):
        raise ValueError(f"project mapping {text!r}: a source is named twice")
    return names


def is_litellm_payload(record) -> bool:
    return (isinstance(record, dict) and isinstance(record.get("call_type"), str)
            and any(key in record for key in ("response_cost", "model_map_information",
                                              "hidden_params"))
            and ("status" in record or "custom_llm_provider" in record))


def _text(value, limit: int = 200) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:limit]
    return None


def _model(record: dict, provider_raw: str | None, body_model) -> str | None:
    hidden = _dict(record.get("hidden_params"))
    for candidate in (hidden.get("litellm_model_name"),
                      _dict(record.get("model_map_information")).get("model_map_key"),
                      body_model, record.get("model")):
        name = _text(candidate)
        if name:
            prefix, sep, rest = name.partition("/")
            if sep and rest and (prefix == provider_raw or prefix.lower() in PROVIDER_ALIASES):
                name = rest
            return name
    return None


def _project(metadata: dict, tags, mapping: ProjectMapping) -> str | None:
    for source in mapping:
        if source == "tag":
            first = next((t for t in tags if _text(t)), None) if isinstance(tags, list) else None
            if first:
                return _text(first)
            continue
        for key in PROJECT_SOURCES[source]:
            value = _text(metadata.get(key))
            if value:
                return value
    return None


def _anthropic_cache(call: dict, usage: dict, where: str) -> None:
    """LiteLLM's OpenAI-shaped usage for an Anthropic upstream: cache writes are in
    `prompt_tokens` too (openai_usage counted them as input); `cache_read_input_tokens` may stand
    without `prompt_tokens_details.cached_tokens`."""
    details = _dict(usage.get("prompt_tokens_details"))
    if call["cache_read_tokens"] == 0 and usage.get("cache_read_input_tokens"):
        read = _count(usage, "cache_read_input_tokens", where)
        if read > call["input_tokens"]:
            raise Rejected(f"{where}.cache_read_input_tokens ({read}) exceeds the uncached "
                           f"prompt tokens ({call['input_tokens']})")
        call["input_tokens"] -= read
        call["cache_read_tokens"] = read
    if call["cache_write_tokens"]:
        return  # an OpenAI-style cache_write_tokens was already taken out
    if details.get("cache_creation_tokens") is not None:
        writes = _count(details, "cache_creation_tokens", where + ".prompt_tokens_details")
    else:
        writes = _count(usage, "cache_creation_input_tokens", where)
    if not writes:
        return
    one_hour = _count(_dict(details.get("cache_creation_token_details")),
                      "ephemeral_1h_input_tokens",
                      where + ".prompt_tokens_details.cache_creation_token_details")
    if one_hour > writes:
        raise Rejected(f"{where}: 1-hour cache writes ({one_hour}) exceed the cache writes "
                       f"({writes})")
    if writes > call["input_tokens"]:
        raise Rejected(
            f"{where}: prompt_tokens ({usage.get('prompt_tokens')}) minus cache reads "
            f"({call['cache_read_tokens']}) leaves {call['input_tokens']}, fewer than the cache "
            f"writes ({writes}): LiteLLM counts cache writes inside prompt_tokens, this log "
            "did not (a LiteLLM version that left them out)")
    call["input_tokens"] -= writes
    call["cache_write_tokens"] = writes - one_hour
    call["cache_write_1h_tokens"] = one_hour


def _usage_from(call: dict, usage: dict, where: str) -> None:
    openai_usage(call, usage, where)
    _anthropic_cache(call, usage, where)


def parse_litellm_payload(record: dict, mapping: ProjectMapping = DEFAULT_PROJECT_MAPPING,
                          file_mtime: datetime | None = None) -> dict:
    """One StandardLoggingPayload -> one ledger row. Raises Rejected."""
    call = new_call()
    call["source"] = LITELLM_SOURCE
    metadata = _dict(record.get("metadata"))
    hidden = _dict(record.get("hidden_params"))
    provider_raw = _text(record.get("custom_llm_provider"))
    if provider_raw:
        name = provider_raw.lower()
        call["provider"] = PROVIDER_ALIASES.get(name, name)
    call["api"] = _CALL_TYPE_API.get(record["call_type"], record["call_type"][:50])

    status = _dict(record.get("status_fields")).get("llm_api_status") or record.get("status")
    if status not in ("success", "failure"):
        raise Rejected(f"LiteLLM payload has status {status!r} (expected success or failure)")
    cache_hit = record.get("cache_hit") is True
    call_id = _text(record.get("litellm_call_id")) or _text(record.get("call_id"))
    payload_id = _text(record.get("id"))
    response = record.get("response")
    body_model = None

    if status == "failure":
        call["status"] = "error"
        call["finish_reason"] = "error"
        info = _dict(record.get("error_information"))
        call["error_type"] = (_text(info.get("error_class")) or _text(info.get("error_code"))
                              or _text(record.get("error_str")))
        code = info.get("error_code")
        if isinstance(code, int | str) and str(code).isdigit() and 100 <= int(code) <= 599:
            call["http_status"] = int(code)
        call_id = call_id or payload_id  # a failure's `id` is LiteLLM's call id
        payload_id = None
    elif isinstance(response, dict) and isinstance(response.get("usage"), dict):
        parse_body(call, response)
        body_model = call["model"]
        usage = response["usage"]
        if "prompt_tokens" in usage:
            _anthropic_cache(call, usage, "response.usage")
    else:
        usage_object = _dict(hidden.get("usage_object")) or _dict(metadata.get("usage_object"))
        if usage_object:
            where = ("hidden_params" if hidden.get("usage_object") else "metadata") + (
                ".usage_object")
            _usage_from(call, usage_object, where)
        else:
            top = {key: record[key]
                   for key in ("prompt_tokens", "completion_tokens", "total_tokens")
                   if record.get(key) is not None}
            if not top:
                raise Rejected("LiteLLM payload has no usage (no response usage, no "
                               "usage_object, no prompt_tokens/completion_tokens)")
            _usage_from(call, top, "payload")
        if isinstance(response, dict):
            body_model = response.get("model")
    call.pop("_created", None)
    if call["status"] is None:
        call["status"] = "ok"
    if call["status"] == "ok":
        _check_total(call)

    call["model"] = _model(record, provider_raw, body_model)
    if not call["provider"]:
        raise Rejected("LiteLLM payload names no provider (custom_llm_provider)")
    call["is_stream"] = record.get("stream") is True
    usage_cost = call["provider_reported_cost"]  # a usage object's own `cost`, if any
    call["provider_reported_cost"] = next(
        (cost for cost in map(_reported_cost, (record.get("response_cost"),
                                               hidden.get("response_cost"), usage_cost))
         if cost is not None), None)

    call["user_id"] = _text(record.get("end_user")) or _text(
        metadata.get("user_api_key_user_id"))
    call["api_key_id"] = _text(metadata.get("user_api_key_hash")) or _text(
        metadata.get("user_api_key_alias"))
    call["project"] = _project(metadata, record.get("request_tags"), mapping)

    # Epoch seconds, or LiteLLM's str(datetime) ("2025-01-24 09:20:46.847371", naive = UTC).
    started = parse_timestamp(record.get("startTime"))
    ended = parse_timestamp(record.get("endTime"))
    if started is not None:
        call["event_at"], call["event_at_source"] = started, "payload"
    else:
        call["event_at"], call["event_at_source"] = file_mtime, "file_mtime"
    if started is not None and ended is not None and ended >= started:
        call["latency_ms"] = round((ended - started).total_seconds() * 1000)

    if cache_hit and call["status"] == "ok":
        # Answered from LiteLLM's cache: nothing reached the provider, so nothing is priced.
        for column in _TOKEN_COLUMNS:
            call[column] = 0
        call["provider_total_tokens"] = None
        call["request_id"] = None
    elif call["status"] == "ok":
        body_id = _text(call["request_id"]) if call["request_id"] is not None else None
        request_id = body_id or payload_id
        call["request_id"] = request_id if request_id and request_id != call_id else None
    else:
        call["request_id"] = None

    if call["request_id"]:
        identity = call["request_id"]
    elif call_id:
        identity = f"litellm:{call_id}"
    else:
        identity = "h:" + _content_hash(record)
    call["dedup_key"] = f"{call['provider']}:{identity}"
    return call
