"""Dispatch a provider body on its shape.

OpenAI batch lines live here, not in `openai`, because their inner body is dispatched again.
"""

from __future__ import annotations

from pipelines.parsing.anthropic import parse_anthropic_batch_line, parse_anthropic_message
from pipelines.parsing.bedrock import parse_bedrock_converse
from pipelines.parsing.cohere import parse_cohere
from pipelines.parsing.errors import parse_error
from pipelines.parsing.google import parse_gemini
from pipelines.parsing.openai import parse_chat_completion, parse_embeddings, parse_responses
from pipelines.parsing.records import Rejected


def parse_openai_batch_line(call: dict, body: dict) -> None:
    call["is_batch"] = True
    call["provider"] = call["provider"] or "openai"
    response = body.get("response")
    if isinstance(response, dict) and isinstance(response.get("body"), dict):
        inner = response["body"]
        call["http_status"] = response.get("status_code")
        if isinstance(inner.get("error"), dict):
            parse_error(call, inner, inner["error"])
            call["request_id"] = response.get("request_id") or body.get("id")
        else:
            parse_body(call, inner)
        return
    error = body.get("error")
    if not error:
        raise Rejected("batch output line has neither response.body nor error")
    parse_error(call, body, error)
    call["request_id"] = body.get("id")
    call["api"] = "batch"


def parse_body(call: dict, body) -> None:
    """Dispatch on the body's shape."""
    if not isinstance(body, dict):
        raise Rejected(f"body is a JSON {type(body).__name__}, not an object")
    obj = body.get("object")
    kind = body.get("type")
    if obj == "chat.completion":
        return parse_chat_completion(call, body)
    if obj == "response":
        return parse_responses(call, body)
    if kind == "message":
        return parse_anthropic_message(call, body)
    if "custom_id" in body and "result" in body:
        return parse_anthropic_batch_line(call, body)
    if "custom_id" in body and ("response" in body or "error" in body):
        return parse_openai_batch_line(call, body)
    if kind == "error" or (isinstance(body.get("error"), dict) and "choices" not in body):
        return parse_error(call, body, body.get("error"))
    if obj == "list" and isinstance(body.get("data"), list):
        return parse_embeddings(call, body)
    if "usageMetadata" in body or "candidates" in body:
        return parse_gemini(call, body)
    if "stopReason" in body or (isinstance(body.get("usage"), dict) and "inputTokens" in body[
            "usage"]):
        return parse_bedrock_converse(call, body)
    if "finish_reason" in body and "message" in body and "choices" not in body:
        return parse_cohere(call, body)
    if "choices" in body:
        return parse_chat_completion(call, body)
    if "__type" in body or (set(body) <= {"message", "Message", "__type", "id", "code"} and (
            "message" in body or "Message" in body)):
        return parse_error(call, body, body.get("__type") or body.get("message")
                           or body.get("Message"))
    raise Rejected(f"unknown body shape (keys: {', '.join(sorted(body)[:8])})")
