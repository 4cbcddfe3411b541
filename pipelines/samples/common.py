"""Helpers shared by every part of the generator: weighted picks, clock text, random draws."""

from __future__ import annotations

import random
from bisect import bisect_right

from pipelines.samples.catalogue import BASE62, VOCAB


def cumulative(weights: list[float]) -> list[float]:
    """Cumulative weights normalised to end at 1.0, for bisect_choice."""
    # Drawing with bisect against precomputed sums is several times cheaper than rng.choices.
    total = sum(weights)
    out, running = [], 0.0
    for w in weights:
        running += w / total
        out.append(running)
    out[-1] = 1.0
    return out


def bisect_choice(cum: list[float], draw: float) -> int:
    """Index picked by a uniform draw in [0, 1) against `cumulative` weights."""
    return bisect_right(cum, draw)


def clock(ms_into_day: int) -> str:
    seconds = ms_into_day // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Draws:
    """Base of the generator's mixins: the shared state they read, and the small draws.

    Every draw comes from the one `rng` the Generator owns, so the order in which the mixins
    are called fixes the output byte for byte.
    """

    rng: random.Random
    sentences: list[str]
    stats: dict[str, int]
    routes: dict[str, int]
    traits: dict[str, int]
    day_start_ms: int
    day_text: str

    # ----------------------------------------------------------------------- identifiers

    def _b62(self, n: int) -> str:
        return "".join(self.rng.choices(BASE62, k=n))

    def _hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def _uuid(self) -> str:
        h = self._hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"

    # ----------------------------------------------------------------------- text

    def _prompt_text(self) -> str:
        rng = self.rng
        return " ".join(rng.choices(VOCAB, k=8 + int(rng.random() * 24)))

    def _reply_text(self) -> str:
        rng = self.rng
        sentences = self.sentences
        first = sentences[int(rng.random() * 256)]
        if rng.random() < 0.5:
            return first
        return first + " " + sentences[int(rng.random() * 256)]

    def _tool_arguments(self) -> dict:
        return {"query": " ".join(self.rng.choices(VOCAB, k=3))}

    def _stream_pieces(self) -> list[str]:
        rng = self.rng
        words = rng.choices(VOCAB, k=3 + int(rng.random() * 4))
        return [words[0].capitalize()] + [" " + w for w in words[1:]]
