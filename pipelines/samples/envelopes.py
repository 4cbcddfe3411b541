"""The gateway's envelopes and the other ways a call is logged: stream envelopes (some also
logged as a final body), raw stream files, single-call JSON documents and batch result lines."""

from __future__ import annotations

import datetime

import orjson

from pipelines.samples.catalogue import (
    DOUBLE_LOG_SHARE,
    DUPLICATE_SHARE,
    PROJECTS,
    PROVIDER_LABELS,
    Call,
)
from pipelines.samples.common import Draws, clock
from pipelines.samples.files import DayFiles, gzip_bytes


class Envelopes(Draws):
    carry: list[bytes]

    def _timestamp(self, epoch_ms: int) -> str | None:
        """Mostly `...Z` with milliseconds; some +00:00, other offsets, no fraction, none."""
        draw = self.rng.random()
        ms = epoch_ms - self.day_start_ms
        if draw < 0.72:
            return f"{self.day_text}T{clock(ms)}.{ms % 1000:03d}Z"
        if draw < 0.82:
            return f"{self.day_text}T{clock(ms)}.{ms % 1000:03d}000+00:00"
        if draw < 0.89:
            return f"{self.day_text}T{clock(ms)}Z"
        if draw < 0.99:
            hours = 2 if draw < 0.95 else -5
            zone = datetime.timezone(datetime.timedelta(hours=hours))
            moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, zone)
            return moment.isoformat(timespec="milliseconds")
        return None

    def _envelope(self, call: Call, body: dict | None, stream, status: int = 200) -> dict:
        """The gateway's wrapper. Every field but the body is sometimes missing."""
        rng = self.rng
        model = call.model
        envelope: dict = {}
        stamp = self._timestamp(call.ms)
        if stamp is not None:
            envelope["timestamp"] = stamp
        if rng.random() < 0.99:
            envelope["provider"] = self._provider_label(call)
        if rng.random() < 0.95:
            envelope["project"] = PROJECTS[call.project]
        if rng.random() < 0.9:
            envelope["user"] = call.user
        if rng.random() < 0.93:
            envelope["api_key_id"] = call.key
        request = call.request if (call.repeat or rng.random() < 0.85) else None
        if request is None or rng.random() < 0.4:
            envelope["model"] = model.name
        if rng.random() < 0.9:
            latency = call.latency
            envelope["latency_ms"] = latency + 0.5 if rng.random() < 0.03 else latency
        if rng.random() < (0.7 if status != 200 else 0.3):
            envelope["status_code"] = status
        if rng.random() < 0.6:
            envelope["metadata"] = {"env": "prod" if rng.random() < 0.9 else "staging",
                                    "trace_id": self._hex(16)}
        if request is not None:
            envelope["request"] = request
        if body is not None:
            envelope["response"] = body
        else:
            envelope["stream"] = stream
        return envelope

    def _provider_label(self, call: Call) -> str:
        provider = call.model.provider
        if call.vertex:
            return "vertex" if self.rng.random() < 0.5 else "google"
        labels = PROVIDER_LABELS.get(provider)
        if labels is None or len(labels) == 1:
            return provider
        draw = self.rng.random()
        for label, share in labels:
            draw -= share
            if draw < 0:
                return label
        return provider

    def _emit_envelope(self, files: DayFiles, call: Call, body: dict | None, stream,
                       last_day: bool, status: int = 200) -> dict:
        envelope = self._envelope(call, body, stream, status)
        line = orjson.dumps(envelope)
        files.gateway.append(line)
        if self.rng.random() < DUPLICATE_SHARE:
            self._duplicate(files, line, last_day)
        return envelope

    def _duplicate(self, files: DayFiles, line: bytes, last_day: bool) -> None:
        """The same line shipped twice: later in the same file, or in the next day's file."""
        self.stats["duplicates"] += 1
        if not last_day and self.rng.random() < 0.35:
            self.carry.append(line)
            return
        here = len(files.gateway)
        files.inserts.append((here + int(self.rng.random() * 200), line))

    def _emit_stream_envelope(self, files: DayFiles, call: Call, last_day: bool) -> None:
        as_text = call.model.family != "converse" and self.rng.random() < 0.5
        if as_text:
            stream = self._sse(call).decode()
            self.routes["envelope_stream_text"] += 1
        else:
            stream = self._stream_events(call)
            self.routes["envelope_stream_list"] += 1
        envelope = self._emit_envelope(files, call, None, stream, last_day)
        double = call.reports_usage and call.model.family in ("chat", "anthropic")
        if double and self.rng.random() < DOUBLE_LOG_SHARE:
            # The gateway also logged the assembled final body: same call, same id, and the
            # same envelope fields (so both copies name the same provider, project and time).
            assembled = {k: v for k, v in envelope.items() if k != "stream"}
            assembled["response"] = self._body(call)
            files.gateway.append(orjson.dumps(assembled))
            self.stats["double_logged"] += 1

    def _emit_stream_file(self, files: DayFiles, call: Call) -> None:
        rng = self.rng
        number = len([d for d in files.documents if d[0].startswith("streams/")]) + 1
        draw = rng.random()
        suffix = ".sse" if draw < 0.6 else ".txt" if draw < 0.85 else ".sse.gz"
        content = self._sse(call)
        if suffix.endswith(".gz"):
            content = gzip_bytes(content)
        files.documents.append((f"streams/{number:04d}{suffix}", content))
        self.routes["stream_file"] += 1

    def _emit_single_document(self, files: DayFiles, call: Call) -> None:
        envelope = self._envelope(call, self._body(call), None)
        name = f"call-{call.rid or self._hex(12)}.json"
        files.documents.append((name, orjson.dumps(envelope, option=orjson.OPT_INDENT_2)))
        self.routes["export_single"] += 1

    def _emit_batch(self, files: DayFiles, call: Call) -> None:
        if call.model.family == "chat":
            files.openai_batch.append(orjson.dumps(self._openai_batch_line(call)))
            self.routes["openai_batch"] += 1
        else:
            files.anthropic_batch.append(orjson.dumps(self._anthropic_batch_line(call)))
            self.routes["anthropic_batch"] += 1
