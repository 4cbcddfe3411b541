"""The catalogue: models and their providers, call shares, vocabularies, Tokens and Call."""

from __future__ import annotations

from dataclasses import dataclass

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
EMPTY_LIST: list = []
EMPTY_DICT: dict = {}
STREAM_OPTIONS = {"include_usage": True}

# Finish reasons: one neutral code per call, spelled by each family's own vocabulary.
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

    __slots__ = (
        "cache_read",
        "finish",
        "output",
        "prompt",
        "reasoning",
        "searches",
        "tool_prompt",
        "write_1h",
        "write_5m",
    )

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

    __slots__ = (
        "created",
        "key",
        "latency",
        "max_tokens",
        "model",
        "ms",
        "project",
        "prompt",
        "repeat",
        "reports_usage",
        "request",
        "rid",
        "stream",
        "thinking",
        "tier",
        "tokens",
        "user",
        "vertex",
    )

    # The slots' types, for readers and the type checker (annotations make no attributes).
    created: int
    key: str
    latency: int
    max_tokens: int | None
    model: Model
    ms: int
    project: int  # an index into PROJECTS
    prompt: int
    repeat: bool
    reports_usage: bool
    request: dict | None
    rid: str | None
    stream: bool
    thinking: bool
    tier: str
    tokens: Tokens
    user: str
    vertex: bool
