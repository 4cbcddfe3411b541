"""OpenAI and the OpenAI-compatible providers: Chat Completions (with the Azure, Groq, DeepSeek,
Together, Mistral and OpenRouter variations), the Responses API, Embeddings, batch result lines,
error bodies and the chunk/event streams of chat and responses."""

from __future__ import annotations

from typing import Any

import orjson

from pipelines.samples.catalogue import (
    CHAT_FINISH,
    EMPTY_DICT,
    EMPTY_LIST,
    LENGTH,
    LOWER36,
    TOOL,
    TOOL_NAMES,
    Call,
)
from pipelines.samples.common import Draws

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


class OpenAIBodies(Draws):
    # ----------------------------------------------------------------------- identifiers

    def _openai_item_id(self, created: int) -> str:
        """Responses API ids: a random prefix, the hex creation time, a random tail."""
        return f"{self._hex(16)}00{created:08x}{self._hex(26)}"

    # ----------------------------------------------------------------------- Chat Completions

    def _chat_body(self, call: Call) -> dict:
        provider = call.model.provider
        t = call.tokens
        finish = CHAT_FINISH[t.finish]
        if provider == "together" and finish == "stop" and self.rng.random() < 0.4:
            finish = "eos"
        body: dict[str, Any] = {"id": call.rid, "object": "chat.completion",
                                "created": call.created, "model": call.model.served}
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

    # ----------------------------------------------------------------------- Responses API

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
        items: list[dict[str, Any]] = []
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

    # ----------------------------------------------------------------------- Embeddings

    def _embeddings_body(self, call: Call) -> dict:
        rng = self.rng
        vector = [round(rng.random() * 0.2 - 0.1, 6) for _ in range(8)]
        return {"object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": vector}],
                "model": call.model.served,
                "usage": {"prompt_tokens": call.tokens.prompt,
                          "total_tokens": call.tokens.prompt}}

    # ----------------------------------------------------------------------- errors

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

    # ----------------------------------------------------------------------- streams

    def _chat_chunks(self, call: Call) -> list:
        provider = call.model.provider
        openai_like = provider in ("openai", "azure")
        head: dict[str, Any] = {"id": call.rid, "object": "chat.completion.chunk",
                                "created": call.created, "model": call.model.served}
        if provider == "openai":
            head["service_tier"] = call.tier
        if provider in ("openai", "azure", "groq", "deepseek"):
            head["system_fingerprint"] = "fp_" + self._hex(10)
        obfuscate = provider == "openai" and self.rng.random() < 0.6
        chunks: list[dict[str, Any]] = []
        if provider == "azure":
            # Azure opens with an id-less chunk holding only the prompt filter verdicts.
            chunks.append({"choices": EMPTY_LIST, "created": 0, "id": "", "model": "",
                           "object": "", "prompt_filter_results": AZURE_PROMPT_FILTERS})
        groq_id = "req_01" + "".join(self.rng.choices(LOWER36, k=24))
        first = {"role": "assistant", "content": ""}
        for index, piece in enumerate([""] + self._stream_pieces()):
            choice: dict[str, Any] = {"index": 0,
                                      "delta": first if index == 0 else {"content": piece},
                                      "logprobs": None, "finish_reason": None}
            if provider == "azure":
                choice["content_filter_results"] = AZURE_CHOICE_FILTERS
            chunk: dict[str, Any] = {**head, "choices": [choice]}
            if openai_like:
                chunk["usage"] = None
            if obfuscate:
                chunk["obfuscation"] = self._b62(3 + int(self.rng.random() * 9))
            if provider == "groq" and index == 0:
                chunk["x_groq"] = {"id": groq_id}
            chunks.append(chunk)
        finish = CHAT_FINISH[call.tokens.finish]
        final: dict[str, Any] = {**head, "choices": [{"index": 0, "delta": EMPTY_DICT,
                                                      "logprobs": None,
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
