"""One call: who makes it, with which model and request, and how it gets logged."""

from __future__ import annotations

from typing import Any

from pipelines.samples.catalogue import (
    BARE_OK,
    BARE_SHARE,
    BASE64URL,
    BATCH_CALL_SHARE,
    ERROR_SHARE,
    LENGTH,
    REPEAT_SHARE,
    STREAM_OPTIONS,
    STREAM_SHARE,
    STREAMABLE,
    Call,
    Model,
)
from pipelines.samples.common import Draws, bisect_choice


class Calls(Draws):
    repeat_pool: list[tuple]
    project_cum: list[float]
    members: list[tuple[list[str], list[float], list[str]]]
    provider_names: list[str]
    provider_cum: list[float]
    models_by_provider: dict[str, list[Model]]
    model_cum: list[dict[str, list[float]]]
    system_prompts: list[list[str]]

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
        choices: tuple[int, ...]
        if model.reasoning or thinking:
            choices = (4_096, 8_192, 16_000, 16_384, 32_000)
        else:
            choices = (256, 512, 1_024, 1_024, 2_048, 4_096, 4_096, 8_192)
        return min(choices[int(rng.random() * len(choices))], model.max_output)

    # ----------------------------------------------------------------------- identifiers

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

    # ----------------------------------------------------------------------- requests

    def _request(self, call: Call) -> dict | None:
        rng = self.rng
        model = call.model
        family = model.family
        system = self.system_prompts[call.project][int(rng.random() * 3)]
        user = self._prompt_text()
        mt = call.max_tokens
        temperature = (0.0, 0.2, 0.7, 1.0)[int(rng.random() * 4)]
        request: dict[str, Any]
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
        config: dict[str, Any]
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
