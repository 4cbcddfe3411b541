"""A synthetic landing folder: a year of logged LLM API responses, reproducible byte for byte.

`generate()` writes what an LLM gateway, a few batch jobs and some ad-hoc scripts would leave in
a landing folder: one folder per UTC day holding envelope lines, bare provider bodies, provider
batch result files, raw streamed bodies and the odd JSON export. Shapes follow the examples in
shared/fixtures/responses/ and the rules in shared/reference/token-accounting.md; the numbers are
random but internally consistent (every reported total equals the sum of its parts).

A small, counted share of the records is deliberately imperfect (exact duplicates, calls logged
twice as stream and as body, malformed lines), so a loader can be tested against known answers:
records = calls + duplicates + double_logged + malformed.

Speed matters (a million calls in well under three minutes): bodies are built as plain dict
literals around shared constant sub-objects (never copied, never mutated), serialised once with
orjson, and each day is written in one buffered pass. Only one day is ever held in memory.
"""

from __future__ import annotations

import datetime
import os
import random
import zlib
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BASE64URL = BASE62 + "-_"
LOWER36 = "0123456789abcdefghijklmnopqrstuvwxyz"

# Calls happen between 01:00 and 22:59 UTC: a timestamp written with any offset then converts
# back (in UTC) into its folder's day, and nothing straddles midnight.
FIRST_MS, LAST_MS = 3_600_000, 82_799_999

ROUTES = ("envelope", "envelope_stream_text", "envelope_stream_list", "bare", "openai_batch",
          "anthropic_batch", "stream_file", "export_array", "export_single")
TRAITS = ("error", "stream", "stream_without_usage", "request_repeat", "runaway",
          "long_context", "cache_read", "batch_error")
MALFORMED_KINDS = ("truncated_json", "binary_garbage", "negative_tokens", "non_integer_tokens",
                   "unknown_body_shape", "usage_missing")

# Shares (fractions of calls unless noted). Kept in one place so the report can quote them.
REPEAT_SHARE = 0.08          # request bodies that exactly repeat an earlier one
ERROR_SHARE = 0.02
STREAM_SHARE = 0.25          # of calls whose API can stream
BARE_SHARE = 0.08            # of eligible calls (~65% of all): logged without an envelope
BATCH_DAY_SHARE = 0.10       # of days
BATCH_CALL_SHARE = 0.95      # of eligible calls on a batch day
GZIP_DAY_SHARE = 0.15        # of days
EXPORT_DAY_SHARE = 0.08      # of days with a .json export
DUPLICATE_SHARE = 0.01       # of gateway envelope lines
DOUBLE_LOG_SHARE = 0.04      # of envelope streams that report usage
MALFORMED_SHARE = 0.001
RUNAWAY_SHARE = 0.03
LONG_CONTEXT_SHARE = 0.01    # of calls to long-context models


# ------------------------------------------------------------------------------ catalogue


@dataclass(frozen=True, slots=True)
class Model:
    provider: str          # canonical provider (genai-prices spelling)
    family: str            # body shape: chat responses embeddings anthropic invoke gemini
    #                        converse cohere (chat = OpenAI Chat Completions and look-alikes)
    name: str              # what the client sends
    served: str            # what the body reports
    weight: float          # share within its provider
    reasoning: bool = False
    context: int = 128_000
    long_context: bool = False
    max_output: int = 16_384
    caches: bool = True
    price: tuple[float, float] = (1.0, 4.0)   # USD/MTok in, out: only for OpenRouter's cost
    upstream: str = ""                         # OpenRouter: who served it


MODELS = (
    # OpenAI
    Model("openai", "chat", "gpt-4o-2024-08-06", "gpt-4o-2024-08-06", 6),
    Model("openai", "chat", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 14),
    Model("openai", "chat", "gpt-4.1", "gpt-4.1-2025-04-14", 7, context=1_047_576,
          long_context=True, max_output=32_768),
    Model("openai", "chat", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14", 9, context=1_047_576,
          max_output=32_768),
    Model("openai", "chat", "gpt-5", "gpt-5-2025-08-07", 5, reasoning=True, context=400_000,
          max_output=128_000),
    Model("openai", "chat", "gpt-5-mini", "gpt-5-mini-2025-08-07", 8, reasoning=True,
          context=400_000, max_output=128_000),
    Model("openai", "chat", "gpt-5-nano", "gpt-5-nano-2025-08-07", 5, reasoning=True,
          context=400_000, max_output=128_000),
    Model("openai", "chat", "o3", "o3-2025-04-16", 2, reasoning=True, context=200_000,
          max_output=100_000),
    Model("openai", "chat", "o4-mini", "o4-mini-2025-04-16", 3, reasoning=True,
          context=200_000, max_output=100_000),
    Model("openai", "chat", "gpt-3.5-turbo-0125", "gpt-3.5-turbo-0125", 2, context=16_385,
          max_output=4_096, caches=False),
    Model("openai", "responses", "gpt-5", "gpt-5-2025-08-07", 5, reasoning=True,
          context=400_000, max_output=128_000),
    Model("openai", "responses", "gpt-5-mini", "gpt-5-mini-2025-08-07", 5, reasoning=True,
          context=400_000, max_output=128_000),
    Model("openai", "responses", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14", 3,
          context=1_047_576, max_output=32_768),
    Model("openai", "embeddings", "text-embedding-3-small", "text-embedding-3-small", 12,
          context=8_191, caches=False),
    Model("openai", "embeddings", "text-embedding-3-large", "text-embedding-3-large", 3,
          context=8_191, caches=False),
    # Anthropic
    Model("anthropic", "anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929",
          38, context=1_000_000, long_context=True, max_output=64_000),
    Model("anthropic", "anthropic", "claude-sonnet-4-20250514", "claude-sonnet-4-20250514", 10,
          context=1_000_000, long_context=True, max_output=64_000),
    Model("anthropic", "anthropic", "claude-opus-4-1-20250805", "claude-opus-4-1-20250805", 8,
          context=200_000, max_output=32_000),
    Model("anthropic", "anthropic", "claude-haiku-4-5-20251001", "claude-haiku-4-5-20251001",
          24, context=200_000, max_output=64_000),
    Model("anthropic", "anthropic", "claude-3-5-haiku-20241022", "claude-3-5-haiku-20241022",
          12, context=200_000, max_output=8_192),
    Model("anthropic", "anthropic", "claude-3-7-sonnet-20250219", "claude-3-7-sonnet-20250219",
          8, context=200_000, max_output=64_000),
    # Google (Gemini API and Vertex share the body shape)
    Model("google", "gemini", "gemini-2.5-pro", "gemini-2.5-pro", 25, reasoning=True,
          context=1_048_576, long_context=True, max_output=65_536),
    Model("google", "gemini", "gemini-2.5-flash", "gemini-2.5-flash", 45, reasoning=True,
          context=1_048_576, long_context=True, max_output=65_536),
    Model("google", "gemini", "gemini-2.0-flash", "gemini-2.0-flash", 20, context=1_048_576,
          max_output=8_192, caches=False),
    Model("google", "gemini", "gemini-2.5-flash-lite", "gemini-2.5-flash-lite", 10,
          context=1_048_576, max_output=65_536),
    # AWS Bedrock: Converse bodies carry no model, InvokeModel bodies are Anthropic messages
    Model("aws", "converse", "anthropic.claude-3-5-haiku-20241022-v1:0",
          "anthropic.claude-3-5-haiku-20241022-v1:0", 25, context=200_000, max_output=8_192),
    Model("aws", "converse", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
          "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 22, context=200_000,
          max_output=64_000),
    Model("aws", "converse", "meta.llama3-2-11b-instruct-v1:0",
          "meta.llama3-2-11b-instruct-v1:0", 15, max_output=2_048, caches=False),
    Model("aws", "converse", "amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0", 10,
          context=300_000, max_output=5_120, caches=False),
    Model("aws", "invoke", "anthropic.claude-3-5-haiku-20241022-v1:0",
          "claude-3-5-haiku-20241022", 16, context=200_000, max_output=8_192),
    Model("aws", "invoke", "anthropic.claude-sonnet-4-5-20250929-v1:0",
          "claude-sonnet-4-5-20250929", 12, context=200_000, max_output=64_000),
    # Azure OpenAI: the request names a deployment; the body names the snapshot
    Model("azure", "chat", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14", 50, context=1_047_576,
          max_output=32_768),
    Model("azure", "chat", "gpt-4o", "gpt-4o-2024-11-20", 50),
    # The OpenAI-compatible rest
    Model("mistral", "chat", "mistral-large-latest", "mistral-large-latest", 50),
    Model("mistral", "chat", "mistral-small-latest", "mistral-small-latest", 50),
    Model("deepseek", "chat", "deepseek-chat", "deepseek-chat", 70, max_output=8_192),
    Model("deepseek", "chat", "deepseek-reasoner", "deepseek-reasoner", 30, reasoning=True,
          max_output=64_000),
    Model("groq", "chat", "llama-3.3-70b-versatile", "llama-3.3-70b-versatile", 70,
          max_output=32_768, caches=False),
    Model("groq", "chat", "llama-3.1-8b-instant", "llama-3.1-8b-instant", 30,
          max_output=8_192, caches=False),
    Model("together", "chat", "meta-llama/Llama-3.3-70B-Instruct-Turbo",
          "meta-llama/Llama-3.3-70B-Instruct-Turbo", 70, max_output=8_192),
    Model("together", "chat", "Qwen/Qwen2.5-72B-Instruct-Turbo",
          "Qwen/Qwen2.5-72B-Instruct-Turbo", 30, context=32_768, max_output=8_192),
    Model("openrouter", "chat", "anthropic/claude-sonnet-4.5", "anthropic/claude-sonnet-4.5",
          50, context=1_000_000, max_output=64_000, price=(3.0, 15.0), upstream="Anthropic"),
    Model("openrouter", "chat", "openai/gpt-4o", "openai/gpt-4o", 35, price=(2.5, 10.0),
          upstream="OpenAI"),
    Model("openrouter", "chat", "google/gemini-2.5-flash", "google/gemini-2.5-flash", 15,
          context=1_048_576, reasoning=True, max_output=65_536, price=(0.3, 2.5),
          upstream="Google"),
    # Cohere v2 chat: no model in the body
    Model("cohere", "cohere", "command-a-03-2025", "command-a-03-2025", 70, context=256_000,
          max_output=8_000, caches=False),
    Model("cohere", "cohere", "command-r-plus-08-2024", "command-r-plus-08-2024", 30,
          max_output=4_000, caches=False),
)

PROVIDER_SHARES = {
    "openai": 40.0, "anthropic": 30.0, "google": 10.0, "aws": 5.0, "azure": 4.0,
    "mistral": 2.2, "deepseek": 2.2, "groq": 1.8, "together": 1.6, "openrouter": 1.8,
    "cohere": 1.4,
}

# Names a gateway writes in the envelope: mostly canonical, sometimes an alias.
PROVIDER_LABELS = {
    "openai": (("openai", 1.0),),
    "anthropic": (("anthropic", 1.0),),
    "google": (("google", 0.8), ("gemini", 0.2)),
    "aws": (("aws", 0.7), ("bedrock", 0.3)),
    "azure": (("azure", 0.85), ("azure_openai", 0.15)),
}

STREAMABLE = frozenset({"chat", "responses", "anthropic", "gemini", "converse"})
# Shapes that name their model in the body, so a bare (envelope-less) copy is still priceable.
BARE_OK = frozenset({"chat", "responses", "anthropic", "invoke", "gemini"})
SSE_FAMILIES = frozenset({"chat", "responses", "anthropic", "gemini"})

PROJECTS = ("support-bot", "search-rag", "code-review", "doc-summarizer", "sales-agent",
            "data-extraction", "eval-harness", "marketing-copy", "internal-chat", "translation")
FIRST_NAMES = ("alice", "bob", "carol", "dan", "erin", "farid", "grace", "hiro", "ines", "jon",
               "kemal", "lena", "mateo", "nadia", "omar", "priya", "quinn", "rosa", "sven",
               "tariq", "uma", "vera", "wen", "yusuf")
LAST_NAMES = ("nguyen", "smith", "okafor", "garcia", "kim", "muller", "rossi", "tanaka",
              "silva", "cohen", "novak", "haddad", "larsen", "patel", "dubois", "ivanova")

VOCAB_TEXT = """
the a of to and in for on with from by about into over after under between
report ticket customer order invoice summary table column query index cache result
draft review update schedule budget forecast region market product feature release
metric latency error retry request response token batch stream window context model
please summarize explain list compare translate classify extract rewrite check verify
short brief clear detailed formal friendly quick main key next last first new old
data file page section chapter note email message thread comment issue bug patch test
quarter month week day hour team project account user policy rule step plan goal
"""
VOCAB = tuple(VOCAB_TEXT.split())

TOOL_NAMES = ("lookup_order", "search_docs", "get_weather", "run_sql", "create_ticket")

# Shared, never-mutated sub-objects: referenced from many bodies, serialised by orjson each time.
SAFE = {"filtered": False, "severity": "safe"}
NOT_DETECTED = {"detected": False, "filtered": False}
AZURE_PROMPT_FILTERS = [{"prompt_index": 0, "content_filter_results": {
    "hate": SAFE, "jailbreak": NOT_DETECTED, "self_harm": SAFE, "sexual": SAFE,
    "violence": SAFE}}]
AZURE_CHOICE_FILTERS = {"hate": SAFE, "protected_material_code": NOT_DETECTED,
                        "protected_material_text": NOT_DETECTED, "self_harm": SAFE,
                        "sexual": SAFE, "violence": SAFE}
AZURE_CHOICE_FILTERED = {**AZURE_CHOICE_FILTERS,
                         "violence": {"filtered": True, "severity": "medium"}}
RESPONSES_BILLING = {"payer": "developer"}
RESPONSES_TEXT = {"format": {"type": "text"}, "verbosity": "medium"}
RESPONSES_WEB_TOOLS = [{"type": "web_search", "filters": None, "search_context_size": "medium",
                        "user_location": {"type": "approximate", "city": None, "country": "US",
                                          "region": None, "timezone": None}}]
EMPTY_LIST: list = []
EMPTY_DICT: dict = {}
GEMINI_SAFETY_RATINGS = [
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "MEDIUM", "blocked": True},
    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]
STREAM_OPTIONS = {"include_usage": True}
BEDROCK_ERRORS = (
    (429, {"__type": "com.amazon.coral.availability#ThrottlingException",
           "message": "Too many requests, please wait before trying again."}),
    (400, {"__type": "com.amazon.coral.validate#ValidationException",
           "message": "Input is too long for requested model."}),
    (503, {"message": "Model is getting throttled. Try your request again."}),
)
ANTHROPIC_ERRORS = (
    ("overloaded_error", "Overloaded", 529),
    ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", 429),
    ("invalid_request_error", "prompt is too long: 212345 tokens > 200000 maximum", 400),
    ("api_error", "Internal server error", 500),
)
GEMINI_ERRORS = (
    (429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED"),
    (503, "The model is overloaded. Please try again later.", "UNAVAILABLE"),
    (400, "The input token count exceeds the maximum number of tokens allowed.",
     "INVALID_ARGUMENT"),
)
STOP, LENGTH, TOOL, FILTER, SEQUENCE, PAUSE = range(6)
CHAT_FINISH = ("stop", "length", "tool_calls", "content_filter", "stop", "stop")
ANTHROPIC_STOP = ("end_turn", "max_tokens", "tool_use", "refusal", "stop_sequence", "pause_turn")
GEMINI_FINISH = ("STOP", "MAX_TOKENS", "STOP", "SAFETY", "STOP", "STOP")
CONVERSE_STOP = ("end_turn", "max_tokens", "tool_use", "content_filtered", "stop_sequence",
                 "end_turn")
COHERE_FINISH = ("COMPLETE", "MAX_TOKENS", "TOOL_CALL", "ERROR_TOXIC", "STOP_SEQUENCE",
                 "COMPLETE")


class Tokens:
    """One call's usage in provider-neutral terms; each family maps it onto its own fields.

    `prompt` is the whole prompt; the uncached part is prompt - cache_read - write_5m - write_1h.
    `output` includes `reasoning`, except that Gemini reports thoughts beside its candidates.
    """

    __slots__ = ("prompt", "cache_read", "write_5m", "write_1h", "output", "reasoning",
                 "finish", "tool_prompt", "searches")

    def __init__(self, prompt, cache_read, write_5m, write_1h, output, reasoning, finish):
        self.prompt = prompt
        self.cache_read = cache_read
        self.write_5m = write_5m
        self.write_1h = write_1h
        self.output = output
        self.reasoning = reasoning
        self.finish = finish
        self.tool_prompt = 0
        self.searches = 0

    @property
    def uncached(self) -> int:
        return self.prompt - self.cache_read - self.write_5m - self.write_1h


class Call:
    """Everything decided about one API call before any body is written.

    `reports_usage` is False for an OpenAI/Azure stream sent without
    stream_options.include_usage and for an Anthropic stream that dies with an `error` event.
    """

    __slots__ = ("model", "ms", "created", "project", "user", "key", "request", "max_tokens",
                 "stream", "reports_usage", "tokens", "rid", "thinking", "vertex", "latency",
                 "repeat", "prompt", "tier")


# ------------------------------------------------------------------------------ calendar


def daily_volumes(rng: random.Random, requests: int, days: int,
                  end_date: datetime.date) -> list[tuple[datetime.date, int]]:
    """Calls per day: ~3x growth over the period, quiet weekends, noise; sums to `requests`."""
    start = end_date - datetime.timedelta(days=days - 1)
    dates = [start + datetime.timedelta(days=i) for i in range(days)]
    weights = []
    for i, day in enumerate(dates):
        growth = 3.0 ** (i / max(days - 1, 1))
        weekly = rng.uniform(0.35, 0.45) if day.weekday() >= 5 else 1.0
        weights.append(growth * weekly * rng.lognormvariate(0.0, 0.08))
    return list(zip(dates, apportion(requests, weights), strict=True))


def apportion(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to `weights` that sum to exactly `total` (largest remainder)."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def pick_days(rng: random.Random, days: int, share: float) -> set[int]:
    """At least one day (so small runs still contain every file kind), about `share` of them."""
    return set(rng.sample(range(days), max(1, round(days * share)))) if days else set()


# ------------------------------------------------------------------------------ writing


class DayFiles:
    """One day's outputs, held until the day is done (a day is at most a few tens of MB)."""

    def __init__(self, date: datetime.date):
        self.date = date
        self.gateway: list[bytes] = []
        self.inserts: list[tuple[int, bytes]] = []   # (after gateway line n, extra line)
        self.bare: list[bytes] = []
        self.openai_batch: list[bytes] = []
        self.anthropic_batch: list[bytes] = []
        self.export: list[bytes] = []
        self.documents: list[tuple[str, bytes]] = []  # (relative name, content)


def merged_gateway(files: DayFiles) -> list[bytes]:
    """Gateway lines with duplicates and malformed lines slotted in at their positions."""
    if not files.inserts:
        return files.gateway
    out: list[bytes] = []
    lines = files.gateway
    done = 0
    for after, extra in sorted(files.inserts, key=lambda item: item[0]):
        out.extend(lines[done:after])
        done = max(done, after)
        out.append(extra)
    out.extend(lines[done:])
    return out


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with a zero mtime and no file name in the header, so output is reproducible."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


# ------------------------------------------------------------------------------ generator


class Generator:
    def __init__(self, out_dir: Path, requests: int, days: int, seed: int,
                 end_date: datetime.date, progress: Callable[[int], object] | None):
        self.out = Path(out_dir)
        self.requests, self.days, self.end_date = requests, days, end_date
        self.progress = progress
        self.rng = random.Random(seed)
        self.stats = {"files": 0, "records": 0, "bytes": 0, "raw_bytes": 0, "calls": 0,
                      "duplicates": 0, "double_logged": 0, "malformed": 0}
        self.malformed_kinds = dict.fromkeys(MALFORMED_KINDS, 0)
        # How each call was logged: exclusive, so the counts sum to `calls`.
        self.routes = dict.fromkeys(ROUTES, 0)
        # Properties of calls: overlapping, each a count of calls.
        self.traits = dict.fromkeys(TRAITS, 0)
        self.providers = dict.fromkeys(PROVIDER_SHARES, 0)
        self.repeat_pool: list[tuple] = []
        self.carry: list[bytes] = []   # duplicates re-shipped into the next day's gateway file
        self._build_people()
        self._build_text()
        self._build_model_choice()

    # ----------------------------------------------------------------------- set-up

    def _build_people(self) -> None:
        """~60 users and ~20 keys, each owned by one project; usage is Zipf-skewed."""
        rng = self.rng
        names = [f"{f}.{last}" for f in FIRST_NAMES for last in LAST_NAMES]
        users = rng.sample(names, 60)
        self.project_cum = cumulative([1.0 / (k + 1) ** 1.1 for k in range(len(PROJECTS))])
        self.members: list[tuple[list[str], list[float], list[str]]] = []
        for p in range(len(PROJECTS)):
            mine = users[p * 6:(p + 1) * 6]
            keys = ["key_" + "".join(rng.choices(BASE62, k=12)) for _ in range(2)]
            self.members.append((mine, cumulative([1.0 / (k + 1) for k in range(6)]), keys))

    def _build_text(self) -> None:
        rng = self.rng
        self.sentences = [" ".join(rng.choices(VOCAB, k=rng.randint(6, 16))).capitalize() + "."
                          for _ in range(256)]
        self.system_prompts = [
            [f"You are the {name} assistant. " + rng.choice(self.sentences) for _ in range(3)]
            for name in PROJECTS]

    def _build_model_choice(self) -> None:
        """Provider shares are global; which of a provider's models is used varies by project."""
        rng = self.rng
        self.provider_names = list(PROVIDER_SHARES)
        self.provider_cum = cumulative(list(PROVIDER_SHARES.values()))
        self.models_by_provider = {p: [m for m in MODELS if m.provider == p]
                                   for p in PROVIDER_SHARES}
        self.model_cum: list[dict[str, list[float]]] = []
        for _ in PROJECTS:
            per_provider = {}
            for provider, models in self.models_by_provider.items():
                taste = [m.weight * rng.lognormvariate(0.0, 0.5) for m in models]
                per_provider[provider] = cumulative(taste)
            self.model_cum.append(per_provider)

    # ----------------------------------------------------------------------- main loop

    def run(self) -> dict:
        rng = self.rng
        volumes = daily_volumes(rng, self.requests, self.days, self.end_date)
        gz_days = pick_days(rng, self.days, GZIP_DAY_SHARE)
        batch_days = pick_days(rng, self.days, BATCH_DAY_SHARE)
        export_days = pick_days(rng, self.days, EXPORT_DAY_SHARE)
        malformed_by_day = self._malformed_plan(volumes)
        for index, (date, count) in enumerate(volumes):
            last_day = index == len(volumes) - 1
            files = DayFiles(date)
            self._generate_day(files, count, index in batch_days, index in export_days,
                               last_day)
            for kind in malformed_by_day.get(index, ()):
                self._add_malformed(files, kind)
            self._write_day(files, index in gz_days)
        return self._summary()

    def _malformed_plan(self, volumes) -> dict[int, list[str]]:
        """Which malformed kinds land on which day: every kind once before any repeats."""
        total = max(round(self.requests * MALFORMED_SHARE),
                    min(len(MALFORMED_KINDS), self.requests // 500))
        weights = [max(n, 0) for _, n in volumes]
        if total == 0 or not any(weights):
            return {}
        plan: dict[int, list[str]] = {}
        days = self.rng.choices(range(len(volumes)), weights=weights, k=total)
        for i, day in enumerate(days):
            plan.setdefault(day, []).append(MALFORMED_KINDS[i % len(MALFORMED_KINDS)])
        return plan

    def _generate_day(self, files: DayFiles, count: int, batch_day: bool, export_day: bool,
                      last_day: bool) -> None:
        rng = self.rng
        day_start_ms = int(datetime.datetime(files.date.year, files.date.month, files.date.day,
                                             tzinfo=datetime.UTC).timestamp()) * 1000
        self.day_start_ms = day_start_ms
        self.day_text = files.date.isoformat()
        for line in self.carry:
            files.inserts.append((0, line))
        self.carry = []
        stream_file_quota = rng.randint(1, 4)
        stream_file_chance = 4.0 / max(4.0, count * STREAM_SHARE * 0.8)
        export_quota = rng.randint(5, 30) if export_day else 0
        single_quota = rng.randint(1, 3) if export_day and rng.random() < 0.6 else 0
        # Chances sized so the quotas are usually filled whatever the day's volume.
        export_chance = min(1.0, 2.0 * export_quota / max(count, 1))
        single_chance = min(1.0, 2.0 * single_quota / max(count, 1))
        for ms in self._times(count):
            call, via = self._new_call(day_start_ms + ms, batch_day)
            self.stats["calls"] += 1
            self.providers[call.model.provider] += 1
            if via == "batch":
                self._emit_batch(files, call)
            elif via == "error":
                status, body = self._error_body(call)
                self._emit_envelope(files, call, body, None, last_day, status)
                self.routes["envelope"] += 1
            elif call.stream:
                to_file = (call.model.family in SSE_FAMILIES and stream_file_quota > 0
                           and rng.random() < stream_file_chance)
                if to_file:
                    stream_file_quota -= 1
                    self._emit_stream_file(files, call)
                else:
                    self._emit_stream_envelope(files, call, last_day)
            elif via == "bare":
                files.bare.append(orjson.dumps(self._body(call)))
                self.routes["bare"] += 1
            elif single_quota and rng.random() < single_chance:
                single_quota -= 1
                self._emit_single_document(files, call)
            elif export_quota and rng.random() < export_chance:
                export_quota -= 1
                files.export.append(orjson.dumps(self._envelope(call, self._body(call), None)))
                self.routes["export_array"] += 1
            else:
                self._emit_envelope(files, call, self._body(call), None, last_day)
                self.routes["envelope"] += 1

    def _times(self, count: int) -> list[int]:
        """Milliseconds into the day: busier in the (UTC) afternoon, never near midnight."""
        rng = self.rng
        times = []
        for _ in range(count):
            if rng.random() < 0.7:
                ms = int(rng.gauss(15.0, 3.5) * 3_600_000)
                if not FIRST_MS <= ms <= LAST_MS:
                    ms = rng.randint(FIRST_MS, LAST_MS)
            else:
                ms = rng.randint(FIRST_MS, LAST_MS)
            times.append(ms)
        times.sort()
        return times

    # ----------------------------------------------------------------------- one call

    def _new_call(self, epoch_ms: int, batch_day: bool) -> tuple[Call, str]:
        """Decide the call (model, people, request, tokens) and how it gets logged."""
        rng = self.rng
        call = Call()
        call.ms = epoch_ms
        call.created = epoch_ms // 1000
        call.thinking = call.vertex = call.repeat = False
        pool = self.repeat_pool
        if pool and rng.random() < REPEAT_SHARE:
            self._repeat_request(call, pool[int(rng.random() * len(pool))])
        else:
            self._fresh_request(call)
        model = call.model
        family = model.family
        via = "envelope"
        if not call.repeat and batch_day and self._batchable(model) and (
                rng.random() < BATCH_CALL_SHARE):
            via = "batch"
            call.stream = False
        elif rng.random() < ERROR_SHARE:
            via = "error"
        elif not call.stream and family in BARE_OK and not call.repeat and (
                rng.random() < BARE_SHARE):
            via = "bare"
        if family == "gemini":
            call.vertex = rng.random() < 0.3
        call.tier = self._service_tier(model, via == "batch")
        call.tokens = self._tokens(call, via == "batch")
        self._count_traits(call, via)
        call.rid = self._response_id(call)
        call.latency = self._latency(call, via == "error")
        if via in ("envelope", "error") and not call.repeat:
            self._remember(call)
        return call, via

    def _count_traits(self, call: Call, via: str) -> None:
        traits, tokens = self.traits, call.tokens
        if tokens.finish == LENGTH and tokens.output == call.max_tokens and via != "error":
            traits["runaway"] += 1
        if via == "error":
            traits["error"] += 1
        if call.stream and via != "error":
            traits["stream"] += 1
            if not call.reports_usage:
                traits["stream_without_usage"] += 1
        if tokens.prompt > 150_000:
            traits["long_context"] += 1
        if tokens.cache_read and via != "error":
            traits["cache_read"] += 1

    def _service_tier(self, model: Model, batch: bool) -> str:
        """Decided once per call, so a call logged as stream and as body agrees with itself."""
        draw = self.rng.random()
        if model.family == "anthropic":
            return "batch" if batch else "priority" if draw < 0.06 else "standard"
        if draw < 0.03 and not batch:
            return "priority"
        return "flex" if draw < 0.05 and model.reasoning and not batch else "default"

    def _batchable(self, model: Model) -> bool:
        return (model.provider == "openai" and model.family == "chat") or (
            model.family == "anthropic")

    def _fresh_request(self, call: Call) -> None:
        rng = self.rng
        project = bisect_choice(self.project_cum, rng.random())
        users, user_cum, keys = self.members[project]
        call.project = project
        call.user = users[bisect_choice(user_cum, rng.random())]
        call.key = keys[0] if rng.random() < 0.8 else keys[1]
        provider = self.provider_names[bisect_choice(self.provider_cum, rng.random())]
        models = self.models_by_provider[provider]
        model = models[bisect_choice(self.model_cum[project][provider], rng.random())]
        call.model = model
        call.stream = model.family in STREAMABLE and rng.random() < STREAM_SHARE
        call.reports_usage = True
        if call.stream and model.provider in ("openai", "azure") and model.family == "chat":
            call.reports_usage = rng.random() < 0.75
        elif call.stream and model.family == "anthropic":
            call.reports_usage = rng.random() >= 0.04
        call.thinking = model.family == "anthropic" and "haiku" not in model.name and (
            rng.random() < 0.1)
        call.max_tokens = self._max_tokens(model, call.thinking)
        call.request = self._request(call)

    def _repeat_request(self, call: Call, remembered: tuple) -> None:
        """The same request body sent again (a retry, a cached question): new response."""
        (call.model, call.request, call.max_tokens, call.stream, call.reports_usage,
         call.thinking, call.project, call.user, call.key, call.prompt) = remembered
        call.repeat = True
        self.traits["request_repeat"] += 1

    def _remember(self, call: Call) -> None:
        entry = (call.model, call.request, call.max_tokens, call.stream, call.reports_usage,
                 call.thinking, call.project, call.user, call.key, call.tokens.prompt)
        pool = self.repeat_pool
        if len(pool) < 400:
            pool.append(entry)
        else:
            pool[int(self.rng.random() * 400)] = entry

    def _max_tokens(self, model: Model, thinking: bool) -> int | None:
        rng = self.rng
        if model.family == "embeddings":
            return None
        optional = model.family in ("chat", "responses", "gemini", "cohere", "converse")
        if optional and rng.random() < 0.2:
            return None
        if model.reasoning or thinking:
            choices = (4_096, 8_192, 16_000, 16_384, 32_000)
        else:
            choices = (256, 512, 1_024, 1_024, 2_048, 4_096, 4_096, 8_192)
        return min(choices[int(rng.random() * len(choices))], model.max_output)

    # ----------------------------------------------------------------------- tokens

    def _tokens(self, call: Call, batch: bool) -> Tokens:
        rng = self.rng
        model = call.model
        prompt = call.prompt if call.repeat else self._prompt_size(model, call.max_tokens)
        if model.family == "embeddings":
            return Tokens(prompt, 0, 0, 0, 0, 0, STOP)
        output, reasoning, finish = self._output(call)
        read, w5, w1 = self._cache(model, prompt, call.repeat, batch)
        tokens = Tokens(prompt, read, w5, w1, output, reasoning, finish)
        if model.family == "gemini" and rng.random() < 0.03:
            tokens.tool_prompt = int(rng.lognormvariate(5.7, 0.6))
        if model.family in ("anthropic", "responses") and rng.random() < 0.06:
            tokens.searches = 1 + int(rng.random() * 3)
            if model.family == "anthropic" and finish == STOP and rng.random() < 0.1:
                tokens.finish = PAUSE
        return tokens

    def _prompt_size(self, model: Model, max_tokens: int | None) -> int:
        rng = self.rng
        if model.family == "embeddings":
            return min(8 + int(rng.lognormvariate(5.3, 1.0)), model.context)
        if model.long_context and rng.random() < LONG_CONTEXT_SHARE:
            prompt = int(rng.uniform(150_000, min(model.context * 0.9, 600_000)))
        else:
            prompt = 20 + int(rng.lognormvariate(7.2, 1.05))   # median ~1.3k tokens
        return max(20, min(prompt, model.context - (max_tokens or 4_096)))

    def _output(self, call: Call) -> tuple[int, int, int]:
        """(output incl. reasoning, reasoning, finish) respecting max_tokens."""
        rng = self.rng
        model = call.model
        visible = 1 + int(rng.lognormvariate(5.6, 0.9))      # median ~270
        thinks = model.reasoning or call.thinking
        if model.family == "gemini" and "flash" in model.name and rng.random() < 0.3:
            thinks = False   # 2.5 Flash skips thinking on easy prompts
        reasoning = int(rng.lognormvariate(6.9, 1.0)) if thinks else 0
        limit = call.max_tokens or model.max_output
        draw = rng.random()
        if call.max_tokens and draw < RUNAWAY_SHARE:
            share = reasoning / (reasoning + visible)
            reasoning = int(call.max_tokens * share)
            return call.max_tokens, reasoning, LENGTH
        total = visible + reasoning
        if total >= limit:
            scale = (limit - 1) / total
            reasoning = int(reasoning * scale)
            total = max(1, reasoning + int(visible * scale))
        finish = STOP
        if draw > 0.94:
            finish = TOOL
        elif draw > 0.937:
            finish = FILTER
        elif draw > 0.925 and model.family in ("anthropic", "converse", "cohere"):
            finish = SEQUENCE
        return total, reasoning, finish

    def _cache(self, model: Model, prompt: int, repeat: bool,
               batch: bool) -> tuple[int, int, int]:
        """(cache read, 5-minute writes, 1-hour writes) in the provider's granularity."""
        rng = self.rng
        if not model.caches or prompt < 1_024:
            return 0, 0, 0
        family, provider = model.family, model.provider
        # Only prompts over 1,024 tokens can hit, so this gives ~35% of all calls a cache read.
        hit = rng.random() < (0.85 if repeat else 0.65)
        if family in ("anthropic", "invoke") or (family == "converse" and "claude" in model.name):
            return self._anthropic_cache(prompt, hit, batch)
        if provider == "openrouter" and model.upstream == "Anthropic":
            return self._anthropic_cache(prompt, hit, batch)
        if not hit:
            return 0, 0, 0
        if provider in ("openai", "azure", "openrouter"):
            return min(prompt, 1_024 + 128 * int(rng.random() * (prompt - 1_024) / 128)), 0, 0
        if provider == "deepseek":
            return 64 * int(rng.random() * prompt / 64), 0, 0
        if family == "gemini":
            return (int(prompt * rng.uniform(0.3, 0.95)), 0, 0) if rng.random() < 0.4 else (
                0, 0, 0)
        if provider in ("mistral", "together"):
            return (int(prompt * rng.uniform(0.2, 0.9)), 0, 0) if rng.random() < 0.5 else (
                0, 0, 0)
        return 0, 0, 0

    def _anthropic_cache(self, prompt: int, hit: bool, batch: bool) -> tuple[int, int, int]:
        rng = self.rng
        read = int(prompt * rng.uniform(0.5, 0.97)) if hit else 0
        if batch or rng.random() > 0.25:
            return read, 0, 0
        write = int((prompt - read) * rng.uniform(0.3, 0.95))
        draw = rng.random()
        if draw < 0.75:
            return read, write, 0
        if draw < 0.93:
            return read, 0, write
        one_hour = write // 3
        return read, write - one_hour, one_hour

    def _latency(self, call: Call, failed: bool = False) -> int:
        if failed:   # rejected before any generation
            return int(self.rng.lognormvariate(5.5, 0.6))
        base = 350 + call.tokens.output * 9 + call.tokens.prompt // 200
        return int(base * self.rng.lognormvariate(0.0, 0.35))

    # ----------------------------------------------------------------------- identifiers

    def _b62(self, n: int) -> str:
        return "".join(self.rng.choices(BASE62, k=n))

    def _hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def _uuid(self) -> str:
        h = self._hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"

    def _response_id(self, call: Call) -> str | None:
        model = call.model
        family, provider = model.family, model.provider
        if family == "chat":
            if provider in ("openai", "azure"):
                return "chatcmpl-" + self._b62(29)
            if provider == "mistral":
                return self._hex(32)
            if provider == "deepseek":
                return self._uuid()
            if provider == "groq":
                return "chatcmpl-" + self._uuid()
            if provider == "together":
                return f"{self._hex(16)}-{('MXP', 'SJC', 'IAD', 'ORD')[self.rng.randrange(4)]}"
            return f"gen-{call.created}-{self._b62(20)}"
        if family == "responses":
            return "resp_" + self._openai_item_id(call.created)
        if family == "anthropic":
            return "msg_01" + self._b62(22)
        if family == "invoke":
            return "msg_bdrk_01" + self._b62(22)
        if family == "gemini":
            return "".join(self.rng.choices(BASE64URL, k=23))
        if family == "cohere":
            return self._uuid()
        return None   # embeddings and Bedrock Converse bodies carry no id

    def _openai_item_id(self, created: int) -> str:
        """Responses API ids: a random prefix, the hex creation time, a random tail."""
        return f"{self._hex(16)}00{created:08x}{self._hex(26)}"

    # ----------------------------------------------------------------------- requests

    def _prompt_text(self) -> str:
        rng = self.rng
        return " ".join(rng.choices(VOCAB, k=8 + int(rng.random() * 24)))

    def _request(self, call: Call) -> dict | None:
        rng = self.rng
        model = call.model
        family = model.family
        system = self.system_prompts[call.project][int(rng.random() * 3)]
        user = self._prompt_text()
        mt = call.max_tokens
        temperature = (0.0, 0.2, 0.7, 1.0)[int(rng.random() * 4)]
        if family == "chat":
            request = {"model": model.name, "messages": [
                {"role": "system", "content": system}, {"role": "user", "content": user}]}
            if model.provider == "azure" and rng.random() < 0.5:
                del request["model"]   # the deployment is in the URL
            if mt is not None:
                key = "max_completion_tokens" if model.reasoning else "max_tokens"
                request[key] = mt
            if not model.reasoning:
                request["temperature"] = temperature
            request["stream"] = call.stream
            if call.stream and call.reports_usage and model.provider in ("openai", "azure"):
                request["stream_options"] = STREAM_OPTIONS
            return request
        if family == "responses":
            request = {"model": model.name, "instructions": system, "input": user}
            if mt is not None:
                request["max_output_tokens"] = mt
            if model.reasoning:
                request["reasoning"] = {"effort": ("low", "medium", "high")[rng.randrange(3)]}
            request["stream"] = call.stream
            return request
        if family == "embeddings":
            return {"model": model.name, "input": user, "encoding_format": "float"}
        if family in ("anthropic", "invoke"):
            request = {"model": model.name, "max_tokens": mt or 4_096, "system": system,
                       "messages": [{"role": "user", "content": user}]}
            if family == "invoke":
                del request["model"]
                request = {"anthropic_version": "bedrock-2023-05-31", **request}
            if call.thinking:
                request["thinking"] = {"type": "enabled", "budget_tokens": (mt or 4_096) // 2}
            else:
                request["temperature"] = temperature
            if call.stream:
                request["stream"] = True
            return request
        if family == "gemini":
            config = {"temperature": temperature}
            if mt is not None:
                config["maxOutputTokens"] = mt
            return {"contents": [{"role": "user", "parts": [{"text": user}]}],
                    "systemInstruction": {"parts": [{"text": system}]},
                    "generationConfig": config}
        if family == "converse":
            config = {"temperature": temperature}
            if mt is not None:
                config["maxTokens"] = mt
            return {"modelId": model.name, "system": [{"text": system}],
                    "messages": [{"role": "user", "content": [{"text": user}]}],
                    "inferenceConfig": config}
        request = {"model": model.name, "messages": [
            {"role": "system", "content": system}, {"role": "user", "content": user}]}
        if mt is not None:
            request["max_tokens"] = mt
        return request

    # ----------------------------------------------------------------------- envelopes

    def _timestamp(self, epoch_ms: int) -> str | None:
        """Mostly `...Z` with milliseconds; some +00:00, other offsets, no fraction, none."""
        draw = self.rng.random()
        ms = epoch_ms - self.day_start_ms
        if draw < 0.72:
            return f"{self.day_text}T{clock(ms)}.{ms % 1000:03d}Z"
        if draw < 0.82:
            return f"{self.day_text}T{clock(ms)}.{ms % 1000:03d}000+00:00"
        if draw < 0.89:
            return f"{self.day_text}T{clock(ms)}Z"
        if draw < 0.99:
            hours = 2 if draw < 0.95 else -5
            zone = datetime.timezone(datetime.timedelta(hours=hours))
            moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, zone)
            return moment.isoformat(timespec="milliseconds")
        return None

    def _envelope(self, call: Call, body: dict | None, stream, status: int = 200) -> dict:
        """The gateway's wrapper. Every field but the body is sometimes missing."""
        rng = self.rng
        model = call.model
        envelope: dict = {}
        stamp = self._timestamp(call.ms)
        if stamp is not None:
            envelope["timestamp"] = stamp
        if rng.random() < 0.99:
            envelope["provider"] = self._provider_label(call)
        if rng.random() < 0.95:
            envelope["project"] = PROJECTS[call.project]
        if rng.random() < 0.9:
            envelope["user"] = call.user
        if rng.random() < 0.93:
            envelope["api_key_id"] = call.key
        request = call.request if (call.repeat or rng.random() < 0.85) else None
        if request is None or rng.random() < 0.4:
            envelope["model"] = model.name
        if rng.random() < 0.9:
            latency = call.latency
            envelope["latency_ms"] = latency + 0.5 if rng.random() < 0.03 else latency
        if rng.random() < (0.7 if status != 200 else 0.3):
            envelope["status_code"] = status
        if rng.random() < 0.6:
            envelope["metadata"] = {"env": "prod" if rng.random() < 0.9 else "staging",
                                    "trace_id": self._hex(16)}
        if request is not None:
            envelope["request"] = request
        if body is not None:
            envelope["response"] = body
        else:
            envelope["stream"] = stream
        return envelope

    def _provider_label(self, call: Call) -> str:
        provider = call.model.provider
        if call.vertex:
            return "vertex" if self.rng.random() < 0.5 else "google"
        labels = PROVIDER_LABELS.get(provider)
        if labels is None or len(labels) == 1:
            return provider
        draw = self.rng.random()
        for label, share in labels:
            draw -= share
            if draw < 0:
                return label
        return provider

    def _emit_envelope(self, files: DayFiles, call: Call, body: dict | None, stream,
                       last_day: bool, status: int = 200) -> dict:
        envelope = self._envelope(call, body, stream, status)
        line = orjson.dumps(envelope)
        files.gateway.append(line)
        if self.rng.random() < DUPLICATE_SHARE:
            self._duplicate(files, line, last_day)
        return envelope

    def _duplicate(self, files: DayFiles, line: bytes, last_day: bool) -> None:
        """The same line shipped twice: later in the same file, or in the next day's file."""
        self.stats["duplicates"] += 1
        if not last_day and self.rng.random() < 0.35:
            self.carry.append(line)
            return
        here = len(files.gateway)
        files.inserts.append((here + int(self.rng.random() * 200), line))

    def _emit_stream_envelope(self, files: DayFiles, call: Call, last_day: bool) -> None:
        as_text = call.model.family != "converse" and self.rng.random() < 0.5
        if as_text:
            stream = self._sse(call).decode()
            self.routes["envelope_stream_text"] += 1
        else:
            stream = self._stream_events(call)
            self.routes["envelope_stream_list"] += 1
        envelope = self._emit_envelope(files, call, None, stream, last_day)
        double = call.reports_usage and call.model.family in ("chat", "anthropic")
        if double and self.rng.random() < DOUBLE_LOG_SHARE:
            # The gateway also logged the assembled final body: same call, same id, and the
            # same envelope fields (so both copies name the same provider, project and time).
            assembled = {k: v for k, v in envelope.items() if k != "stream"}
            assembled["response"] = self._body(call)
            files.gateway.append(orjson.dumps(assembled))
            self.stats["double_logged"] += 1

    def _emit_stream_file(self, files: DayFiles, call: Call) -> None:
        rng = self.rng
        number = len([d for d in files.documents if d[0].startswith("streams/")]) + 1
        draw = rng.random()
        suffix = ".sse" if draw < 0.6 else ".txt" if draw < 0.85 else ".sse.gz"
        content = self._sse(call)
        if suffix.endswith(".gz"):
            content = gzip_bytes(content)
        files.documents.append((f"streams/{number:04d}{suffix}", content))
        self.routes["stream_file"] += 1

    def _emit_single_document(self, files: DayFiles, call: Call) -> None:
        envelope = self._envelope(call, self._body(call), None)
        name = f"call-{call.rid or self._hex(12)}.json"
        files.documents.append((name, orjson.dumps(envelope, option=orjson.OPT_INDENT_2)))
        self.routes["export_single"] += 1

    def _emit_batch(self, files: DayFiles, call: Call) -> None:
        if call.model.family == "chat":
            files.openai_batch.append(orjson.dumps(self._openai_batch_line(call)))
            self.routes["openai_batch"] += 1
        else:
            files.anthropic_batch.append(orjson.dumps(self._anthropic_batch_line(call)))
            self.routes["anthropic_batch"] += 1

    # ----------------------------------------------------------------------- bodies

    def _body(self, call: Call) -> dict:
        family = call.model.family
        if family == "chat":
            return self._chat_body(call)
        if family == "responses":
            return self._responses_body(call, "completed")
        if family == "embeddings":
            return self._embeddings_body(call)
        if family in ("anthropic", "invoke"):
            return self._anthropic_body(call)
        if family == "gemini":
            return self._gemini_body(call)
        if family == "converse":
            return self._converse_body(call)
        return self._cohere_body(call)

    def _reply_text(self) -> str:
        rng = self.rng
        sentences = self.sentences
        first = sentences[int(rng.random() * 256)]
        if rng.random() < 0.5:
            return first
        return first + " " + sentences[int(rng.random() * 256)]

    def _tool_arguments(self) -> dict:
        return {"query": " ".join(self.rng.choices(VOCAB, k=3))}

    # OpenAI Chat Completions and the compatible providers

    def _chat_body(self, call: Call) -> dict:
        provider = call.model.provider
        t = call.tokens
        finish = CHAT_FINISH[t.finish]
        if provider == "together" and finish == "stop" and self.rng.random() < 0.4:
            finish = "eos"
        body = {"id": call.rid, "object": "chat.completion", "created": call.created,
                "model": call.model.served}
        if provider == "together":
            body["prompt"] = EMPTY_LIST
        body["choices"] = [self._chat_choice(call, finish)]
        if provider == "azure":
            body["prompt_filter_results"] = AZURE_PROMPT_FILTERS
        body["usage"] = self._chat_usage(call)
        if provider == "openai":
            body["service_tier"] = call.tier
        if provider in ("openai", "azure", "deepseek", "groq"):
            body["system_fingerprint"] = "fp_" + self._hex(10)
        if provider == "groq":
            body["x_groq"] = {"id": "req_01" + "".join(self.rng.choices(LOWER36, k=24))}
        if provider == "openrouter":
            body["provider"] = call.model.upstream
        return body

    def _chat_choice(self, call: Call, finish: str) -> dict:
        provider = call.model.provider
        if call.tokens.finish == TOOL:
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_" + self._b62(24), "type": "function", "function": {
                    "name": TOOL_NAMES[int(self.rng.random() * 5)],
                    "arguments": orjson.dumps(self._tool_arguments()).decode()}}]}
        elif provider in ("openai", "azure"):
            message = {"role": "assistant", "content": self._reply_text(), "refusal": None,
                       "annotations": EMPTY_LIST}
        else:
            message = {"role": "assistant", "content": self._reply_text()}
        if provider == "deepseek" and call.model.reasoning:
            message["reasoning_content"] = self._reply_text()
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        if provider == "azure":
            choice["content_filter_results"] = (
                AZURE_CHOICE_FILTERED if finish == "content_filter" else AZURE_CHOICE_FILTERS)
        if provider == "openrouter":
            choice["native_finish_reason"] = finish
        return choice

    def _chat_usage(self, call: Call) -> dict:
        t = call.tokens
        provider = call.model.provider
        prompt, completion = t.prompt, t.output
        usage = {"prompt_tokens": prompt, "completion_tokens": completion,
                 "total_tokens": prompt + completion}
        if provider in ("openai", "azure"):
            if call.model.name.startswith("gpt-3.5") or (
                    not call.model.reasoning and t.cache_read == 0
                    and self.rng.random() < 0.05):
                return usage   # legacy shape: no *_details objects
            usage["prompt_tokens_details"] = {"cached_tokens": t.cache_read, "audio_tokens": 0}
            usage["completion_tokens_details"] = {
                "reasoning_tokens": t.reasoning, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
        elif provider == "mistral":
            if t.cache_read:
                usage["prompt_tokens_details"] = {"cached_tokens": t.cache_read}
        elif provider == "deepseek":
            usage = {"completion_tokens": completion}
            if t.reasoning:
                usage["completion_tokens_details"] = {"reasoning_tokens": t.reasoning}
            usage.update({"prompt_cache_hit_tokens": t.cache_read,
                          "prompt_cache_miss_tokens": prompt - t.cache_read,
                          "prompt_tokens": prompt,
                          "prompt_tokens_details": {"cached_tokens": t.cache_read},
                          "total_tokens": prompt + completion})
        elif provider == "groq":
            usage = self._groq_usage(prompt, completion)
        elif provider == "together":
            if t.cache_read:
                usage["cached_tokens"] = t.cache_read
        elif provider == "openrouter":
            usage.update(self._openrouter_extras(call))
        return usage

    def _groq_usage(self, prompt: int, completion: int) -> dict:
        rng = self.rng
        prompt_time = round(prompt / 40_000 + rng.random() * 0.01, 6)
        completion_time = round(completion / 300 + rng.random() * 0.05, 6)
        return {"queue_time": round(rng.random() * 0.1, 6), "prompt_tokens": prompt,
                "prompt_time": prompt_time, "completion_tokens": completion,
                "completion_time": completion_time, "total_tokens": prompt + completion,
                "total_time": round(prompt_time + completion_time, 6)}

    def _openrouter_extras(self, call: Call) -> dict:
        t = call.tokens
        price_in, price_out = call.model.price
        writes = t.write_5m + t.write_1h
        cost = (t.uncached * price_in + t.cache_read * price_in * 0.1
                + writes * price_in * 1.25 + t.output * price_out) / 1e6
        details = {"cached_tokens": t.cache_read}
        if writes:
            details["cache_write_tokens"] = writes
        return {"cost": round(cost, 8), "is_byok": False, "prompt_tokens_details": details,
                "completion_tokens_details": {"reasoning_tokens": t.reasoning}}

    # OpenAI Responses API

    def _responses_body(self, call: Call, status: str) -> dict:
        t = call.tokens
        incomplete = t.finish == LENGTH and status != "in_progress"
        if status == "completed" and incomplete:
            status = "incomplete"
        body = {"id": call.rid, "object": "response", "created_at": call.created,
                "status": status, "background": False, "billing": RESPONSES_BILLING,
                "error": None,
                "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
                "instructions": None, "max_output_tokens": call.max_tokens,
                "max_tool_calls": None, "model": call.model.served,
                "output": self._responses_output(call) if status != "in_progress" else [],
                "parallel_tool_calls": True, "previous_response_id": None,
                "prompt_cache_key": None,
                "reasoning": {"effort": "medium" if call.model.reasoning else None,
                              "summary": None},
                "safety_identifier": None, "service_tier": call.tier, "store": True,
                "temperature": 1.0, "text": RESPONSES_TEXT, "tool_choice": "auto",
                "tools": RESPONSES_WEB_TOOLS if t.searches else EMPTY_LIST,
                "top_logprobs": 0, "top_p": 1.0, "truncation": "disabled",
                "usage": None, "user": None, "metadata": EMPTY_DICT}
        if status != "in_progress":
            body["usage"] = {
                "input_tokens": t.prompt,
                "input_tokens_details": {"cached_tokens": t.cache_read},
                "output_tokens": t.output,
                "output_tokens_details": {"reasoning_tokens": t.reasoning},
                "total_tokens": t.prompt + t.output}
        return body

    def _responses_output(self, call: Call) -> list:
        t = call.tokens
        created = call.created
        items = []
        if t.reasoning:
            items.append({"id": "rs_" + self._openai_item_id(created), "type": "reasoning",
                          "summary": EMPTY_LIST})
        for _ in range(t.searches):
            items.append({"id": "ws_" + self._openai_item_id(created),
                          "type": "web_search_call", "status": "completed",
                          "action": {"type": "search", "query": self._prompt_text()[:60]}})
        if t.finish == TOOL:
            items.append({"id": "fc_" + self._openai_item_id(created), "type": "function_call",
                          "status": "completed", "call_id": "call_" + self._b62(24),
                          "name": TOOL_NAMES[int(self.rng.random() * 5)],
                          "arguments": orjson.dumps(self._tool_arguments()).decode()})
            return items
        items.append({"id": "msg_" + self._openai_item_id(created), "type": "message",
                      "status": "incomplete" if t.finish == LENGTH else "completed",
                      "content": [{"type": "output_text", "annotations": EMPTY_LIST,
                                   "logprobs": EMPTY_LIST, "text": self._reply_text()}],
                      "role": "assistant"})
        return items

    # OpenAI Embeddings

    def _embeddings_body(self, call: Call) -> dict:
        rng = self.rng
        vector = [round(rng.random() * 0.2 - 0.1, 6) for _ in range(8)]
        return {"object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": vector}],
                "model": call.model.served,
                "usage": {"prompt_tokens": call.tokens.prompt,
                          "total_tokens": call.tokens.prompt}}

    # Anthropic Messages (also Bedrock InvokeModel)

    def _anthropic_body(self, call: Call) -> dict:
        t = call.tokens
        return {"id": call.rid, "type": "message", "role": "assistant",
                "model": call.model.served, "content": self._anthropic_content(call),
                "stop_reason": ANTHROPIC_STOP[t.finish],
                "stop_sequence": "\n\nEND" if t.finish == SEQUENCE else None,
                "usage": self._anthropic_usage(call)}

    def _anthropic_content(self, call: Call) -> list:
        t = call.tokens
        blocks = []
        if call.thinking:
            blocks.append({"type": "thinking", "thinking": self._reply_text(),
                           "signature": self._b62(48)})
        if t.searches:
            blocks.append({"type": "server_tool_use", "id": "srvtoolu_01" + self._b62(22),
                           "name": "web_search", "input": self._tool_arguments()})
        if t.finish != FILTER:
            blocks.append({"type": "text", "text": self._reply_text()})
        if t.finish == TOOL:
            blocks.append({"type": "tool_use", "id": "toolu_01" + self._b62(22),
                           "name": TOOL_NAMES[int(self.rng.random() * 5)],
                           "input": self._tool_arguments()})
        return blocks

    def _anthropic_usage(self, call: Call) -> dict:
        t = call.tokens
        writes = t.write_5m + t.write_1h
        usage = {"input_tokens": t.uncached, "cache_creation_input_tokens": writes,
                 "cache_read_input_tokens": t.cache_read}
        legacy = call.model.family == "invoke" or "3-5" in call.model.name
        if not legacy or t.write_1h:
            usage["cache_creation"] = {"ephemeral_5m_input_tokens": t.write_5m,
                                       "ephemeral_1h_input_tokens": t.write_1h}
        usage["output_tokens"] = t.output
        if call.thinking and "-4-5-" in call.model.name:
            usage["output_tokens_details"] = {"thinking_tokens": t.reasoning}
        if t.searches:
            usage["server_tool_use"] = {"web_search_requests": t.searches}
        if call.model.family == "anthropic":
            usage["service_tier"] = call.tier
            # Streams report no iterations, so compaction only shows in unstreamed bodies.
            if not call.stream and self.rng.random() < 0.003:
                usage["iterations"] = self._compaction_steps(usage)
        return usage

    def _compaction_steps(self, final: dict) -> list:
        """Context compaction: earlier steps are billed too; the top level is the last step."""
        rng = self.rng
        steps = []
        for _ in range(1 + int(rng.random() * 2)):
            steps.append({"input_tokens": 20_000 + int(rng.random() * 120_000),
                          "output_tokens": 500 + int(rng.random() * 3_000),
                          "cache_read_input_tokens": int(rng.random() * 50_000),
                          "cache_creation_input_tokens": 0})
        steps.append({"input_tokens": final["input_tokens"],
                      "output_tokens": final["output_tokens"],
                      "cache_read_input_tokens": final["cache_read_input_tokens"],
                      "cache_creation_input_tokens": final["cache_creation_input_tokens"]})
        return steps

    # Google Gemini / Vertex generateContent

    def _gemini_body(self, call: Call) -> dict:
        t = call.tokens
        if t.finish == FILTER:
            candidate = {"finishReason": "SAFETY", "index": 0,
                         "safetyRatings": GEMINI_SAFETY_RATINGS}
        else:
            part = ({"functionCall": {"name": TOOL_NAMES[int(self.rng.random() * 5)],
                                      "args": self._tool_arguments()}}
                    if t.finish == TOOL else {"text": self._reply_text()})
            candidate = {"content": {"parts": [part], "role": "model"},
                         "finishReason": GEMINI_FINISH[t.finish], "index": 0}
        body = {"candidates": [candidate], "usageMetadata": self._gemini_usage(call)}
        if call.vertex:
            body["createTime"] = self._vertex_time(call.ms)
        body["modelVersion"] = self._gemini_model(call)
        body["responseId"] = call.rid
        return body

    def _gemini_model(self, call: Call) -> str:
        served = call.model.served
        return served + "-001" if call.vertex and served == "gemini-2.0-flash" else served

    def _vertex_time(self, epoch_ms: int) -> str:
        ms = epoch_ms - self.day_start_ms
        return f"{self.day_text}T{clock(ms)}.{ms % 1000:03d}{self.rng.randrange(1000):03d}Z"

    def _gemini_usage(self, call: Call) -> dict:
        t = call.tokens
        candidates = 0 if t.finish == FILTER else t.output - t.reasoning
        thoughts = 0 if t.finish == FILTER else t.reasoning
        usage = {"promptTokenCount": t.prompt}
        if candidates:
            usage["candidatesTokenCount"] = candidates
        usage["totalTokenCount"] = t.prompt + candidates + thoughts + t.tool_prompt
        if t.cache_read:
            usage["cachedContentTokenCount"] = t.cache_read
            usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": t.cache_read}]
        usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": t.prompt}]
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        if t.tool_prompt:
            usage["toolUsePromptTokenCount"] = t.tool_prompt
        if call.vertex:
            usage["trafficType"] = "ON_DEMAND"
        return usage

    # AWS Bedrock Converse

    def _converse_body(self, call: Call) -> dict:
        t = call.tokens
        if t.finish == TOOL:
            content = [{"toolUse": {"toolUseId": "tooluse_" + self._b62(22),
                                    "name": TOOL_NAMES[int(self.rng.random() * 5)],
                                    "input": self._tool_arguments()}}]
        else:
            content = [{"text": self._reply_text()}]
        return {"metrics": {"latencyMs": call.latency},
                "output": {"message": {"content": content, "role": "assistant"}},
                "stopReason": CONVERSE_STOP[t.finish], "usage": self._converse_usage(call)}

    def _converse_usage(self, call: Call) -> dict:
        t = call.tokens
        writes = t.write_5m + t.write_1h
        usage = {"inputTokens": t.uncached, "outputTokens": t.output,
                 "totalTokens": t.prompt + t.output}
        if t.cache_read or writes:
            usage["cacheReadInputTokens"] = t.cache_read
            usage["cacheWriteInputTokens"] = writes
            if self.rng.random() < 0.5:   # newer SDKs echo the *Count spellings too
                usage["cacheReadInputTokenCount"] = t.cache_read
                usage["cacheWriteInputTokenCount"] = writes
        if writes:
            details = []
            if t.write_5m:
                details.append({"inputTokens": t.write_5m, "ttl": "5m"})
            if t.write_1h:
                details.append({"inputTokens": t.write_1h, "ttl": "1h"})
            usage["cacheDetails"] = details
        return usage

    # Cohere v2 chat

    def _cohere_body(self, call: Call) -> dict:
        t = call.tokens
        template = 150 + int(self.rng.random() * 400)   # Cohere's own preamble, not billed
        return {"id": call.rid,
                "message": {"role": "assistant",
                            "content": [{"type": "text", "text": self._reply_text()}]},
                "finish_reason": COHERE_FINISH[t.finish],
                "usage": {"billed_units": {"input_tokens": t.prompt, "output_tokens": t.output},
                          "tokens": {"input_tokens": t.prompt + template,
                                     "output_tokens": t.output + 2}}}

    # Errors

    def _error_body(self, call: Call) -> tuple[int, dict]:
        """(HTTP status, error body) in the provider's own error shape."""
        family = call.model.family
        draw = self.rng.random()
        if family == "anthropic":
            kind, message, status = ANTHROPIC_ERRORS[
                0 if draw < 0.5 else 1 if draw < 0.8 else 2 if draw < 0.95 else 3]
            return status, {"type": "error", "error": {"type": kind, "message": message},
                            "request_id": "req_011C" + self._b62(20)}
        if family == "gemini":
            status, message, code = GEMINI_ERRORS[0 if draw < 0.6 else 1 if draw < 0.85 else 2]
            return status, {"error": {"code": status, "message": message, "status": code}}
        if family in ("converse", "invoke"):
            return BEDROCK_ERRORS[0 if draw < 0.7 else 1 if draw < 0.9 else 2]
        if family == "cohere":
            return 429, {"id": self._uuid(), "message": "You are using a Trial key, which is "
                         f"limited to {10 + int(draw * 30)} API calls / minute."}
        return self._openai_error(call, draw)

    def _openai_error(self, call: Call, draw: float) -> tuple[int, dict]:
        rng = self.rng
        name = call.model.name
        if draw < 0.6:
            limit = (10_000, 30_000, 200_000, 2_000_000)[rng.randrange(4)]
            used = int(limit * rng.uniform(0.8, 1.0))
            wait = round(rng.uniform(0.2, 30.0), 3)
            message = (f"Rate limit reached for {name} in organization org-{self._b62(24)} "
                       f"on tokens per min (TPM): Limit {limit}, Used {used}, Requested "
                       f"{call.tokens.prompt}. Please try again in {wait}s. Visit "
                       "https://platform.openai.com/account/rate-limits to learn more.")
            kind = "tokens" if rng.random() < 0.5 else "rate_limit_error"
            return 429, {"error": {"message": message, "type": kind, "param": None,
                                   "code": "rate_limit_exceeded"}}
        if draw < 0.75:
            return 404, {"error": {"message": f"The model `{name}-preview` does not exist or "
                                   "you do not have access to it.",
                                   "type": "invalid_request_error", "param": None,
                                   "code": "model_not_found"}}
        if draw < 0.9:
            context = call.model.context
            return 400, {"error": {"message": "This model's maximum context length is "
                                   f"{context} tokens. However, your messages resulted in "
                                   f"{context + 1 + int(draw * 9000)} tokens.",
                                   "type": "invalid_request_error", "param": "messages",
                                   "code": "context_length_exceeded"}}
        return 500, {"error": {"message": "The server had an error while processing your "
                               "request. Sorry about that!", "type": "server_error",
                               "param": None, "code": None}}

    # ----------------------------------------------------------------------- batch lines

    def _openai_batch_line(self, call: Call) -> dict:
        rng = self.rng
        custom_id = f"request-{self._hex(8)}"
        line_id = "batch_req_" + self._hex(32)
        draw = rng.random()
        if draw < 0.03:
            self.traits["batch_error"] += 1
            return {"id": line_id, "custom_id": custom_id, "response": None,
                    "error": {"code": "batch_expired",
                              "message": "This request could not be executed before the "
                                         "completion window expired."}}
        if draw < 0.04:
            self.traits["batch_error"] += 1
            return {"id": line_id, "custom_id": custom_id, "response": {
                "status_code": 400, "request_id": self._hex(32), "body": {"error": {
                    "message": "Invalid 'max_tokens': integer below minimum value.",
                    "type": "invalid_request_error", "param": "max_tokens",
                    "code": "integer_below_min_value"}}}, "error": None}
        return {"id": line_id, "custom_id": custom_id,
                "response": {"status_code": 200, "request_id": self._hex(32),
                             "body": self._chat_body(call)},
                "error": None}

    def _anthropic_batch_line(self, call: Call) -> dict:
        custom_id = f"req-{self._hex(10)}"
        draw = self.rng.random()
        if draw < 0.02:
            self.traits["batch_error"] += 1
            return {"custom_id": custom_id, "result": {"type": "errored", "error": {
                "type": "error", "error": {"type": "invalid_request_error",
                                           "message": "max_tokens: Field required"}}}}
        if draw < 0.03:
            self.traits["batch_error"] += 1
            return {"custom_id": custom_id, "result": {"type": "expired"}}
        if draw < 0.035:
            self.traits["batch_error"] += 1
            return {"custom_id": custom_id, "result": {"type": "canceled"}}
        return {"custom_id": custom_id,
                "result": {"type": "succeeded", "message": self._anthropic_body(call)}}

    # ----------------------------------------------------------------------- streams

    def _stream_pieces(self) -> list[str]:
        rng = self.rng
        words = rng.choices(VOCAB, k=3 + int(rng.random() * 4))
        return [words[0].capitalize()] + [" " + w for w in words[1:]]

    def _stream_events(self, call: Call) -> list:
        family = call.model.family
        if family == "chat":
            return self._chat_chunks(call)
        if family == "responses":
            return [event for _, event in self._responses_events(call)]
        if family == "anthropic":
            return [event for _, event in self._anthropic_events(call)]
        if family == "gemini":
            return self._gemini_chunks(call)
        return self._converse_events(call)

    def _sse(self, call: Call) -> bytes:
        """The raw streamed HTTP body, framed as the provider sends it."""
        family = call.model.family
        dumps = orjson.dumps
        if family in ("responses", "anthropic"):
            events = (self._responses_events(call) if family == "responses"
                      else self._anthropic_events(call))
            return b"".join(b"event: " + name.encode() + b"\ndata: " + dumps(event) + b"\n\n"
                            for name, event in events)
        if family == "gemini":
            return b"".join(b"data: " + dumps(chunk) + b"\r\n\r\n"
                            for chunk in self._gemini_chunks(call))
        parts = [b"data: " + dumps(chunk) + b"\n\n" for chunk in self._chat_chunks(call)]
        parts.append(b"data: [DONE]\n\n")
        return b"".join(parts)

    def _chat_chunks(self, call: Call) -> list:
        provider = call.model.provider
        openai_like = provider in ("openai", "azure")
        head = {"id": call.rid, "object": "chat.completion.chunk", "created": call.created,
                "model": call.model.served}
        if provider == "openai":
            head["service_tier"] = call.tier
        if provider in ("openai", "azure", "groq", "deepseek"):
            head["system_fingerprint"] = "fp_" + self._hex(10)
        obfuscate = provider == "openai" and self.rng.random() < 0.6
        chunks = []
        if provider == "azure":
            # Azure opens with an id-less chunk holding only the prompt filter verdicts.
            chunks.append({"choices": EMPTY_LIST, "created": 0, "id": "", "model": "",
                           "object": "", "prompt_filter_results": AZURE_PROMPT_FILTERS})
        groq_id = "req_01" + "".join(self.rng.choices(LOWER36, k=24))
        first = {"role": "assistant", "content": ""}
        for index, piece in enumerate([""] + self._stream_pieces()):
            choice = {"index": 0, "delta": first if index == 0 else {"content": piece},
                      "logprobs": None, "finish_reason": None}
            if provider == "azure":
                choice["content_filter_results"] = AZURE_CHOICE_FILTERS
            chunk = {**head, "choices": [choice]}
            if openai_like:
                chunk["usage"] = None
            if obfuscate:
                chunk["obfuscation"] = self._b62(3 + int(self.rng.random() * 9))
            if provider == "groq" and index == 0:
                chunk["x_groq"] = {"id": groq_id}
            chunks.append(chunk)
        finish = CHAT_FINISH[call.tokens.finish]
        final = {**head, "choices": [{"index": 0, "delta": EMPTY_DICT, "logprobs": None,
                                      "finish_reason": finish}]}
        if openai_like:
            final["usage"] = None
        chunks.append(final)
        if not call.reports_usage:
            return chunks
        usage = self._chat_usage(call)
        if openai_like:
            chunks.append({**head, "choices": EMPTY_LIST, "usage": usage})
        elif provider == "groq":
            # Groq's finishing chunk carries usage twice: x_groq.usage and top-level usage.
            final["x_groq"] = {"id": groq_id, "usage": usage}
            final["usage"] = usage
        else:
            final["usage"] = usage
        return chunks

    def _responses_events(self, call: Call) -> list[tuple[str, dict]]:
        created = self._responses_body(call, "in_progress")
        events = [("response.created", {"type": "response.created", "sequence_number": 0,
                                         "response": created})]
        item_id = "msg_" + self._openai_item_id(call.created)
        for n, piece in enumerate(self._stream_pieces(), start=1):
            events.append(("response.output_text.delta", {
                "type": "response.output_text.delta", "sequence_number": n,
                "item_id": item_id, "output_index": 0, "content_index": 0, "delta": piece}))
        final = self._responses_body(call, "completed")
        name = "response.incomplete" if final["status"] == "incomplete" else (
            "response.completed")
        events.append((name, {"type": name, "sequence_number": len(events),
                              "response": final}))
        return events

    def _anthropic_events(self, call: Call) -> list[tuple[str, dict]]:
        """message_start ... message_delta (cumulative usage) ... message_stop, or an error."""
        t = call.tokens
        usage = self._anthropic_usage(call)
        start_usage = {**usage, "output_tokens": 1}
        start_usage.pop("iterations", None)
        message = {"id": call.rid, "type": "message", "role": "assistant",
                   "model": call.model.served, "content": EMPTY_LIST, "stop_reason": None,
                   "stop_sequence": None, "usage": start_usage}
        events = [("message_start", {"type": "message_start", "message": message}),
                  ("content_block_start", {"type": "content_block_start", "index": 0,
                                           "content_block": {"type": "text", "text": ""}}),
                  ("ping", {"type": "ping"})]
        for piece in self._stream_pieces():
            events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                   "delta": {"type": "text_delta",
                                                             "text": piece}}))
        if not call.reports_usage:
            # Cut off mid-stream: the connection reports an error and no usage ever arrives.
            events.append(("error", {"type": "error", "error": {
                "type": "overloaded_error", "message": "Overloaded"}}))
            return events
        events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
        delta_usage = {"input_tokens": usage["input_tokens"],
                       "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
                       "cache_read_input_tokens": usage["cache_read_input_tokens"],
                       "output_tokens": t.output}
        if "server_tool_use" in usage:
            delta_usage["server_tool_use"] = usage["server_tool_use"]
        events.append(("message_delta", {"type": "message_delta", "delta": {
            "stop_reason": ANTHROPIC_STOP[t.finish], "stop_sequence": None},
            "usage": delta_usage}))
        events.append(("message_stop", {"type": "message_stop"}))
        return events

    def _gemini_chunks(self, call: Call) -> list:
        t = call.tokens
        model = self._gemini_model(call)
        pieces = self._stream_pieces()
        chunks = []
        for n, piece in enumerate(pieces, start=1):
            partial = max(1, (t.output - t.reasoning) * n // (len(pieces) + 1))
            chunks.append({"candidates": [{"content": {"parts": [{"text": piece}],
                                                       "role": "model"}, "index": 0}],
                           "usageMetadata": {"promptTokenCount": t.prompt,
                                             "candidatesTokenCount": partial,
                                             "totalTokenCount": t.prompt + partial},
                           "modelVersion": model, "responseId": call.rid})
        final = self._gemini_body(call)
        chunks.append(final)
        return chunks

    def _converse_events(self, call: Call) -> list:
        events: list = [{"messageStart": {"role": "assistant"}}]
        for piece in self._stream_pieces():
            events.append({"contentBlockDelta": {"delta": {"text": piece},
                                                 "contentBlockIndex": 0}})
        events.append({"contentBlockStop": {"contentBlockIndex": 0}})
        events.append({"messageStop": {"stopReason": CONVERSE_STOP[call.tokens.finish]}})
        events.append({"metadata": {"usage": self._converse_usage(call),
                                    "metrics": {"latencyMs": call.latency}}})
        return events

    # ----------------------------------------------------------------------- malformed

    def _add_malformed(self, files: DayFiles, kind: str) -> None:
        """One deliberately broken gateway line, at a random place in the day's file."""
        line = self._malformed_line(kind)
        files.inserts.append((int(self.rng.random() * (len(files.gateway) + 1)), line))
        self.stats["malformed"] += 1
        self.malformed_kinds[kind] += 1

    def _malformed_line(self, kind: str) -> bytes:
        rng = self.rng
        if kind == "binary_garbage":
            # A stray gzip header followed by noise: what a mis-shipped binary chunk looks like.
            noise = rng.randbytes(40 + int(rng.random() * 200)).replace(b"\n", b"\x00")
            return b"\x1f\x8b\x08\x00" + noise
        call = self._broken_chat_call()
        body = self._chat_body(call)
        if kind == "unknown_body_shape":
            body = {"foo": 1}
        elif kind == "usage_missing":
            del body["usage"]
        elif kind == "negative_tokens":
            body["usage"] = {**body["usage"], "completion_tokens": -call.tokens.output}
        elif kind == "non_integer_tokens":
            odd = call.tokens.output + 0.5 if rng.random() < 0.5 else str(call.tokens.output)
            body["usage"] = {**body["usage"], "completion_tokens": odd}
        line = orjson.dumps(self._envelope(call, body, None))
        if kind == "truncated_json":
            line = line[: 20 + int(rng.random() * (len(line) - 40))]
        return line

    def _broken_chat_call(self) -> Call:
        """A plain OpenAI chat call (not counted as a call) to be damaged."""
        rng = self.rng
        call = Call()
        ms = self.day_start_ms + rng.randint(FIRST_MS, LAST_MS)
        call.ms, call.created = ms, ms // 1000
        call.thinking = call.vertex = call.repeat = call.stream = False
        call.reports_usage = True
        call.tier = "default"
        project = bisect_choice(self.project_cum, rng.random())
        users, _, keys = self.members[project]
        call.project, call.user, call.key = project, users[0], keys[0]
        call.model = MODELS[1]
        call.max_tokens = 1_024
        call.request = self._request(call)
        call.tokens = self._tokens(call, False)
        call.rid = self._response_id(call)
        call.latency = self._latency(call)
        return call

    # ----------------------------------------------------------------------- output

    def _write_day(self, files: DayFiles, gzipped: bool) -> None:
        folder = self.out / f"{files.date:%Y/%m/%d}"
        day = files.date.isoformat()
        gateway = merged_gateway(files)
        outputs: list[tuple[str, list[bytes] | bytes, bool]] = []
        if gateway:
            name = f"gateway-{day}.jsonl" + (".gz" if gzipped else "")
            outputs.append((name, gateway, gzipped))
        if files.bare:
            outputs.append((f"bare-{day}.jsonl", files.bare, False))
        if files.openai_batch:
            outputs.append((f"openai-batch-{self._hex(12)}.jsonl", files.openai_batch, False))
        if files.anthropic_batch:
            outputs.append((f"anthropic-batch-{self._hex(12)}.jsonl", files.anthropic_batch,
                            False))
        if files.export:
            outputs.append((f"export-{day}.json", b"[\n" + b",\n".join(files.export) + b"\n]\n",
                            False))
        for name, content in files.documents:
            outputs.append((name, content, False))
        if not outputs:
            return
        folder.mkdir(parents=True, exist_ok=True)
        # Some records carry no time at all (Anthropic batch results, Gemini API bodies, raw
        # Anthropic streams): a loader falls back on the file's mtime, so make that the day's end.
        closed_at = self.day_start_ms / 1000 + 86_399
        for name, content, gz in outputs:
            self._write_file(folder / name, content, gz)
            os.utime(folder / name, (closed_at, closed_at))
        self._count_records(files, len(gateway))
        if self.progress is not None:
            self.progress(self.stats["bytes"])

    def _write_file(self, path: Path, content: list[bytes] | bytes, gz: bool) -> None:
        data = b"\n".join(content) + b"\n" if isinstance(content, list) else content
        self.stats["raw_bytes"] += len(data)
        if gz:
            data = gzip_bytes(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        self.stats["files"] += 1
        self.stats["bytes"] += len(data)

    def _count_records(self, files: DayFiles, gateway_lines: int) -> None:
        self.stats["records"] += (gateway_lines + len(files.bare) + len(files.openai_batch)
                                  + len(files.anthropic_batch) + len(files.export)
                                  + len(files.documents))

    def _summary(self) -> dict:
        summary = dict(self.stats)
        summary["providers"] = {p: n for p, n in sorted(self.providers.items()) if n}
        summary["malformed_kinds"] = dict(self.malformed_kinds)
        summary["routes"] = dict(self.routes)
        summary["traits"] = dict(self.traits)
        summary["days"] = self.days
        return summary


# ------------------------------------------------------------------------------ helpers


def cumulative(weights: list[float]) -> list[float]:
    """Cumulative weights normalised to end at 1.0, for bisect_choice."""
    # Drawing with bisect against precomputed sums is several times cheaper than rng.choices.
    total = sum(weights)
    out, running = [], 0.0
    for w in weights:
        running += w / total
        out.append(running)
    out[-1] = 1.0
    return out


def bisect_choice(cum: list[float], draw: float) -> int:
    """Index picked by a uniform draw in [0, 1) against `cumulative` weights."""
    return bisect_right(cum, draw)


def clock(ms_into_day: int) -> str:
    seconds = ms_into_day // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def generate(out_dir: Path, requests: int = 20_000, days: int = 365, seed: int = 7,
             end_date: datetime.date = datetime.date(2026, 11, 27),
             progress: Callable[[int], object] | None = None) -> dict:
    """Write `requests` logged API calls over the `days` days ending at `end_date`.

    Returns the summary: files, records, bytes (on disk), raw_bytes (before gzip), calls
    (distinct API calls; equals `requests`), duplicates (extra exact copies of envelope lines),
    double_logged (calls logged as a stream envelope and again as a body envelope), malformed
    (with malformed_kinds), providers (calls per canonical provider), routes (how each call was
    logged; sums to calls), traits (overlapping call properties as generated) and days.
    records == calls + duplicates + double_logged + malformed. `progress`, if given, is called
    with the bytes written so far after each day. Same arguments give byte-identical files.
    """
    if requests < 0 or days < 1:
        raise ValueError("requests must be >= 0 and days >= 1")
    generator = Generator(Path(out_dir), requests, days, seed, end_date, progress)
    return generator.run()

