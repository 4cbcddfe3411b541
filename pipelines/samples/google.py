"""Google Gemini API and Vertex AI generateContent: bodies, usage metadata, streamed chunks."""

from __future__ import annotations

from typing import Any

from pipelines.samples.catalogue import FILTER, GEMINI_FINISH, TOOL, TOOL_NAMES, Call
from pipelines.samples.common import Draws, clock

GEMINI_SAFETY_RATINGS = [
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "MEDIUM", "blocked": True},
    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]
GEMINI_ERRORS = (
    (429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED"),
    (503, "The model is overloaded. Please try again later.", "UNAVAILABLE"),
    (400, "The input token count exceeds the maximum number of tokens allowed.",
     "INVALID_ARGUMENT"),
)


class GoogleBodies(Draws):
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
        body: dict[str, Any] = {"candidates": [candidate],
                                "usageMetadata": self._gemini_usage(call)}
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

    # ----------------------------------------------------------------------- streams

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
