"""Generated logs against the generator's own account of what it wrote: every call once,
every planted duplicate counted as one, every malformed record quarantined; the coding agents'
transcripts and the span export beside them too (each response logged once per content block
counted once, every line without a call counted as one)."""

from __future__ import annotations

from pipelines.jobs import run_ingest
from pipelines.samples import generate
from tests.conftest import query


def test_generated_logs_load_exactly(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.ducklake"
    truth = generate(landing, requests=6000, days=45, seed=11)
    summary = run_ingest(landing, wh, workers=2)

    # the API logs' calls, and beside them the coding agents' and the spans' (agent_logs)
    agents = truth["agent_logs"]
    assert dict(query(wh, "SELECT source, count(*) FROM fct_requests GROUP BY ALL")) == {
        "api_log": truth["calls"], **agents["calls"]}
    assert truth["calls"] == 6000
    assert summary.records_read == truth["records"] + agents["records"]
    assert summary.quarantined == truth["malformed"]
    assert summary.duplicates == (truth["duplicates"] + truth["double_logged"]
                                  + agents["repeats"])
    assert summary.records_read == (summary.calls_loaded + summary.duplicates
                                    + summary.quarantined + agents["without_calls"])
    assert query(wh, "SELECT sum(without_calls) FROM landing_files")[0][0] == (
        agents["without_calls"])
    # the agents' models are the price book's: every call of theirs that used tokens is priced
    assert query(wh, "SELECT count(*) FROM fct_requests JOIN fct_costs USING (call_id) "
                     "WHERE source <> 'api_log' AND status = 'ok' AND NOT is_priced")[0][0] == 0
    # every shape the generator writes arrives as ledger rows
    apis = {row[0] for row in query(wh, "SELECT DISTINCT api FROM fct_requests")}
    assert {"chat_completions", "responses", "embeddings", "messages", "generate_content",
            "converse", "invoke_model", "cohere_chat", "error"} <= apis
    statuses = dict(query(wh, "SELECT status, count(*) FROM fct_requests GROUP BY 1"))
    assert statuses["ok"] > 5000 and statuses["error"] > 0 and statuses["no_usage"] > 0
    sources = {row[0] for row in query(wh, "SELECT DISTINCT event_at_source FROM fct_requests")}
    assert sources == {"envelope", "response", "file_mtime", "transcript", "span"}
    assert query(wh, "SELECT count(*) FROM fct_requests WHERE is_batch")[0][0] > 0
    assert query(wh, "SELECT count(*) FROM fct_requests WHERE provider_reported_cost > 0"
                 )[0][0] > 0
    # exact repeats of earlier requests are findable by request_hash
    assert query(wh, "SELECT count(*) FROM (SELECT request_hash FROM fct_requests "
                     "WHERE request_hash IS NOT NULL GROUP BY 1 HAVING count(*) > 1)")[0][0] > 0
