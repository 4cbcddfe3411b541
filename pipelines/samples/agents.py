"""Coding agents' session transcripts and an OpenTelemetry span export, beside the API logs.

What a few developers' machines and one instrumented service leave in a landing folder, in the
shapes the real tools write (the recorded examples in tests/fixtures/agent_logs/ and
tests/fixtures/otel/; pipelines/parsing/agents.py and otel.py read them):

- Claude Code: `agents/<user>/claude/projects/<project>/<session>.jsonl`, one line per event:
  snapshots, hook progress, the user's prompts, tool results, and the assistant's responses
  logged one line per content block (a streaming partial first, now and then), every line of a
  response carrying its message id and usage; a sub-agent's own file under
  `<session>/subagents/agent-<id>.jsonl` (isSidechain).
- Codex CLI: `agents/<user>/codex/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl`:
  session_meta, a turn_context per turn, response items, and token_count events carrying the
  session's cumulative usage (a rate-limit snapshot without usage first, a total logged twice).
- OpenTelemetry: `otel/traces-YYYY-MM-DD.jsonl`, one OTLP/JSON ExportTraceServiceRequest per
  line, one agent run each (semantic conventions 1.37+): an invoke_agent span, its chat spans
  with usage (and the odd error), and tool spans, which are not calls.

Drawn from a random stream of their own (seeded from the generator's seed), written after the
API logs: the API-log files of a seed stay byte-identical whether or not these exist. Models are
ones the price book knows. Counted as the manifest counts them: records = calls + repeats (lines
that log a call again) + records without a call.
"""

from __future__ import annotations

import base64
import datetime
import os
import random
from pathlib import Path

import orjson

from pipelines.samples.catalogue import FIRST_NAMES, VOCAB
from pipelines.samples.common import Draws

CLAUDE_VERSION = "2.1.38"
CODEX_VERSION = "0.46.0"
REPOSITORIES = ("billing-api", "web-frontend", "data-pipelines", "infra-terraform")
CLAUDE_MODELS = (("claude-opus-4-6", 0.55), ("claude-sonnet-4-5-20250929", 0.45))
SUBAGENT_MODELS = ("claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001")
CODEX_MODELS = ("gpt-5-codex", "gpt-5-codex", "gpt-5")
TOOLS = ("Bash", "Read", "Edit", "Grep", "Glob", "Write")
OTEL_SERVICES = (
    # service.name (the calls' project), provider, model, instrumentation scope
    ("triage-agent", "anthropic", "claude-sonnet-4-5-20250929",
     "opentelemetry.instrumentation.anthropic"),
    ("docs-assistant", "openai", "gpt-5-mini-2025-08-07",
     "opentelemetry.instrumentation.openai_v2"),
)
OTEL_DAYS = 7  # the span export holds the window's last week
SOURCES = ("claude_code", "codex_cli", "otel")


def empty_summary() -> dict:
    """What was written: files, bytes, records (as the manifest counts them), calls by source,
    repeats, records without a call, sessions, error calls."""
    return {"files": 0, "bytes": 0, "records": 0, "repeats": 0, "without_calls": 0,
            "calls": dict.fromkeys(SOURCES, 0), "sessions": {"claude_code": 0, "codex_cli": 0},
            "error_calls": 0}


def _stamp(moment: datetime.datetime) -> str:
    """An agent's timestamp: UTC with milliseconds and a Z, as both agents write it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _nanos(moment: datetime.datetime) -> str:
    """Epoch nanoseconds of a naive UTC time, whatever the machine's time zone."""
    seconds = int(moment.replace(tzinfo=datetime.UTC).timestamp())
    return str(seconds * 1_000_000_000 + moment.microsecond * 1000)


def _attributes(values: dict) -> list[dict]:
    """OTLP/JSON attributes: int64 as a decimal string, lists as arrayValue."""
    out = []
    for key, value in values.items():
        if isinstance(value, bool):
            wrapped: dict = {"boolValue": value}
        elif isinstance(value, int):
            wrapped = {"intValue": str(value)}
        elif isinstance(value, float):
            wrapped = {"doubleValue": value}
        elif isinstance(value, list):
            wrapped = {"arrayValue": {"values": [{"stringValue": v} for v in value]}}
        else:
            wrapped = {"stringValue": value}
        out.append({"key": key, "value": wrapped})
    return out


class AgentLogs(Draws):
    """Writes the transcripts and the span export of one generated window, and counts them."""

    def __init__(self, out: Path, requests: int, days: int, seed: int,
                 end_date: datetime.date):
        self.out = Path(out)
        self.rng = random.Random(f"tokenworks agent logs {seed}")
        self.first_day = end_date - datetime.timedelta(days=days - 1)
        self.end_date = end_date
        self.days = days
        # a few developers and a service per couple of thousand API calls, within bounds
        self.claude_sessions = max(2, min(24, requests // 400))
        self.codex_sessions = max(1, min(12, requests // 800))
        self.otel_runs = max(2, min(40, requests // 150))
        self.users = self.rng.sample(FIRST_NAMES, 4)
        self.summary = empty_summary()
        # the Claude Code session being written: its common fields, the line the next one
        # follows, the tokens in its prompt cache, its clock, and the tools awaiting results
        self.base: dict = {}
        self.parent: str | None = None
        self.context = 0
        self.now = datetime.datetime(end_date.year, end_date.month, end_date.day)
        self.pending_tools: list[dict] = []

    def _uuid(self) -> str:
        """A version-4 UUID, as both agents name sessions and lines."""
        h = self._hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"

    # ----------------------------------------------------------------------- the run

    def write(self) -> dict:
        for index, day in enumerate(self._session_days(self.claude_sessions)):
            self._claude_session(day, self.users[index % 3])
        for index, day in enumerate(self._session_days(self.codex_sessions)):
            self._codex_session(day, self.users[1 + index % 3])
        self._otel_export()
        return self.summary

    def _session_days(self, count: int) -> list[datetime.date]:
        """Weekdays mostly, more of them lately; the first always in the window's last week,
        so the default 30 days of the dashboards show every source."""
        rng = self.rng
        recent = max(0, self.days - 7)
        days = [self.first_day + datetime.timedelta(days=rng.randint(recent, self.days - 1))]
        while len(days) < count:
            offset = int(self.days * rng.random() ** 0.6)
            day = self.first_day + datetime.timedelta(days=min(offset, self.days - 1))
            if day.weekday() < 5 or rng.random() < 0.2:
                days.append(day)
        return sorted(days)

    def _start(self, day: datetime.date, first_hour: int = 7, last_hour: int = 17
               ) -> datetime.datetime:
        seconds = self.rng.randint(first_hour * 3600, last_hour * 3600)
        return (datetime.datetime(day.year, day.month, day.day)
                + datetime.timedelta(seconds=seconds, milliseconds=self.rng.randint(0, 999)))

    def _write(self, relative: str, lines: list[dict], last: datetime.datetime) -> None:
        data = b"".join(orjson.dumps(line) + b"\n" for line in lines)
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        stamp = last.replace(tzinfo=datetime.UTC).timestamp()
        os.utime(path, (stamp, stamp))  # the agent last wrote it at its last line
        self.summary["files"] += 1
        self.summary["bytes"] += len(data)

    def _words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choices(VOCAB, k=self.rng.randint(low, high)))

    def _signature(self) -> str:
        return base64.b64encode(self.rng.randbytes(96)).decode()

    # ----------------------------------------------------------------------- Claude Code

    def _claude_session(self, day: datetime.date, user: str) -> None:
        rng = self.rng
        repo = rng.choice(REPOSITORIES)
        cwd = f"/home/{user}/src/{repo}"
        session = self._uuid()
        model = rng.choices([m for m, _ in CLAUDE_MODELS], [w for _, w in CLAUDE_MODELS])[0]
        folder = f"agents/{user}/claude/projects/{cwd.replace('/', '-')}"
        self.now = self._start(day)
        self.base = {"isSidechain": False, "userType": "external", "cwd": cwd,
                     "sessionId": session, "version": CLAUDE_VERSION, "gitBranch": "main"}
        self.parent, self.context = None, 0
        lines: list[dict] = []
        for command in ("git status --short", "make lint"):
            lines.append(self._claude_progress(command))
        subagent_done = False
        for _ in range(rng.randint(3, 9)):
            prompt_id = self._uuid()
            lines.append({"type": "file-history-snapshot", "messageId": prompt_id,
                          "snapshot": {"messageId": prompt_id, "trackedFileBackups": {},
                                       "timestamp": _stamp(self.now)},
                          "isSnapshotUpdate": False})
            lines.append(self._claude_line("user", {"role": "user",
                                                    "content": self._words(6, 20)},
                                           uuid=prompt_id, extra={
                                               "thinkingMetadata": {"maxThinkingTokens": 31999},
                                               "todos": [], "permissionMode": "default"}))
            self.now += datetime.timedelta(seconds=rng.randint(20, 400))
            for step in range(rng.randint(1, 4)):
                spawn = not subagent_done and step == 0 and rng.random() < 0.4
                last = step > 0 and rng.random() < 0.35
                lines += self._claude_response(model, spawn=spawn, final=last)
                if spawn:
                    subagent_done = True
                    self._subagent(folder, session, cwd, user)
                lines += self._claude_tool_results()
                if last:
                    break
            if rng.random() < 0.08:  # Claude Code's stand-in for a failed request: no call
                lines.append(self._claude_line("assistant", {
                    "id": self._uuid(), "model": "<synthetic>", "role": "assistant",
                    "stop_reason": "stop_sequence", "stop_sequence": "", "type": "message",
                    "usage": {"input_tokens": 0, "output_tokens": 0,
                              "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
                    "content": [{"type": "text",
                                 "text": "API Error: 529 {\"type\":\"error\",\"error\":"
                                         "{\"type\":\"overloaded_error\","
                                         "\"message\":\"Overloaded\"}}"}]},
                    extra={"isApiErrorMessage": True}))
            self.now += datetime.timedelta(minutes=rng.randint(1, 25))
        self._write(f"{folder}/{session}.jsonl", lines, self.now)
        self.summary["sessions"]["claude_code"] += 1
        self._count_claude(lines)

    def _claude_line(self, kind: str, message: dict | None, *, uuid: str | None = None,
                     extra: dict | None = None) -> dict:
        line = {"parentUuid": self.parent, **self.base, **(extra or {})}
        if message is not None:
            line["message"] = message
        line.update(type=kind, uuid=uuid or self._uuid(), timestamp=_stamp(self.now))
        self.parent = line["uuid"]
        self.now += datetime.timedelta(milliseconds=self.rng.randint(150, 2500))
        return line

    def _claude_progress(self, command: str) -> dict:
        tool_use = self._uuid()
        return self._claude_line("progress", None, extra={
            "data": {"type": "hook_progress", "hookEvent": "SessionStart",
                     "hookName": "SessionStart:startup", "command": command},
            "parentToolUseID": tool_use, "toolUseID": tool_use})

    def _claude_usage(self, *, one_hour: bool, output: int) -> dict:
        """Claude Code's usage: the conversation so far read from the cache, what it added
        written to it (1-hour writes in the main session, 5-minute ones in a sub-agent's)."""
        rng = self.rng
        written = rng.randint(12_000, 16_000) if self.context == 0 else rng.randint(150, 4_000)
        read = self.context
        self.context += written
        return {"input_tokens": rng.randint(1, 40), "cache_creation_input_tokens": written,
                "cache_read_input_tokens": read,
                "cache_creation": {"ephemeral_5m_input_tokens": 0 if one_hour else written,
                                   "ephemeral_1h_input_tokens": written if one_hour else 0},
                "output_tokens": output, "service_tier": "standard",
                "inference_geo": "not_available"}

    def _claude_response(self, model: str, *, spawn: bool = False, final: bool = False,
                         one_hour: bool = True) -> list[dict]:
        """One API response, logged a line per content block, every line with the same message
        id, request id and usage; now and then a streaming partial (output so far) first."""
        rng = self.rng
        message_id = "msg_01" + self._b62(22)
        request_id = "req_011C" + self._b62(20)
        output = rng.randint(40, 900)
        usage = self._claude_usage(one_hour=one_hour, output=output)
        blocks: list[dict] = []
        if rng.random() < 0.5:
            blocks.append({"type": "thinking", "thinking": self._words(10, 30),
                           "signature": self._signature()})
        blocks.append({"type": "text", "text": self._words(8, 30)})
        if spawn:
            blocks.append({"type": "tool_use", "id": "toolu_01" + self._b62(22), "name": "Task",
                           "input": {"description": self._words(2, 4),
                                     "prompt": self._words(15, 40),
                                     "subagent_type": "general-purpose"}})
        elif not final:
            for _ in range(rng.randint(1, 2)):
                blocks.append({"type": "tool_use", "id": "toolu_01" + self._b62(22),
                               "name": rng.choice(TOOLS),
                               "input": {"command": self._words(2, 5)},
                               "caller": {"type": "direct"}})
        lines = []
        if rng.random() < 0.2:
            partial = dict(usage, output_tokens=rng.randint(1, max(1, output // 8)))
            lines.append(self._assistant(model, message_id, request_id, blocks[0], partial))
        for block in blocks:
            lines.append(self._assistant(model, message_id, request_id, block, usage))
        self.pending_tools = [b for b in blocks if b["type"] == "tool_use"]
        return lines

    def _assistant(self, model: str, message_id: str, request_id: str, block: dict,
                   usage: dict) -> dict:
        return self._claude_line("assistant", {
            "model": model, "id": message_id, "type": "message", "role": "assistant",
            "content": [block], "stop_reason": None, "stop_sequence": None, "usage": usage},
            extra={"requestId": request_id})

    def _claude_tool_results(self) -> list[dict]:
        lines = []
        for tool in self.pending_tools:
            lines.append(self._claude_line("user", {"role": "user", "content": [{
                "tool_use_id": tool["id"], "type": "tool_result",
                "content": self._words(5, 40), "is_error": self.rng.random() < 0.05}]},
                extra={"toolUseResult": {"stdout": self._words(3, 12), "stderr": "",
                                         "interrupted": False, "isImage": False}}))
        self.pending_tools = []
        return lines

    def _subagent(self, folder: str, session: str, cwd: str, user: str) -> None:
        """A Task's sub-agent: its own file beside the session, every line a sidechain."""
        rng = self.rng
        saved = (self.base, self.parent, self.context, self.now)
        agent_id = self._hex(7)
        self.base = {**self.base, "isSidechain": True, "agentId": agent_id,
                     "slug": "-".join(rng.choices(VOCAB, k=3))}
        self.parent, self.context = None, 0
        model = rng.choice(SUBAGENT_MODELS)
        lines = [self._claude_line("user", {"role": "user", "content": self._words(15, 40)})]
        steps = rng.randint(2, 4)
        for step in range(steps):
            lines += self._claude_response(model, final=step == steps - 1, one_hour=False)
            lines += self._claude_tool_results()
        self._write(f"{folder}/{session}/subagents/agent-{agent_id}.jsonl", lines, self.now)
        self._count_claude(lines)
        self.base, self.parent, self.context, self.now = saved

    def _count_claude(self, lines: list[dict]) -> None:
        seen: set[str] = set()
        for line in lines:
            self.summary["records"] += 1
            message = line.get("message") or {}
            if line.get("type") != "assistant" or message.get("model") == "<synthetic>":
                self.summary["without_calls"] += 1
            elif message["id"] in seen:
                self.summary["repeats"] += 1
            else:
                seen.add(message["id"])
                self.summary["calls"]["claude_code"] += 1

    # ----------------------------------------------------------------------- Codex CLI

    def _codex_session(self, day: datetime.date, user: str) -> None:
        rng = self.rng
        start = self._start(day)
        millis = int(start.replace(tzinfo=datetime.UTC).timestamp() * 1000)
        tail = self._hex(20)
        session = f"{millis:012x}"[:8] + "-" + f"{millis:012x}"[8:] + "-7" + tail[:3] + \
            "-" + "89ab"[int(rng.random() * 4)] + tail[3:6] + "-" + tail[6:18]
        repo = rng.choice(REPOSITORIES)
        cwd = f"/home/{user}/src/{repo}"
        model = rng.choice(CODEX_MODELS)
        now = start
        lines: list[dict] = []

        def line(kind: str, payload: dict) -> None:
            nonlocal now
            lines.append({"timestamp": _stamp(now), "type": kind, "payload": payload})
            now += datetime.timedelta(milliseconds=rng.randint(100, 3000))

        used = rng.uniform(1, 30)

        def rate_limits() -> dict:
            return {"primary": {"used_percent": round(used, 1), "window_minutes": 299,
                                "resets_in_seconds": rng.randint(600, 17_000)},
                    "secondary": {"used_percent": round(used / 4, 1), "window_minutes": 10079,
                                  "resets_in_seconds": rng.randint(50_000, 600_000)}}

        line("session_meta", {"id": session, "timestamp": _stamp(start), "cwd": cwd,
                              "originator": "codex_cli_rs", "cli_version": CODEX_VERSION,
                              "instructions": None, "source": "cli", "model_provider": "openai",
                              "git": {"commit_hash": self._hex(40), "branch": "main",
                                      "repository_url": f"git@github.com:acme/{repo}.git"}})
        line("response_item", {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": f"<environment_context>\n  <cwd>{cwd}</cwd>\n  "
                                           "<approval_policy>on-request</approval_policy>\n"
                                           "</environment_context>"}]})
        total = dict.fromkeys(("input_tokens", "cached_input_tokens", "output_tokens",
                               "reasoning_output_tokens", "total_tokens"), 0)
        context = rng.randint(6_000, 9_000)
        first_count = True
        for _ in range(rng.randint(2, 6)):
            line("turn_context", {"cwd": cwd, "approval_policy": "on-request",
                                  "sandbox_policy": {"mode": "workspace-write",
                                                     "network_access": False},
                                  "model": model, "effort": "medium", "summary": "auto"})
            text = self._words(6, 20)
            line("event_msg", {"type": "user_message", "message": text, "kind": "plain"})
            line("response_item", {"type": "message", "role": "user",
                                   "content": [{"type": "input_text", "text": text}]})
            if first_count:  # a rate-limit snapshot before any usage
                line("event_msg", {"type": "token_count", "info": None,
                                   "rate_limits": rate_limits()})
                first_count = False
            calls = rng.randint(1, 4)
            for call in range(calls):
                output = rng.randint(60, 2_500)
                reasoning = int(output * rng.uniform(0.2, 0.7))
                cached = 0 if total["input_tokens"] == 0 else int(context * rng.uniform(.7, .95))
                turn = {"input_tokens": context, "cached_input_tokens": cached,
                        "output_tokens": output, "reasoning_output_tokens": reasoning,
                        "total_tokens": context + output}
                context += output + rng.randint(200, 6_000)
                total = {k: total[k] + turn[k] for k in total}
                line("response_item", {"type": "reasoning", "summary": [
                    {"type": "summary_text", "text": self._words(5, 15)}], "content": None,
                    "encrypted_content": "gAAAAA" + self._b62(80)})
                done = call == calls - 1
                if not done:
                    call_id = "call_" + self._b62(24)
                    line("response_item", {"type": "function_call", "name": "shell",
                                           "arguments": orjson.dumps({"command": [
                                               "bash", "-lc", self._words(2, 4)]}).decode(),
                                           "call_id": call_id})
                used += rng.uniform(0.1, 1.5)
                line("event_msg", {"type": "token_count", "info": {
                    "total_token_usage": dict(total), "last_token_usage": turn,
                    "model_context_window": 272_000}, "rate_limits": rate_limits()})
                if rng.random() < 0.15:  # the same total logged again: no new usage
                    line("event_msg", {"type": "token_count", "info": {
                        "total_token_usage": dict(total), "last_token_usage": turn,
                        "model_context_window": 272_000}, "rate_limits": rate_limits()})
                if done:
                    reply = self._words(10, 40)
                    line("response_item", {"type": "message", "role": "assistant",
                                           "content": [{"type": "output_text", "text": reply}]})
                    line("event_msg", {"type": "agent_message", "message": reply})
                else:
                    line("response_item", {"type": "function_call_output", "call_id": call_id,
                                           "output": orjson.dumps({"output": self._words(3, 12),
                                                                   "metadata": {
                                                                       "exit_code": 0,
                                                                       "duration_seconds": 0.2}
                                                                   }).decode()})
            now += datetime.timedelta(minutes=rng.randint(1, 20))
        name = f"rollout-{start:%Y-%m-%dT%H-%M-%S}-{session}.jsonl"
        self._write(f"agents/{user}/codex/sessions/{start:%Y/%m/%d}/{name}", lines, now)
        self.summary["sessions"]["codex_cli"] += 1
        previous = None
        for record in lines:
            self.summary["records"] += 1
            info = record["payload"].get("info") if record["type"] == "event_msg" else None
            if info and info["total_token_usage"] != previous:
                previous = info["total_token_usage"]
                self.summary["calls"]["codex_cli"] += 1
            else:
                self.summary["without_calls"] += 1

    # ----------------------------------------------------------------------- OpenTelemetry

    def _otel_export(self) -> None:
        """Agent runs of two instrumented services over the window's last week, one export
        request per run, in time order."""
        rng = self.rng
        first = max(self.first_day, self.end_date - datetime.timedelta(days=OTEL_DAYS - 1))
        span_days = (self.end_date - first).days + 1
        starts = sorted(self._start(first + datetime.timedelta(days=rng.randrange(span_days)),
                                    0, 22) for _ in range(self.otel_runs))
        lines, last = [], starts[0]
        for start in starts:
            record, last = self._otel_run(start)
            lines.append(record)
        self._write(f"otel/traces-{first:%Y-%m-%d}.jsonl", lines, last)

    def _otel_run(self, start: datetime.datetime) -> tuple[dict, datetime.datetime]:
        rng = self.rng
        service, provider, model, scope = rng.choice(OTEL_SERVICES)
        trace = self._hex(32)
        root = self._hex(16)
        conversation = self._uuid()
        user = f"user-{rng.randint(1000, 9999)}"
        now = start + datetime.timedelta(milliseconds=rng.randint(5, 40))
        spans = []
        for step in range(rng.randint(1, 4)):
            begin = now
            now += datetime.timedelta(milliseconds=rng.randint(600, 14_000))
            attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": provider,
                          "gen_ai.request.model": model, "gen_ai.request.max_tokens": 4096,
                          "gen_ai.conversation.id": conversation, "enduser.id": user,
                          "server.address": f"api.{provider}.com"}
            status: dict = {}
            if rng.random() < 0.06:
                code, kind = ((529, "overloaded_error") if provider == "anthropic"
                              else (429, "rate_limit_exceeded"))
                attributes["error.type"] = kind
                status = {"code": 2, "message": f"Error code: {code} - {kind}"}
                self.summary["error_calls"] += 1
            else:
                cache_read = rng.randint(0, 6_000) if step else 0
                cache_write = rng.randint(500, 2_000) if provider == "anthropic" and not step \
                    else 0
                prompt = rng.randint(200, 3_000) + cache_read + cache_write
                output = rng.randint(30, 900)
                attributes.update({
                    "gen_ai.response.model": model,
                    "gen_ai.response.id": ("msg_01" + self._b62(22) if provider == "anthropic"
                                           else "chatcmpl-" + self._b62(29)),
                    "gen_ai.response.finish_reasons": ["tool_calls" if step < 2 else "stop"],
                    "gen_ai.usage.input_tokens": prompt, "gen_ai.usage.output_tokens": output,
                    "gen_ai.usage.cache_read.input_tokens": cache_read})
                if cache_write:
                    attributes["gen_ai.usage.cache_creation.input_tokens"] = cache_write
            spans.append({"traceId": trace, "spanId": self._hex(16), "parentSpanId": root,
                          "name": f"chat {model}", "kind": 3,
                          "startTimeUnixNano": _nanos(begin), "endTimeUnixNano": _nanos(now),
                          "attributes": _attributes(attributes), "status": status})
            self.summary["calls"]["otel"] += 1
            self.summary["records"] += 1
            if step < 2 and rng.random() < 0.7:  # a tool run: a GenAI span, not a call
                begin = now
                now += datetime.timedelta(milliseconds=rng.randint(20, 900))
                tool = rng.choice(("lookup_order", "search_docs", "create_ticket"))
                spans.append({"traceId": trace, "spanId": self._hex(16), "parentSpanId": root,
                              "name": f"execute_tool {tool}", "kind": 1,
                              "startTimeUnixNano": _nanos(begin), "endTimeUnixNano": _nanos(now),
                              "attributes": _attributes({"gen_ai.operation.name": "execute_tool",
                                                         "gen_ai.tool.name": tool,
                                                         "gen_ai.tool.call.id":
                                                             "call_" + self._b62(24)}),
                              "status": {}})
        agent = {"traceId": trace, "spanId": root, "name": f"invoke_agent {service}",
                 "kind": 1, "startTimeUnixNano": _nanos(start),
                 "endTimeUnixNano": _nanos(now + datetime.timedelta(milliseconds=3)),
                 "attributes": _attributes({"gen_ai.operation.name": "invoke_agent",
                                            "gen_ai.agent.name": service,
                                            "gen_ai.provider.name": provider,
                                            "gen_ai.conversation.id": conversation}),
                 "status": {}}
        record = {"resourceSpans": [{
            "resource": {"attributes": _attributes({
                "service.name": service, "service.version": "1.4.2",
                "deployment.environment.name": "prod",
                "telemetry.sdk.language": "python", "telemetry.sdk.name": "opentelemetry",
                "telemetry.sdk.version": "1.38.0"})},
            "scopeSpans": [{"scope": {"name": scope, "version": "0.59b0"},
                            # a batch processor exports spans as they end: the agent's last
                            "spans": [*spans, agent]}]}]}
        return record, now
