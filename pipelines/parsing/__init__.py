"""Pure parsing of logged LLM API responses into ledger rows.

One record (a bare provider body or an envelope around one) becomes one `Call` dict with the
columns of `CALL_COLUMNS`, or raises `Rejected` with a reason a person can act on. Nothing here
touches files or the database: the reader feeds records in, the warehouse loads what comes out.

Token buckets follow docs/token-accounting.md: non-overlapping, and where the provider reports a
total, input + cache_read + cache_write + cache_write_1h + output must equal it.

Modules, from the record inwards:
    lines      parse_line: a landing file's record, whatever logged it, -> its calls
    agents     Claude Code and Codex CLI transcript lines
    otel       OpenTelemetry GenAI spans in OTLP/JSON
    litellm    LiteLLM's logging payloads (StandardLoggingPayload)
    envelopes  parse_record / parse_stream_document: envelopes, request fields, the final row
    streams    SSE splitting and one stream reducer per provider family
    bodies     parse_body: dispatch a bare body on its shape (and OpenAI batch lines)
    openai     Chat Completions and OpenAI-compatible providers, Responses API, embeddings
    anthropic  Messages (direct, Bedrock invoke, Vertex) and Message Batches lines
    google     Gemini generateContent
    bedrock    Bedrock Converse
    cohere     Cohere chat
    errors     error bodies
    records    CALL_COLUMNS, BUCKETS, Rejected, the call template and shared helpers
"""

from __future__ import annotations

from pipelines.parsing.bodies import parse_body
from pipelines.parsing.envelopes import (
    MAX_TOKENS_FIELDS,
    VOLATILE_REQUEST_FIELDS,
    is_envelope,
    parse_record,
    parse_stream_document,
)
from pipelines.parsing.records import (
    BUCKETS,
    CALL_COLUMNS,
    FINISH_REASONS,
    PROVIDER_ALIASES,
    UNKNOWN_WITHOUT_USAGE,
    Rejected,
    finish,
    new_call,
    parse_timestamp,
)
from pipelines.parsing.streams import parse_stream, sse_events

__all__ = [
    "BUCKETS",
    "CALL_COLUMNS",
    "FINISH_REASONS",
    "MAX_TOKENS_FIELDS",
    "PROVIDER_ALIASES",
    "UNKNOWN_WITHOUT_USAGE",
    "VOLATILE_REQUEST_FIELDS",
    "Rejected",
    "finish",
    "is_envelope",
    "new_call",
    "parse_body",
    "parse_record",
    "parse_stream",
    "parse_stream_document",
    "parse_timestamp",
    "sse_events",
]
