"""Cohere chat bodies."""

from __future__ import annotations

from pipelines.parsing.records import Rejected, _count, finish

# ------------------------------------------------------------------------ usage extraction


def cohere_usage(call: dict, usage: dict) -> None:
    """Bill billed_units, not the processed `tokens`."""
    billed = usage.get("billed_units")
    if not isinstance(billed, dict):
        raise Rejected("cohere usage has no billed_units")
    call["input_tokens"] = _count(billed, "input_tokens", "usage.billed_units")
    call["output_tokens"] = _count(billed, "output_tokens", "usage.billed_units")


# ---------------------------------------------------------------------------- body shapes


def parse_cohere(call: dict, body: dict) -> None:
    call["api"] = "cohere_chat"
    call["request_id"] = body.get("id")
    call["provider"] = call["provider"] or "cohere"
    call["finish_reason"], call["finish_reason_raw"] = finish(body.get("finish_reason"))
    usage = body.get("usage")
    if not isinstance(usage, dict):
        raise Rejected("cohere chat body has no usage object")
    cohere_usage(call, usage)
