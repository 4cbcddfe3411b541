"""The synthetic landing folder: reproducible, shaped like real logs, internally consistent.

Checks read the files back independently of the warehouse parser, so a regression in the
generator cannot hide behind a matching regression in the parser. The API logs are in one folder
per day; the coding agents' transcripts and the span export beside them (AGENT_FOLDERS) are
checked apart, at the end.
"""

from __future__ import annotations

import collections
import datetime
import gzip
import hashlib
import re
import time
from pathlib import Path

import orjson
import pytest

from pipelines.samples import MALFORMED_KINDS, ROUTES, TRAITS, generate
from pipelines.samples.agents import empty_summary

REQUESTS, DAYS = 3000, 30
END = datetime.date(2026, 11, 27)
CANONICAL_PROVIDERS = {"openai", "azure", "anthropic", "google", "aws", "mistral", "deepseek",
                       "groq", "together", "openrouter", "cohere"}
AGENT_FOLDERS = ("agents", "otel")  # beside the day folders: transcripts and span exports


def api_files(root: Path) -> list[Path]:
    """The API logs' files: everything but the agents' transcripts and the span export."""
    return sorted(p for p in root.rglob("*") if p.is_file()
                  and p.relative_to(root).parts[0] not in AGENT_FOLDERS)


# ------------------------------------------------------------------------------ reading back


class Record:
    """One record as a reader sees it: where it came from, its raw bytes, and its JSON."""

    def __init__(self, path: Path, day: datetime.date, raw: bytes | None, value):
        self.path, self.day, self.raw, self.value = path, day, raw, value

    @property
    def is_envelope(self) -> bool:
        value = self.value
        return isinstance(value, dict) and ("response" in value or "stream" in value) and (
            "custom_id" not in value)


def read_landing(root: Path) -> list[Record]:
    """The API logs' records, by day folder."""
    records = []
    for path in api_files(root):
        year, month, day = path.relative_to(root).parts[:3]
        date = datetime.date(int(year), int(month), int(day))
        data = path.read_bytes()
        name = path.name
        if name.endswith(".gz"):
            data, name = gzip.decompress(data), name[:-3]
        if name.endswith(".jsonl"):
            records.extend(Record(path, date, line, loads_or_none(line))
                           for line in data.split(b"\n") if line)
        elif name.endswith(".json"):
            document = orjson.loads(data)
            records.extend(Record(path, date, None, item)
                           for item in (document if isinstance(document, list) else [document]))
        else:   # a raw streamed body
            records.append(Record(path, date, data, {"stream": data.decode()}))
    return records


def loads_or_none(line: bytes):
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None


def sse_payloads(text: str) -> list:
    return [orjson.loads(line[5:]) for line in text.splitlines()
            if line.startswith("data:") and line[5:].strip() != "[DONE]"]


def stream_chunks(stream) -> list:
    return sse_payloads(stream) if isinstance(stream, str) else stream


def stream_id(stream) -> str | None:
    for chunk in stream_chunks(stream):
        if chunk.get("type") == "message_start":
            return chunk["message"]["id"]
        if isinstance(chunk.get("response"), dict):
            return chunk["response"]["id"]
        if chunk.get("id") or chunk.get("responseId"):
            return chunk.get("id") or chunk.get("responseId")
    return None


def call_key(value) -> str:
    """What makes two records the same API call: the provider's id, else the whole record."""
    if "custom_id" in value:
        return value.get("id") or value["custom_id"]
    body = value.get("response") if "response" in value or "stream" in value else value
    found = None
    if value.get("stream") is not None:
        found = stream_id(value["stream"])
    elif isinstance(body, dict):
        found = body.get("id") or body.get("responseId") or body.get("request_id")
    return found or orjson.dumps(value).decode()


def bodies(value) -> list[dict]:
    """Unstreamed provider bodies inside a record (envelopes, bare bodies, batch lines)."""
    if "custom_id" in value:
        result = value.get("result") or {}
        if result.get("type") == "succeeded":
            return [result["message"]]
        response = value.get("response") or {}
        return [response["body"]] if "usage" in response.get("body", {}) else []
    if "stream" in value:
        return []
    body = value.get("response", value)
    return [body] if isinstance(body, dict) else []


def is_count(value) -> bool:
    return type(value) is int and value >= 0


def tree_digest(root: Path, only_api_logs: bool = False) -> str:
    digest = hashlib.sha256()
    for path in (api_files(root) if only_api_logs else
                 sorted(p for p in root.rglob("*") if p.is_file())):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("landing")
    seen_progress: list[int] = []
    summary = generate(root, requests=REQUESTS, days=DAYS, end_date=END,
                       progress=seen_progress.append)
    return root, summary, read_landing(root), seen_progress


# ------------------------------------------------------------------------------ tests


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    first = generate(tmp_path / "a", requests=400, days=10, seed=3)
    second = generate(tmp_path / "b", requests=400, days=10, seed=3)
    other = generate(tmp_path / "c", requests=400, days=10, seed=4)
    assert first == second
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    assert tree_digest(tmp_path / "a") != tree_digest(tmp_path / "c")
    assert other["calls"] == 400


def test_the_machines_time_zone_changes_no_byte(tmp_path, monkeypatch):
    generate(tmp_path / "utc", requests=200, days=5, seed=3)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        generate(tmp_path / "new_york", requests=200, days=5, seed=3)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert tree_digest(tmp_path / "utc") == tree_digest(tmp_path / "new_york")


def test_summary_adds_up_to_what_is_on_disk(landing):
    root, summary, records, progress = landing
    files = api_files(root)
    assert summary["calls"] == REQUESTS
    assert summary["files"] == len(files)
    assert summary["bytes"] == sum(p.stat().st_size for p in files)
    # the agents' files are counted apart, in agent_logs
    everything = [p for p in root.rglob("*") if p.is_file()]
    assert summary["agent_logs"]["files"] == len(everything) - len(files) > 0
    assert summary["agent_logs"]["bytes"] == sum(p.stat().st_size for p in everything) - sum(
        p.stat().st_size for p in files)
    assert summary["records"] == len(records)
    assert summary["records"] == (summary["calls"] + summary["duplicates"]
                                  + summary["double_logged"] + summary["malformed"])
    assert sum(summary["routes"].values()) == summary["calls"]
    assert set(summary["routes"]) == set(ROUTES) and set(summary["traits"]) == set(TRAITS)
    assert sum(summary["providers"].values()) == summary["calls"]
    assert set(summary["providers"]) == CANONICAL_PROVIDERS
    assert progress == sorted(progress) and progress[-1] == summary["bytes"]


def test_distinct_calls_equal_requests(landing):
    _, summary, records, _ = landing
    parsed = [r.value for r in records if r.value is not None]
    unreadable = len(records) - len(parsed)
    kinds = summary["malformed_kinds"]
    assert unreadable == kinds["truncated_json"] + kinds["binary_garbage"]
    malformed_but_json = summary["malformed"] - unreadable
    assert len({call_key(value) for value in parsed}) == REQUESTS + malformed_but_json


def test_every_file_kind_and_provider_appears(landing):
    root, summary, records, _ = landing
    names = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]

    def some(predicate) -> bool:
        return any(predicate(name) for name in names)

    assert some(lambda n: n.split("/")[-1].startswith("gateway-") and n.endswith(".jsonl"))
    assert some(lambda n: n.split("/")[-1].startswith("gateway-") and n.endswith(".jsonl.gz"))
    assert some(lambda n: "/bare-" in n)
    assert some(lambda n: "/openai-batch-" in n) and some(lambda n: "/anthropic-batch-" in n)
    assert some(lambda n: "/streams/" in n and n.endswith(".sse"))
    assert some(lambda n: "/streams/" in n and (n.endswith(".txt") or n.endswith(".sse.gz")))
    assert some(lambda n: n.endswith(".json"))
    assert all(summary["malformed_kinds"][kind] >= 1 for kind in MALFORMED_KINDS)

    envelopes = [r.value for r in records if r.is_envelope]
    labels = {e.get("provider") for e in envelopes}
    assert labels >= CANONICAL_PROVIDERS
    assert labels & {"bedrock", "gemini", "vertex", "azure_openai"}
    streams = [e["stream"] for e in envelopes if "stream" in e]
    assert any(isinstance(s, str) for s in streams) and any(isinstance(s, list) for s in streams)
    assert any("request" not in e for e in envelopes) and any("request" in e for e in envelopes)


def test_weekends_are_quieter_and_volume_grows(landing):
    _, _, records, _ = landing
    per_day = collections.Counter()
    for record in records:
        per_day[record.day] += 1
    weekend = [n for d, n in per_day.items() if d.weekday() >= 5]
    weekday = [n for d, n in per_day.items() if d.weekday() < 5]
    assert sum(weekend) / len(weekend) < 0.6 * sum(weekday) / len(weekday)
    days = sorted(per_day)
    assert days[0] == END - datetime.timedelta(days=DAYS - 1) and days[-1] == END
    first_week = sum(per_day[d] for d in days[:7])
    last_week = sum(per_day[d] for d in days[-7:])
    assert last_week > 1.8 * first_week


def test_envelope_timestamps_fall_in_their_folder_day(landing):
    _, _, records, _ = landing
    lines_by_day = collections.defaultdict(set)
    for record in records:
        if record.raw is not None:
            lines_by_day[record.day].add(record.raw)
    styles = collections.Counter()
    reshipped = 0
    for record in records:
        stamp = record.value.get("timestamp") if record.is_envelope else None
        if stamp is None:
            continue
        zone = "Z" if stamp.endswith("Z") else stamp[-6:]
        styles[zone + (" fraction" if "." in stamp else "")] += 1
        moment = datetime.datetime.fromisoformat(stamp).astimezone(datetime.UTC)
        if moment.date() != record.day:
            # Only a line re-shipped from the previous day may carry that day's time.
            previous = record.day - datetime.timedelta(days=1)
            assert moment.date() == previous and record.raw in lines_by_day[previous]
            reshipped += 1
    assert reshipped >= 1
    for style in ("Z fraction", "Z", "+00:00 fraction", "+02:00 fraction", "-05:00 fraction"):
        assert styles[style] > 0, style


def test_exact_duplicates_and_double_logged_calls_are_as_counted(landing):
    _, summary, records, _ = landing
    lines = [r.raw for r in records if r.raw is not None and r.path.suffix != ".sse"]
    assert len(lines) - len(set(lines)) == summary["duplicates"]
    unique_envelopes = {r.raw: r.value for r in records if r.is_envelope and r.raw}.values()
    streamed = {stream_id(e["stream"]) for e in unique_envelopes if "stream" in e}
    as_body = [e["response"]["id"] for e in unique_envelopes
               if "response" in e and isinstance(e["response"].get("id"), str)]
    assert sum(1 for rid in as_body if rid in streamed) == summary["double_logged"] > 0


def test_usage_numbers_are_internally_consistent(landing):
    _, summary, records, _ = landing
    broken_counts = missing_usage = unknown_shape = 0
    checked = collections.Counter()
    for record in records:
        if record.value is None:
            continue
        request = record.value.get("request") if record.is_envelope else None
        for body in bodies(record.value):
            if body == {"foo": 1}:
                unknown_shape += 1
            elif body.get("object") == "chat.completion":
                if "usage" not in body:
                    missing_usage += 1
                elif not all(is_count(v) for k, v in body["usage"].items()
                             if k.endswith("_tokens")):
                    broken_counts += 1
                else:
                    check_chat(body, request)
                    checked["chat"] += 1
            else:
                checked[check_other(body, request)] += 1
    kinds = summary["malformed_kinds"]
    assert broken_counts == kinds["negative_tokens"] + kinds["non_integer_tokens"]
    assert missing_usage == kinds["usage_missing"]
    assert unknown_shape == kinds["unknown_body_shape"]
    for shape in ("chat", "responses", "embeddings", "anthropic", "gemini", "converse",
                  "cohere", "error"):
        assert checked[shape] > 0, shape


def check_chat(body: dict, request: dict | None) -> None:
    usage = body["usage"]
    prompt, completion = usage["prompt_tokens"], usage["completion_tokens"]
    assert usage["total_tokens"] == prompt + completion
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
    written = (usage.get("prompt_tokens_details") or {}).get("cache_write_tokens", 0)
    assert cached + written <= prompt
    assert usage.get("cached_tokens", 0) <= prompt
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens", 0)
    assert reasoning <= completion
    if "prompt_cache_hit_tokens" in usage:
        assert usage["prompt_cache_hit_tokens"] + usage["prompt_cache_miss_tokens"] == prompt
    if "cost" in usage:
        assert isinstance(usage["cost"], float) and usage["cost"] > 0
    limit = request and (request.get("max_tokens") or request.get("max_completion_tokens"))
    if limit and body["choices"][0]["finish_reason"] == "length":
        assert completion == limit


def check_other(body: dict, request: dict | None) -> str:
    if body.get("object") == "response":
        usage = body["usage"]
        assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
        assert usage["input_tokens_details"]["cached_tokens"] <= usage["input_tokens"]
        assert usage["output_tokens_details"]["reasoning_tokens"] <= usage["output_tokens"]
        if body["status"] == "incomplete":
            assert usage["output_tokens"] == body["max_output_tokens"]
        return "responses"
    if body.get("object") == "list":
        assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] > 0
        return "embeddings"
    if body.get("type") == "message":
        check_anthropic(body["usage"], request, body["stop_reason"])
        return "anthropic"
    if "usageMetadata" in body:
        usage = body["usageMetadata"]
        parts = (usage["promptTokenCount"] + usage.get("candidatesTokenCount", 0)
                 + usage.get("thoughtsTokenCount", 0) + usage.get("toolUsePromptTokenCount", 0))
        assert usage["totalTokenCount"] == parts
        assert usage.get("cachedContentTokenCount", 0) <= usage["promptTokenCount"]
        return "gemini"
    if "stopReason" in body:
        usage = body["usage"]
        parts = (usage["inputTokens"] + usage.get("cacheReadInputTokens", 0)
                 + usage.get("cacheWriteInputTokens", 0) + usage["outputTokens"])
        assert usage["totalTokens"] == parts
        by_ttl = sum(d["inputTokens"] for d in usage.get("cacheDetails", ()))
        assert by_ttl == usage.get("cacheWriteInputTokens", 0)
        return "converse"
    if "billed_units" in (body.get("usage") or {}):
        billed, processed = body["usage"]["billed_units"], body["usage"]["tokens"]
        assert billed["input_tokens"] <= processed["input_tokens"]
        return "cohere"
    assert "error" in body or "message" in body, body
    return "error"


def check_anthropic(usage: dict, request: dict | None, stop_reason: str) -> None:
    assert all(is_count(usage[k]) for k in ("input_tokens", "output_tokens",
                                            "cache_read_input_tokens",
                                            "cache_creation_input_tokens"))
    if "cache_creation" in usage:
        split = usage["cache_creation"]
        total = split["ephemeral_5m_input_tokens"] + split["ephemeral_1h_input_tokens"]
        assert total == usage["cache_creation_input_tokens"]
    if "iterations" in usage:
        last = usage["iterations"][-1]
        assert all(last[k] == usage[k] for k in last)
    if stop_reason == "max_tokens" and request:
        assert usage["output_tokens"] == request["max_tokens"]


def test_openai_streams_report_usage_only_when_asked(landing):
    _, _, records, _ = landing
    with_usage = without_usage = 0
    for record in records:
        value = record.value
        if not (record.is_envelope and "stream" in value and "request" in value
                and value.get("provider") == "openai"):
            continue
        chunks = stream_chunks(value["stream"])
        if chunks[0].get("object") != "chat.completion.chunk":
            continue
        if value["request"].get("stream_options", {}).get("include_usage"):
            assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
            assert all(chunk["usage"] is None for chunk in chunks[:-1])
            with_usage += 1
        else:
            assert all(chunk.get("usage") is None for chunk in chunks)
            without_usage += 1
    assert with_usage > 0 and without_usage > 0


def test_anthropic_streams_finish_with_cumulative_usage_or_an_error(landing):
    _, _, records, _ = landing
    endings = collections.Counter()
    for record in records:
        stream = (record.value or {}).get("stream")
        if stream is None:
            continue
        events = stream_chunks(stream)
        if events[0].get("type") != "message_start":
            continue
        start_usage = events[0]["message"]["usage"]
        if events[-1]["type"] == "error":
            assert not any(e["type"] == "message_delta" for e in events)
            endings["error"] += 1
            continue
        assert events[-1]["type"] == "message_stop"
        final = next(e for e in events if e["type"] == "message_delta")["usage"]
        assert final["output_tokens"] >= start_usage["output_tokens"] == 1
        for key in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
            assert final[key] == start_usage[key]
        endings["message_stop"] += 1
    assert endings["error"] > 0 and endings["message_stop"] > 0


def test_token_distributions_look_like_production(landing):
    _, summary, records, _ = landing
    prompts, anthropic_reads, anthropic_total = [], 0, 0
    for record in records:
        for body in bodies(record.value or {}):
            usage = body.get("usage") or body.get("usageMetadata") or {}
            if body.get("type") == "message":
                anthropic_total += 1
                anthropic_reads += usage["cache_read_input_tokens"] > 0
                prompts.append(usage["input_tokens"] + usage["cache_read_input_tokens"]
                               + usage["cache_creation_input_tokens"])
            elif is_count(usage.get("prompt_tokens")):
                prompts.append(usage["prompt_tokens"])
            elif "promptTokenCount" in usage:
                prompts.append(usage["promptTokenCount"])
    prompts.sort()
    assert 700 < prompts[len(prompts) // 2] < 3_000
    assert prompts[-1] > 200_000
    assert 0.2 < anthropic_reads / anthropic_total < 0.6
    traits = summary["traits"]
    assert 0.015 < traits["runaway"] / REQUESTS < 0.05
    assert 0.05 < traits["request_repeat"] / REQUESTS < 0.11
    assert 0.01 < traits["error"] / REQUESTS < 0.035


def test_tiny_and_empty_runs(tmp_path):
    empty = generate(tmp_path / "empty", requests=0, days=5)
    assert empty["calls"] == empty["files"] == empty["records"] == 0
    assert empty["agent_logs"] == empty_summary() and not any((tmp_path / "empty").rglob("*"))
    sparse = generate(tmp_path / "sparse", requests=40, days=365)
    assert sparse["calls"] == 40
    assert sparse["records"] == len(read_landing(tmp_path / "sparse"))


# ------------------------------------------------------------------------------ agents' logs

AGENT_MODELS = {"claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001",
                "gpt-5-codex", "gpt-5", "gpt-5-mini-2025-08-07"}
CLAUDE_FILE = re.compile(r"agents/(?P<user>[a-z]+)/claude/projects/-home-(?P=user)-src-[a-z-]+/"
                         r"(?P<session>[0-9a-f-]{36})(?:/subagents/agent-(?P<agent>[0-9a-f]{7}))?"
                         r"\.jsonl")
CODEX_FILE = re.compile(r"agents/[a-z]+/codex/sessions/(?P<day>\d{4}/\d\d/\d\d)/rollout-"
                        r"(?P<time>\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d)-(?P<session>[0-9a-f-]{36})"
                        r"\.jsonl")
OTEL_FILE = re.compile(r"otel/traces-\d{4}-\d\d-\d\d\.jsonl")


def moment(stamp: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_agent_logs_leave_the_api_logs_byte_identical(tmp_path):
    """The agents' files come from a random stream of their own, after the API logs: a seed's
    API logs are the same bytes with or without them (the ingest benchmark, comparing code from
    before transcripts were read, generates without them)."""
    with_agents = generate(tmp_path / "with", requests=400, days=10, seed=3)
    without = generate(tmp_path / "without", requests=400, days=10, seed=3, agent_logs=False)
    assert tree_digest(tmp_path / "with", only_api_logs=True) == tree_digest(tmp_path / "without")
    assert {k: v for k, v in with_agents.items() if k != "agent_logs"} == {
        k: v for k, v in without.items() if k != "agent_logs"}
    assert with_agents["agent_logs"]["files"] > 0 and without["agent_logs"]["files"] == 0


def test_agent_logs_take_the_agents_layouts_and_shapes_and_add_up(landing):
    """Read back without the warehouse's parser: each file where and as the agent writes it,
    its calls counted as the summary says (records = calls + repeats + without_calls)."""
    root, summary, _, _ = landing
    first = END - datetime.timedelta(days=DAYS - 1)
    counted = {"records": 0, "repeats": 0, "without_calls": 0,
               "calls": {"claude_code": 0, "codex_cli": 0, "otel": 0}}
    models, kinds = set(), collections.Counter()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        if name.split("/")[0] not in AGENT_FOLDERS:
            continue
        lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        if match := CLAUDE_FILE.fullmatch(name):
            kinds["claude_subagent" if match["agent"] else "claude_session"] += 1
            seen: dict[str, tuple] = {}
            for line in lines:
                counted["records"] += 1
                if "sessionId" in line:
                    assert line["sessionId"] == match["session"]
                    assert line["isSidechain"] is bool(match["agent"])
                    assert line.get("agentId") == match["agent"]
                    assert first <= moment(line["timestamp"]).date() <= END
                message = line.get("message") or {}
                if line["type"] != "assistant" or message["model"] == "<synthetic>":
                    counted["without_calls"] += 1
                    continue
                usage = message["usage"]
                split = usage["cache_creation"]
                assert (split["ephemeral_5m_input_tokens"] + split["ephemeral_1h_input_tokens"]
                        == usage["cache_creation_input_tokens"])
                # a sub-agent writes 5-minute cache entries, a session 1-hour ones
                assert split["ephemeral_1h_input_tokens" if match["agent"] else
                             "ephemeral_5m_input_tokens"] == 0
                models.add(message["model"])
                key = (line["requestId"], message["model"], usage["input_tokens"],
                       usage["cache_read_input_tokens"])
                if message["id"] in seen:
                    # a content block of the same response: same request, model and prompt;
                    # a streaming partial before it holds less output, never more
                    assert seen[message["id"]][0] == key
                    assert usage["output_tokens"] >= seen[message["id"]][1]
                    counted["repeats"] += 1
                else:
                    counted["calls"]["claude_code"] += 1
                seen[message["id"]] = (key, usage["output_tokens"])
        elif match := CODEX_FILE.fullmatch(name):
            kinds["codex"] += 1
            assert lines[0]["type"] == "session_meta"
            assert lines[0]["payload"]["id"] == match["session"]
            start = moment(lines[0]["timestamp"])
            assert f"{start:%Y/%m/%d}" == match["day"] and f"{start:%Y-%m-%dT%H-%M-%S}" == (
                match["time"]) and first <= start.date() <= END
            total, repeated = None, 0
            for line in lines:
                counted["records"] += 1
                info = line["payload"].get("info") if line["type"] == "event_msg" else None
                if line["type"] == "turn_context":
                    models.add(line["payload"]["model"])
                if not info:
                    counted["without_calls"] += 1
                    continue
                last, now = info["last_token_usage"], info["total_token_usage"]
                if now == total:  # the same total logged again: no new usage
                    repeated += 1
                    counted["without_calls"] += 1
                    continue
                # cumulative: the previous total plus this turn's
                assert now == {k: (total or {}).get(k, 0) + last[k] for k in now}
                assert last["cached_input_tokens"] <= last["input_tokens"]
                assert last["reasoning_output_tokens"] <= last["output_tokens"]
                total = now
                counted["calls"]["codex_cli"] += 1
            kinds["codex_repeated_totals"] += repeated
        else:
            assert OTEL_FILE.fullmatch(name), name
            kinds["otel"] += 1
            for line in lines:
                (resource,) = line["resourceSpans"]
                (scope,) = resource["scopeSpans"]
                spans = scope["spans"]
                (agent,) = [s for s in spans if s["name"].startswith("invoke_agent ")]
                for span in spans:
                    assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16
                    assert span["traceId"] == agent["traceId"]
                    day = datetime.datetime.fromtimestamp(int(span["startTimeUnixNano"]) / 1e9,
                                                          datetime.UTC).date()
                    assert END - datetime.timedelta(days=6) <= day <= END
                    attributes = {a["key"]: next(iter(a["value"].values()))
                                  for a in span["attributes"]}
                    if attributes["gen_ai.operation.name"] != "chat":
                        continue  # the agent's and the tools' spans are not calls
                    assert span["parentSpanId"] == agent["spanId"]
                    models.add(attributes["gen_ai.request.model"])
                    counted["records"] += 1
                    counted["calls"]["otel"] += 1
                    kinds["otel_errors"] += span["status"].get("code") == 2
                    if "gen_ai.usage.input_tokens" in attributes:
                        # the input count includes what the cache served and took
                        assert int(attributes["gen_ai.usage.input_tokens"]) >= int(
                            attributes["gen_ai.usage.cache_read.input_tokens"]) + int(
                            attributes.get("gen_ai.usage.cache_creation.input_tokens", "0"))
    agents = summary["agent_logs"]
    assert {k: agents[k] for k in counted} == counted
    assert agents["records"] == (sum(agents["calls"].values()) + agents["repeats"]
                                 + agents["without_calls"])
    assert all(n > 0 for n in agents["calls"].values()) and agents["repeats"] > 0
    assert kinds["claude_session"] == agents["sessions"]["claude_code"] >= 2
    assert kinds["claude_subagent"] >= 1 and kinds["codex"] == agents["sessions"]["codex_cli"]
    assert kinds["otel"] == 1 and kinds["otel_errors"] == agents["error_calls"]
    assert models <= AGENT_MODELS and len(models) >= 4
