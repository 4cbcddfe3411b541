"""`wrap`: an SDK client's httpx transport, teed into the landing folder.

The OpenAI and Anthropic SDKs send every request through one httpx client (`client._client`).
`wrap` puts a transport around that client's own: the request goes out untouched, and the
response's byte stream is replaced by one that hands each chunk on as it arrives and keeps a
copy. When the stream is closed (read to its end, or abandoned by the caller), the copy becomes
an envelope line. Nothing here may fail a call: errors are reported as `LoggingFailed` warnings
and on the `tokenworks` logger.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
import warnings
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tokenworks import envelopes, files
from tokenworks.labels import checked_labels, current_labels

logger = logging.getLogger("tokenworks")
Client = TypeVar("Client")

SDK_FAMILIES = ("openai", "anthropic")
# Hosts an SDK client may be pointed at, and whose prices they are (the price book's provider
# ids). An OpenAI client pointed anywhere else leaves the provider to the warehouse, which
# recognises OpenAI-compatible providers by their bodies.
HOST_PROVIDERS = (
    ("api.openai.com", "openai"), (".openai.azure.com", "azure"),
    ("api.anthropic.com", "anthropic"), (".amazonaws.com", "aws"),
    ("aiplatform.googleapis.com", "google"), ("generativelanguage.googleapis.com", "google"),
    ("api.groq.com", "groq"), ("api.deepseek.com", "deepseek"), ("openrouter.ai", "openrouter"),
    ("api.mistral.ai", "mistral"), ("api.together.xyz", "together"), ("api.x.ai", "x-ai"),
    ("api.fireworks.ai", "fireworks"),
)
REQUEST_ID_HEADERS = ("x-request-id", "request-id")


class LoggingFailed(UserWarning):
    """A call could not be logged. The call itself went on untouched."""


def wrap(client: Client, landing: str | os.PathLike, *, project: str | None = None,
         user: str | None = None, api_key_id: str | None = None,
         provider: str | None = None) -> Client:
    """Log every call `client` makes to `landing` (one JSONL file per UTC day); returns the
    same client. `client` is an OpenAI, AsyncOpenAI, Anthropic or AsyncAnthropic client (or a
    subclass: Azure, Bedrock, Vertex). `provider` overrides the one read from its base URL.
    Wrapping a wrapped client again replaces its settings."""
    family = type(client).__module__.partition(".")[0]
    http: Any = getattr(client, "_client", None)
    httpx = _httpx_module(http)
    if family not in SDK_FAMILIES or httpx is None:
        raise TypeError(f"tokenworks.wrap takes an OpenAI or Anthropic SDK client, not "
                        f"{type(client).__module__}.{type(client).__qualname__}")
    sink = Sink(landing=Path(landing).absolute(),
                provider=provider or _provider(family, str(getattr(client, "base_url", ""))),
                labels=checked_labels("tokenworks.wrap", project=project, user=user,
                                      api_key_id=api_key_id))
    sync_transport, async_transport = _transport_classes(httpx.__name__)
    logging_class = async_transport if isinstance(http, httpx.AsyncClient) else sync_transport
    http._transport = _logged(http._transport, logging_class, sink)
    for pattern, transport in http._mounts.items():
        if transport is not None:  # a proxy's transport; None means the default one
            http._mounts[pattern] = _logged(transport, logging_class, sink)
    return client


def _logged(transport, logging_class, sink: Sink):
    if isinstance(transport, logging_class):
        transport.sink = sink
        return transport
    return logging_class(transport, sink)


def _httpx_module(http):
    """httpx or httpx2 (the SDKs' current HTTP library, with httpx's API), whichever `http`
    is a client of; None when it is neither."""
    for cls in type(http).__mro__:
        root = cls.__module__.partition(".")[0]
        if cls.__name__ in ("Client", "AsyncClient") and root in ("httpx", "httpx2"):
            return importlib.import_module(root)
    return None


def _provider(family: str, base_url: str) -> str | None:
    host = (urlsplit(base_url).hostname or "").lower()
    for suffix, provider in HOST_PROVIDERS:
        if host == suffix or host.endswith(suffix if suffix.startswith(".") else "." + suffix):
            return provider
    return "anthropic" if family == "anthropic" else None


class Sink:
    """Where a wrapped client's calls go, and the labels `wrap` gave them."""

    def __init__(self, landing: Path, provider: str | None, labels: dict[str, str]) -> None:
        self.landing, self.provider, self.labels = landing, provider, labels
        self.host = files.host_name()

    def recorder(self, request) -> Recorder:
        return Recorder(self, request, {**self.labels, **current_labels()})


class Recorder:
    """One call in flight: the request, and the response's bytes as the caller reads them."""

    def __init__(self, sink: Sink, request, labels: dict[str, str]) -> None:
        self.sink, self.request, self.labels = sink, request, labels
        self.started_at = datetime.now(UTC)
        self.started = time.perf_counter()
        self.response: Any = None  # set when the response's headers arrive
        self.chunks: list[bytes] = []
        self.done = False

    def finish(self) -> None:
        """Write the envelope once, when the response is closed (or collected unclosed)."""
        if self.done or self.response is None:
            return
        self.done = True
        try:
            lines = envelopes.records(self.exchange(), self.sink.provider, self.labels)
            if lines:
                path = files.day_file(self.sink.landing, self.started_at.date(), self.sink.host)
                files.append(path, envelopes.envelope_lines(lines))
        except Exception as exc:
            report(exc, self.request)

    def exchange(self) -> envelopes.Exchange:
        request, response = self.request, self.response
        # The transport's bytes are as sent: decoded here the way httpx decodes them.
        body = type(response)(response.status_code, headers=response.headers,
                              content=b"".join(self.chunks)).read()
        try:
            request_body = request.content
        except Exception:  # a streamed upload (files, audio) is not read into memory
            request_body = None
        return envelopes.Exchange(
            started_at=self.started_at,
            latency_ms=round((time.perf_counter() - self.started) * 1000),
            method=request.method, path=request.url.path,
            status_code=response.status_code,
            request_body=request_body,
            request_type=request.headers.get("content-type", ""),
            response_body=body, response_type=response.headers.get("content-type", ""),
            request_id=next((response.headers[h] for h in REQUEST_ID_HEADERS
                             if h in response.headers), None))


def report(exc: BaseException, request) -> None:
    message = (f"tokenworks could not log {request.method} {request.url.path}: "
               f"{type(exc).__name__}: {exc}")
    logger.warning(message)
    warnings.warn(message, LoggingFailed, stacklevel=3)


@cache
def _transport_classes(module_name: str) -> tuple[type, type]:
    """The logging transports for one HTTP library: its streams and transports are checked by
    isinstance, so these subclass that library's own base classes."""
    httpx: Any = importlib.import_module(module_name)

    class TeeStream(httpx.SyncByteStream):
        def __init__(self, inner, recorder: Recorder) -> None:
            self.inner, self.recorder = inner, recorder

        def __iter__(self):
            for chunk in self.inner:
                self.recorder.chunks.append(chunk)
                yield chunk

        def close(self) -> None:
            try:
                self.inner.close()
            finally:
                self.recorder.finish()

        def __del__(self) -> None:
            self.recorder.finish()

    class AsyncTeeStream(httpx.AsyncByteStream):
        def __init__(self, inner, recorder: Recorder) -> None:
            self.inner, self.recorder = inner, recorder

        async def __aiter__(self):
            async for chunk in self.inner:
                self.recorder.chunks.append(chunk)
                yield chunk

        async def aclose(self) -> None:
            try:
                await self.inner.aclose()
            finally:
                self.recorder.finish()

        def __del__(self) -> None:
            self.recorder.finish()

    class LoggingTransport(httpx.BaseTransport):
        def __init__(self, inner, sink: Sink) -> None:
            self.inner, self.sink = inner, sink

        def handle_request(self, request):
            recorder = self.sink.recorder(request)
            response = self.inner.handle_request(request)
            return _tee(response, recorder, TeeStream)

        def close(self) -> None:
            self.inner.close()

    class AsyncLoggingTransport(httpx.AsyncBaseTransport):
        def __init__(self, inner, sink: Sink) -> None:
            self.inner, self.sink = inner, sink

        async def handle_async_request(self, request):
            recorder = self.sink.recorder(request)
            response = await self.inner.handle_async_request(request)
            return _tee(response, recorder, AsyncTeeStream)

        async def aclose(self) -> None:
            await self.inner.aclose()

    return LoggingTransport, AsyncLoggingTransport


def _tee(response, recorder: Recorder, tee_class):
    try:
        recorder.response = response
        response.stream = tee_class(response.stream, recorder)
    except Exception as exc:
        report(exc, recorder.request)
    return response
