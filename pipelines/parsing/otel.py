"""OpenTelemetry GenAI spans, exported as OTLP/JSON, become ledger rows (source "otel").

One record is one `ExportTraceServiceRequest` in the OTLP/JSON encoding
(https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): `resourceSpans[]` ->
`scopeSpans[]` (older exporters: `instrumentationLibrarySpans[]`) -> `spans[]`; field names in
lowerCamelCase; `traceId` / `spanId` / `parentSpanId` as hex (base64, which protobuf's generic JSON
mapping writes, is accepted and turned into hex); 64-bit integers (`startTimeUnixNano`,
`intValue`) as decimal strings; attributes as `[{key, value: AnyValue}]`; `status: {code,
message}` with code 2 (or "STATUS_CODE_ERROR") for an error. Pure: no files, no database.

Which spans are calls
    A span carrying usage (`gen_ai.usage.*` token counts) is a call, whatever its operation: an
    `invoke_agent` span with usage is one (logfire's Claude Agent SDK instrumentation puts the
    final usage there). A GenAI span without usage is a call only when its operation is a model
    call (chat, text_completion, generate_content, embeddings, or no operation but a
    `gen_ai.request.model`): status "error" (tokens 0) when the span status is ERROR, else
    "no_usage" with NULL token columns (usage unknown, not zero). Spans without any `gen_ai.*`
    attribute, and agent/tool spans without usage, are not calls.

Token attributes, every generation of the semantic conventions (checked against the sources)
    input       gen_ai.usage.input_tokens (semconv >= 1.27: open-telemetry/semantic-conventions
                #1200); gen_ai.usage.prompt_tokens (before 1.27; still written by OpenLLMetry)
    output      gen_ai.usage.output_tokens / gen_ai.usage.completion_tokens (same rename)
    cache read  gen_ai.usage.cache_read.input_tokens (semantic-conventions#3163, merged
                2026-01-27); OpenLLMetry's gen_ai.usage.cache_read_input_tokens
    cache write gen_ai.usage.cache_creation.input_tokens (#3163), renamed
                gen_ai.usage.cache_write.input_tokens in open-telemetry/semantic-conventions-genai
                #440; OpenLLMetry's gen_ai.usage.cache_creation_input_tokens
    reasoning   gen_ai.usage.reasoning.output_tokens (semantic-conventions#3383, issue #3194);
                OpenLLMetry's gen_ai.usage.reasoning_tokens (its OpenAI instrumentation,
                tests/traces/test_chat.py::test_chat_reasoning)
    The registry says input_tokens SHOULD include cache reads and writes, and reasoning SHOULD be
    included in output_tokens (OpenLLMetry's Anthropic instrumentation also sums input + cache
    read + cache creation into prompt_tokens). So the warehouse's input_tokens (uncached) is
    input - cache_read - cache_write; a negative result means the span broke that rule and is
    rejected, naming the numbers. Spans carry no 5-minute / 1-hour split of cache writes: every
    write is counted as a 5-minute write (cache_write_tokens; cache_write_1h_tokens = 0), the
    cheaper of Anthropic's two write prices. Two spellings of one count on the same span must
    agree, else the span is rejected. Token values must be non-negative integers (intValue, or a
    doubleValue holding an integer); anything else rejects the span.

Partial usage
    logfire puts a streaming snapshot on a CHILD span as `gen_ai.usage.partial.*` (same names
    under `partial.`) while the final usage is on its PARENT. A span with partial usage only is
    `is_partial` and takes its parent's dedup_key (`otel:{traceId}:{parentSpanId}`), so the
    warehouse keeps one of the two; without a parent it keeps its own key.

Other columns
    provider      gen_ai.provider.name (semconv >= 1.37, #2046) else gen_ai.system, mapped to the
                  price book's names (aws.bedrock -> aws, gcp.* -> google, az(ure).ai.* -> azure,
                  mistral_ai -> mistral, x_ai -> x-ai) and PROVIDER_ALIASES; unknown: as given,
                  lower-cased.
    api           gen_ai.operation.name, "chat" when absent.
    model         gen_ai.response.model else gen_ai.request.model; request_id gen_ai.response.id.
    dedup_key     otel:{traceId}:{spanId}: the span's own identity, so a span exported twice
                  counts once.
    event_at      startTimeUnixNano as naive UTC (event_at_source "span"); latency_ms from the
                  end time.
    project, user_id, api_key_id
                  from an AttributeMapping: each attribute name in order, the span's attribute
                  before the resource's; strings only.
    session_id    gen_ai.conversation.id else session.id (span, then resource).
    provider_reported_cost
                  gen_ai.usage.cost or operation.cost (logfire), as an exact Decimal.
    is_stream     gen_ai.request.stream (semconv registry) or OpenLLMetry's llm.is_streaming.
    service_tier  openai.response.service_tier (>= 1.37) or gen_ai.openai.response.service_tier.
    max_tokens    gen_ai.request.max_tokens.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pipelines.parsing.records import (
    PROVIDER_ALIASES,
    Rejected,
    _reported_cost,
    _string,
    finish,
    new_call,
    no_usage,
)

OTEL_SOURCE = "otel"

# Operations that are one request to a model (the semconv's inference and embeddings spans).
MODEL_CALL_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "embeddings"})

# gen_ai.provider.name / gen_ai.system values (old and new spellings) -> the price book's names.
SEMCONV_PROVIDERS = {
    "aws.bedrock": "aws", "gcp.vertex_ai": "google", "gcp.gemini": "google",
    "gcp.gen_ai": "google", "vertex_ai": "google", "az.ai.openai": "azure",
    "azure.ai.openai": "azure", "az.ai.inference": "azure", "azure.ai.inference": "azure",
    "mistral_ai": "mistral", "x_ai": "x-ai", "ibm.watsonx.ai": "ibm.watsonx.ai",
}

# Suffixes after "gen_ai.usage." (or "gen_ai.usage.partial."), preferred spelling first.
_INPUT = ("input_tokens", "prompt_tokens")
_OUTPUT = ("output_tokens", "completion_tokens")
_CACHE_READ = ("cache_read.input_tokens", "cache_read_input_tokens")
_CACHE_WRITE = ("cache_creation.input_tokens", "cache_write.input_tokens",
                "cache_creation_input_tokens")
_REASONING = ("reasoning.output_tokens", "reasoning_tokens")
_USAGE_SUFFIXES = (*_INPUT, *_OUTPUT, *_CACHE_READ, *_CACHE_WRITE, *_REASONING)
_FINAL = "gen_ai.usage."
_PARTIAL = "gen_ai.usage.partial."

_EPOCH = datetime(1970, 1, 1)
_HEX = re.compile(r"[0-9a-fA-F]+")
_INTEGER = re.compile(r"-?[0-9]+")
_UNSIGNED = re.compile(r"[0-9]+")
_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


# ---------------------------------------------------------------------- attribute mapping


@dataclass(frozen=True)
class AttributeMapping:
    """Which resource/span attributes give project, user and API key (fallbacks in order)."""

    project: tuple[str, ...] = ("service.name",)
    user: tuple[str, ...] = ("enduser.id", "user.id")
    api_key_id: tuple[str, ...] = ()


DEFAULT_MAPPING = AttributeMapping()
_MAPPING_FIELDS = ("project", "user", "api_key_id")


def attribute_mapping_text(mapping: AttributeMapping) -> str:
    """The setting that gives `mapping` (parse_attribute_mapping's inverse)."""
    return ",".join(f"{field}={'|'.join(names)}" for field in _MAPPING_FIELDS
                    if (names := getattr(mapping, field)))


def parse_attribute_mapping(text: str) -> AttributeMapping:
    """'project=service.name|deployment.environment,user=enduser.id,api_key_id=app.key'.

    Fields: project, user, api_key_id; `|` separates attribute names tried in order; a field not
    named keeps its default. Raises ValueError on an unknown field or an empty attribute name.
    """
    chosen: dict[str, tuple[str, ...]] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        field, sep, names = part.partition("=")
        field = field.strip()
        if not sep:
            raise ValueError(f"attribute mapping {part.strip()!r}: expected "
                             "field=attribute[|attribute...]")
        if field not in _MAPPING_FIELDS:
            raise ValueError(f"attribute mapping: unknown field {field!r} "
                             f"(known: {', '.join(_MAPPING_FIELDS)})")
        if field in chosen:
            raise ValueError(f"attribute mapping: field {field!r} given twice")
        attributes = tuple(name.strip() for name in names.split("|"))
        if not all(attributes):
            raise ValueError(f"attribute mapping: empty attribute name for {field!r} "
                             f"in {part.strip()!r}")
        chosen[field] = attributes
    return AttributeMapping(**chosen)


# ---------------------------------------------------------------------------- record kinds


def is_otlp_export(record) -> bool:
    """An OTLP/JSON trace export (ExportTraceServiceRequest), even one with no spans."""
    return isinstance(record, dict) and isinstance(record.get("resourceSpans"), list)


def is_otlp_other_signal(record) -> bool:
    """An OTLP/JSON logs or metrics export: a known record that holds no calls."""
    return isinstance(record, dict) and (isinstance(record.get("resourceLogs"), list)
                                         or isinstance(record.get("resourceMetrics"), list))


# ------------------------------------------------------------------------- OTLP/JSON values


class _Bad:
    """An attribute value that is not a valid OTLP AnyValue (kept to name it in a rejection)."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return self.why


def _any_value(value):
    """An OTLP/JSON AnyValue -> a Python value (None for an empty AnyValue)."""
    if not isinstance(value, dict):
        return _Bad(f"not an AnyValue object: {value!r:.80}")
    if "stringValue" in value:
        text = value["stringValue"]
        return text if isinstance(text, str) else _Bad(f"stringValue {text!r:.80}")
    if "boolValue" in value:
        flag = value["boolValue"]
        return flag if isinstance(flag, bool) else _Bad(f"boolValue {flag!r:.80}")
    if "intValue" in value:
        number = value["intValue"]
        if type(number) is int:
            return number
        if isinstance(number, str) and _INTEGER.fullmatch(number):
            return int(number)
        return _Bad(f"intValue {number!r:.80}")
    if "doubleValue" in value:
        number = value["doubleValue"]
        if isinstance(number, int | float) and not isinstance(number, bool):
            return float(number)
        if isinstance(number, str) and (_NUMBER.fullmatch(number)
                                        or number in ("NaN", "Infinity", "-Infinity")):
            return float(number)
        return _Bad(f"doubleValue {number!r:.80}")
    if "arrayValue" in value:
        values = value["arrayValue"].get("values") if isinstance(value["arrayValue"],
                                                                 dict) else None
        return [_any_value(item) for item in values] if isinstance(values, list) else []
    if "kvlistValue" in value:
        pairs = value["kvlistValue"].get("values") if isinstance(value["kvlistValue"],
                                                                dict) else None
        return _attributes(pairs, "kvlistValue")[0]
    if "bytesValue" in value:
        data = value["bytesValue"]
        return data if isinstance(data, str) else _Bad(f"bytesValue {data!r:.80}")
    return None


def _attributes(raw, where: str) -> tuple[dict, list[str]]:
    """`[{key, value}]` -> ({key: value}, problems). A missing list is no attributes."""
    if raw is None:
        return {}, []
    if not isinstance(raw, list):
        return {}, [f"{where} is not a list"]
    out: dict = {}
    problems = []
    for i, pair in enumerate(raw):
        if not isinstance(pair, dict) or not isinstance(pair.get("key"), str):
            problems.append(f"{where}[{i}] is not a {{key, value}} pair")
            continue
        out[pair["key"]] = None if pair.get("value") is None else _any_value(pair["value"])
    return out, problems


def _hex_id(value, size: int) -> str | None:
    """A trace id (16 bytes) or span id (8 bytes) as lower-case hex; None if absent or invalid."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 2 * size and _HEX.fullmatch(value):
        hex_id = value.lower()
    else:  # protobuf's generic JSON mapping writes bytes as base64
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(raw) != size:
            return None
        hex_id = raw.hex()
    return None if hex_id == "0" * (2 * size) else hex_id  # all zeros is an invalid id


def _nanos(value, where: str) -> int | None:
    """A fixed64 time (a decimal string or a number) in ns since the epoch; 0 means unset."""
    if value is None:
        return None
    if type(value) is int and value >= 0:
        return value or None
    if isinstance(value, str) and _UNSIGNED.fullmatch(value):
        return int(value) or None
    raise Rejected(f"span {where} is not a count of nanoseconds: {value!r:.80}")


def _first(attrs: dict, *keys: str):
    for key in keys:
        value = attrs.get(key)
        if value is not None and not isinstance(value, _Bad):
            return value
    return None


def _lookup(names: tuple[str, ...], span_attrs: dict, resource_attrs: dict) -> str | None:
    """The first name that gives a non-empty string: the span's attribute, then the resource's."""
    for name in names:
        for attrs in (span_attrs, resource_attrs):
            value = _string(attrs.get(name))
            if value is not None:
                return value
    return None


def _provider(attrs: dict) -> str | None:
    raw = _string(_first(attrs, "gen_ai.provider.name")) or _string(_first(attrs, "gen_ai.system"))
    if raw is None or not raw.strip():
        return None
    name = raw.strip().lower()
    name = SEMCONV_PROVIDERS.get(name, name)
    return PROVIDER_ALIASES.get(name, name)


# ---------------------------------------------------------------------------------- usage


def _token_count(value, key: str) -> int:
    if isinstance(value, _Bad):
        raise Rejected(f"non-integer token count {key}: {value.why}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected(f"non-integer token count {key}={value!r:.80}")
    if isinstance(value, float):
        if not value.is_integer():
            raise Rejected(f"non-integer token count {key}={value!r}")
        value = int(value)
    if value < 0:
        raise Rejected(f"negative token count {key}={value}")
    return value


def _tokens(attrs: dict, prefix: str, suffixes: tuple[str, ...]) -> tuple[str, int]:
    """(the attribute used, its count); every spelling present must agree. Absent: 0."""
    found: tuple[str, int] | None = None
    for suffix in suffixes:
        key = prefix + suffix
        if attrs.get(key) is None:
            continue
        count = _token_count(attrs[key], key)
        if found is None:
            found = (key, count)
        elif found[1] != count:
            raise Rejected(f"{found[0]}={found[1]} contradicts {key}={count}")
    return found or (prefix + suffixes[0], 0)


def _has_usage(attrs: dict, prefix: str) -> bool:
    return any(attrs.get(prefix + suffix) is not None for suffix in _USAGE_SUFFIXES)


def _usage(call: dict, attrs: dict, prefix: str) -> None:
    input_key, total_input = _tokens(attrs, prefix, _INPUT)
    _, cache_read = _tokens(attrs, prefix, _CACHE_READ)
    _, cache_write = _tokens(attrs, prefix, _CACHE_WRITE)
    output_key, output = _tokens(attrs, prefix, _OUTPUT)
    reasoning_key, reasoning = _tokens(attrs, prefix, _REASONING)
    uncached = total_input - cache_read - cache_write
    if uncached < 0:
        raise Rejected(f"{input_key} ({total_input}) is less than cache reads ({cache_read}) "
                       f"+ cache writes ({cache_write}); the input count must include cached "
                       "tokens")
    if reasoning > output:
        raise Rejected(f"{reasoning_key} ({reasoning}) exceeds {output_key} ({output})")
    call.update(input_tokens=uncached, cache_read_tokens=cache_read,
                cache_write_tokens=cache_write, cache_write_1h_tokens=0, output_tokens=output,
                reasoning_tokens=reasoning)


def _is_error(status) -> bool:
    return isinstance(status, dict) and status.get("code") in (2, "STATUS_CODE_ERROR")


# ---------------------------------------------------------------------------------- spans


def _span_call(span, resource_attrs: dict, resource_problems: list[str],
               mapping: AttributeMapping) -> dict | None:
    """One span -> a call, None when it is not one, or Rejected."""
    if not isinstance(span, dict):
        raise Rejected(f"span is not an object: {span!r:.80}")
    raw_attributes = span.get("attributes")
    if raw_attributes is not None and not isinstance(raw_attributes, list):
        raise Rejected("span attributes is not a list: cannot tell whether it is a GenAI call")
    attrs, problems = _attributes(raw_attributes, "span attributes")
    if not any(key.startswith("gen_ai.") for key in attrs):
        return None
    final = _has_usage(attrs, _FINAL)
    partial = not final and _has_usage(attrs, _PARTIAL)
    operation = _string(_first(attrs, "gen_ai.operation.name"))
    model_call = (operation in MODEL_CALL_OPERATIONS if operation is not None
                  else _first(attrs, "gen_ai.request.model") is not None)
    if not (final or partial or model_call):
        return None  # an agent, tool or other GenAI span without usage
    if problems or resource_problems:
        raise Rejected("; ".join(problems + resource_problems))

    trace_id = _hex_id(span.get("traceId"), 16)
    span_id = _hex_id(span.get("spanId"), 8)
    if trace_id is None:
        raise Rejected(f"span has no valid traceId: {span.get('traceId')!r:.80}")
    if span_id is None:
        raise Rejected(f"span has no valid spanId: {span.get('spanId')!r:.80}")

    call = new_call()
    call.update(source=OTEL_SOURCE, has_envelope=False, dedup_key=f"otel:{trace_id}:{span_id}")
    if final or partial:
        _usage(call, attrs, _FINAL if final else _PARTIAL)
        call["status"] = "ok"
        if partial:
            call["is_partial"] = True
            parent = span.get("parentSpanId")
            if parent:  # absent or "" for a root span
                parent_id = _hex_id(parent, 8)
                if parent_id is None:
                    raise Rejected(f"partial-usage span has an invalid parentSpanId: "
                                   f"{parent!r:.80}")
                call["dedup_key"] = f"otel:{trace_id}:{parent_id}"
    elif _is_error(span.get("status")):
        call["status"] = "error"
        call["error_type"] = (_string(_first(attrs, "error.type"))
                              or _string(span["status"].get("message")))
    else:
        no_usage(call)

    call["provider"] = _provider(attrs)
    call["api"] = operation or "chat"
    call["model"] = (_string(_first(attrs, "gen_ai.response.model"))
                     or _string(_first(attrs, "gen_ai.request.model")))
    call["request_id"] = _string(_first(attrs, "gen_ai.response.id"))

    start = _nanos(span.get("startTimeUnixNano"), "startTimeUnixNano")
    end = _nanos(span.get("endTimeUnixNano"), "endTimeUnixNano")
    if start is not None:
        call["event_at"] = _EPOCH + timedelta(microseconds=start // 1000)
        call["event_at_source"] = "span"
        if end is not None and end >= start:
            call["latency_ms"] = round((end - start) / 1e6)

    call["project"] = _lookup(mapping.project, attrs, resource_attrs)
    call["user_id"] = _lookup(mapping.user, attrs, resource_attrs)
    call["api_key_id"] = _lookup(mapping.api_key_id, attrs, resource_attrs)
    call["session_id"] = _lookup(("gen_ai.conversation.id", "session.id"), attrs,
                                 resource_attrs)
    call["provider_reported_cost"] = _reported_cost(_first(attrs, "gen_ai.usage.cost",
                                                     "operation.cost"))
    reasons = _first(attrs, "gen_ai.response.finish_reasons")
    if isinstance(reasons, list):
        reasons = next((r for r in reasons if isinstance(r, str)), None)
    call["finish_reason"], call["finish_reason_raw"] = finish(_string(reasons))
    call["is_stream"] = (_first(attrs, "gen_ai.request.stream") is True
                         or _first(attrs, "llm.is_streaming") is True)
    call["service_tier"] = _string(_first(attrs, "openai.response.service_tier",
                                        "gen_ai.openai.response.service_tier"))
    max_tokens = _first(attrs, "gen_ai.request.max_tokens")
    if type(max_tokens) is int and max_tokens > 0:
        call["max_tokens"] = max_tokens
    return call


def _list(container: dict, key: str, where: str) -> list:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Rejected(f"OTLP export: {where}.{key} is not a list; its spans cannot be read")
    return value


def parse_otlp_export(record: dict, mapping: AttributeMapping = DEFAULT_MAPPING,
                      ) -> tuple[list[dict], list[tuple[int, str]]]:
    """An ExportTraceServiceRequest -> (calls, rejected).

    `rejected` holds (span number from 0 in document order, reason) for spans that are, or may
    be, calls but cannot be made a row; the other spans of the record still become calls. A
    record whose structure cannot be walked (resourceSpans, scopeSpans or spans not lists, or
    not objects) raises Rejected as a whole: which of its spans carried usage is unknowable.
    """
    if not isinstance(record, dict):
        raise Rejected("OTLP export is not a JSON object")
    if not isinstance(record.get("resourceSpans"), list):
        raise Rejected("OTLP export: resourceSpans is not a list")
    calls: list[dict] = []
    rejected: list[tuple[int, str]] = []
    number = 0
    for r, resource_spans in enumerate(record["resourceSpans"]):
        where = f"resourceSpans[{r}]"
        if not isinstance(resource_spans, dict):
            raise Rejected(f"OTLP export: {where} is not an object")
        resource = resource_spans.get("resource")
        resource_attrs: dict
        resource_problems: list[str]
        if resource is None:
            resource_attrs, resource_problems = {}, []
        elif isinstance(resource, dict):
            resource_attrs, resource_problems = _attributes(resource.get("attributes"),
                                                            f"{where}.resource.attributes")
        else:
            resource_attrs, resource_problems = {}, [f"{where}.resource is not an object"]
        scope_key = ("scopeSpans" if resource_spans.get("scopeSpans") is not None
                     else "instrumentationLibrarySpans")
        for s, scope_spans in enumerate(_list(resource_spans, scope_key, where)):
            if not isinstance(scope_spans, dict):
                raise Rejected(f"OTLP export: {where}.{scope_key}[{s}] is not an object")
            for span in _list(scope_spans, "spans", f"{where}.{scope_key}[{s}]"):
                try:
                    call = _span_call(span, resource_attrs, resource_problems, mapping)
                except Rejected as exc:
                    rejected.append((number, str(exc)))
                else:
                    if call is not None:
                        calls.append(call)
                number += 1
    return calls, rejected
