"""Gemini generateContent bodies (Google AI and Vertex)."""

from __future__ import annotations

from pipelines.parsing.records import Rejected, _count, _dict, finish

# ------------------------------------------------------------------------ usage extraction


def gemini_usage(call: dict, usage: dict) -> None:
    """promptTokenCount includes cached tokens; thoughts and tool-use prompts are separate."""
    prompt = _count(usage, "promptTokenCount", "usageMetadata")
    cached = _count(usage, "cachedContentTokenCount", "usageMetadata")
    candidates = _count(usage, "candidatesTokenCount", "usageMetadata")
    thoughts = _count(usage, "thoughtsTokenCount", "usageMetadata")
    tool_prompt = _count(usage, "toolUsePromptTokenCount", "usageMetadata")
    if cached > prompt:
        raise Rejected(f"cachedContentTokenCount ({cached}) exceeds promptTokenCount ({prompt})")
    call["input_tokens"] = prompt - cached + tool_prompt
    call["cache_read_tokens"] = cached
    call["output_tokens"] = candidates + thoughts
    call["reasoning_tokens"] = thoughts
    if "totalTokenCount" in usage:
        call["provider_total_tokens"] = _count(usage, "totalTokenCount", "usageMetadata")
    tier = usage.get("serviceTier")
    if isinstance(tier, str):
        call["service_tier"] = tier


# ---------------------------------------------------------------------------- body shapes


def parse_gemini(call: dict, body: dict) -> None:
    call["api"] = "generate_content"
    call["request_id"] = body.get("responseId")
    call["model"] = body.get("modelVersion")
    call["provider"] = call["provider"] or "google"
    candidates = body.get("candidates") or []
    raw_finish = next((c.get("finishReason") for c in candidates
                       if isinstance(c, dict) and c.get("finishReason")), None)
    if raw_finish is None and _dict(body.get("promptFeedback")).get("blockReason"):
        raw_finish = "SAFETY"
    call["finish_reason"], call["finish_reason_raw"] = finish(raw_finish)
    usage = body.get("usageMetadata")
    if not isinstance(usage, dict):
        raise Rejected("gemini body has no usageMetadata")
    gemini_usage(call, usage)
    call["_created"] = body.get("createTime")
