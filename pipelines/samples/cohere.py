"""Cohere v2 chat: bodies with billed units beside the raw token counts (no model in the body)."""

from __future__ import annotations

from pipelines.samples.catalogue import COHERE_FINISH, Call
from pipelines.samples.common import Draws


class CohereBodies(Draws):
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
