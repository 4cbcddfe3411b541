"""Coding agents' transcripts benchmark: prints figures, asserts nothing.

    make bench                              # ~300 MB of transcripts, 2 rounds
    python bench/agent_bench.py --mb 20     # a quicker look
    python bench/agent_bench.py --rounds 3 --keep

Generates once (kept under --out, reused for the same --mb and --seed) a folder of transcripts
shaped like the real ones in tests/fixtures/agent_logs: Claude Code sessions
(`claude/projects/<project>/<session>.jsonl`, sub-agents under `<session>/subagents/`) and
Codex CLI rollouts (`codex/sessions/YYYY/MM/DD/rollout-<ts>-<uuid>.jsonl`) over 30 days, each
0.1-10 MB, mostly tool output. Then, round after round (--rounds), on that same folder:
  - `tokenworks ingest` (the CLI, a fresh warehouse in a temporary folder) with the transcripts
    copied into the landing folder, then read in place (TOKENWORKS_CLAUDE_DIR /
    TOKENWORKS_CODEX_HOME, an empty landing folder); after each, an unchanged re-run and an
    append (one Claude Code session grows by a few lines),
  - ccusage 20.0.24 (installed with npm under --out; `--offline`, nothing downloaded at run
    time): `ccusage daily --json` on the Claude folder, `ccusage codex daily --json` on the
    Codex folder, TZ=UTC, HOME an empty folder (so only the generated folder is read),
and compares the daily token totals of ccusage with the warehouse's. The ingest is the whole
run (ledger, pricing, marts, budgets), so a small folder measures mostly its fixed cost.

The generated lines follow the fixtures' shapes: user prompts, tool results (with Claude Code's
toolUseResult copy of the output), hook progress, file-history snapshots, summaries, queue
operations, `<synthetic>` stand-ins; an assistant message logged once per content block (2-6
lines, one message.id and requestId), about a third with a streaming partial's smaller
output_tokens before the final; 5-minute, 1-hour and mixed cache writes; claude-opus-4-6,
claude-sonnet-4-5-20250929, claude-haiku-4-5-20251001; sub-agent files (isSidechain), some
repeating the parent's message under a new requestId (ccusage #913); resumed sessions that
begin with an earlier session's lines. Codex: session_meta, turn_context (gpt-5-codex,
gpt-5.1-codex, switching), response items (reasoning, function calls and their output,
messages), cumulative token_count events, some logged twice with the same total, some with
info null, a few without last_token_usage.

Each command runs under a small helper process that is a child subreaper (orphaned descendants,
such as the ingest's forkserver workers, are reparented to it and reaped), so:
  - "peak RSS" is the kernel's ru_maxrss of RUSAGE_CHILDREN: the largest peak of any single
    process of the tree (not a sum),
  - "tree" is the largest sum of the tree's RSS, sampled every 20 ms with psutil (shared pages
    counted in each process; a peak shorter than 20 ms can be missed),
  - "CPU" is the user + system seconds of the whole tree (RUSAGE_CHILDREN),
  - seconds are the wall time of the command, from start to its exit.
Files are read from the page cache (the machine's memory holds them): warm-cache figures.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import datetime as dt
import io
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

from pipelines.warehouse.lake import Lake

REPO = Path(__file__).resolve().parent.parent
CCUSAGE_VERSION = "20.0.24"
END = dt.datetime(2026, 2, 28, tzinfo=dt.UTC)  # transcripts span the 30 days before
DAYS = 30

# ------------------------------------------------------------------------------ generation

PROJECTS = ("spotter", "tokenworks", "billing-api", "web-frontend", "infra", "ml-pipeline",
            "mobile-app", "docs-site", "data-tools", "auth-service", "search", "payments")
CLAUDE_MODELS = (("claude-opus-4-6", 0.55), ("claude-sonnet-4-5-20250929", 0.35),
                 ("claude-haiku-4-5-20251001", 0.10))
SUBAGENT_MODELS = (("claude-sonnet-4-5-20250929", 0.6), ("claude-haiku-4-5-20251001", 0.4))
CODEX_MODELS = ("gpt-5-codex", "gpt-5.1-codex")
TOOLS = ("Bash", "Read", "Read", "Edit", "Grep", "Glob", "Bash", "Read")
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
WORDS = (
    "the", "function", "returns", "a", "list", "of", "records", "that", "parser", "reads", "from",
    "each", "file", "and", "then", "checks", "whether", "schema", "matches", "what", "tests",
    "expect", "so", "we", "should", "update", "fixture", "before", "running", "suite", "again",
    "because", "cache", "key", "depends", "on", "path", "timestamp", "last", "change", "let",
    "me", "look", "at", "how", "module", "handles", "errors", "when", "input", "is", "empty",
    "or", "malformed", "I", "will", "add", "guard", "test", "for", "it",
)


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def weighted(rng: random.Random, choices) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Corpus:
    """Text to cut tool output, prose and signatures from: built once from the seeded RNG."""

    def __init__(self, rng: random.Random):
        lines = []
        for n in range(60_000):
            kind = rng.randrange(5)
            a, b = rng.randrange(1000), rng.randrange(100_000)
            if kind == 0:
                lines.append(f"    def handle_{a}(self, item_{b % 97}: dict) -> bool:"
                             f"  # {rng.choice(WORDS)} {rng.choice(WORDS)}")
            elif kind == 1:
                lines.append(f"2026-02-{1 + a % 27:02d} 10:{a % 60:02d}:{b % 60:02d}.{b % 1000:03d}"
                             f" [info] GET /api/v1/items/{b} 200 in {a % 90}ms")
            elif kind == 2:
                lines.append(f"tests/test_module_{a % 40}.py::test_case_{b % 500} PASSED"
                             f" [{n % 100:3d}%]")
            elif kind == 3:
                lines.append(f"-rw-r--r-- 1 dev dev {b:>7} Feb {1 + a % 27:2d} 10:{a % 60:02d}"
                             f" src/pkg_{a % 30}/module_{b % 200}.py")
            else:
                lines.append(f"{n:6d}\t    return {rng.choice(WORDS)}_{a}(value, "
                             f"{rng.choice(WORDS)}={b})")
        self.code = "\n".join(lines)
        self.prose = " ".join(rng.choice(WORDS) for _ in range(200_000))
        self.b64 = base64.b64encode(rng.randbytes(1_500_000)).decode()
        self.rng = rng

    def _cut(self, text: str, size: int) -> str:
        size = min(size, len(text) - 1)
        start = self.rng.randrange(len(text) - size)
        return text[start:start + size]

    def output(self, size: int) -> str:
        return self._cut(self.code, size)

    def words(self, size: int) -> str:
        return self._cut(self.prose, size).strip()

    def signature(self, size: int) -> str:
        return self._cut(self.b64, size)


class Lines:
    """A transcript being written: its bytes counted, its clock advanced line by line."""

    def __init__(self, fh, clock: dt.datetime, rng: random.Random):
        self.fh, self.clock, self.rng, self.bytes = fh, clock, rng, 0

    def write(self, record: dict) -> None:
        text = json.dumps(record, separators=(",", ":")) + "\n"  # ASCII: len = bytes
        self.fh.write(text)
        self.bytes += len(text)

    def tick(self, low: float, high: float) -> str:
        self.clock += dt.timedelta(seconds=self.rng.uniform(low, high))
        return iso(self.clock)


@dataclasses.dataclass
class Spawn:
    """A sub-agent started from a main session: its task, when, and the parent's message then."""

    clock: dt.datetime
    message: dict


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.corpus = Corpus(self.rng)
        self.counts = {"claude sessions": 0, "sub-agents": 0, "resumed copies": 0,
                       "codex sessions": 0, "claude bytes": 0, "codex bytes": 0}

    # ids as the agents write them
    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def b62(self, n: int) -> str:
        return "".join(self.rng.choices(BASE62, k=n))

    def lines(self, fh, clock: dt.datetime) -> Lines:
        return Lines(fh, clock, self.rng)

    # ---------------------------------------------------------------- Claude Code
    def claude_usage(self, state: dict, ttl: str) -> dict:
        rng = self.rng
        written = state.pop("pending", rng.randint(80, 900))
        if rng.random() < 0.02:  # the cache expired: the whole context is written again
            read, written = 0, state["ctx"] + written
        else:
            read = state["ctx"]
        state["ctx"] += written
        if state["ctx"] > 170_000:  # compacted
            state["ctx"] = rng.randint(15_000, 30_000)
        one_hour = ttl == "1h" or (ttl == "mixed" and rng.random() < 0.5)
        return {"input_tokens": rng.randint(1, 12) if read else rng.randint(3, 3000),
                "cache_creation_input_tokens": written, "cache_read_input_tokens": read,
                "cache_creation": {"ephemeral_5m_input_tokens": 0 if one_hour else written,
                                   "ephemeral_1h_input_tokens": written if one_hour else 0},
                "output_tokens": int(log_uniform(rng, 8, 4000)),
                "service_tier": "standard", "inference_geo": "not_available"}

    def tool_call(self, tool: str, cwd: str) -> tuple[dict, str, dict | None]:
        """A tool_use input, its result's text and Claude Code's toolUseResult copy."""
        rng, corpus = self.rng, self.corpus
        size = int(min(250_000, rng.lognormvariate(7.6, 1.3)))
        path = f"{cwd}/src/pkg_{rng.randrange(30)}/module_{rng.randrange(200)}.py"
        if tool == "Bash":
            command = rng.choice(("pytest -x -q", "git status", "ls -la src", "make lint",
                                  "grep -rn TODO src", "git diff --stat", "npm test"))
            out = corpus.output(size)
            return ({"command": command, "description": corpus.words(40)}, out,
                    {"stdout": out, "stderr": "", "interrupted": False, "isImage": False})
        if tool == "Read":
            out = corpus.output(size)
            lines = out.count("\n") + 1
            return ({"file_path": path}, out,
                    {"type": "text", "file": {"filePath": path, "content": out,
                                              "numLines": lines, "startLine": 1,
                                              "totalLines": lines}})
        if tool == "Edit":
            old, new = corpus.output(rng.randint(40, 800)), corpus.output(rng.randint(40, 800))
            return ({"file_path": path, "old_string": old, "new_string": new},
                    f"The file {path} has been updated.",
                    {"filePath": path, "oldString": old, "newString": new,
                     "userModified": False, "replaceAll": False})
        out = corpus.output(min(size, 20_000))
        return ({"pattern": rng.choice(WORDS), "path": cwd}, out,
                {"mode": "content", "numFiles": rng.randint(1, 40), "content": out})

    def claude_request(self, lines: Lines, base: dict, state: dict, model: str, ttl: str,
                       last: bool, spawns: list[Spawn] | None) -> None:
        """One API call, logged once per content block (2-6 lines with the same message id
        and requestId); with a tool, its progress and result lines in between."""
        rng, corpus = self.rng, self.corpus
        msg_id, req_id = "msg_01" + self.b62(22), "req_011C" + self.b62(20)
        usage = self.claude_usage(state, ttl)
        blocks = 2 if last else rng.randint(2, 6)
        kinds = ["thinking"] if model != "claude-haiku-4-5-20251001" and rng.random() < 0.6 \
            else []
        kinds.append("text")
        while len(kinds) < blocks:  # mostly tool calls, some more text
            kinds.append("text" if last or rng.random() < 0.45 else "tool_use")
        # A streaming partial: the lines before the last carry a smaller output_tokens.
        partial = usage["output_tokens"] > 40 and rng.random() < 0.35
        for index, kind in enumerate(kinds):
            if kind == "thinking":
                block = {"type": "thinking", "thinking": corpus.words(rng.randint(100, 1500)),
                         "signature": corpus.signature(rng.randint(300, 1200))}
            elif kind == "text":
                block = {"type": "text", "text": corpus.words(rng.randint(30, 800))}
            else:
                tool = rng.choice(TOOLS)
                call_input, result, copy = self.tool_call(tool, base["cwd"])
                block = {"type": "tool_use", "id": "toolu_01" + self.b62(22), "name": tool,
                         "input": call_input, "caller": {"type": "direct"}}
            line_usage = usage
            if partial and index < len(kinds) - 1:
                line_usage = {**usage, "output_tokens": rng.randint(1, 30)}
            line_uuid = self.uuid()
            lines.write({**base, "parentUuid": state["parent"], "message": {
                "model": model, "id": msg_id, "type": "message", "role": "assistant",
                "content": [block], "stop_reason": None, "stop_sequence": None,
                "usage": line_usage}, "requestId": req_id, "type": "assistant",
                "uuid": line_uuid, "timestamp": lines.tick(0.2, 8)})
            state["parent"] = line_uuid
            if kind != "tool_use":
                continue
            for _ in range(rng.randint(1, 3)):
                lines.write({**base, "parentUuid": state["parent"], "type": "progress", "data": {
                    "type": "hook_progress", "hookEvent": "PreToolUse",
                    "hookName": f"PreToolUse:{tool}",
                    "command": "${CLAUDE_PLUGIN_ROOT}/scripts/pre-tool.sh"},
                    "toolUseID": block["id"], "parentToolUseID": block["id"],
                    "uuid": self.uuid(), "timestamp": lines.tick(0.001, 0.05)})
            result_uuid = self.uuid()
            record = {**base, "parentUuid": line_uuid, "type": "user", "message": {
                "role": "user", "content": [{"tool_use_id": block["id"], "type": "tool_result",
                                             "content": result, "is_error": False}]},
                "uuid": result_uuid, "timestamp": lines.tick(0.1, 40),
                "sourceToolAssistantUUID": line_uuid}
            if copy is not None:
                record["toolUseResult"] = copy
            lines.write(record)
            state["parent"] = result_uuid
            state["pending"] = state.get("pending", 0) + len(result) // 4 + rng.randint(20, 400)
            if spawns is not None and len(spawns) < 5 and rng.random() < 0.012:
                spawns.append(Spawn(lines.clock, {"id": msg_id, "model": model,
                                                  "usage": usage}))

    def claude_session(self, lines: Lines, base: dict, model: str, ttl: str, budget: int,
                       spawns: list[Spawn] | None, first_task: str | None = None) -> None:
        rng, corpus = self.rng, self.corpus
        state: dict = {"ctx": rng.randint(12_000, 24_000), "parent": None}
        sidechain = spawns is None
        if not sidechain and rng.random() < 0.3:
            lines.write({"type": "summary", "summary": corpus.words(60),
                         "leafUuid": self.uuid()})
        while lines.bytes < budget:
            prompt_uuid = self.uuid()
            if not sidechain and rng.random() < 0.5:
                lines.write({"type": "file-history-snapshot", "messageId": prompt_uuid,
                             "snapshot": {"messageId": prompt_uuid, "trackedFileBackups": {},
                                          "timestamp": iso(lines.clock)},
                             "isSnapshotUpdate": False})
            prompt = first_task or corpus.words(rng.randint(20, 600))
            first_task = None
            lines.write({**base, "parentUuid": state["parent"], "type": "user",
                         "message": {"role": "user", "content": prompt},
                         "uuid": prompt_uuid, "timestamp": lines.tick(5, 1200),
                         **({} if sidechain else {"permissionMode": "default"})})
            state["parent"] = prompt_uuid
            if not sidechain and rng.random() < 0.03:  # Claude Code's own stand-in message
                lines.write({**base, "parentUuid": state["parent"], "type": "assistant",
                             "message": {"id": self.uuid(), "model": "<synthetic>",
                                         "role": "assistant", "type": "message",
                                         "content": [{"type": "text",
                                                      "text": "No response requested."}],
                                         "stop_reason": "stop_sequence",
                                         "usage": {"input_tokens": 0, "output_tokens": 0,
                                                   "cache_creation_input_tokens": 0,
                                                   "cache_read_input_tokens": 0}},
                             "uuid": self.uuid(), "timestamp": lines.tick(0.1, 1)})
            requests = rng.randint(1, 8)
            for index in range(requests):
                self.claude_request(lines, base, state, model, ttl, index == requests - 1,
                                    spawns)
                if lines.bytes >= budget:
                    break
            if not sidechain and rng.random() < 0.1:
                lines.write({"type": "queue-operation", "operation": "enqueue",
                             "timestamp": lines.tick(1, 30), "sessionId": base["sessionId"],
                             "content": "/mcp"})

    def claude_main(self, root: Path, budget: int, previous: dict[str, Path]) -> None:
        rng = self.rng
        project = rng.choice(PROJECTS)
        session = self.uuid()
        folder = root / "claude" / "projects" / f"-home-dev-projects-{project}"
        folder.mkdir(parents=True, exist_ok=True)
        cwd = f"/home/dev/projects/{project}"
        base = {"isSidechain": False, "userType": "external", "cwd": cwd, "sessionId": session,
                "version": rng.choice(("2.1.38", "2.1.39", "2.1.42")),
                "gitBranch": rng.choice(("main", "master", f"feature-{rng.randrange(99)}"))}
        model = weighted(rng, CLAUDE_MODELS)
        ttl = rng.choice(("1h", "1h", "5m", "mixed"))
        start = END - dt.timedelta(seconds=rng.uniform(3 * 3600, DAYS * 86400))
        spawns: list[Spawn] = []
        path = folder / f"{session}.jsonl"
        with open(path, "w") as fh:
            lines = self.lines(fh, start)
            earlier = previous.get(project)
            if earlier is not None and rng.random() < 0.08:
                # A resumed session: the earlier session's first lines copied, ids unchanged.
                self.counts["resumed copies"] += 1
                with open(earlier) as old:
                    head = old.read(min(earlier.stat().st_size, budget // 3, 2_000_000))
                for text in head.splitlines()[:-1]:
                    record = json.loads(text)
                    if "sessionId" in record:
                        record["sessionId"] = session
                    lines.write(record)
            self.claude_session(lines, base, model, ttl, budget, spawns)
        previous[project] = path
        self.counts["claude sessions"] += 1
        self.counts["claude bytes"] += path.stat().st_size
        for spawn in spawns:
            agent = f"{rng.getrandbits(28):07x}"
            sub = folder / session / "subagents" / f"agent-{agent}.jsonl"
            sub.parent.mkdir(parents=True, exist_ok=True)
            sub_base = {**base, "isSidechain": True, "agentId": agent,
                        "slug": "-".join(rng.sample(WORDS, 3))}
            with open(sub, "w") as fh:
                lines = self.lines(fh, spawn.clock)
                if rng.random() < 0.3:
                    # The parent's message repeated under a new requestId (ccusage #913).
                    lines.write({**sub_base, "parentUuid": None, "message": {
                        **spawn.message, "type": "message", "role": "assistant",
                        "content": [{"type": "text", "text": self.corpus.words(200)}],
                        "stop_reason": None, "stop_sequence": None},
                        "requestId": "req_011C" + self.b62(20), "type": "assistant",
                        "uuid": self.uuid(), "timestamp": lines.tick(0.1, 1)})
                self.claude_session(lines, sub_base, weighted(rng, SUBAGENT_MODELS), "5m",
                                    int(log_uniform(rng, 50_000, 2_000_000)), None,
                                    first_task=self.corpus.words(400))
            self.counts["sub-agents"] += 1
            self.counts["claude bytes"] += sub.stat().st_size

    # ------------------------------------------------------------------- Codex CLI
    def codex_session(self, root: Path, budget: int) -> None:
        rng, corpus = self.rng, self.corpus
        project = rng.choice(PROJECTS)
        cwd = f"/home/dev/projects/{project}"
        session = self.uuid()
        start = END - dt.timedelta(seconds=rng.uniform(3 * 3600, DAYS * 86400))
        folder = root / "codex" / "sessions" / start.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"rollout-{start.strftime('%Y-%m-%dT%H-%M-%S')}-{session}.jsonl"
        model = rng.choice(CODEX_MODELS)
        fields = ("input_tokens", "cached_input_tokens", "output_tokens",
                  "reasoning_output_tokens", "total_tokens")
        total = dict.fromkeys(fields, 0)
        ctx = rng.randint(8_000, 14_000)

        def limits() -> dict:
            return {"primary": {"used_percent": round(rng.uniform(0, 90), 1),
                                "window_minutes": 299, "resets_in_seconds": rng.randint(1, 18000)},
                    "secondary": {"used_percent": round(rng.uniform(0, 60), 1),
                                  "window_minutes": 10079,
                                  "resets_in_seconds": rng.randint(1, 600_000)}}

        with open(path, "w") as fh:
            lines = self.lines(fh, start)
            lines.write({"timestamp": iso(start), "type": "session_meta", "payload": {
                "id": session, "timestamp": iso(start), "cwd": cwd,
                "originator": "codex_cli_rs", "cli_version": rng.choice(("0.46.0", "0.58.0")),
                "instructions": corpus.words(rng.randint(500, 6000)), "source": "cli",
                "model_provider": "openai",
                "git": {"commit_hash": self.b62(40).lower(), "branch": "main",
                        "repository_url": f"git@github.com:dev/{project}.git"}}})
            lines.write({"timestamp": lines.tick(0.01, 0.1), "type": "response_item",
                         "payload": {"type": "message", "role": "user", "content": [
                             {"type": "input_text", "text": f"<environment_context>\n  <cwd>"
                              f"{cwd}</cwd>\n  <shell>bash</shell>\n</environment_context>"}]}})
            while lines.bytes < budget:
                if rng.random() < 0.08:
                    model = rng.choice(CODEX_MODELS)
                lines.write({"timestamp": lines.tick(5, 1500), "type": "turn_context",
                             "payload": {"cwd": cwd, "approval_policy": "on-request",
                                         "sandbox_policy": {"mode": "workspace-write"},
                                         "model": model, "effort": "medium",
                                         "summary": "auto"}})
                prompt = corpus.words(rng.randint(20, 800))
                lines.write({"timestamp": lines.tick(0.01, 0.1), "type": "response_item",
                             "payload": {"type": "message", "role": "user",
                                         "content": [{"type": "input_text", "text": prompt}]}})
                lines.write({"timestamp": lines.tick(0.001, 0.01), "type": "event_msg",
                             "payload": {"type": "user_message", "message": prompt,
                                         "kind": "plain"}})
                if rng.random() < 0.1:  # a rate-limit snapshot: no usage
                    lines.write({"timestamp": lines.tick(0.1, 1), "type": "event_msg",
                                 "payload": {"type": "token_count", "info": None,
                                             "rate_limits": limits()}})
                requests = rng.randint(1, 10)
                for index in range(requests):
                    summary = corpus.words(rng.randint(40, 400))
                    lines.write({"timestamp": lines.tick(1, 30), "type": "response_item",
                                 "payload": {"type": "reasoning", "summary": [
                                     {"type": "summary_text", "text": summary}],
                                     "content": None, "encrypted_content":
                                     "gAAAAA" + corpus.signature(rng.randint(800, 6000))}})
                    lines.write({"timestamp": lines.tick(0.001, 0.01), "type": "event_msg",
                                 "payload": {"type": "agent_reasoning", "text": summary}})
                    done = index == requests - 1
                    call_id = "call_" + self.b62(24)
                    if done:
                        text = corpus.words(rng.randint(50, 2000))
                        lines.write({"timestamp": lines.tick(0.5, 10), "type": "response_item",
                                     "payload": {"type": "message", "role": "assistant",
                                                 "content": [{"type": "output_text",
                                                              "text": text}]}})
                        lines.write({"timestamp": lines.tick(0.001, 0.01), "type": "event_msg",
                                     "payload": {"type": "agent_message", "message": text}})
                    else:
                        command = rng.choice(("rg -n TODO", "ls -la", "pytest -q",
                                              "sed -n 1,200p src/app.py", "git diff"))
                        lines.write({"timestamp": lines.tick(0.5, 10), "type": "response_item",
                                     "payload": {"type": "function_call", "name": "shell",
                                                 "arguments": json.dumps(
                                                     {"command": ["bash", "-lc", command],
                                                      "workdir": cwd}),
                                                 "call_id": call_id}})
                    # The call's usage: the context read (mostly cached) and the output.
                    cached = 0 if rng.random() < 0.05 else max(0, ctx - rng.randint(200, 3000))
                    cached -= cached % 128
                    output = int(log_uniform(rng, 30, 4000))
                    last = {"input_tokens": ctx, "cached_input_tokens": cached,
                            "output_tokens": output,
                            "reasoning_output_tokens": int(output * rng.uniform(0, 0.8)),
                            "total_tokens": ctx + output}
                    total = {k: total[k] + last[k] for k in fields}
                    info: dict = {"total_token_usage": total, "last_token_usage": last,
                                  "model_context_window": 272000}
                    if rng.random() < 0.03:  # only the total: the turn is the difference
                        del info["last_token_usage"]
                    event = {"type": "event_msg", "payload": {
                        "type": "token_count", "info": info, "rate_limits": limits()}}
                    lines.write({"timestamp": lines.tick(0.01, 0.2), **event})
                    if rng.random() < 0.2:  # the same total logged again
                        lines.write({"timestamp": lines.tick(0.01, 0.2), **event})
                    ctx += output
                    if not done:
                        size = int(min(250_000, rng.lognormvariate(7.4, 1.3)))
                        out = corpus.output(size)
                        lines.write({"timestamp": lines.tick(0.05, 60), "type": "response_item",
                                     "payload": {"type": "function_call_output",
                                                 "call_id": call_id, "output": json.dumps(
                                                     {"output": out, "metadata": {
                                                         "exit_code": 0,
                                                         "duration_seconds": 0.3}})}})
                        ctx += size // 4
                    if ctx > 220_000:  # compacted
                        ctx = rng.randint(10_000, 30_000)
        self.counts["codex sessions"] += 1
        self.counts["codex bytes"] += path.stat().st_size

    def append_text(self, path: Path) -> str:
        """A few more lines for a Claude Code session: a prompt, one call (2 lines) with a
        tool result, as a session that goes on writes them."""
        with open(path) as fh:
            last = json.loads(fh.readlines()[-1])
        base = {k: last[k] for k in ("isSidechain", "userType", "cwd", "sessionId", "version",
                                     "gitBranch") if k in last}
        clock = dt.datetime.strptime(last["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=dt.UTC)
        buffer = io.StringIO()
        lines = self.lines(buffer, clock)
        state = {"ctx": 30_000, "parent": last.get("uuid")}
        prompt_uuid = self.uuid()
        lines.write({**base, "parentUuid": state["parent"], "type": "user",
                     "message": {"role": "user", "content": "one more thing: run the tests"},
                     "uuid": prompt_uuid, "timestamp": lines.tick(60, 120)})
        state["parent"] = prompt_uuid
        self.claude_request(lines, base, state, "claude-opus-4-6", "1h", True, None)
        return buffer.getvalue()


def generate(root: Path, mb: float, seed: int) -> dict:
    gen = Generator(seed)
    target = int(mb * 1e6)
    previous: dict[str, Path] = {}
    written = 0
    while written < target:
        budget = int(log_uniform(gen.rng, 100_000, 10_000_000))
        budget = max(100_000, min(budget, target - written))
        if gen.rng.random() < 0.3:
            gen.codex_session(root, budget)
        else:
            gen.claude_main(root, budget, previous)
        written = gen.counts["claude bytes"] + gen.counts["codex bytes"]
    # The session that grows: the first main session of a project, as written.
    grows = sorted(previous.values())[0]
    appended = gen.append_text(grows)
    return {**gen.counts, "append_path": grows.relative_to(root).as_posix(),
            "append_text": appended}


def ensure_transcripts(out: Path, mb: float, seed: int) -> tuple[Path, dict]:
    root = out / f"transcripts-{mb:g}mb-{seed}"
    marker = root / "manifest.json"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        started = time.perf_counter()
        manifest = generate(root, mb, seed)
        marker.write_text(json.dumps(manifest))
        print(f"generated in {time.perf_counter() - started:.0f} s")
    return root, json.loads(marker.read_text())


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.jsonl"))


# ----------------------------------------------------------------------------- measuring

# Runs a command as a child subreaper: descendants orphaned on the way (the forkserver of the
# ingest's workers) are reparented here and reaped, so RUSAGE_CHILDREN covers the whole tree.
HELPER = r"""
import ctypes, json, os, resource, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
started = time.perf_counter()
code = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - started
deadline, orphans = time.monotonic() + 60, 0
while True:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid:
        orphans += 1
    elif time.monotonic() > deadline:
        break
    else:
        time.sleep(0.005)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "wall": wall, "maxrss": usage.ru_maxrss * 1024,
               "cpu": usage.ru_utime + usage.ru_stime, "orphans": orphans}, fh)
"""


class Failed(Exception):
    """A measured command exited with an error: a finding to print, not a reason to stop."""


@dataclasses.dataclass
class Run:
    seconds: float
    peak: int  # bytes: the largest process's peak (ru_maxrss)
    tree: int  # bytes: the largest sampled sum over the tree
    cpu: float
    stdout: str
    stderr: str
    by_name: dict[str, int]


class TreeSampler:
    """The largest summed RSS of a process's descendants (not the process itself)."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.peak = 0
        self.by_name: dict[str, int] = {}  # each program's largest single process
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            with contextlib.suppress(psutil.Error):
                for proc in self.root.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        rss = proc.memory_info().rss
                        total += rss
                        name = proc.name()
                        self.by_name[name] = max(self.by_name.get(name, 0), rss)
            self.peak = max(self.peak, total)
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def measure(command: list[str], env: dict, cwd: Path, what: str) -> Run:
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        proc = subprocess.Popen([sys.executable, "-c", HELPER, report.name, *command],
                                cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        sampler = TreeSampler(proc.pid)
        out, err = proc.communicate()
        tree = sampler.stop()
        result = json.loads(Path(report.name).read_text())
    if proc.returncode or result["code"]:
        tail = [line for line in (err or out).splitlines() if line.strip()][-4:]
        raise Failed(f"{what} exited with {result['code']}: " + " | ".join(
            line.strip()[:400] for line in tail))
    return Run(result["wall"], result["maxrss"], tree, result["cpu"], out, err,
               sampler.by_name)


def secs(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


def tokenworks_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("TOKENWORKS_")}


def connect(warehouse: Path):
    return Lake.locate(warehouse).connect(read_only=True)


def calls_in(warehouse: Path) -> dict[str, int]:
    conn = connect(warehouse)
    try:
        return dict(conn.execute(
            "SELECT source, count(*) FROM fct_requests GROUP BY 1 ORDER BY 1").fetchall())
    finally:
        conn.close()


CLAUDE_FIELDS = ("input", "output", "cache creation", "cache read")
CODEX_FIELDS = ("input (uncached)", "cache read", "output", "reasoning")


def warehouse_totals(warehouse: Path) -> dict[str, dict[str, tuple[int, ...]]]:
    conn = connect(warehouse)
    try:
        claude = conn.execute(
            "SELECT strftime(event_at::DATE, '%Y-%m-%d'), sum(input_tokens), "
            "sum(output_tokens), sum(coalesce(cache_write_tokens, 0) "
            "+ coalesce(cache_write_1h_tokens, 0)), sum(cache_read_tokens) "
            "FROM fct_requests WHERE source = 'claude_code' GROUP BY 1 ORDER BY 1").fetchall()
        codex = conn.execute(
            "SELECT strftime(event_at::DATE, '%Y-%m-%d'), sum(input_tokens), "
            "sum(cache_read_tokens), sum(output_tokens), sum(reasoning_tokens) "
            "FROM fct_requests WHERE source = 'codex_cli' GROUP BY 1 ORDER BY 1").fetchall()
    finally:
        conn.close()
    return {"claude": {day: tuple(int(v or 0) for v in rest) for day, *rest in claude},
            "codex": {day: tuple(int(v or 0) for v in rest) for day, *rest in codex}}


def summary_line(run: Run, starts: str) -> str:
    """The line of the ingest's summary that starts so ("nothing new" for a run without)."""
    lines = [line.strip() for line in run.stdout.splitlines()]
    if any(line.startswith("nothing new") for line in lines):
        return "nothing new"
    return next((line for line in lines if line.startswith(starts)), "?")


@dataclasses.dataclass
class Append:
    path: str
    text: str


def tokenworks_round(root: Path, work: Path, mode: str, append: Append, keep: bool) -> dict:
    """One fresh warehouse: the ingest, an unchanged re-run, an append."""
    folder = Path(tempfile.mkdtemp(prefix=f"tokenworks-{mode}-", dir=work))
    landing, warehouse = folder / "landing", folder / "warehouse.ducklake"
    landing.mkdir()
    env = tokenworks_env()
    if mode == "landing":
        for sub in ("claude", "codex"):
            shutil.copytree(root / sub, landing / sub)
        grows = landing / append.path
    else:
        env.update(TOKENWORKS_CLAUDE_DIR=str(root / "claude"),
                   TOKENWORKS_CODEX_HOME=str(root / "codex"))
        grows = root / append.path
    command = [sys.executable, "-m", "pipelines.cli", "ingest", "--landing", str(landing),
               "--warehouse", str(warehouse)]
    what = f"tokenworks ingest ({mode})"
    try:
        first = measure(command, env, REPO, what)
        calls = calls_in(warehouse)
        totals = warehouse_totals(warehouse)
        rerun = measure(command, env, REPO, what + ", re-run")
        size = grows.stat().st_size
        try:
            with open(grows, "a") as fh:
                fh.write(append.text)
            grown = measure(command, env, REPO, what + ", append")
        finally:
            if mode != "landing":  # the generated folder itself: as it was
                with open(grows, "r+") as fh:
                    fh.truncate(size)
        added = sum(calls_in(warehouse).values()) - sum(calls.values())
    finally:
        if not keep:
            shutil.rmtree(folder)
    return {"first": first, "calls": calls, "totals": totals, "rerun": rerun,
            "append": grown, "added": added, "quarantine": summary_line(first, "calls loaded"),
            "rerun_files": summary_line(rerun, "files:"),
            "append_files": summary_line(grown, "files:")}


def install_ccusage(out: Path) -> Path | None:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        print(f"ccusage: not measured: {'npm' if npm is None else 'node'} is not installed")
        return None
    prefix = out / "ccusage"
    binary = prefix / "node_modules" / ".bin" / "ccusage"
    package = prefix / "node_modules" / "ccusage" / "package.json"
    natives = list(prefix.glob("node_modules/@ccusage/ccusage-*/bin/ccusage"))
    if not (package.exists() and json.loads(package.read_text()).get("version")
            == CCUSAGE_VERSION and natives):
        started = time.perf_counter()
        try:
            run = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit",
                                  "--no-fund", f"ccusage@{CCUSAGE_VERSION}"],
                                 capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            print("ccusage: not measured: npm install took more than 600 s")
            return None
        natives = list(prefix.glob("node_modules/@ccusage/ccusage-*/bin/ccusage"))
        if run.returncode or not binary.exists() or not natives:
            print(f"ccusage: not measured: npm install ccusage@{CCUSAGE_VERSION} failed "
                  f"(exit {run.returncode}; native binary "
                  f"{'found' if natives else 'missing'}):\n{run.stderr[-2000:]}")
            return None
        print(f"ccusage {CCUSAGE_VERSION} installed with npm in "
              f"{time.perf_counter() - started:.1f} s ({natives[0].parent.parent.name})")
    return binary


def ccusage_env(out: Path, **extra: str) -> dict:
    home = out / "ccusage-home"  # empty: ccusage finds nothing but the folder it is given
    home.mkdir(exist_ok=True)
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TZ": "UTC",
            "NO_COLOR": "1", **extra}


def ccusage_round(binary: Path, root: Path, out: Path) -> dict:
    claude = measure([str(binary), "daily", "--json", "--offline"],
                     ccusage_env(out, CLAUDE_CONFIG_DIR=str(root / "claude")), out,
                     "ccusage daily")
    codex = measure([str(binary), "codex", "daily", "--json", "--offline"],
                    ccusage_env(out, CODEX_HOME=str(root / "codex")), out,
                    "ccusage codex daily")
    return {"claude": claude, "codex": codex}


def ccusage_totals(result: dict) -> dict[str, dict[str, tuple[int, ...]]]:
    claude, codex = (json.loads(result[kind].stdout) for kind in ("claude", "codex"))
    agents = {agent for row in claude["daily"]
              for agent in row.get("metadata", {}).get("agents", ["claude"])}
    if agents - {"claude"}:
        print(f"  note: ccusage daily read agents other than Claude Code: {sorted(agents)}")
    return {"claude": {row.get("period") or row["date"]: (
                row["inputTokens"], row["outputTokens"], row["cacheCreationTokens"],
                row["cacheReadTokens"]) for row in claude["daily"]},
            "codex": {row.get("period") or row["date"]: (
                row["inputTokens"], row["cacheReadTokens"], row["outputTokens"],
                row["reasoningOutputTokens"]) for row in codex["daily"]}}


def compare(label: str, fields: tuple[str, ...], ours: dict, theirs: dict) -> None:
    days = sorted(set(ours) | set(theirs))
    zero = (0,) * len(fields)
    differ = [day for day in days if ours.get(day, zero) != theirs.get(day, zero)]
    sums = [tuple(sum(values[i] for values in table.values()) for i in range(len(fields)))
            for table in (ours, theirs)]
    totals = ", ".join(f"{name} {value:,}" for name, value in zip(fields, sums[0], strict=True))
    if not differ:
        print(f"  {label}: all {len(days)} days agree ({totals})")
        return
    print(f"  {label}: {len(differ)} of {len(days)} days DIFFER (tokenworks - ccusage):")
    for day in differ:
        a, b = ours.get(day, zero), theirs.get(day, zero)
        deltas = ", ".join(f"{name} {x - y:+,} ({x:,} vs {y:,})"
                           for name, x, y in zip(fields, a, b, strict=True) if x != y)
        print(f"    {day}: {deltas}")
    print("    whole period: " + ", ".join(
        f"{name} {x - y:+,}" for name, x, y in zip(fields, *sums, strict=True)))


# ---------------------------------------------------------------------------------- main


def print_tokenworks(label: str, result: dict, mb: float) -> None:
    first = result["first"]
    calls = sum(result["calls"].values())
    by_source = ", ".join(f"{source} {n:,}" for source, n in result["calls"].items())
    print(f"  tokenworks, {label}: {mb:,.0f} MB -> {calls:,} calls ({by_source}) in "
          f"{first.seconds:.1f} s = {mb / first.seconds:,.1f} MB/s; peak RSS {mib(first.peak)} "
          f"(largest process), {mib(first.tree)} (tree, sampled); CPU {first.cpu:.0f} s")
    print(f"    {result['quarantine']}")
    print(f"    unchanged re-run {result['rerun'].seconds:.2f} s ({result['rerun_files']}); "
          f"append {result['append'].seconds:.2f} s (+{result['added']} calls; "
          f"{result['append_files']})")


def print_ccusage(label: str, run: Run, mb: float) -> None:
    programs = ", ".join(f"{name} {mib(rss)}" for name, rss in sorted(run.by_name.items()))
    print(f"  {label}: {mb:,.0f} MB in {secs(run.seconds)} s = {mb / run.seconds:,.1f} MB/s; "
          f"peak RSS {mib(run.peak)} (largest process), {mib(run.tree)} (tree, sampled: "
          f"{programs}); CPU {run.cpu:.1f} s")


def median_line(label: str, runs: list[Run], mb: float) -> str:
    seconds = statistics.median(r.seconds for r in runs)
    return (f"  {label}: {secs(seconds)} s = {mb / seconds:,.1f} MB/s, peak RSS "
            f"{mib(int(statistics.median(r.peak for r in runs)))} (largest process), "
            f"{mib(int(statistics.median(r.tree for r in runs)))} (tree)  [" +
            ", ".join(secs(r.seconds) for r in runs) + " s]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=300, help="transcripts to generate, MB")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "bench-output" / "agents")
    parser.add_argument("--keep", action="store_true",
                        help="keep the warehouses and landing copies (the transcripts and "
                             "ccusage are kept either way, for the next run)")
    args = parser.parse_args()
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)

    root, manifest = ensure_transcripts(args.out, args.mb, args.seed)
    claude_mb, codex_mb = (folder_bytes(root / sub) / 1e6 for sub in ("claude", "codex"))
    total_mb = claude_mb + codex_mb
    files = sum(1 for _ in root.rglob("*.jsonl"))
    print(f"transcripts: {root}\n  {total_mb:,.0f} MB in {files:,} files: Claude Code "
          f"{claude_mb:,.0f} MB ({manifest['claude sessions']} sessions, "
          f"{manifest['sub-agents']} sub-agents, {manifest['resumed copies']} resumed), "
          f"Codex {codex_mb:,.0f} MB ({manifest['codex sessions']} sessions)")
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
          f"ingest workers: {os.environ.get('TOKENWORKS_WORKERS', 'one per core')}")
    append = Append(manifest["append_path"], manifest["append_text"])
    binary = install_ccusage(args.out)
    work = args.out / "work"
    work.mkdir(exist_ok=True)

    results: dict[str, list] = {"landing": [], "in place": [], "cc claude": [],
                                "cc codex": []}
    ours = theirs = None
    for round_ in range(1, args.rounds + 1):
        print(f"\nround {round_}")
        for label, mode in (("landing copy", "landing"), ("in place", "inplace")):
            try:
                result = tokenworks_round(root, work, mode, append, args.keep)
            except Failed as failed:
                print(f"  tokenworks, {label}: FAILED: {failed}")
                continue
            print_tokenworks(label, result, total_mb)
            results["landing" if mode == "landing" else "in place"].append(result)
            if ours is None:
                ours = result["totals"]
            elif result["totals"] != ours:
                print("  note: this warehouse's daily totals differ from the first one's")
        if binary is not None:
            try:
                cc = ccusage_round(binary, root, args.out)
            except Failed as failed:
                print(f"  ccusage: not measured further: {failed}")
                binary = None
                continue
            print_ccusage(f"ccusage {CCUSAGE_VERSION} daily (Claude)", cc["claude"], claude_mb)
            print_ccusage(f"ccusage {CCUSAGE_VERSION} codex daily", cc["codex"], codex_mb)
            results["cc claude"].append(cc["claude"])
            results["cc codex"].append(cc["codex"])
            totals = ccusage_totals(cc)
            if theirs is None:
                theirs = totals
            elif totals != theirs:
                print("  note: ccusage's totals differ from its first round's")

    print(f"\nmedians of {args.rounds} rounds")
    for key, label, mb in (("landing", "tokenworks ingest, landing copy", total_mb),
                           ("in place", "tokenworks ingest, in place", total_mb)):
        if not results[key]:
            print(f"  {label}: no successful run")
            continue
        print(median_line(label, [r["first"] for r in results[key]], mb))
        rerun = statistics.median(r["rerun"].seconds for r in results[key])
        grown = statistics.median(r["append"].seconds for r in results[key])
        print(f"    unchanged re-run {rerun:.2f} s, append {grown:.2f} s")
    if binary is not None:
        print(median_line("ccusage daily (Claude)", results["cc claude"], claude_mb))
        print(median_line("ccusage codex daily", results["cc codex"], codex_mb))

    if ours is None or theirs is None:
        print("\ndaily totals: not compared (no " + ("warehouse" if ours is None else "ccusage")
              + " figures)")
    else:
        print("\ndaily totals, tokenworks (fct_requests) against ccusage, UTC days")
        compare("Claude Code", CLAUDE_FIELDS, ours["claude"], theirs["claude"])
        compare("Codex", CODEX_FIELDS, ours["codex"], theirs["codex"])


if __name__ == "__main__":
    main()
