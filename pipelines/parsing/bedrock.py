"""AWS Bedrock Converse bodies."""

from __future__ import annotations

from pipelines.parsing.records import Rejected, _count, _dict, finish

# ------------------------------------------------------------------------ usage extraction


def bedrock_usage(call: dict, usage: dict) -> None:
    """Converse: inputTokens excludes cache reads and writes; totalTokens includes them."""
    call["input_tokens"] = _count(usage, "inputTokens", "usage")
    call["cache_read_tokens"] = _count(usage, "cacheReadInputTokens", "usage")
    cache_write = _count(usage, "cacheWriteInputTokens", "usage")
    write_1h = 0
    for i, detail in enumerate(usage.get("cacheDetails") or ()):
        if isinstance(detail, dict) and detail.get("ttl") == "1h":
            write_1h += _count(detail, "inputTokens", f"usage.cacheDetails[{i}]")
    if write_1h > cache_write:
        raise Rejected(f"1h cache writes ({write_1h}) exceed cacheWriteInputTokens "
                       f"({cache_write})")
    call["cache_write_tokens"] = cache_write - write_1h
    call["cache_write_1h_tokens"] = write_1h
    call["output_tokens"] = _count(usage, "outputTokens", "usage")
    if "totalTokens" in usage:
        call["provider_total_tokens"] = _count(usage, "totalTokens", "usage")


# ---------------------------------------------------------------------------- body shapes


def parse_bedrock_converse(call: dict, body: dict) -> None:
    call["api"] = "converse"
    call["provider"] = call["provider"] or "aws"
    call["finish_reason"], call["finish_reason_raw"] = finish(body.get("stopReason"))
    bedrock_usage(call, _dict(body.get("usage")))
    latency = _dict(body.get("metrics")).get("latencyMs")
    if type(latency) is int and call["latency_ms"] is None:
        call["latency_ms"] = latency
