"""Error bodies, whichever provider wrote them."""

from __future__ import annotations


def parse_error(call: dict, body: dict, error: dict | str | None) -> None:
    call["status"] = "error"
    call["finish_reason"], call["finish_reason_raw"] = "error", None
    if isinstance(error, dict):
        code = next((v for v in (error.get("code"), error.get("status"), error.get("type"))
                     if isinstance(v, str) and v), None)
        call["error_type"] = code
        if type(error.get("code")) is int and call["http_status"] is None:
            call["http_status"] = error["code"]
    else:
        call["error_type"] = str(error)[:200]
    call["request_id"] = body.get("request_id") or body.get("id")
    if not call["provider"]:
        call["provider"] = ("anthropic" if body.get("type") == "error"
                            else "google" if isinstance(error, dict) and "status" in error
                            else "openai")
    call["api"] = call["api"] or "error"
