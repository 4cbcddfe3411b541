"""Token counts for one call: prompt size, output and reasoning, cache reads/writes, latency."""

from __future__ import annotations

from pipelines.samples.catalogue import (
    FILTER,
    LENGTH,
    LONG_CONTEXT_SHARE,
    PAUSE,
    RUNAWAY_SHARE,
    SEQUENCE,
    STOP,
    TOOL,
    Call,
    Model,
    Tokens,
)
from pipelines.samples.common import Draws


class TokenDraws(Draws):
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
