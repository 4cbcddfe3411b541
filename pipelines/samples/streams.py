"""Streams: a call's streamed response, as a list of parsed events or as the raw SSE body.

Each family builds its own chunks or events (openai, anthropic, google, bedrock); this module
picks the family and frames the result the way the provider sends it over HTTP.
"""

from __future__ import annotations

import orjson

from pipelines.samples.catalogue import Call
from pipelines.samples.common import Draws


class Streams(Draws):
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
