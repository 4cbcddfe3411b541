"""Anthropic Messages bodies (direct, Bedrock invoke, Vertex) and Message Batches lines."""

from __future__ import annotations

from pipelines.parsing.errors import parse_error
from pipelines.parsing.records import Rejected, _count, _dict, finish

# ------------------------------------------------------------------------ usage extraction


def _anthropic_step(usage: dict, where: str) -> tuple[int, int, int, int, int]:
    inp = _count(usage, "input_tokens", where)
    cache_read = _count(usage, "cache_read_input_tokens", where)
    cache_creation = _count(usage, "cache_creation_input_tokens", where)
    by_lifetime = usage.get("cache_creation")
    if isinstance(by_lifetime, dict) and by_lifetime:
        write_5m = _count(by_lifetime, "ephemeral_5m_input_tokens", where + ".cache_creation")
        write_1h = _count(by_lifetime, "ephemeral_1h_input_tokens", where + ".cache_creation")
        if write_5m + write_1h != cache_creation and "cache_creation_input_tokens" in usage:
            raise Rejected(f"cache_creation by lifetime ({write_5m} + {write_1h}) contradicts "
                           f"cache_creation_input_tokens ({cache_creation})")
    else:
        write_5m, write_1h = cache_creation, 0
    out = _count(usage, "output_tokens", where)
    return inp, cache_read, write_5m, write_1h, out


def anthropic_usage(call: dict, usage: dict) -> None:
    """Input excludes cache reads and writes; with compaction, bill the sum over iterations."""
    iterations = usage.get("iterations")
    if isinstance(iterations, list) and iterations:
        steps = [_anthropic_step(_dict(step), f"usage.iterations[{i}]")
                 for i, step in enumerate(iterations)]
    else:
        steps = [_anthropic_step(usage, "usage")]
    call["input_tokens"] = sum(s[0] for s in steps)
    call["cache_read_tokens"] = sum(s[1] for s in steps)
    call["cache_write_tokens"] = sum(s[2] for s in steps)
    call["cache_write_1h_tokens"] = sum(s[3] for s in steps)
    call["output_tokens"] = sum(s[4] for s in steps)
    thinking = _count(_dict(usage.get("output_tokens_details")), "thinking_tokens",
                      "usage.output_tokens_details")
    if thinking > call["output_tokens"]:
        raise Rejected(f"thinking_tokens ({thinking}) exceed output_tokens "
                       f"({call['output_tokens']})")
    call["reasoning_tokens"] = thinking
    call["web_search_requests"] = _count(_dict(usage.get("server_tool_use")),
                                         "web_search_requests", "usage.server_tool_use")
    tier = usage.get("service_tier")
    if isinstance(tier, str):
        call["service_tier"] = tier
    speed = usage.get("speed")  # fast mode: a price of its own (the price book's speed=fast)
    if isinstance(speed, str) and speed:
        call["speed"] = speed[:20].lower()


# ---------------------------------------------------------------------------- body shapes


def parse_anthropic_message(call: dict, body: dict) -> None:
    call["api"] = "messages"
    call["request_id"] = body.get("id")
    call["model"] = body.get("model")
    if not call["provider"]:
        rid = str(body.get("id") or "")
        call["provider"] = ("aws" if rid.startswith("msg_bdrk_")
                            else "google" if rid.startswith("msg_vrtx_") else "anthropic")
    if call["provider"] != "anthropic":
        call["api"] = "invoke_model" if call["provider"] == "aws" else "messages"
    call["finish_reason"], call["finish_reason_raw"] = finish(body.get("stop_reason"))
    usage = body.get("usage")
    if not isinstance(usage, dict):
        raise Rejected("anthropic message has no usage object")
    anthropic_usage(call, usage)


def parse_anthropic_batch_line(call: dict, body: dict) -> None:
    call["is_batch"] = True
    call["provider"] = call["provider"] or "anthropic"
    result = _dict(body.get("result"))
    kind = result.get("type")
    if kind == "succeeded" and isinstance(result.get("message"), dict):
        parse_anthropic_message(call, result["message"])
        call["service_tier"] = call["service_tier"] or "batch"
        return
    if kind in ("errored", "expired", "canceled"):
        error = _dict(result.get("error"))
        parse_error(call, {}, _dict(error.get("error")) or error or kind)
        call["error_type"] = call["error_type"] if kind == "errored" else kind
        # No message id exists for a failed batch line; the batch's custom_id is the handle.
        call["request_id"] = None
        call["api"] = "messages"
        return
    raise Rejected(f"anthropic batch result of unknown type {kind!r}")
