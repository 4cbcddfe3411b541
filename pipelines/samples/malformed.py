"""Malformed gateway lines: the counted, deliberately broken records a loader must reject."""

from __future__ import annotations

import orjson

from pipelines.samples.catalogue import FIRST_MS, LAST_MS, MODELS, Call
from pipelines.samples.common import Draws, bisect_choice
from pipelines.samples.files import DayFiles


class Malformed(Draws):
    malformed_kinds: dict[str, int]
    project_cum: list[float]
    members: list[tuple[list[str], list[float], list[str]]]

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
