"""OpenTelemetry GenAI spans in OTLP/JSON -> ledger rows (pipelines/parsing/otel.py).

Fixtures: tests/fixtures/otel/ (see its SOURCES.md). The logfire pair is a real instrumentation's
output, checked against the raw Anthropic usage recorded for the same call.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.parsing.otel import (
    OTEL_SOURCE,
    AttributeMapping,
    is_otlp_export,
    is_otlp_other_signal,
    parse_attribute_mapping,
    parse_otlp_export,
)
from pipelines.parsing.records import CALL_COLUMNS, Rejected

OTEL = Path(__file__).parent / "fixtures" / "otel"
TOKEN_COLUMNS = ("input_tokens", "cache_read_tokens", "cache_write_tokens",
                 "cache_write_1h_tokens", "output_tokens", "reasoning_tokens",
                 "web_search_requests")
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
LOGFIRE_TRACE = "0" * 31 + "1"
DEFAULT_MAPPING = AttributeMapping()


def records(name: str) -> list[dict]:
    text = (OTEL / name).read_text()
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return [json.loads(text)]


def parse_file(name: str, mapping: AttributeMapping = DEFAULT_MAPPING):
    calls, rejected = [], []
    for record in records(name):
        record_calls, record_rejected = parse_otlp_export(record, mapping)
        calls += record_calls
        rejected += record_rejected
    return calls, rejected


def value(x) -> dict:
    """A Python value as an OTLP/JSON AnyValue (a dict with a single *Value key passes through)."""
    if isinstance(x, dict):
        return x
    if isinstance(x, bool):
        return {"boolValue": x}
    if isinstance(x, int):
        return {"intValue": str(x)}
    if isinstance(x, float):
        return {"doubleValue": x}
    if isinstance(x, list):
        return {"arrayValue": {"values": [value(item) for item in x]}}
    return {"stringValue": x}


def attributes(attrs: dict) -> list[dict]:
    return [{"key": key, "value": value(x)} for key, x in attrs.items()]


def span(attrs: dict, span_id: str = "00f067aa0ba902b7", **fields) -> dict:
    out = {"traceId": TRACE, "spanId": span_id, "name": "chat",
           "startTimeUnixNano": "1790000000000000000",
           "endTimeUnixNano": "1790000000250000000", "attributes": attributes(attrs)}
    out.update(fields)
    return {key: item for key, item in out.items() if item is not None}


def export(*spans: dict, resource: dict | None = None, scope_key: str = "scopeSpans") -> dict:
    return {"resourceSpans": [{"resource": {"attributes": attributes(resource or {})},
                               scope_key: [{"scope": {"name": "test"}, "spans": list(spans)}]}]}


def one_call(attrs: dict, resource: dict | None = None, mapping=DEFAULT_MAPPING,
             **fields) -> dict:
    calls, rejected = parse_otlp_export(export(span(attrs, **fields), resource=resource),
                                        mapping)
    assert rejected == []
    assert len(calls) == 1
    return calls[0]


def rejection(attrs: dict, **fields) -> str:
    calls, rejected = parse_otlp_export(export(span(attrs, **fields)))
    assert calls == []
    assert len(rejected) == 1
    assert rejected[0][0] == 0
    return rejected[0][1]


CHAT = {"gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini"}


# --------------------------------------------------------------------- the logfire pair


def logfire_raw_usage() -> tuple[dict, dict]:
    assistant = json.loads((OTEL / "claude_agent_sdk_assistant_message__logfire_cassette_"
                                   "basic_conversation.json").read_text())
    result = json.loads((OTEL / "claude_agent_sdk_result_message__logfire_cassette_"
                                "basic_conversation.json").read_text())
    return assistant, result


def split_logfire(calls: list[dict]) -> tuple[dict, dict]:
    assert len(calls) == 2
    (parent,) = [c for c in calls if not c["is_partial"]]
    (child,) = [c for c in calls if c["is_partial"]]
    return parent, child


@pytest.mark.parametrize("name", ["logfire_claude_agent_sdk.otlp.jsonl",
                                  "logfire_claude_agent_sdk.otlp.json"])
def test_logfire_parent_row_equals_the_raw_usage_of_the_same_call(name):
    calls, rejected = parse_file(name)
    assert rejected == []
    parent, _ = split_logfire(calls)
    _, result = logfire_raw_usage()
    usage = result["usage"]
    # The span says input 9344 (cached tokens included); the warehouse bucket is Anthropic's
    # uncached input_tokens, as the API reported it for this call.
    assert parent["input_tokens"] == usage["input_tokens"] == 3
    assert parent["cache_read_tokens"] == usage["cache_read_input_tokens"] == 7166
    assert parent["cache_write_tokens"] == usage["cache_creation_input_tokens"] == 2175
    assert (parent["cache_write_1h_tokens"] == usage["cache_creation"]["ephemeral_1h_input_tokens"]
            == 0)
    assert parent["output_tokens"] == usage["output_tokens"] == 5
    assert parent["reasoning_tokens"] == 0
    assert parent["provider_reported_cost"] == Decimal(str(result["total_cost_usd"]))
    assert parent["session_id"] == result["session_id"]
    assert parent["status"] == "ok"
    assert parent["provider"] == "anthropic"
    assert parent["model"] == "claude-sonnet-4-6"
    assert parent["api"] == "invoke_agent"
    assert parent["project"] == "claude-agent-sdk-demo"  # the resource's service.name
    assert parent["dedup_key"] == f"otel:{LOGFIRE_TRACE}:0000000000000001"


@pytest.mark.parametrize("name", ["logfire_claude_agent_sdk.otlp.jsonl",
                                  "logfire_claude_agent_sdk.otlp.json"])
def test_logfire_child_is_partial_and_keyed_to_its_parent(name):
    calls, _ = parse_file(name)
    parent, child = split_logfire(calls)
    assistant, _ = logfire_raw_usage()
    snapshot = assistant["message"]["usage"]  # usage as streamed when the child span ended
    assert child["is_partial"] is True
    assert child["dedup_key"] == parent["dedup_key"]
    assert child["dedup_key"] != f"otel:{LOGFIRE_TRACE}:0000000000000003"
    assert child["status"] == "ok"
    assert child["api"] == "chat"
    assert child["input_tokens"] == snapshot["input_tokens"] == 3
    assert child["cache_read_tokens"] == snapshot["cache_read_input_tokens"]
    assert child["cache_write_tokens"] == snapshot["cache_creation_input_tokens"]
    assert child["output_tokens"] == snapshot["output_tokens"] == 1
    assert parent["output_tokens"] > child["output_tokens"]
    assert child["provider_reported_cost"] is None


def test_logfire_layouts_give_the_same_rows():
    lines, _ = parse_file("logfire_claude_agent_sdk.otlp.jsonl")
    document, _ = parse_file("logfire_claude_agent_sdk.otlp.json")
    assert len(records("logfire_claude_agent_sdk.otlp.jsonl")) == 2
    assert lines[0]["is_partial"]  # the child was exported first, alone in its request

    def key(call):
        return call["dedup_key"], call["is_partial"]

    assert sorted(lines, key=key) == sorted(document, key=key)


def test_logfire_times_from_the_span_clock():
    calls, _ = parse_file("logfire_claude_agent_sdk.otlp.json")
    parent, child = split_logfire(calls)
    # logfire's test clock: the agent span runs from 1 s to 4 s, the chat span from 2 s to 3 s.
    assert parent["event_at"] == datetime(1970, 1, 1, 0, 0, 1)
    assert parent["latency_ms"] == 3000
    assert child["event_at"] == datetime(1970, 1, 1, 0, 0, 2)
    assert child["latency_ms"] == 1000
    assert parent["event_at_source"] == child["event_at_source"] == "span"


def test_converter_output_is_what_is_checked_in(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_from_logfire",
                                                  OTEL / "build_from_logfire.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "LINES", tmp_path / "lines.jsonl")
    monkeypatch.setattr(module, "DOCUMENT", tmp_path / "document.json")
    module.main()
    assert (tmp_path / "lines.jsonl").read_text() == \
        (OTEL / "logfire_claude_agent_sdk.otlp.jsonl").read_text()
    assert (tmp_path / "document.json").read_text() == \
        (OTEL / "logfire_claude_agent_sdk.otlp.json").read_text()


# ------------------------------------------------------------ every generation of the names


GENERATIONS = [
    # (provider, model, input (uncached), cache read, cache write, output, reasoning, is_stream)
    ("anthropic", "claude-sonnet-4-5-20250929", 3, 1111, 418, 33, 0, False),  # OpenLLMetry
    ("openai", "gpt-5-nano-2025-08-07", 15, 0, 0, 993, 960, True),  # OpenLLMetry reasoning
    ("openai", "gpt-3.5-turbo-0125", 68, 0, 0, 16, 0, False),  # 1.27-1.36
    ("aws", "us.meta.llama3-2-1b-instruct-v1:0", 52, 0, 0, 30, 0, False),  # 1.37
    ("openai", "gpt-4o-mini-2024-07-18", 1149 - 1024, 1024, 0, 353, 0, False),  # 1.40
    ("openai", "gpt-5-nano-2025-08-07", 15, 0, 0, 993, 960, True),  # 1.41
    ("aws", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 3, 2074, 297, 61, 0, False),  # rename
]


@pytest.mark.parametrize("line", range(len(GENERATIONS)))
def test_each_convention_generation_fills_the_buckets(line):
    record = records("semconv_generations.otlp.jsonl")[line]
    calls, rejected = parse_otlp_export(record)
    assert rejected == []
    (call,) = calls
    provider, model, inp, read, write, out, reasoning, stream = GENERATIONS[line]
    assert (call["provider"], call["model"]) == (provider, model)
    assert (call["input_tokens"], call["cache_read_tokens"], call["cache_write_tokens"],
            call["cache_write_1h_tokens"], call["output_tokens"],
            call["reasoning_tokens"]) == (inp, read, write, 0, out, reasoning)
    assert call["is_stream"] is stream
    assert call["status"] == "ok"
    assert call["api"] == "chat"
    assert call["provider_total_tokens"] is None
    assert call["is_partial"] is False


def test_generation_details():
    calls, _ = parse_file("semconv_generations.otlp.jsonl")
    openllmetry, _, legacy, bedrock, cached, _, _ = calls
    assert openllmetry["request_id"] == "msg_01KPaKTJSqAKoZri7Ujrny58"
    assert openllmetry["max_tokens"] == 1024
    assert openllmetry["event_at"] == datetime(2025, 10, 1, 6, 26, 40, 125000)
    assert openllmetry["latency_ms"] == 4210
    assert legacy["finish_reason"] == "tool_calls"
    assert legacy["finish_reason_raw"] == "tool_calls"
    assert legacy["user_id"] == "user-4711"  # enduser.id on the span
    assert legacy["project"] == "support-bot"
    assert bedrock["finish_reason"] == "stop"
    assert bedrock["finish_reason_raw"] == "end_turn"
    assert cached["service_tier"] == "default"


def test_rows_have_exactly_the_call_columns():
    names = ["logfire_claude_agent_sdk.otlp.json", "semconv_generations.otlp.jsonl",
             "agent_run_errors_and_non_calls.otlp.json", "malformed_beside_good.otlp.json"]
    calls = [call for name in names for call in parse_file(name)[0]]
    assert len(calls) == 2 + 7 + 4 + 2
    for call in calls:
        assert list(call) == list(CALL_COLUMNS)
        assert call["source"] == OTEL_SOURCE == "otel"
        assert call["has_envelope"] is False
        assert call["dedup_key"].startswith("otel:")


# ------------------------------------------------------------------------------ providers


@pytest.mark.parametrize(("attrs", "expected"), [
    ({"gen_ai.provider.name": "openai"}, "openai"),
    ({"gen_ai.provider.name": "anthropic"}, "anthropic"),
    ({"gen_ai.provider.name": "aws.bedrock"}, "aws"),
    ({"gen_ai.provider.name": "gcp.vertex_ai"}, "google"),
    ({"gen_ai.provider.name": "gcp.gemini"}, "google"),
    ({"gen_ai.provider.name": "gcp.gen_ai"}, "google"),
    ({"gen_ai.provider.name": "azure.ai.openai"}, "azure"),
    ({"gen_ai.provider.name": "azure.ai.inference"}, "azure"),
    ({"gen_ai.system": "az.ai.openai"}, "azure"),
    ({"gen_ai.system": "az.ai.inference"}, "azure"),
    ({"gen_ai.system": "vertex_ai"}, "google"),  # gen_ai.system before semconv 1.33
    ({"gen_ai.provider.name": "mistral_ai"}, "mistral"),
    ({"gen_ai.provider.name": "x_ai"}, "x-ai"),
    ({"gen_ai.provider.name": "groq"}, "groq"),
    ({"gen_ai.provider.name": "deepseek"}, "deepseek"),
    ({"gen_ai.provider.name": "cohere"}, "cohere"),
    ({"gen_ai.provider.name": "perplexity"}, "perplexity"),
    ({"gen_ai.provider.name": "ibm.watsonx.ai"}, "ibm.watsonx.ai"),
    ({"gen_ai.system": "Anthropic"}, "anthropic"),  # OpenLLMetry's spelling
    ({"gen_ai.system": "AWS"}, "aws"),
    ({"gen_ai.system": "MistralAI"}, "mistral"),  # through PROVIDER_ALIASES
    ({"gen_ai.system": "together_ai"}, "together"),
    ({"gen_ai.provider.name": "Ollama"}, "ollama"),  # unknown: kept, lower-cased
    ({"gen_ai.provider.name": "aws.bedrock", "gen_ai.system": "anthropic"}, "aws"),
    ({}, None),
])
def test_provider_names_map_to_the_price_book(attrs, expected):
    call = one_call({**attrs, "gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
                     "gen_ai.usage.input_tokens": 1})
    assert call["provider"] == expected


# ---------------------------------------------------------------------- attribute mapping


def test_parse_attribute_mapping():
    assert parse_attribute_mapping("") == AttributeMapping()
    assert AttributeMapping() == AttributeMapping(("service.name",), ("enduser.id", "user.id"), ())
    mapping = parse_attribute_mapping(
        "project=service.name|deployment.environment, user = enduser.id,api_key_id=app.key")
    assert mapping == AttributeMapping(project=("service.name", "deployment.environment"),
                                       user=("enduser.id",), api_key_id=("app.key",))
    # A field not named keeps its default.
    assert parse_attribute_mapping("api_key_id=app.key|key.id") == AttributeMapping(
        api_key_id=("app.key", "key.id"))
    assert parse_attribute_mapping("user=tenant.user").project == ("service.name",)


@pytest.mark.parametrize(("text", "message"), [
    ("team=service.name", "unknown field 'team'"),
    ("project=", "empty attribute name for 'project'"),
    ("user=enduser.id||user.id", "empty attribute name for 'user'"),
    ("user=enduser.id|", "empty attribute name for 'user'"),
    ("project", "expected field=attribute"),
    ("user=a,user=b", "given twice"),
])
def test_parse_attribute_mapping_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_attribute_mapping(text)


def test_mapping_span_attribute_before_resource_attribute():
    resource = {"service.name": "resource-service", "enduser.id": "resource-user"}
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1, "service.name": "span-service",
                     "enduser.id": "span-user"}, resource=resource)
    assert (call["project"], call["user_id"]) == ("span-service", "span-user")
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1}, resource=resource)
    assert (call["project"], call["user_id"]) == ("resource-service", "resource-user")


def test_mapping_fallbacks_in_order():
    mapping = parse_attribute_mapping(
        "project=app.project|service.name,user=enduser.id|user.id,api_key_id=app.key")
    resource = {"service.name": "svc", "user.id": "u-resource", "app.key": "key-7"}
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1}, resource=resource,
                    mapping=mapping)
    # app.project is absent: service.name; enduser.id is absent: user.id.
    assert (call["project"], call["user_id"], call["api_key_id"]) == ("svc", "u-resource",
                                                                      "key-7")
    # An earlier name on the resource beats a later name on the span.
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1, "user.id": "u-span"},
                    resource={**resource, "enduser.id": "e-resource"}, mapping=mapping)
    assert call["user_id"] == "e-resource"
    # Non-string values are skipped; long strings are cut to 200 characters.
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1, "enduser.id": 42,
                     "app.project": "p" * 300}, resource=resource, mapping=mapping)
    assert call["user_id"] == "u-resource"
    assert call["project"] == "p" * 200
    # Without a mapping for it, api_key_id stays empty.
    assert one_call({**CHAT, "gen_ai.usage.input_tokens": 1},
                    resource=resource)["api_key_id"] is None


def test_session_from_conversation_id_or_session_id():
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1, "session.id": "s-span"},
                    resource={"gen_ai.conversation.id": "conv-resource"})
    assert call["session_id"] == "conv-resource"
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1},
                    resource={"session.id": "s-resource"})
    assert call["session_id"] == "s-resource"


# ------------------------------------------ errors, no usage and spans that are not calls


def agent_run() -> tuple[dict[str, dict], list]:
    calls, rejected = parse_file("agent_run_errors_and_non_calls.otlp.json")
    return {call["dedup_key"].rsplit(":", 1)[1]: call for call in calls}, rejected


def test_non_calls_give_no_rows():
    calls, rejected = agent_run()
    assert rejected == []
    # invoke_agent without usage (…174), the HTTP client span (…175) and execute_tool (…178)
    # are not calls; ids are upper-case in the file and lower-case in keys.
    assert sorted(calls) == ["eee19b7ec3c1b176", "eee19b7ec3c1b177", "eee19b7ec3c1b179",
                             "eee19b7ec3c1b17a"]
    assert all(key.startswith("otel:5b8efff798038103d269b633813fc60c:")
               for key in (c["dedup_key"] for c in calls.values()))


def test_error_spans():
    calls, _ = agent_run()
    typed, untyped = calls["eee19b7ec3c1b176"], calls["eee19b7ec3c1b177"]
    assert typed["status"] == untyped["status"] == "error"
    assert typed["error_type"] == "RateLimitError"  # error.type before the status message
    assert untyped["error_type"].startswith("Error code: 429 - ")
    assert len(untyped["error_type"]) == 200
    for call in (typed, untyped):
        assert all(call[column] == 0 for column in TOKEN_COLUMNS)
        assert call["model"] == "gpt-4o-mini"
        assert call["user_id"] == "resource-user"
        assert call["latency_ms"] in (431, 380)


def test_chat_without_usage_is_no_usage_with_null_tokens():
    calls, _ = agent_run()
    call = calls["eee19b7ec3c1b179"]
    assert call["status"] == "no_usage"
    assert all(call[column] is None for column in TOKEN_COLUMNS)
    assert call["provider"] == "azure"
    assert call["is_stream"] is True
    assert call["finish_reason"] == "stop"


def test_embeddings_with_input_tokens_only():
    calls, _ = agent_run()
    call = calls["eee19b7ec3c1b17a"]
    assert (call["api"], call["status"], call["input_tokens"], call["output_tokens"]) == \
        ("embeddings", "ok", 8, 0)


def test_which_spans_without_usage_are_calls():
    # No operation but a requested model: a model call (older instrumentations).
    call = one_call({"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"})
    assert (call["status"], call["api"], call["input_tokens"]) == ("no_usage", "chat", None)
    for attrs in ({"gen_ai.operation.name": "invoke_agent", "gen_ai.request.model": "gpt-4o"},
                  {"gen_ai.operation.name": "create_agent", "gen_ai.agent.name": "a"},
                  {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "t"},
                  {"gen_ai.tool.name": "t"},
                  {"http.request.method": "POST", "url.full": "https://api.openai.com/v1"}):
        assert parse_otlp_export(export(span(attrs, status={"code": 2}))) == ([], [])
    # An agent span WITH usage is a call (logfire puts the final usage there).
    call = one_call({"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": 10,
                     "gen_ai.usage.output_tokens": 2})
    assert (call["api"], call["status"], call["input_tokens"]) == ("invoke_agent", "ok", 10)


def test_usage_wins_over_an_error_status():
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 10, "error.type": "timeout"},
                    status={"code": 2, "message": "stream cut"})
    assert (call["status"], call["input_tokens"], call["error_type"]) == ("ok", 10, None)


# ------------------------------------------------------------------------ malformed spans


def test_malformed_spans_are_rejected_while_their_neighbours_parse():
    calls, rejected = parse_file("malformed_beside_good.otlp.json")
    assert [(c["dedup_key"][-1], c["input_tokens"], c["output_tokens"]) for c in calls] == \
        [("1", 120, 40), ("7", 77, 5)]  # 77: a doubleValue 77.0 is an integer
    reasons = dict(rejected)
    assert sorted(reasons) == [1, 2, 3, 4, 5]
    assert reasons[1] == "non-integer token count gen_ai.usage.input_tokens='1200'"
    assert "intValue '12.5'" in reasons[4]
    assert "no valid spanId" in reasons[3]
    assert reasons[5] == ("gen_ai.usage.reasoning.output_tokens (64) exceeds "
                          "gen_ai.usage.output_tokens (10)")


def test_negative_uncached_input_is_rejected_naming_the_numbers():
    _, rejected = parse_file("malformed_beside_good.otlp.json")
    reason = dict(rejected)[2]
    assert reason.startswith("gen_ai.usage.input_tokens (3) is less than cache reads (1111) "
                             "+ cache writes (418)")
    # The same rule for OpenLLMetry's names and for partial usage.
    reason = rejection({**CHAT, "gen_ai.usage.prompt_tokens": 100,
                        "gen_ai.usage.cache_read_input_tokens": 101})
    assert "gen_ai.usage.prompt_tokens (100)" in reason and "(101)" in reason
    reason = rejection({**CHAT, "gen_ai.usage.partial.input_tokens": 5,
                        "gen_ai.usage.partial.cache_creation.input_tokens": 6},
                       parentSpanId="00f067aa0ba902b0")
    assert "gen_ai.usage.partial.input_tokens (5)" in reason


@pytest.mark.parametrize(("raw", "expected"), [
    ({"intValue": "9344"}, 9344),  # OTLP/JSON: int64 as a decimal string
    ({"intValue": 9344}, 9344),  # a JSON number is accepted too
    ({"intValue": "0"}, 0),
    ({"doubleValue": 5.0}, 5),
    ({"doubleValue": "5"}, 5),
])
def test_token_counts_as_otlp_values(raw, expected):
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": raw})
    assert call["input_tokens"] == expected


@pytest.mark.parametrize(("raw", "reason"), [
    ({"intValue": "-1"}, "negative token count gen_ai.usage.input_tokens=-1"),
    ({"intValue": "1e3"}, "non-integer token count gen_ai.usage.input_tokens: intValue '1e3'"),
    ({"intValue": "1_000"}, "intValue '1_000'"),
    ({"intValue": True}, "intValue True"),
    ({"doubleValue": 5.5}, "non-integer token count gen_ai.usage.input_tokens=5.5"),
    ({"doubleValue": "NaN"}, "non-integer token count gen_ai.usage.input_tokens=nan"),
    ({"stringValue": "12"}, "non-integer token count gen_ai.usage.input_tokens='12'"),
    ({"boolValue": True}, "non-integer token count gen_ai.usage.input_tokens=True"),
    ({"arrayValue": {"values": [{"intValue": "1"}]}}, "non-integer token count"),
    ("12", "non-integer token count gen_ai.usage.input_tokens: not an AnyValue object"),
])
def test_bad_token_values_reject_the_span(raw, reason):
    attrs = [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
             {"key": "gen_ai.usage.input_tokens", "value": raw}]
    calls, rejected = parse_otlp_export(export({**span({}), "attributes": attrs}))
    assert calls == []
    assert len(rejected) == 1
    assert reason in rejected[0][1]


def test_two_spellings_of_one_count_must_agree():
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 30,
                     "gen_ai.usage.prompt_tokens": 30,
                     "gen_ai.usage.cache_creation.input_tokens": 10,
                     "gen_ai.usage.cache_write.input_tokens": 10})
    assert (call["input_tokens"], call["cache_write_tokens"]) == (20, 10)
    reason = rejection({**CHAT, "gen_ai.usage.input_tokens": 30,
                        "gen_ai.usage.prompt_tokens": 31})
    assert reason == ("gen_ai.usage.input_tokens=30 contradicts "
                      "gen_ai.usage.prompt_tokens=31")


def test_span_numbers_count_every_span_in_document_order():
    good = {**CHAT, "gen_ai.usage.input_tokens": 1}
    bad = {**CHAT, "gen_ai.usage.input_tokens": "x"}
    record = {"resourceSpans": [
        export(span({"http.request.method": "GET"}), span(good, "0000000000000002"))
        ["resourceSpans"][0],
        export(span(bad, "0000000000000003"), "not a span", span(good, "0000000000000005"))
        ["resourceSpans"][0],
    ]}
    calls, rejected = parse_otlp_export(record)
    assert [c["dedup_key"][-1] for c in calls] == ["2", "5"]
    assert [number for number, _ in rejected] == [2, 3]
    assert rejected[1][1].startswith("span is not an object")


def test_spans_without_ids_or_with_bad_structure():
    usage = {**CHAT, "gen_ai.usage.input_tokens": 1}
    assert "no valid traceId" in rejection(usage, traceId=None)
    assert "no valid traceId" in rejection(usage, traceId="0" * 32)  # all zeros is invalid
    assert "no valid spanId" in rejection(usage, spanId="xyz")
    assert "nanoseconds" in rejection(usage, startTimeUnixNano="2026-01-01T00:00:00Z")
    calls, rejected = parse_otlp_export(export({**span({}), "attributes": {"a": 1}}))
    assert calls == [] and "attributes is not a list" in rejected[0][1]
    # A broken attribute entry on a GenAI call rejects it; on a non-GenAI span it is ignored.
    broken = [*attributes(usage), {"value": {"stringValue": "no key"}}]
    calls, rejected = parse_otlp_export(export({**span({}), "attributes": broken}))
    assert calls == [] and "is not a {key, value} pair" in rejected[0][1]
    broken = [*attributes({"http.request.method": "GET"}), "junk"]
    assert parse_otlp_export(export({**span({}), "attributes": broken})) == ([], [])


@pytest.mark.parametrize("record", [
    None,
    [],
    {"resourceSpans": {"scopeSpans": []}},
    {"resourceSpans": ["x"]},
    {"resourceSpans": [{"scopeSpans": {"spans": []}}]},
    {"resourceSpans": [{"scopeSpans": ["x"]}]},
    {"resourceSpans": [{"scopeSpans": [{"spans": {"traceId": TRACE}}]}]},
])
def test_a_record_that_cannot_be_walked_is_rejected_whole(record):
    with pytest.raises(Rejected):
        parse_otlp_export(record)  # type: ignore[arg-type]


def test_empty_and_sparse_exports():
    assert parse_otlp_export({"resourceSpans": []}) == ([], [])
    assert parse_otlp_export({"resourceSpans": [{}]}) == ([], [])
    assert parse_otlp_export({"resourceSpans": [{"scopeSpans": [{}]}]}) == ([], [])


def test_instrumentation_library_spans_is_read_like_scope_spans():
    attrs = {**CHAT, "gen_ai.usage.input_tokens": 7}
    old = parse_otlp_export(export(span(attrs), scope_key="instrumentationLibrarySpans"))
    new = parse_otlp_export(export(span(attrs)))
    assert old == new
    assert old[0][0]["input_tokens"] == 7


# --------------------------------------------------------------------- identity and time


def test_dedup_key_is_the_span_identity():
    attrs = {**CHAT, "gen_ai.usage.input_tokens": 5, "gen_ai.response.id": "chatcmpl-1"}
    first = one_call(attrs)
    again = one_call(attrs)  # the same span exported twice
    assert first["dedup_key"] == again["dedup_key"] == f"otel:{TRACE}:00f067aa0ba902b7"
    assert first["request_id"] == "chatcmpl-1"
    upper = one_call(attrs, traceId=TRACE.upper(), spanId="00F067AA0BA902B7")
    assert upper["dedup_key"] == first["dedup_key"]
    # protobuf's generic JSON mapping writes ids as base64: the same bytes, the same key.
    b64 = one_call(attrs, traceId=base64.b64encode(bytes.fromhex(TRACE)).decode(),
                   spanId=base64.b64encode(bytes.fromhex("00f067aa0ba902b7")).decode())
    assert b64["dedup_key"] == first["dedup_key"]


def test_partial_usage_keys():
    partial = {**CHAT, "gen_ai.usage.partial.input_tokens": 9,
               "gen_ai.usage.partial.output_tokens": 1}
    child = one_call(partial, parentSpanId="AAAAAAAAAAAAAAAA")
    assert child["is_partial"] is True
    assert child["dedup_key"] == f"otel:{TRACE}:aaaaaaaaaaaaaaaa"
    assert (child["input_tokens"], child["output_tokens"]) == (9, 1)
    for root in (None, ""):
        orphan = one_call(partial, parentSpanId=root)
        assert orphan["is_partial"] is True
        assert orphan["dedup_key"] == f"otel:{TRACE}:00f067aa0ba902b7"
    assert "invalid parentSpanId" in rejection(partial, parentSpanId="nope")
    # Final usage beside a partial snapshot: the final counts, the span is not partial.
    both = one_call({**partial, "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 4},
                    parentSpanId="AAAAAAAAAAAAAAAA")
    assert (both["is_partial"], both["input_tokens"], both["output_tokens"]) == (False, 12, 4)
    assert both["dedup_key"] == f"otel:{TRACE}:00f067aa0ba902b7"


def test_event_at_and_latency():
    usage = {**CHAT, "gen_ai.usage.input_tokens": 1}
    call = one_call(usage, startTimeUnixNano="1790000000123456789",
                    endTimeUnixNano="1790000002624056789")
    assert call["event_at"] == datetime(2026, 9, 21, 14, 13, 20, 123456)
    assert call["event_at"].tzinfo is None
    assert call["latency_ms"] == 2501  # 2500.6 ms
    call = one_call(usage, startTimeUnixNano=1790000000000000000,
                    endTimeUnixNano=1790000000200000000)  # numbers are accepted too
    assert (call["event_at"], call["latency_ms"]) == (datetime(2026, 9, 21, 14, 13, 20), 200)
    call = one_call(usage, endTimeUnixNano="1789999999000000000")  # ends before it starts
    assert call["latency_ms"] is None and call["event_at"] is not None
    call = one_call(usage, startTimeUnixNano="0", endTimeUnixNano=None)  # 0 means unset
    assert (call["event_at"], call["event_at_source"], call["latency_ms"]) == (None, None, None)


# ------------------------------------------------------------------------- other columns


def test_cost_is_an_exact_decimal():
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1, "gen_ai.usage.cost": 0.1})
    assert call["provider_reported_cost"] == Decimal("0.1")
    assert isinstance(call["provider_reported_cost"], Decimal)
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1, "operation.cost": 0.01039005})
    assert call["provider_reported_cost"] == Decimal("0.01039005")
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1, "gen_ai.usage.cost": "n/a"})
    assert call["provider_reported_cost"] is None


def test_model_finish_reason_and_stream_flags():
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1,
                     "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                     "gen_ai.response.finish_reasons": ["length", "stop"],
                     "gen_ai.request.stream": False})
    assert call["model"] == "gpt-4o-mini-2024-07-18"  # the response's model first
    assert (call["finish_reason"], call["finish_reason_raw"]) == ("length", "length")
    assert call["is_stream"] is False
    call = one_call({**CHAT, "gen_ai.usage.input_tokens": 1,
                     "gen_ai.response.finish_reasons": "end_turn", "llm.is_streaming": True})
    assert (call["model"], call["finish_reason"], call["is_stream"]) == ("gpt-4o-mini", "stop",
                                                                         True)
    assert one_call(CHAT)["api"] == "chat"
    no_operation = {"gen_ai.system": "openai", "gen_ai.request.model": "m",
                    "gen_ai.usage.input_tokens": 1}
    assert one_call(no_operation)["api"] == "chat"


# ------------------------------------------------------------------------------ record kinds


def test_record_kinds():
    assert is_otlp_export({"resourceSpans": []})
    assert is_otlp_export(records("logfire_claude_agent_sdk.otlp.json")[0])
    assert not is_otlp_export({"resourceSpans": {}})
    assert not is_otlp_export([{"resourceSpans": []}])
    assert not is_otlp_export({"resourceLogs": []})
    assert is_otlp_other_signal({"resourceLogs": []})
    assert is_otlp_other_signal({"resourceMetrics": [{"scopeMetrics": []}]})
    assert not is_otlp_other_signal({"resourceSpans": []})
    assert not is_otlp_other_signal("resourceLogs")
