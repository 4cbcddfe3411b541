"""Coding agents' transcripts: Claude Code and Codex CLI session files, one JSON line at a time.

Both agents write one JSONL file per session, most of whose lines are not API calls (the user's
messages, tool results, progress, snapshots). A line that is one of the agent's own but carries
no usage becomes no row and is counted as a record without a call; only usage becomes a row.

**Claude Code** (`projects/<project>/<session>.jsonl`, sub-agents under `<session>/subagents/`):
an assistant line's `message` is an Anthropic Messages response, so its usage is read by the
Messages parser (cache writes split 5-minute / 1-hour from `cache_creation`). One response is
logged on several lines (one per content block, and a streaming partial before the final):
every line of it gets the key of its `message.id`, and the ledger keeps one, the final (the
ranking in `sql/ledger/fct_requests_refresh.sql`: not a sidechain copy, then the largest
total). ccusage keys on (`message.id`, `requestId`) and then drops sidechain lines that repeat
a parent's `message.id` under a new requestId; an Anthropic message id names one response, so
keying on it alone gives the same counts in one step.

**Codex CLI** (`sessions/**/rollout-*.jsonl`): `event_msg` lines of `payload.type` token_count
carry the session's cumulative usage; the model comes from the last `turn_context`. A turn's
usage is `last_token_usage`, else the difference from the previous total (ccusage's rule); the
same total logged again is no new usage. That needs what came before in the file: `CodexState`,
which the reader carries from line to line and, for an appended file, from run to run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pipelines.parsing.anthropic import anthropic_usage
from pipelines.parsing.records import (
    Rejected,
    _count,
    _dict,
    _reported_cost,
    _string,
    finish,
    new_call,
    parse_timestamp,
)

CLAUDE_CODE = "claude_code"
CODEX_CLI = "codex_cli"
# The agents' own sub-folders of their home folder (~/.claude, ~/.codex) that hold transcripts.
CLAUDE_ROOTS = ("projects",)
CODEX_ROOTS = ("sessions", "archived_sessions")

# Lines of Claude Code's own that never hold a call even without a sessionId.
_CLAUDE_SESSIONLESS_TYPES = frozenset({"summary", "file-history-snapshot", "queue-operation"})
_CODEX_LINE_TYPES = frozenset({"session_meta", "turn_context", "event_msg", "response_item",
                               "compacted"})
# Codex logs before September 2025 name no model; ccusage prices them as this one.
CODEX_FALLBACK_MODEL = "gpt-5"
_USAGE_FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens",
                 "reasoning_output_tokens", "total_tokens")
_ROLLOUT_SESSION = re.compile(r"rollout-.*?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                              r"[0-9a-f]{12})\.jsonl", re.I)


def project_from_cwd(cwd) -> str | None:
    """The working directory's last component: the repository the agent worked in."""
    if not isinstance(cwd, str) or not cwd.strip("/\\"):
        return None
    return _string(os.path.basename(cwd.rstrip("/\\").replace("\\", "/")))


def _layout(path: str, roots: tuple[str, ...]) -> tuple[list[str], int | None]:
    """The path's parts and the index of the agent's own sub-folder in it (the last
    `projects` / `sessions` folder), if any."""
    parts = path.split("/")
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] in roots:
            return parts, index
    return parts, None


def claude_project_from_path(path: str) -> str | None:
    """The folder under `projects/` that Claude Code names after the working directory."""
    parts, index = _layout(path, CLAUDE_ROOTS)
    if index is not None and index + 1 < len(parts) - 1:
        return _string(parts[index + 1])
    return None


def user_from_path(path: str, roots: tuple[str, ...]) -> str | None:
    """Whose transcripts these are: the folder that holds the agent's folder, as in
    `<person>/.claude/projects/…` in the landing folder, or `<prefix>/~claude/projects/…` for a
    writer with a landing prefix that reads its machine's agent folders in place. None when the
    agent's folder is at the top (a transcript names no user)."""
    parts, index = _layout(path, roots)
    return _string(parts[index - 2]) if index is not None and index >= 2 else None


# ------------------------------------------------------------------------------- Claude Code


def is_claude_code_line(record: dict) -> bool:
    if isinstance(record.get("sessionId"), str) and (
            "message" in record or "uuid" in record or "type" in record):
        return True
    return record.get("type") in _CLAUDE_SESSIONLESS_TYPES and (
        "leafUuid" in record or "messageId" in record or "snapshot" in record
        or "operation" in record)


def parse_claude_code_line(record: dict, path: str) -> dict | None:
    """One transcript line -> a call (an assistant message with usage) or None."""
    message = record.get("message")
    if not isinstance(message, dict) or "usage" not in message:
        return None
    if message.get("role", "assistant") != "assistant" or message.get("model") == "<synthetic>":
        return None  # Claude Code's own stand-in messages (errors, interruptions): no API call
    usage = message["usage"]
    if not isinstance(usage, dict):
        raise Rejected("Claude Code message.usage is not an object")
    call = new_call()
    call.update(source=CLAUDE_CODE, provider="anthropic", api="messages")
    anthropic_usage(call, usage)
    call["model"] = _string(message.get("model"))
    call["finish_reason"], call["finish_reason_raw"] = finish(message.get("stop_reason"))
    message_id = _string(message.get("id"))
    call["request_id"] = message_id
    call["session_id"] = _string(record.get("sessionId"))
    call["is_sidechain"] = record.get("isSidechain") is True
    call["project"] = project_from_cwd(record.get("cwd")) or claude_project_from_path(path)
    call["user_id"] = user_from_path(path, CLAUDE_ROOTS)
    call["provider_reported_cost"] = _reported_cost(record.get("costUSD"))
    timestamp = parse_timestamp(record.get("timestamp"))
    if timestamp is None:
        raise Rejected(f"Claude Code line has no usable timestamp ({record.get('timestamp')!r})")
    call["event_at"], call["event_at_source"] = timestamp, "transcript"
    call["status"] = "ok"
    # Without a message id a line is its own call (ccusage does not deduplicate those either).
    call["dedup_key"] = f"anthropic:{message_id}" if message_id else None
    return call


# --------------------------------------------------------------------------------- Codex CLI


@dataclass
class CodexState:
    """What a Codex session file has said before the current line."""

    session_id: str | None = None
    cwd: str | None = None
    model: str | None = None
    total: dict[str, int] | None = None  # the last cumulative total_token_usage

    def to_json(self) -> dict:
        return {"session_id": self.session_id, "cwd": self.cwd, "model": self.model,
                "total": self.total}

    @classmethod
    def from_json(cls, data: dict | None) -> CodexState:
        data = data or {}
        return cls(data.get("session_id"), data.get("cwd"), data.get("model"), data.get("total"))


def is_codex_line(record: dict) -> bool:
    return record.get("type") in _CODEX_LINE_TYPES and "payload" in record


def is_codex_legacy_line(record: dict) -> bool:
    """Codex before its typed lines: a header with the session's id and instructions, then
    `record_type` state lines and bare response items; none holds usage."""
    return ("instructions" in record and "id" in record and "timestamp" in record
            and len(record) <= 5) or record.get("record_type") == "state"


def codex_session_from_path(path: str) -> str:
    """The uuid in a rollout file's name, else the path under `sessions/` without its
    extension (ccusage's session id)."""
    match = _ROLLOUT_SESSION.search(path.rsplit("/", 1)[-1])
    if match:
        return match.group(1).lower()
    parts, index = _layout(path, CODEX_ROOTS)
    return "/".join(parts[index + 1:] if index is not None else parts).removesuffix(
        ".gz").removesuffix(".jsonl")


def _usage(value, where: str) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    return {name: _count(value, name, where) for name in _USAGE_FIELDS}


def parse_codex_line(record: dict, state: CodexState, path: str) -> dict | None:
    """One rollout line -> a call (a token_count with new usage) or None; updates `state`."""
    payload = _dict(record.get("payload"))
    kind = record.get("type")
    if kind == "session_meta":
        state.session_id = _string(payload.get("id")) or state.session_id
        state.cwd = _string(payload.get("cwd"), 1000) or state.cwd
        return None
    if kind == "turn_context":
        state.model = _string(payload.get("model")) or state.model
        state.cwd = _string(payload.get("cwd"), 1000) or state.cwd
        return None
    if kind != "event_msg" or payload.get("type") != "token_count":
        return None
    info = payload.get("info")
    if not isinstance(info, dict):
        return None  # rate-limit snapshots: no usage
    total = _usage(info.get("total_token_usage"), "info.total_token_usage")
    last = _usage(info.get("last_token_usage"), "info.last_token_usage")
    previous = state.total
    if total is not None:
        if total == previous:
            return None  # the same total logged again
        state.total = total
    if last is not None:
        turn = last
    elif total is not None:
        turn = {k: total[k] - (previous or {}).get(k, 0) for k in _USAGE_FIELDS}
        if any(v < 0 for v in turn.values()):
            turn = total  # the totals started again (a new or resumed session)
    else:
        return None
    if not any(turn[k] for k in ("input_tokens", "output_tokens")):
        return None
    if turn["cached_input_tokens"] > turn["input_tokens"]:
        raise Rejected(f"Codex token_count: cached_input_tokens ({turn['cached_input_tokens']})"
                       f" exceed input_tokens ({turn['input_tokens']})")
    if turn["reasoning_output_tokens"] > turn["output_tokens"]:
        raise Rejected(f"Codex token_count: reasoning_output_tokens "
                       f"({turn['reasoning_output_tokens']}) exceed output_tokens "
                       f"({turn['output_tokens']})")
    call = new_call()
    call.update(source=CODEX_CLI, provider="openai", api="responses", status="ok")
    # Input includes the cached part, reasoning is part of the output (Responses API rules).
    call["input_tokens"] = turn["input_tokens"] - turn["cached_input_tokens"]
    call["cache_read_tokens"] = turn["cached_input_tokens"]
    call["output_tokens"] = turn["output_tokens"]
    call["reasoning_tokens"] = turn["reasoning_output_tokens"]
    call["model"] = (_string(info.get("model")) or _string(payload.get("model")) or state.model
                     or CODEX_FALLBACK_MODEL)
    session = state.session_id or codex_session_from_path(path)
    call["session_id"] = session[:200]
    call["project"] = project_from_cwd(state.cwd)
    call["user_id"] = user_from_path(path, CODEX_ROOTS)
    timestamp = parse_timestamp(record.get("timestamp"))
    if timestamp is None:
        raise Rejected(f"Codex line has no usable timestamp ({record.get('timestamp')!r})")
    call["event_at"], call["event_at_source"] = timestamp, "transcript"
    if total is not None:
        # The cumulative total names the turn: the same session read twice counts once.
        marker = ".".join(str(total[k]) for k in _USAGE_FIELDS)
        call["dedup_key"] = f"codex:{session}:{marker}"
    return call
