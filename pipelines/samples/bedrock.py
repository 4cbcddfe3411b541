"""AWS Bedrock Converse: bodies (no model, no id), usage with cache details, the event stream.
Bedrock InvokeModel returns Anthropic messages (see anthropic.py); both share these errors."""

from __future__ import annotations

from typing import Any

from pipelines.samples.catalogue import CONVERSE_STOP, TOOL, TOOL_NAMES, Call
from pipelines.samples.common import Draws

BEDROCK_ERRORS = (
    (429, {"__type": "com.amazon.coral.availability#ThrottlingException",
           "message": "Too many requests, please wait before trying again."}),
    (400, {"__type": "com.amazon.coral.validate#ValidationException",
           "message": "Input is too long for requested model."}),
    (503, {"message": "Model is getting throttled. Try your request again."}),
)


class BedrockBodies(Draws):
    def _converse_body(self, call: Call) -> dict:
        t = call.tokens
        content: list[dict[str, Any]]
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

    # ----------------------------------------------------------------------- streams

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
