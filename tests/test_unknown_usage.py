"""Issue #13: a call whose usage was never logged has an unknown cost, never $0; its spend at risk
is estimated apart from total_cost; request_id is the provider's id or NULL."""

from __future__ import annotations

import statistics
from decimal import ROUND_HALF_UP, Decimal

import orjson
import pytest

from pipelines.jobs import run_ingest
from pipelines.parsing import UNKNOWN_WITHOUT_USAGE, parse_record, parse_stream_document
from pipelines.pricing import costs
from tests.conftest import NO_USAGE_STREAMS, fixture_records, open_lake, query, warehouse_state

AZURE_STREAM = (NO_USAGE_STREAMS / "azure_chat_stream_without_include_usage.txt").read_text()
GROQ_STREAM = (NO_USAGE_STREAMS / "groq_chat_stream_cut_by_error.txt").read_text()
AZURE_MODEL = "gpt-4o-2024-11-20"


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(("text", "provider", "request_id", "model", "finish_reason"), [
    (AZURE_STREAM, "azure", "chatcmpl-Ab3kZq9T2YxW7uVn5sR4pL1mQ0oJh", AZURE_MODEL, "stop"),
    (GROQ_STREAM, "groq", "chatcmpl-5c7d2e1f-8a9b-4c3d-9e0f-1a2b3c4d5e6f",
     "llama-3.3-70b-versatile", "error"),
])
def test_a_stream_without_usage_has_unknown_tokens_not_zero(text, provider, request_id, model,
                                                            finish_reason):
    call = parse_stream_document(text)
    assert (call["status"], call["provider"], call["request_id"], call["model"],
            call["finish_reason"]) == ("no_usage", provider, request_id, model, finish_reason)
    assert {column: call[column] for column in UNKNOWN_WITHOUT_USAGE} == dict.fromkeys(
        UNKNOWN_WITHOUT_USAGE)


def test_an_anthropic_stream_holding_only_an_overloaded_error_is_an_error_with_zero_tokens():
    """Nothing was processed and nothing billed: 0 is known here, not a gap."""
    call = parse_stream_document('event: error\ndata: {"type":"error","error":{"type":'
                                 '"overloaded_error","message":"Overloaded"}}\n\n')
    assert (call["status"], call["provider"], call["error_type"]) == (
        "error", "anthropic", "overloaded_error")
    assert [call[c] for c in ("input_tokens", "output_tokens", "cache_read_tokens")] == [0, 0, 0]


def test_request_id_is_the_providers_id_or_null():
    converse = fixture_records("bedrock_converse_basic_llama.json")[0]
    call = parse_record(converse)
    assert call["request_id"] is None  # a Converse body carries no id
    assert call["dedup_key"].startswith("aws:h:")
    assert parse_record(converse)["dedup_key"] == call["dedup_key"]  # the same record, one key
    enveloped = parse_record({"provider": "bedrock", "timestamp": "2026-05-01T00:00:00Z",
                              "response_id": "8f2c0a4e-1111-4c2b-9d7e-000000000001",
                              "response": converse})
    assert enveloped["request_id"] == "8f2c0a4e-1111-4c2b-9d7e-000000000001"
    assert enveloped["dedup_key"] == "aws:8f2c0a4e-1111-4c2b-9d7e-000000000001"
    for name in ("openai_embeddings.json", "openai_error_rate_limit_429.json"):
        call = parse_record(fixture_records(name)[0])
        assert call["request_id"] is None, name
        assert call["dedup_key"].startswith(f"{call['provider']}:h:"), name
    assert parse_record(fixture_records("anthropic_error_overloaded_529.json")[0]
                        )["request_id"] == "req_011CZAau32QzxDkriovTaFCB"


# ------------------------------------------------------------------------- warehouse


def chat_body(i: int, prompt: int, completion: int) -> dict:
    return {"id": f"chatcmpl-ref-{i}", "object": "chat.completion", "created": 1733489000 + i,
            "model": AZURE_MODEL, "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content": "x"},
                                               "content_filter_results": {}}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion}}


def envelope(day: str, project: str, **fields) -> bytes:
    return orjson.dumps({"timestamp": f"{day}T12:00:00Z", "provider": "azure",
                         "project": project, "user": "u1", **fields}) + b"\n"


@pytest.fixture
def landing(tmp_path):
    """The two streams without usage inside envelopes on 2026-05-10, the Azure one in project
    search; successful calls of the same Azure model before and on that day (the estimate's
    reference), in search and in another project, and one outside the 30-day window."""
    folder = tmp_path / "landing"
    folder.mkdir()
    lines = [envelope("2026-05-10", "search", stream=AZURE_STREAM),
             envelope("2026-05-10", "search", stream=GROQ_STREAM) .replace(b'"azure"', b'"groq"')]
    references = [("2026-04-11", "search", 1000, 200), ("2026-04-25", "search", 3000, 50),
                  ("2026-05-10", "search", 500, 900), ("2026-05-09", "other", 80_000, 10),
                  ("2026-04-10", "search", 999_000, 999)]  # 30 days before: outside
    for i, (day, project, prompt, completion) in enumerate(references):
        lines.append(envelope(day, project, response=chat_body(i, prompt, completion)))
    (folder / "gateway.jsonl").write_bytes(b"".join(lines))
    return folder


def test_unknown_usage_is_null_and_its_estimate_never_enters_total_cost(landing, tmp_path):
    wh = tmp_path / "wh.ducklake"
    run_ingest(landing, wh, workers=1)
    rows = {r[0]: r[1:] for r in query(wh, """
        SELECT provider, status, input_tokens, output_tokens, cost_status, is_priced,
               input_cost, output_cost, request_cost, total_cost, list_cost, estimate_method,
               estimated_cost
        FROM analytics.requests WHERE status = 'no_usage'""")}
    assert rows["azure"][:10] == ("no_usage", None, None, "usage_unknown", False,
                                  None, None, None, None, None)
    assert rows["groq"][:10] == rows["azure"][:10]

    # Azure: the mean exact cost of the 3 successful calls of project search in the 30 days
    # up to 2026-05-10 (not the one of 2026-04-10, nor the other project's).
    reference = [r[0] for r in query(wh, """
        SELECT total_cost FROM analytics.requests
        WHERE provider = 'azure' AND status = 'ok' AND project = 'search'
          AND event_day BETWEEN DATE '2026-04-11' AND DATE '2026-05-10'""")]
    assert len(reference) == 3
    mean = (sum(reference) / 3).quantize(Decimal("1e-13"), rounding=ROUND_HALF_UP)
    assert rows["azure"][10:] == ("model_project_mean_30d", mean)
    # Groq: no successful call of that model anywhere, so no estimate rather than a guess.
    assert rows["groq"][10:] == ("no_reference", None)

    # The daily mart counts them apart: the day's spend is the known spend only.
    known = query(wh, "SELECT sum(total_cost) FROM analytics.requests "
                      "WHERE event_day = DATE '2026-05-10'")[0][0]
    day = query(wh, """
        SELECT sum(calls), sum(usage_unknown_calls), sum(unpriced_calls), sum(total_cost),
               sum(estimated_cost), sum(input_tokens)
        FROM analytics.daily_spend WHERE day = DATE '2026-05-10'""")[0]
    assert day == (3, 2, 0, known, mean, 500)
    no_usage_rows = query(wh, "SELECT total_cost, input_tokens FROM mart_daily_spend "
                              "WHERE status = 'no_usage'")
    assert no_usage_rows == [(None, None), (None, None)]  # unknown, never a 0

    listed = query(wh, "SELECT provider, model, calls, cut_by_error, estimated_cost, fix "
                       "FROM analytics.unknown_usage ORDER BY provider")
    assert [r[:5] for r in listed] == [("azure", AZURE_MODEL, 1, 0, mean),
                                       ("groq", "llama-3.3-70b-versatile", 1, 1, None)]
    assert '"include_usage": true' in listed[0][5]


def test_estimates_follow_late_reference_calls_as_one_clean_run_would(landing, tmp_path):
    wh, clean = tmp_path / "wh.ducklake", tmp_path / "clean.ducklake"
    run_ingest(landing, wh, workers=1)
    before = query(wh, "SELECT estimated_cost FROM fct_cost_estimates "
                       "WHERE estimate_method = 'model_project_mean_30d'")[0][0]
    # A late file: a call inside the Azure stream's window (it changes that day's estimate)
    # and one of the Groq model (the Groq stream now has a reference).
    groq_body = chat_body(99, 400, 40) | {"model": "llama-3.3-70b-versatile",
                                          "id": "chatcmpl-groq-late"}
    (landing / "late.jsonl").write_bytes(
        envelope("2026-04-20", "search", response=chat_body(50, 250_000, 4000))
        + envelope("2026-05-01", "search", response=groq_body).replace(b'"azure"', b'"groq"'))
    run_ingest(landing, wh, workers=1)
    after = dict(query(wh, "SELECT f.provider, e.estimate_method || ' ' || e.estimated_cost "
                           "FROM fct_cost_estimates e JOIN fct_requests f USING (call_id)"))
    assert not after["azure"].endswith(str(before))
    assert after["groq"].startswith("model_project_mean_30d ")
    run_ingest(landing, clean, workers=1)
    assert warehouse_state(wh) == warehouse_state(clean)


def test_the_estimates_measured_error_is_what_leave_one_out_gives(landing, tmp_path):
    """The backtest behind docs/pricing.md's figures, against the same arithmetic done by hand
    in Python on the ledger's exact costs."""
    wh = tmp_path / "wh.ducklake"
    run_ingest(landing, wh, workers=1)
    calls = query(wh, """
        SELECT event_day, project, total_cost FROM analytics.requests
        WHERE status = 'ok' AND NOT is_batch AND is_priced AND total_cost > 0""")
    errors, methods = [], []
    for day, project, cost in calls:
        window = [(p, c) for d, p, c in calls if 0 <= (day - d).days < 30]
        same = [c for p, c in window if p == project]
        pool, method = ((same, "model_project_mean_30d") if len(same) > 1
                        else ([c for _, c in window], "model_mean_30d"))
        if len(pool) < 2:
            methods.append("no_reference")
            continue
        estimate = ((sum(pool) - cost) / (len(pool) - 1)).quantize(Decimal("1e-13"),
                                                                   rounding=ROUND_HALF_UP)
        errors.append(abs(estimate - cost) / cost)
        methods.append(method)
    conn = open_lake(wh)
    measured = {(r["grain"], r["estimate_method"]): r for r in costs.estimate_backtest(conn)}
    conn.close()
    applied = measured["call", "as applied"]
    assert applied["estimates"] == len(errors) == methods.count("model_project_mean_30d") + \
        methods.count("model_mean_30d")
    assert applied["median_relative_error"] == pytest.approx(
        float(statistics.median(errors)), abs=1e-4)
    assert applied["p90_relative_error"] == pytest.approx(
        float(statistics.quantiles(errors, n=10, method="inclusive")[-1]), abs=1e-4)
    assert measured["call", "no_reference"]["estimates"] == methods.count("no_reference")
