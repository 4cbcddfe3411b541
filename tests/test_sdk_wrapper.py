"""tokenworks.wrap: the real OpenAI and Anthropic SDKs, pointed at a server on 127.0.0.1 that
replays recorded responses (tests/fixtures/responses), log their calls; the landing folder is
then ingested and every call is checked in the ledger against what the SDK returned."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import multiprocessing
import re
import subprocess
import sys
import threading
import time
import warnings
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import anthropic
import openai
import pytest
from conftest import query

import tokenworks
from pipelines.jobs import run_ingest
from tokenworks import envelopes, files

RESPONSES = Path(__file__).parent / "fixtures" / "responses"
OPENAI_KEY = "sk-proj-tokenworks-test-secret-0123456789"
ANTHROPIC_KEY = "sk-ant-api03-tokenworks-test-secret-9876543210"
TOKENS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
          "reasoning_tokens")


# ------------------------------------------------------------------------- replaying server


class Replay(BaseHTTPRequestHandler):
    """Answers like the providers, from the recorded bodies. The model asks for an outcome:
    `error-429`, `error-404`, `overloaded` (529), `flaky` (429 the first time), `html-502` (a
    gateway's error page), `background` (a queued response, finished when fetched). The header
    `x-replay-gzip` gzips the answer; `x-replay-delay` sends a stream's events that many
    milliseconds apart."""

    counter = 0
    seen: ClassVar[Counter] = Counter()
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path
        if path.startswith("/v1/models"):
            return self.answer(200, {"object": "list", "data": [{"id": "gpt-4o-mini",
                                                                  "object": "model"}]})
        if re.fullmatch(r"/v1/messages/batches/[\w-]+", path):
            port = self.server.server_address[1]
            return self.answer(200, {
                "id": path.rsplit("/", 1)[1], "type": "message_batch",
                "processing_status": "ended", "request_counts": {"succeeded": 2},
                "results_url": f"http://127.0.0.1:{port}{path}/results"})
        if match := re.fullmatch(r"/v1/responses/(resp_\w+)", path):
            body = self.recorded("openai_responses_cached_reasoning_web_search.json")
            return self.answer(200, {**body, "id": match[1]})
        if path.endswith("/results"):
            return self.raw(200, (RESPONSES / "anthropic_batch_results_docs.jsonl").read_bytes(),
                            "application/binary")
        if re.fullmatch(r"/v1/files/[\w-]+/content", path):
            return self.raw(200, (RESPONSES / "openai_batch_output_docs.jsonl").read_bytes(),
                            "application/octet-stream")
        self.answer(404, {"error": {"message": f"no route {path}", "type": "not_found"}})

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["content-length"])) or b"{}")
        model = request.get("model", "")
        with Replay.lock:
            Replay.seen[model] += 1
            first_time = Replay.seen[model] == 1
        if self.path == "/v1/messages/count_tokens":
            return self.answer(200, {"input_tokens": 12})
        if model == "error-429" or (model == "flaky" and first_time):
            return self.answer(429, self.recorded("openai_error_rate_limit_429.json"))
        if model == "error-404":
            return self.answer(404, self.recorded("openai_error_model_not_found_404.json"))
        if model == "overloaded":
            return self.answer(529, self.recorded("anthropic_error_overloaded_529.json"))
        if model == "background":  # a background response: answered before it has run
            body = json.loads(self.unique_ids(
                (RESPONSES / "openai_responses_cached_reasoning_web_search.json").read_text()))
            return self.answer(200, {**body, "status": "queued", "usage": None, "output": []})
        if model == "html-502":
            return self.raw(502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        name = {
            ("/v1/chat/completions", False): "openai_chat_cached_tokens_gpt4omini.json",
            ("/v1/chat/completions", True): "openai_chat_stream_include_usage.txt",
            ("/v1/responses", False): "openai_responses_cached_reasoning_web_search.json",
            ("/v1/embeddings", False): "openai_embeddings.json",
            ("/v1/messages", False): "anthropic_messages_cache_read_and_5m_write.json",
            ("/v1/messages", True): "anthropic_stream_basic.txt",
        }[self.path, bool(request.get("stream"))]
        text = self.unique_ids((RESPONSES / name).read_text())
        if name.endswith(".txt"):
            return self.stream(text)
        self.raw(200, text.encode(), "application/json")

    def recorded(self, name: str) -> dict:
        return json.loads((RESPONSES / name).read_text())

    @staticmethod
    def unique_ids(text: str) -> str:
        """Each answer its own response id, as the provider would give: the ledger counts
        one call per id."""
        with Replay.lock:
            Replay.counter += 1
            number = Replay.counter
        match = re.search(r'"id":\s*"((?:chatcmpl|resp|msg)[^"]*)"', text)
        return text.replace(match[1], f"{match[1]}_{number}") if match else text

    def answer(self, status: int, body: dict) -> None:
        self.raw(status, json.dumps(body).encode(), "application/json")

    def raw(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("x-request-id", f"req_replay_{time.monotonic_ns()}")
        if self.headers.get("x-replay-gzip"):
            body = gzip.compress(body)
            self.send_header("content-encoding", "gzip")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream(self, text: str) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.end_headers()  # no length: the stream ends when the connection closes
        delay = int(self.headers.get("x-replay-delay", "0")) / 1000
        try:
            for event in text.split("\n\n"):
                self.wfile.write((event + "\n\n").encode())
                self.wfile.flush()
                time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller stopped reading


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def openai_client(server: str, landing: Path, **labels) -> openai.OpenAI:
    return tokenworks.wrap(openai.OpenAI(api_key=OPENAI_KEY, base_url=server + "/v1",
                                         max_retries=0), landing, **labels)


def anthropic_client(server: str, landing: Path, **labels) -> anthropic.Anthropic:
    return tokenworks.wrap(anthropic.Anthropic(api_key=ANTHROPIC_KEY, base_url=server,
                                               max_retries=0), landing, **labels)


def logged(landing: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(landing.rglob("*.jsonl"))
            for line in path.read_bytes().splitlines()]


def ledger(warehouse: Path) -> dict[str, dict]:
    columns = ("request_id", "provider", "model", "project", "user_id", "api_key_id", "status",
               "http_status", "is_stream", "is_batch", "latency_ms", "source", *TOKENS)
    rows = query(warehouse, f"SELECT {', '.join(columns)} FROM fct_requests")
    return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}


def chat_tokens(usage) -> dict:
    cached = usage.prompt_tokens_details.cached_tokens
    return {"input_tokens": usage.prompt_tokens - cached, "cache_read_tokens": cached,
            "cache_write_tokens": 0, "output_tokens": usage.completion_tokens,
            "reasoning_tokens": usage.completion_tokens_details.reasoning_tokens}


def message_tokens(usage) -> dict:
    return {"input_tokens": usage.input_tokens,
            "cache_read_tokens": usage.cache_read_input_tokens,
            "cache_write_tokens": usage.cache_creation_input_tokens,
            "output_tokens": usage.output_tokens}


# ------------------------------------------------------------------------------ the real SDKs


def test_every_kind_of_call_is_logged_once_and_ingested_call_by_call(server, tmp_path):
    landing = tmp_path / "landing"
    oa = openai_client(server, landing, project="search", user="u1", api_key_id="k1")
    an = anthropic_client(server, landing, project="support", user="u2", api_key_id="k2")
    expected: dict[str, dict] = {}
    labels_1 = {"project": "search", "user_id": "u1", "api_key_id": "k1"}
    labels_2 = {"project": "support", "user_id": "u2", "api_key_id": "k2"}

    chat = oa.chat.completions.create(model="gpt-4o-mini",
                                      messages=[{"role": "user", "content": "hi"}])
    expected[chat.id] = {**labels_1, **chat_tokens(chat.usage), "model": chat.model,
                         "status": "ok", "is_stream": False}

    chunks = list(oa.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True,
        stream_options={"include_usage": True}))
    usage = chunks[-1].usage
    expected[chunks[0].id] = {**labels_1, "model": chunks[0].model, "status": "ok",
                              "is_stream": True, "input_tokens": usage.prompt_tokens,
                              "output_tokens": usage.completion_tokens}

    response = oa.responses.create(model="gpt-5", input="hi")
    cached = response.usage.input_tokens_details.cached_tokens
    expected[response.id] = {
        **labels_1, "model": response.model, "status": "ok", "is_stream": False,
        "input_tokens": response.usage.input_tokens - cached, "cache_read_tokens": cached,
        "output_tokens": response.usage.output_tokens,
        "reasoning_tokens": response.usage.output_tokens_details.reasoning_tokens}

    message = an.messages.create(model="claude-sonnet-4-5", max_tokens=100,
                                 messages=[{"role": "user", "content": "hi"}])
    expected[message.id] = {**labels_2, **message_tokens(message.usage),
                            "model": message.model, "status": "ok", "is_stream": False}

    with an.messages.stream(model="claude-sonnet-4-5", max_tokens=100,
                            messages=[{"role": "user", "content": "hi"}]) as stream:
        final = stream.get_final_message()
    expected[final.id] = {**labels_2, **message_tokens(final.usage), "model": final.model,
                          "status": "ok", "is_stream": True}

    # Calls that are not calls: never logged.
    assert [m.id for m in oa.models.list()] == ["gpt-4o-mini"]
    assert an.messages.count_tokens(model="claude-sonnet-4-5", messages=[
        {"role": "user", "content": "hi"}]).input_tokens == 12

    for client, model, status in ((oa, "error-429", 429), (oa, "error-404", 404)):
        with pytest.raises(openai.APIStatusError) as raised:
            client.chat.completions.create(model=model, messages=[])
        assert raised.value.status_code == status
    with pytest.raises(anthropic.APIStatusError) as raised:
        an.messages.create(model="overloaded", max_tokens=1, messages=[])
    assert raised.value.status_code == 529

    lines = logged(landing)
    assert len(lines) == 8
    day_files = sorted(p.name for p in landing.rglob("*.jsonl"))
    assert day_files == [f"{datetime.now(UTC).date().isoformat()}-{files.host_name()}.jsonl"]
    assert {line["endpoint"] for line in lines} == {
        "POST /v1/chat/completions", "POST /v1/responses", "POST /v1/messages"}
    assert all(line["request"]["model"] and line["latency_ms"] >= 0 for line in lines)
    text = b"".join(p.read_bytes() for p in landing.rglob("*") if p.is_file())
    assert OPENAI_KEY.encode() not in text and ANTHROPIC_KEY.encode() not in text
    assert b"authorization" not in text.lower() and b"x-api-key" not in text.lower()

    warehouse = tmp_path / "lake.ducklake"
    summary = run_ingest(landing, warehouse, workers=1)
    assert (summary.records_read, summary.quarantined) == (8, 0)
    rows = ledger(warehouse)
    for request_id, want in expected.items():
        row = rows.pop(request_id)
        assert {k: row[k] for k in want} == want, request_id
        assert row["provider"] == ("anthropic" if request_id.startswith("msg") else "openai")
        assert row["source"] == "api_log" and row["http_status"] == 200
    errors = sorted((row["provider"], row["http_status"], row["status"], row["project"])
                    for row in rows.values())
    assert errors == [("anthropic", 529, "error", "support"), ("openai", 404, "error", "search"),
                      ("openai", 429, "error", "search")]


def test_async_clients_are_logged_the_same_way(server, tmp_path):
    landing = tmp_path / "landing"

    async def calls():
        oa = tokenworks.wrap(openai.AsyncOpenAI(api_key=OPENAI_KEY, base_url=server + "/v1"),
                             landing, project="p")
        an = tokenworks.wrap(anthropic.AsyncAnthropic(api_key=ANTHROPIC_KEY, base_url=server),
                             landing, project="p")
        chat = await oa.chat.completions.create(model="gpt-4o-mini", messages=[])
        stream = await oa.chat.completions.create(model="gpt-4o-mini", messages=[],
                                                  stream=True)
        chunks = [chunk async for chunk in stream]
        embedding = await oa.embeddings.create(model="text-embedding-3-small", input="hi")
        async with an.messages.stream(model="claude-sonnet-4-5", max_tokens=10,
                                      messages=[]) as message_stream:
            final = await message_stream.get_final_message()
        return chat, chunks, embedding, final

    chat, chunks, embedding, final = asyncio.run(calls())
    warehouse = tmp_path / "lake.ducklake"
    run_ingest(landing, warehouse, workers=1)
    rows = ledger(warehouse)
    assert rows[chat.id]["input_tokens"] + rows[chat.id]["cache_read_tokens"] == \
        chat.usage.prompt_tokens
    assert rows[chunks[0].id]["output_tokens"] == chunks[-1].usage.completion_tokens
    assert rows[final.id]["output_tokens"] == final.usage.output_tokens
    assert rows[final.id]["is_stream"] is True
    (embedding_row,) = (row for row in rows.values() if row["model"] == embedding.model)
    assert embedding_row["input_tokens"] == embedding.usage.prompt_tokens
    assert len(rows) == 4 and {row["project"] for row in rows.values()} == {"p"}


def test_an_abandoned_stream_is_logged_as_far_as_it_went(server, tmp_path):
    landing = tmp_path / "landing"
    oa = openai_client(server, landing)
    an = anthropic_client(server, landing)
    slow = {"x-replay-delay": "40"}
    stream = oa.chat.completions.create(model="gpt-4o-mini", messages=[], stream=True,
                                        extra_headers=slow)
    first = next(iter(stream))
    stream.close()
    with an.messages.stream(model="claude-sonnet-4-5", max_tokens=10, messages=[],
                            extra_headers=slow) as message_stream:
        started = next(iter(message_stream))
    # A stream dropped without closing is logged when it is collected.
    dropped = oa.chat.completions.create(model="gpt-4o-mini", messages=[], stream=True,
                                         extra_headers=slow)
    dropped_id = next(iter(dropped)).id
    del dropped
    # ... and so is one dropped before anything was read, with nothing in it.
    never_read = oa.chat.completions.create(model="gpt-4o-mini", messages=[], stream=True,
                                            extra_headers=slow)
    del never_read
    gc.collect()

    lines = logged(landing)
    assert [line["stream"] for line in lines].count("") == 1
    lines = [line for line in lines if line["stream"]]
    assert len(lines) == 3
    for line in lines:
        assert line["stream"].endswith("\n") and 0 < line["stream"].count("data:") < 6
    warehouse = tmp_path / "lake.ducklake"
    summary = run_ingest(landing, warehouse, workers=1)
    # Nothing to read a call from: quarantined with its reason, not lost.
    assert summary.quarantined == 1
    assert query(warehouse, "SELECT reason FROM quarantine") == [("stream holds no events",)]
    rows = ledger(warehouse)
    # Usage comes at a stream's end: an abandoned one is a call whose usage is unknown.
    for request_id in (first.id, started.message.id, dropped_id):
        assert rows[request_id]["status"] == "no_usage"
        assert rows[request_id]["output_tokens"] is None


def test_a_retried_call_logs_each_attempt(server, tmp_path):
    landing = tmp_path / "landing"
    oa = tokenworks.wrap(openai.OpenAI(api_key=OPENAI_KEY, base_url=server + "/v1",
                                       max_retries=2), landing)
    chat = oa.chat.completions.create(model="flaky", messages=[])
    warehouse = tmp_path / "lake.ducklake"
    run_ingest(landing, warehouse, workers=1)
    statuses = sorted((row["status"], row["http_status"]) for row in ledger(warehouse).values())
    assert statuses == [("error", 429), ("ok", 200)]
    assert chat.usage.prompt_tokens > 0


def test_compressed_answers_and_gateway_error_pages(server, tmp_path):
    landing = tmp_path / "landing"
    oa = openai_client(server, landing)
    gz = {"x-replay-gzip": "1"}
    chat = oa.chat.completions.create(model="gpt-4o-mini", messages=[], extra_headers=gz)
    with pytest.raises(openai.APIStatusError):
        oa.chat.completions.create(model="html-502", messages=[])
    with pytest.raises(openai.APIStatusError):
        oa.chat.completions.create(model="error-429", messages=[], extra_headers=gz)
    gateway, rate_limited = logged(landing)[1:]
    assert gateway["response"]["error"]["message"].startswith("<html>")
    assert rate_limited["response"]["error"]["code"] == "rate_limit_exceeded"
    warehouse = tmp_path / "lake.ducklake"
    run_ingest(landing, warehouse, workers=1)
    rows = ledger(warehouse)
    assert rows[chat.id]["output_tokens"] == chat.usage.completion_tokens
    assert sorted(r["http_status"] for r in rows.values() if r["status"] == "error") == [429, 502]


def test_batch_results_are_logged_one_call_per_result(server, tmp_path):
    landing = tmp_path / "landing"
    oa = openai_client(server, landing, project="nightly")
    an = anthropic_client(server, landing, project="nightly")
    output = oa.files.content("file-batch-output").text.splitlines()
    results = list(an.messages.batches.results("msgbatch_01"))
    assert len(output) == 2 and len(results) == 2
    lines = logged(landing)
    assert len(lines) == 4 and all("timestamp" not in line for line in lines)
    warehouse = tmp_path / "lake.ducklake"
    run_ingest(landing, warehouse, workers=1)
    rows = ledger(warehouse)
    for result in results:
        row = rows[result.result.message.id]
        assert row["is_batch"] and row["project"] == "nightly"
        assert row["output_tokens"] == result.result.message.usage.output_tokens
    assert sum(row["provider"] == "openai" and row["is_batch"] for row in rows.values()) == 2
    # Downloaded again: the same calls, counted once.
    list(an.messages.batches.results("msgbatch_01"))
    run_ingest(landing, warehouse, workers=1)
    assert len(ledger(warehouse)) == 4


def test_a_background_response_counts_once_with_the_usage_it_finished_with(server, tmp_path):
    landing = tmp_path / "landing"
    oa = openai_client(server, landing)
    queued = oa.responses.create(model="background", input="hi", background=True)
    assert queued.status == "queued" and queued.usage is None
    warehouse = tmp_path / "lake.ducklake"
    run_ingest(landing, warehouse, workers=1)
    # Not finished yet: a call whose usage is unknown (spend at risk), not a bad line.
    assert ledger(warehouse)[queued.id]["status"] == "no_usage"
    finished = oa.responses.retrieve(queued.id)
    run_ingest(landing, warehouse, workers=1)
    rows = ledger(warehouse)
    assert len(rows) == 1 and rows[queued.id]["status"] == "ok"
    assert rows[queued.id]["output_tokens"] == finished.usage.output_tokens
    assert [line["endpoint"] for line in logged(landing)] == [
        "POST /v1/responses", f"GET /v1/responses/{queued.id}"]


# ------------------------------------------------------------------------------ labels


def test_labels_follow_each_thread_and_each_task(server, tmp_path):
    landing = tmp_path / "landing"
    oa = openai_client(server, landing, project="default", user="app")

    def serve(project: str) -> str:
        with (tokenworks.labels(project=project),
              tokenworks.labels(api_key_id=f"key-{project}")):
            return oa.chat.completions.create(model="gpt-4o-mini", messages=[]).id

    threads = {}
    workers = [threading.Thread(target=lambda p=p: threads.__setitem__(serve(p), p))
               for p in ("a", "b", "c", "d")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    unlabelled = oa.chat.completions.create(model="gpt-4o-mini", messages=[]).id

    async def tasks():
        client = tokenworks.wrap(openai.AsyncOpenAI(api_key=OPENAI_KEY,
                                                    base_url=server + "/v1"), landing)

        async def serve_async(project):
            with tokenworks.labels(project=project):
                await asyncio.sleep(0.01)
                return (await client.chat.completions.create(model="gpt-4o-mini",
                                                             messages=[])).id, project
        return dict(await asyncio.gather(*(serve_async(p) for p in ("x", "y", "z"))))

    in_tasks = asyncio.run(tasks())
    by_id = {line["response"]["id"]: line for line in logged(landing)}
    for request_id, project in threads.items():
        assert (by_id[request_id]["project"], by_id[request_id]["api_key_id"],
                by_id[request_id]["user"]) == (project, f"key-{project}", "app")
    assert (by_id[unlabelled]["project"], "api_key_id" in by_id[unlabelled]) == ("default", False)
    for request_id, project in in_tasks.items():
        assert by_id[request_id]["project"] == project and "user" not in by_id[request_id]
    with (pytest.raises(TypeError, match="project must be a string"),
          tokenworks.labels(project=7)):  # type: ignore[arg-type]
        pass


# ----------------------------------------------------------------------- logging never breaks


def test_a_log_that_cannot_be_written_never_fails_the_call(server, tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the landing folder should be")
    oa = openai_client(server, blocked)
    with pytest.warns(tokenworks.LoggingFailed, match="could not log POST /v1/chat/completions"):
        chat = oa.chat.completions.create(model="gpt-4o-mini", messages=[])
    assert chat.usage.completion_tokens > 0
    assert "could not log" in caplog.text
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chunks = list(oa.chat.completions.create(model="gpt-4o-mini", messages=[],
                                                 stream=True))
    assert chunks[-1].usage is not None and caught


def test_wrapping_twice_logs_once_with_the_new_labels(server, tmp_path):
    landing = tmp_path / "landing"
    oa = openai_client(server, landing, project="first")
    tokenworks.wrap(oa, landing, project="second")
    oa.with_options(timeout=5).chat.completions.create(model="gpt-4o-mini", messages=[])
    assert [line["project"] for line in logged(landing)] == ["second"]
    with pytest.raises(TypeError, match="OpenAI or Anthropic SDK client"):
        tokenworks.wrap(object(), landing)


def test_the_provider_follows_the_base_url(tmp_path):
    def provider_of(client):
        return tokenworks.wrap(client, tmp_path)._client._transport.sink.provider
    assert provider_of(openai.OpenAI(api_key="k")) == "openai"
    assert provider_of(openai.OpenAI(api_key="k", base_url="https://api.groq.com/openai/v1")) \
        == "groq"
    assert provider_of(openai.AzureOpenAI(api_key="k", api_version="2025-01-01",
                                          azure_endpoint="https://x.openai.azure.com")) == "azure"
    assert provider_of(openai.OpenAI(api_key="k", base_url="http://localhost:8000/v1")) is None
    assert provider_of(anthropic.Anthropic(api_key="k")) == "anthropic"
    assert provider_of(anthropic.Anthropic(api_key="k", base_url="http://gw:4000")) == "anthropic"
    assert provider_of(openai.OpenAI(api_key="k", base_url="http://gw:4000/v1")) is None
    assert tokenworks.wrap(openai.OpenAI(api_key="k"), tmp_path, provider="deepseek") \
        ._client._transport.sink.provider == "deepseek"


def test_importing_tokenworks_needs_neither_dagster_nor_duckdb():
    code = ("import sys, tokenworks, openai; tokenworks.wrap(openai.OpenAI(api_key='k'), 'x'); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'dagster', 'duckdb', 'polars', 'pipelines', 'orjson'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------- appends and envelopes


def _append_many(path: str, marker: int, count: int) -> None:
    for i in range(count):
        # A line far over the pipe buffer, so that a torn write would show.
        files.append(Path(path), json.dumps({"writer": marker, "i": i,
                                             "pad": "x" * 300_000}).encode() + b"\n")


def test_appends_from_processes_and_threads_stay_whole_lines(tmp_path):
    path = tmp_path / "landing" / "sdk" / "day.jsonl"
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_append_many, args=(str(path), n, 40))
                 for n in range(3)]
    threads = [threading.Thread(target=_append_many, args=(str(path), 10 + n, 40))
               for n in range(3)]
    for worker in (*processes, *threads):
        worker.start()
    for worker in (*processes, *threads):
        worker.join()
    assert all(process.exitcode == 0 for process in processes)
    lines = path.read_bytes().split(b"\n")
    assert lines.pop() == b""
    counts = Counter(json.loads(line)["writer"] for line in lines)
    assert counts == {n: 40 for n in (0, 1, 2, 10, 11, 12)}


def exchange(**changes) -> envelopes.Exchange:
    base = dict(started_at=datetime(2026, 12, 7, 23, 59, 59, 999000, tzinfo=UTC),
                latency_ms=12, method="POST", path="/v1/chat/completions", status_code=200,
                request_body=b'{"model": "m", "max_tokens": 5}',
                request_type="application/json", response_body=b'{"usage": {}}',
                response_type="application/json", request_id="req_1")
    return envelopes.Exchange(**{**base, **changes})


def test_which_exchanges_are_calls():
    def logged_as(**changes):
        return envelopes.records(exchange(**changes), "openai", {"project": "p"})

    (line,) = logged_as()
    assert line == {"timestamp": "2026-12-07T23:59:59.999Z", "provider": "openai",
                    "project": "p", "endpoint": "POST /v1/chat/completions", "latency_ms": 12,
                    "status_code": 200, "request_id": "req_1",
                    "request": {"model": "m", "max_tokens": 5}, "response": {"usage": {}}}
    # A generation body without usage is still a call (the warehouse shows the gap).
    assert logged_as(response_body=b'{"object": "chat.completion", "choices": []}')
    assert logged_as(response_body=b'{"type": "message", "usage": null}')
    # Not calls: counting tokens, creating a batch, listing, uploading, a running response.
    for path, body in (("/v1/messages/count_tokens", b'{"input_tokens": 3}'),
                       ("/v1/batches", b'{"object": "batch", "id": "b"}'),
                       ("/v1/files", b'{"object": "file"}')):
        assert logged_as(path=path, response_body=body) == []
    assert logged_as(method="GET", path="/v1/models", response_body=b'{"data": []}') == []
    assert logged_as(method="GET", response_body=b'{"object": "response", "usage": null}') == []
    # A finished response fetched again is the same call (the warehouse keeps one).
    assert logged_as(method="GET", response_body=b'{"object": "response", "usage": {}}')
    # Request bodies that are not JSON are left out; a stream keeps whole lines only.
    (upload,) = logged_as(request_body=b"--boundary", request_type="multipart/form-data")
    assert "request" not in upload
    (cut,) = logged_as(response_type="text/event-stream",
                       response_body=b'data: {"a": 1}\n\ndata: {"b": ')
    assert cut["stream"] == 'data: {"a": 1}\n\n'
    # One batch result file holding a single line is still its results.
    single = b'{"custom_id": "r1", "result": {"type": "succeeded"}}\n'
    assert [line["response"]["custom_id"] for line in logged_as(
        method="GET", path="/v1/messages/batches/b/results", response_body=single)] == ["r1"]
    assert logged_as(method="GET", response_body=b'{"custom_id": "r1", "method": "POST"}') == []
