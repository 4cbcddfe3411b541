"""The Generator: the run over days, the calls of a day and how each is logged.

The Generator owns all state (the one random stream, people, counters); the mixins it is built
from decide calls and tokens (calls, tokens), wrap them (envelopes), write each provider
family's bodies and streams (openai, anthropic, google, bedrock, cohere, streams), break a few
lines on purpose (malformed) and write the files (files.Output).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from pipelines.samples.agents import AgentLogs, empty_summary
from pipelines.samples.anthropic import ANTHROPIC_ERRORS, AnthropicBodies
from pipelines.samples.bedrock import BEDROCK_ERRORS, BedrockBodies
from pipelines.samples.calendar import daily_volumes, pick_days
from pipelines.samples.calls import Calls
from pipelines.samples.catalogue import (
    BASE62,
    BATCH_DAY_SHARE,
    EXPORT_DAY_SHARE,
    FIRST_MS,
    FIRST_NAMES,
    GZIP_DAY_SHARE,
    LAST_MS,
    LAST_NAMES,
    MALFORMED_KINDS,
    MALFORMED_SHARE,
    MODELS,
    PROJECTS,
    PROVIDER_SHARES,
    ROUTES,
    SSE_FAMILIES,
    STREAM_SHARE,
    TRAITS,
    VOCAB,
    Call,
)
from pipelines.samples.cohere import CohereBodies
from pipelines.samples.common import cumulative
from pipelines.samples.envelopes import Envelopes
from pipelines.samples.files import DayFiles, Output
from pipelines.samples.google import GEMINI_ERRORS, GoogleBodies
from pipelines.samples.malformed import Malformed
from pipelines.samples.openai import OpenAIBodies
from pipelines.samples.streams import Streams
from pipelines.samples.tokens import TokenDraws


class Generator(Calls, TokenDraws, Envelopes, Streams, Malformed, OpenAIBodies, AnthropicBodies,
                GoogleBodies, BedrockBodies, CohereBodies, Output):
    def __init__(self, out_dir: Path, requests: int, days: int, seed: int,
                 end_date: datetime.date, progress: Callable[[int], object] | None,
                 with_agent_logs: bool = True):
        self.out = Path(out_dir)
        self.with_agent_logs = with_agent_logs
        self.requests, self.days, self.end_date, self.seed = requests, days, end_date, seed
        self.progress = progress
        self.rng = random.Random(seed)
        self.stats = {"files": 0, "records": 0, "bytes": 0, "raw_bytes": 0, "calls": 0,
                      "duplicates": 0, "double_logged": 0, "malformed": 0}
        self.malformed_kinds = dict.fromkeys(MALFORMED_KINDS, 0)
        # How each call was logged: exclusive, so the counts sum to `calls`.
        self.routes = dict.fromkeys(ROUTES, 0)
        # Properties of calls: overlapping, each a count of calls.
        self.traits = dict.fromkeys(TRAITS, 0)
        self.providers = dict.fromkeys(PROVIDER_SHARES, 0)
        self.repeat_pool: list[tuple] = []
        self.carry: list[bytes] = []   # duplicates re-shipped into the next day's gateway file
        self._build_people()
        self._build_text()
        self._build_model_choice()

    # ----------------------------------------------------------------------- set-up

    def _build_people(self) -> None:
        """~60 users and ~20 keys, each owned by one project; usage is Zipf-skewed."""
        rng = self.rng
        names = [f"{f}.{last}" for f in FIRST_NAMES for last in LAST_NAMES]
        users = rng.sample(names, 60)
        self.project_cum = cumulative([1.0 / (k + 1) ** 1.1 for k in range(len(PROJECTS))])
        self.members: list[tuple[list[str], list[float], list[str]]] = []
        for p in range(len(PROJECTS)):
            mine = users[p * 6:(p + 1) * 6]
            keys = ["key_" + "".join(rng.choices(BASE62, k=12)) for _ in range(2)]
            self.members.append((mine, cumulative([1.0 / (k + 1) for k in range(6)]), keys))

    def _build_text(self) -> None:
        rng = self.rng
        self.sentences = [" ".join(rng.choices(VOCAB, k=rng.randint(6, 16))).capitalize() + "."
                          for _ in range(256)]
        self.system_prompts = [
            [f"You are the {name} assistant. " + rng.choice(self.sentences) for _ in range(3)]
            for name in PROJECTS]

    def _build_model_choice(self) -> None:
        """Provider shares are global; which of a provider's models is used varies by project."""
        rng = self.rng
        self.provider_names = list(PROVIDER_SHARES)
        self.provider_cum = cumulative(list(PROVIDER_SHARES.values()))
        self.models_by_provider = {p: [m for m in MODELS if m.provider == p]
                                   for p in PROVIDER_SHARES}
        self.model_cum: list[dict[str, list[float]]] = []
        for _ in PROJECTS:
            per_provider = {}
            for provider, models in self.models_by_provider.items():
                taste = [m.weight * rng.lognormvariate(0.0, 0.5) for m in models]
                per_provider[provider] = cumulative(taste)
            self.model_cum.append(per_provider)

    # ----------------------------------------------------------------------- main loop

    def run(self) -> dict:
        rng = self.rng
        volumes = daily_volumes(rng, self.requests, self.days, self.end_date)
        gz_days = pick_days(rng, self.days, GZIP_DAY_SHARE)
        batch_days = pick_days(rng, self.days, BATCH_DAY_SHARE)
        export_days = pick_days(rng, self.days, EXPORT_DAY_SHARE)
        malformed_by_day = self._malformed_plan(volumes)
        for index, (date, count) in enumerate(volumes):
            last_day = index == len(volumes) - 1
            files = DayFiles(date)
            self._generate_day(files, count, index in batch_days, index in export_days,
                               last_day)
            for kind in malformed_by_day.get(index, ()):
                self._add_malformed(files, kind)
            self._write_day(files, index in gz_days)
        # After the API logs, from a random stream of their own: a seed's API logs stay the same
        # bytes whatever the agents' files hold.
        self.agent_logs = (AgentLogs(self.out, self.requests, self.days, self.seed,
                                     self.end_date).write()
                           if self.requests and self.with_agent_logs else empty_summary())
        return self._summary()

    def _malformed_plan(self, volumes) -> dict[int, list[str]]:
        """Which malformed kinds land on which day: every kind once before any repeats."""
        total = max(round(self.requests * MALFORMED_SHARE),
                    min(len(MALFORMED_KINDS), self.requests // 500))
        weights = [max(n, 0) for _, n in volumes]
        if total == 0 or not any(weights):
            return {}
        plan: dict[int, list[str]] = {}
        days = self.rng.choices(range(len(volumes)), weights=weights, k=total)
        for i, day in enumerate(days):
            plan.setdefault(day, []).append(MALFORMED_KINDS[i % len(MALFORMED_KINDS)])
        return plan

    def _generate_day(self, files: DayFiles, count: int, batch_day: bool, export_day: bool,
                      last_day: bool) -> None:
        rng = self.rng
        day_start_ms = int(datetime.datetime(files.date.year, files.date.month, files.date.day,
                                             tzinfo=datetime.UTC).timestamp()) * 1000
        self.day_start_ms = day_start_ms
        self.day_text = files.date.isoformat()
        for line in self.carry:
            files.inserts.append((0, line))
        self.carry = []
        stream_file_quota = rng.randint(1, 4)
        stream_file_chance = 4.0 / max(4.0, count * STREAM_SHARE * 0.8)
        export_quota = rng.randint(5, 30) if export_day else 0
        single_quota = rng.randint(1, 3) if export_day and rng.random() < 0.6 else 0
        # Chances sized so the quotas are usually filled whatever the day's volume.
        export_chance = min(1.0, 2.0 * export_quota / max(count, 1))
        single_chance = min(1.0, 2.0 * single_quota / max(count, 1))
        for ms in self._times(count):
            call, via = self._new_call(day_start_ms + ms, batch_day)
            self.stats["calls"] += 1
            self.providers[call.model.provider] += 1
            if via == "batch":
                self._emit_batch(files, call)
            elif via == "error":
                status, body = self._error_body(call)
                self._emit_envelope(files, call, body, None, last_day, status)
                self.routes["envelope"] += 1
            elif call.stream:
                to_file = (call.model.family in SSE_FAMILIES and stream_file_quota > 0
                           and rng.random() < stream_file_chance)
                if to_file:
                    stream_file_quota -= 1
                    self._emit_stream_file(files, call)
                else:
                    self._emit_stream_envelope(files, call, last_day)
            elif via == "bare":
                files.bare.append(orjson.dumps(self._body(call)))
                self.routes["bare"] += 1
            elif single_quota and rng.random() < single_chance:
                single_quota -= 1
                self._emit_single_document(files, call)
            elif export_quota and rng.random() < export_chance:
                export_quota -= 1
                files.export.append(orjson.dumps(self._envelope(call, self._body(call), None)))
                self.routes["export_array"] += 1
            else:
                self._emit_envelope(files, call, self._body(call), None, last_day)
                self.routes["envelope"] += 1

    def _times(self, count: int) -> list[int]:
        """Milliseconds into the day: busier in the (UTC) afternoon, never near midnight."""
        rng = self.rng
        times = []
        for _ in range(count):
            if rng.random() < 0.7:
                ms = int(rng.gauss(15.0, 3.5) * 3_600_000)
                if not FIRST_MS <= ms <= LAST_MS:
                    ms = rng.randint(FIRST_MS, LAST_MS)
            else:
                ms = rng.randint(FIRST_MS, LAST_MS)
            times.append(ms)
        times.sort()
        return times

    # ----------------------------------------------------------------------- by family

    def _body(self, call: Call) -> dict:
        family = call.model.family
        if family == "chat":
            return self._chat_body(call)
        if family == "responses":
            return self._responses_body(call, "completed")
        if family == "embeddings":
            return self._embeddings_body(call)
        if family in ("anthropic", "invoke"):
            return self._anthropic_body(call)
        if family == "gemini":
            return self._gemini_body(call)
        if family == "converse":
            return self._converse_body(call)
        return self._cohere_body(call)

    def _error_body(self, call: Call) -> tuple[int, dict]:
        """(HTTP status, error body) in the provider's own error shape."""
        family = call.model.family
        draw = self.rng.random()
        if family == "anthropic":
            kind, message, status = ANTHROPIC_ERRORS[
                0 if draw < 0.5 else 1 if draw < 0.8 else 2 if draw < 0.95 else 3]
            return status, {"type": "error", "error": {"type": kind, "message": message},
                            "request_id": "req_011C" + self._b62(20)}
        if family == "gemini":
            status, message, code = GEMINI_ERRORS[0 if draw < 0.6 else 1 if draw < 0.85 else 2]
            return status, {"error": {"code": status, "message": message, "status": code}}
        if family in ("converse", "invoke"):
            return BEDROCK_ERRORS[0 if draw < 0.7 else 1 if draw < 0.9 else 2]
        if family == "cohere":
            return 429, {"id": self._uuid(), "message": "You are using a Trial key, which is "
                         f"limited to {10 + int(draw * 30)} API calls / minute."}
        return self._openai_error(call, draw)

    # ----------------------------------------------------------------------- summary

    def _summary(self) -> dict:
        summary: dict[str, Any] = dict(self.stats)
        summary["providers"] = {p: n for p, n in sorted(self.providers.items()) if n}
        summary["malformed_kinds"] = dict(self.malformed_kinds)
        summary["routes"] = dict(self.routes)
        summary["traits"] = dict(self.traits)
        summary["days"] = self.days
        summary["agent_logs"] = self.agent_logs
        return summary


def generate(out_dir: Path, requests: int = 20_000, days: int = 365, seed: int = 7,
             end_date: datetime.date = datetime.date(2026, 11, 27),
             progress: Callable[[int], object] | None = None, agent_logs: bool = True) -> dict:
    """Write `requests` logged API calls over the `days` days ending at `end_date`.

    Returns the summary: files, records, bytes (on disk), raw_bytes (before gzip), calls
    (distinct API calls; equals `requests`), duplicates (extra exact copies of envelope lines),
    double_logged (calls logged as a stream envelope and again as a body envelope), malformed
    (with malformed_kinds), providers (calls per canonical provider), routes (how each call was
    logged; sums to calls), traits (overlapping call properties as generated) and days.
    records == calls + duplicates + double_logged + malformed. `progress`, if given, is called
    with the bytes written so far after each day. Same arguments give byte-identical files.

    Those figures are the API logs'. Beside them (unless `requests` is 0 or `agent_logs` is
    false), a few coding agents'
    session transcripts and an OpenTelemetry span export over the same window
    (pipelines/samples/agents.py), counted apart in `agent_logs`: files, bytes, records,
    calls by source (claude_code, codex_cli, otel), repeats (lines logging a call again) and
    without_calls, with records == sum(calls) + repeats + without_calls.
    """
    if requests < 0 or days < 1:
        raise ValueError("requests must be >= 0 and days >= 1")
    generator = Generator(Path(out_dir), requests, days, seed, end_date, progress, agent_logs)
    return generator.run()
