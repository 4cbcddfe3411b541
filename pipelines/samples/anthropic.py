"""Anthropic Messages (also what Bedrock InvokeModel returns): bodies, usage with cache writes
and compaction steps, batch result lines and the event stream. The error shapes live here too."""

from __future__ import annotations

from typing import Any

from pipelines.samples.catalogue import (
    ANTHROPIC_STOP,
    EMPTY_LIST,
    FILTER,
    SEQUENCE,
    TOOL,
    TOOL_NAMES,
    Call,
)
from pipelines.samples.common import Draws

ANTHROPIC_ERRORS = (
    ("overloaded_error", "Overloaded", 529),
    ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", 429),
    ("invalid_request_error", "prompt is too long: 212345 tokens > 200000 maximum", 400),
    ("api_error", "Internal server error", 500),
)


class AnthropicBodies(Draws):
    def _anthropic_body(self, call: Call) -> dict:
        t = call.tokens
        return {"id": call.rid, "type": "message", "role": "assistant",
                "model": call.model.served, "content": self._anthropic_content(call),
                "stop_reason": ANTHROPIC_STOP[t.finish],
                "stop_sequence": "\n\nEND" if t.finish == SEQUENCE else None,
                "usage": self._anthropic_usage(call)}

    def _anthropic_content(self, call: Call) -> list:
        t = call.tokens
        blocks: list[dict[str, Any]] = []
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

    # ----------------------------------------------------------------------- batch lines

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

    def _anthropic_events(self, call: Call) -> list[tuple[str, dict]]:
        """message_start ... message_delta (cumulative usage) ... message_stop, or an error."""
        t = call.tokens
        usage = self._anthropic_usage(call)
        start_usage = {**usage, "output_tokens": 1}
        start_usage.pop("iterations", None)
        message = {"id": call.rid, "type": "message", "role": "assistant",
                   "model": call.model.served, "content": EMPTY_LIST, "stop_reason": None,
                   "stop_sequence": None, "usage": start_usage}
        events: list[tuple[str, dict]] = [
            ("message_start", {"type": "message_start", "message": message}),
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
