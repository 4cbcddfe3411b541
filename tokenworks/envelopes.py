"""What one HTTP exchange with a provider becomes in the landing folder: pure functions.

A call is logged as one envelope line, the shape the warehouse reads (docs/log-format.md):
timestamp, provider, labels, latency, endpoint, status, the request body, and the response body
(`response`) or the stream's raw SSE text (`stream`). An exchange that is not a call is not
logged: listing models, uploading files, creating a batch, counting tokens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

# A response body is a call when it reports usage, or, answering a POST, when it is a
# generation body whose usage is missing (logged so the warehouse shows the gap).
USAGE_KEYS = ("usage", "usageMetadata")
GENERATION_OBJECTS = frozenset({"chat.completion", "text_completion", "response"})
GENERATION_TYPES = frozenset({"message"})
# Batch results (OpenAI's output file, Anthropic's results) are JSON lines, one call each.
BATCH_RESULT_KEYS = ("response", "result", "error")
ERROR_TEXT_LIMIT = 500


@dataclass(frozen=True)
class Exchange:
    """One request and its response, as far as the response was read."""

    started_at: datetime
    latency_ms: int
    method: str
    path: str
    status_code: int
    request_body: bytes | None
    request_type: str
    response_body: bytes
    response_type: str
    request_id: str | None


def records(exchange: Exchange, provider: str | None, labels: dict[str, str]) -> list[dict]:
    """The envelope lines an exchange is logged as: none, one, or one per batch result."""
    head: dict = {}
    if provider:
        head["provider"] = provider
    head.update(labels)
    head["endpoint"] = f"{exchange.method} {exchange.path}"
    if "text/event-stream" in exchange.response_type:
        return [_call(exchange, head, stream=_complete_lines(exchange.response_body))]
    body = _json(exchange.response_body)
    if isinstance(body, dict) and _is_call(body, exchange):
        return [_call(exchange, head, response=body)]
    if exchange.method == "POST" and exchange.status_code >= 400 and not isinstance(body, dict):
        # A gateway's HTML or plain-text error page: still a failed call.
        text = exchange.response_body.decode("utf-8", "replace").strip()
        return [_call(exchange, head, response={"error": {
            "type": f"http_{exchange.status_code}", "message": text[:ERROR_TEXT_LIMIT]}})]
    if exchange.method == "GET":
        # Batch results: the call's time is in the result, not in the download's.
        return [{**head, "response": line} for line in _batch_results(exchange.response_body)]
    return []


def _is_call(body: dict, exchange: Exchange) -> bool:
    if any(body.get(key) is not None for key in USAGE_KEYS):
        return True
    if exchange.method != "POST":
        return False
    return (exchange.status_code >= 400 or body.get("object") in GENERATION_OBJECTS
            or body.get("type") in GENERATION_TYPES or "choices" in body)


def _call(exchange: Exchange, head: dict, **body) -> dict:
    record = {"timestamp": exchange.started_at.isoformat(timespec="milliseconds")
              .replace("+00:00", "Z"), **head,
              "latency_ms": exchange.latency_ms, "status_code": exchange.status_code}
    if exchange.request_id:
        record["request_id"] = exchange.request_id
    request = _json(exchange.request_body) if "json" in exchange.request_type else None
    if isinstance(request, dict):
        record["request"] = request
    record.update(body)
    return record


def _json(data: bytes | None):
    """The decoded JSON value, or None when the bytes are not one JSON value."""
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _complete_lines(data: bytes) -> str:
    """The stream's text up to its last line end: an abandoned stream stops mid-event, and the
    half line it leaves is not an event."""
    text = data.decode("utf-8", "replace")
    return text[: text.rfind("\n") + 1]


def _batch_results(data: bytes) -> list[dict]:
    results = []
    for line in data.splitlines():
        value = _json(line)
        if (isinstance(value, dict) and "custom_id" in value
                and any(value.get(key) is not None for key in BATCH_RESULT_KEYS)):
            results.append(value)
    return results


def envelope_lines(lines: list[dict]) -> bytes:
    """The bytes appended for an exchange: whole lines, written at once."""
    return b"".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode()
                    + b"\n" for line in lines)
