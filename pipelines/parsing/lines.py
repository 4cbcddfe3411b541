"""One record of a landing file, whatever wrote it, -> its calls.

An API log's record is one call (`parse_record`). A coding agent's transcript line is one call
or none (`agents`), an OpenTelemetry export holds as many calls as it has GenAI spans
(`otel`), and a LiteLLM logging payload is one call (`litellm`). What came before in the same
file matters only to Codex (`CodexState`), so the reader keeps one `FileContext` per file it
reads and hands it every record in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pipelines.parsing import agents, litellm, otel
from pipelines.parsing.envelopes import parse_record
from pipelines.parsing.records import Rejected, _content_hash


@dataclass(frozen=True)
class Mappings:
    """Which fields give a call's project, user and key where a source leaves it to a setting
    (TOKENWORKS_OTEL_ATTRIBUTES, TOKENWORKS_LITELLM_PROJECT): one value from the settings to
    every reader."""

    otel: otel.AttributeMapping = otel.DEFAULT_MAPPING
    litellm_project: litellm.ProjectMapping = litellm.DEFAULT_PROJECT_MAPPING

    @classmethod
    def parse(cls, otel_attributes: str, litellm_project: str) -> Mappings:
        return cls(otel.parse_attribute_mapping(otel_attributes),
                   litellm.parse_project_mapping(litellm_project))


DEFAULT_MAPPINGS = Mappings()


@dataclass
class FileContext:
    path: str  # the file's identity in the manifest, relative to the landing folder
    file_mtime: datetime | None = None
    mappings: Mappings = DEFAULT_MAPPINGS
    codex: agents.CodexState = field(default_factory=agents.CodexState)
    is_codex: bool = False  # a Codex session file: its untyped legacy lines are its own


def parse_line(record, context: FileContext) -> tuple[list[dict], list[tuple[int, str]]]:
    """(calls, rejected parts). No call and nothing rejected: a record that holds no call.
    Raises Rejected when the whole record is unusable."""
    if not isinstance(record, dict):
        raise Rejected(f"record is a JSON {type(record).__name__}, not an object")
    if otel.is_otlp_export(record):
        calls, rejected = otel.parse_otlp_export(record, context.mappings.otel)
        for call in calls:
            start = call["event_at"]
            if start is None or not 2015 <= start.year <= 2100:  # no start time, or a test's
                call["event_at"], call["event_at_source"] = context.file_mtime, "file_mtime"
        return calls, rejected
    if otel.is_otlp_other_signal(record):
        return [], []
    if litellm.is_litellm_payload(record):
        return [litellm.parse_litellm_payload(record, context.mappings.litellm_project,
                                              context.file_mtime)], []
    if "response" not in record and "stream" not in record:
        if agents.is_codex_line(record):
            context.is_codex = True
            return _one(agents.parse_codex_line(record, context.codex, context.path), record)
        if agents.is_codex_legacy_line(record) or (context.is_codex and "type" in record):
            context.is_codex = True
            return [], []
        if agents.is_claude_code_line(record):
            return _one(agents.parse_claude_code_line(record, context.path), record)
    return [parse_record(record, context.file_mtime)], []


def _one(call: dict | None, record: dict) -> tuple[list[dict], list[tuple[int, str]]]:
    if call is None:
        return [], []
    if call["dedup_key"] is None:
        call["dedup_key"] = f"{call['provider']}:h:{_content_hash(record)}"
    return [call], []
