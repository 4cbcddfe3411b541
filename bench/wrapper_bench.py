"""What `tokenworks.wrap` costs an application per call: prints figures, asserts nothing.

    make bench
    python bench/wrapper_bench.py --calls 500 --rounds 5

A local server on 127.0.0.1 (HTTP/1.1, kept alive) answers every request at once with a
recorded body: OpenAI Chat Completions plain (tests/fixtures/responses/
openai_chat_cached_tokens_gpt4omini.json) and streamed (openai_chat_stream_include_usage.txt),
Anthropic Messages. Round after round, the same real SDK client is timed unwrapped, then
wrapped (logging to a temporary landing folder), interleaved so that drift hits both alike:
median microseconds per call, and the difference. Then 4 threads and 4 processes log at once
through `tokenworks.wrap` to one landing folder, and every line is checked whole.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import anthropic
import openai

import tokenworks

RESPONSES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "responses"
BODIES = {
    ("/v1/chat/completions", False): ("openai_chat_cached_tokens_gpt4omini.json",
                                      "application/json"),
    ("/v1/chat/completions", True): ("openai_chat_stream_include_usage.txt",
                                     "text/event-stream"),
    ("/v1/messages", False): ("anthropic_messages_cache_read_and_5m_write.json",
                              "application/json"),
}


class Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    bodies: ClassVar[dict] = {key: ((RESPONSES / name).read_bytes(), kind)
                              for key, (name, kind) in BODIES.items()}

    def log_message(self, *args):
        pass

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["content-length"])))
        body, kind = self.bodies[self.path, bool(request.get("stream"))]
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start_server() -> str:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def clients(server: str):
    return (openai.OpenAI(api_key="k", base_url=server + "/v1", max_retries=0),
            anthropic.Anthropic(api_key="k", base_url=server, max_retries=0))


CALLS = {
    "openai chat": lambda oa, an: oa.chat.completions.create(model="m", messages=[]),
    "openai chat, streamed": lambda oa, an: list(oa.chat.completions.create(
        model="m", messages=[], stream=True)),
    "anthropic messages": lambda oa, an: an.messages.create(model="m", max_tokens=1,
                                                            messages=[]),
}


def per_call_us(call, oa, an, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        call(oa, an)
    return (time.perf_counter() - started) / n * 1e6


def log_from_process(server: str, landing: str, calls: int) -> None:
    oa, an = clients(server)
    tokenworks.wrap(oa, landing, project="bench")
    for _ in range(calls):
        CALLS["openai chat"](oa, an)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server = start_server()
    with tempfile.TemporaryDirectory() as scratch:
        landing = Path(scratch) / "landing"
        plain = clients(server)
        wrapped = clients(server)
        for client in wrapped:
            tokenworks.wrap(client, landing, project="bench")
        times: dict[tuple[str, str], list[float]] = {}
        for call in CALLS.values():
            call(*plain), call(*wrapped)  # warm the connections
        for _ in range(args.rounds):
            for name, call in CALLS.items():
                for label, pair in (("unwrapped", plain), ("wrapped", wrapped)):
                    times.setdefault((name, label), []).append(
                        per_call_us(call, *pair, args.calls))
        print(f"per call, median of {args.rounds} rounds of {args.calls} calls "
              f"(Python {sys.version.split()[0]}, openai {openai.__version__}, "
              f"anthropic {anthropic.__version__})")
        print(f"{'call':24} {'unwrapped':>11} {'wrapped':>11} {'logging':>11}")
        for name in CALLS:
            before = statistics.median(times[name, "unwrapped"])
            after = statistics.median(times[name, "wrapped"])
            print(f"{name:24} {before:9.0f}µs {after:9.0f}µs {after - before:+9.0f}µs")
        lines = sum(len(p.read_bytes().splitlines()) for p in landing.rglob("*.jsonl"))
        size = sum(p.stat().st_size for p in landing.rglob("*.jsonl"))
        print(f"logged: {lines} lines, {size / lines:.0f} bytes a line")

        shared = Path(scratch) / "shared"
        per_writer = args.calls
        context = multiprocessing.get_context("spawn")
        processes = [context.Process(target=log_from_process,
                                     args=(server, str(shared), per_writer)) for _ in range(4)]
        threads = [threading.Thread(target=log_from_process, args=(server, str(shared),
                                                                   per_writer))
                   for _ in range(4)]
        started = time.perf_counter()
        for worker in (*processes, *threads):
            worker.start()
        for worker in (*processes, *threads):
            worker.join()
        seconds = time.perf_counter() - started
        records = [json.loads(line) for path in shared.rglob("*.jsonl")
                   for line in path.read_bytes().splitlines()]
        print(f"4 processes + 4 threads, {per_writer} calls each, one landing folder: "
              f"{len(records)} whole lines of {8 * per_writer} in {seconds:.1f} s")


if __name__ == "__main__":
    main()
