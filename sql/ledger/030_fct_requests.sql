-- A call's whole prompt: input + cache reads + cache writes of both lifetimes (the buckets do
-- not overlap: docs/token-accounting.md). Defined once, here; the views, marts, costing and
-- dashboards call it.
CREATE OR REPLACE MACRO prompt_tokens(input, cache_read, cache_write, cache_write_1h) AS
    input + cache_read + cache_write + cache_write_1h;

-- The ledger is a view over the canonical occurrences in staging, so each call's data is
-- stored once and re-choosing a canonical occurrence is a flag update, not a rewrite.
CREATE OR REPLACE VIEW fct_requests AS
SELECT request_id, dedup_key, call_id, provider, api, model, event_at, event_at_source, project,
       user_id, api_key_id, status, finish_reason, finish_reason_raw, is_batch, is_stream, service_tier,
       max_tokens, request_hash, input_tokens, cache_read_tokens, cache_write_tokens,
       cache_write_1h_tokens, output_tokens, reasoning_tokens, web_search_requests,
       provider_total_tokens, provider_reported_cost, latency_ms, http_status, error_type,
       source, session_id, is_sidechain, speed, source_file, source_line
FROM stg_calls
WHERE is_canonical;
COMMENT ON VIEW fct_requests IS 'The ledger. Grain: one row per API call, counted once however often it was logged (dedup_key: provider + the provider''s id, else a content hash of the record). When a call was logged several times, the row comes from the best occurrence: status ok before error before no_usage, a final usage before a partial one, a main line before a sub-agent''s copy, an envelope before a bare body, the largest token total (a streamed message''s final line), then the first by source_file and source_line.';
COMMENT ON COLUMN fct_requests.request_id IS 'The provider''s own id for the call, as the body gives it (chatcmpl-…, msg_…, resp_…, Gemini responseId, Anthropic error request_id) or, for bodies without one, the envelope''s response_id / request_id; NULL when the log holds no provider id (Bedrock Converse and embeddings bodies, most error bodies). Never made up: join it with the providers'' own logs.';
COMMENT ON COLUMN fct_requests.dedup_key IS 'The exactly-once key: provider:request_id, or provider:h: + a content hash of the whole record (envelope included) when the call has no provider id; codex:<session>:<cumulative totals> for a Codex turn; otel:<traceId>:<spanId> for a span. Unique in the ledger.';
COMMENT ON COLUMN fct_requests.call_id IS 'Integer id of the call, one per dedup_key: assigned when the key is first staged and kept while the call stays in the warehouse (a rewritten file does not change it). The compact key fct_costs is joined on. Numbered in arrival order, so a rebuilt warehouse may number calls differently: join on it, do not keep it outside.';
COMMENT ON COLUMN fct_requests.provider IS 'Provider id as the genai-prices package spells it: openai, azure, anthropic, google, aws, mistral, deepseek, groq, together, openrouter, cohere, or the envelope''s own name for others.';
COMMENT ON COLUMN fct_requests.api IS 'API family: chat_completions, responses, embeddings, messages, invoke_model, generate_content, converse, cohere_chat; error for error bodies; batch for an OpenAI batch error line that has no body. Batch output lines keep their API and set is_batch.';
COMMENT ON COLUMN fct_requests.model IS 'Model string as the response (else the request) gave it, e.g. a dated snapshot.';
COMMENT ON COLUMN fct_requests.event_at IS 'When the call happened, UTC.';
COMMENT ON COLUMN fct_requests.event_at_source IS 'Where event_at came from: envelope (its timestamp), response (created / created_at / createTime), transcript (the agent''s line), span (the span''s start), payload (a LiteLLM payload''s startTime), or file_mtime.';
COMMENT ON COLUMN fct_requests.project IS 'Envelope project; for a coding agent, the last folder of the working directory (else Claude Code''s projects/<folder>); for a span, the attribute the OpenTelemetry mapping names (default service.name). NULL for bare bodies.';
COMMENT ON COLUMN fct_requests.user_id IS 'Envelope user; for a coding agent, the folder holding the agent''s folder (<person>/.claude/projects/…, or the writer''s landing prefix); for a span, the attribute the OpenTelemetry mapping names (default enduser.id, user.id). NULL for bare bodies.';
COMMENT ON COLUMN fct_requests.api_key_id IS 'Envelope api_key_id, NULL for bare bodies.';
COMMENT ON COLUMN fct_requests.status IS 'ok (usage reported), error (an error body: nothing processed, 0 tokens), no_usage (the call ran but the log holds no usage, e.g. a stream without stream_options.include_usage or cut off mid-stream: every token column is NULL, unknown, and its cost is unknown; see fct_request_costs.cost_status and estimated_cost).';
COMMENT ON COLUMN fct_requests.finish_reason IS 'Normalized: stop, length, tool_calls, content_filter, error, other.';
COMMENT ON COLUMN fct_requests.finish_reason_raw IS 'The provider''s own finish/stop reason.';
COMMENT ON COLUMN fct_requests.is_batch IS 'Came from a batch API output file (billed at the batch price).';
COMMENT ON COLUMN fct_requests.is_stream IS 'Streamed: logged as a stream, or the request asked for stream=true.';
COMMENT ON COLUMN fct_requests.service_tier IS 'Service tier the provider reported (default, flex, priority, standard, batch, …).';
COMMENT ON COLUMN fct_requests.max_tokens IS 'Output cap from the logged request (max_tokens, max_completion_tokens, max_output_tokens, maxOutputTokens, maxTokens).';
COMMENT ON COLUMN fct_requests.request_hash IS 'Hash of the logged request body without volatile fields (stream, user, metadata, …): equal hashes are exact repeats. The prompt itself is never stored.';
COMMENT ON COLUMN fct_requests.input_tokens IS 'Prompt tokens billed at the base input rate: cache reads and writes excluded. NULL when status = no_usage (unknown, not 0).';
COMMENT ON COLUMN fct_requests.cache_read_tokens IS 'Prompt tokens served from a prompt cache. NULL when status = no_usage (unknown, not 0).';
COMMENT ON COLUMN fct_requests.cache_write_tokens IS 'Prompt tokens written to a cache with the standard lifetime (Anthropic: 5 minutes). NULL when status = no_usage (unknown, not 0).';
COMMENT ON COLUMN fct_requests.cache_write_1h_tokens IS 'Prompt tokens written to a cache with a 1-hour lifetime. NULL when status = no_usage (unknown, not 0).';
COMMENT ON COLUMN fct_requests.output_tokens IS 'Every generated token billed at the output rate, reasoning included. NULL when status = no_usage (unknown, not 0).';
COMMENT ON COLUMN fct_requests.reasoning_tokens IS 'The reasoning/thinking part of output_tokens (a subset, informational). NULL when status = no_usage (unknown, not 0).';
COMMENT ON COLUMN fct_requests.web_search_requests IS 'Billed web searches (Anthropic server_tool_use; Responses API web_search_call items). NULL when status = no_usage (unknown, not 0).';
COMMENT ON COLUMN fct_requests.provider_total_tokens IS 'The provider''s own total where it reports one; always equals the sum of the five billed buckets.';
COMMENT ON COLUMN fct_requests.provider_reported_cost IS 'Cost the log reported beside the usage, in USD, exact decimal: OpenRouter''s usage.cost, Claude Code''s costUSD, a span''s cost attribute, LiteLLM''s response_cost; NULL elsewhere. Informational: fct_costs is Tokenworks'' own price.';
COMMENT ON COLUMN fct_requests.latency_ms IS 'Envelope latency_ms, else the body''s own (Bedrock metrics.latencyMs).';
COMMENT ON COLUMN fct_requests.http_status IS 'HTTP status where the log carries it (envelope status_code, batch line status_code, Gemini error code).';
COMMENT ON COLUMN fct_requests.error_type IS 'Provider error code or type for status = error.';
COMMENT ON COLUMN fct_requests.source IS 'What logged the call: api_log (an envelope or a bare provider body), claude_code or codex_cli (a coding agent''s session transcript), otel (an OpenTelemetry GenAI span), litellm (a LiteLLM StandardLoggingPayload).';
COMMENT ON COLUMN fct_requests.session_id IS 'The agent session (Claude Code sessionId, Codex session id) or the span''s gen_ai.conversation.id / session.id; NULL for API logs.';
COMMENT ON COLUMN fct_requests.is_sidechain IS 'A Claude Code sub-agent''s call (isSidechain).';
COMMENT ON COLUMN fct_requests.speed IS 'Anthropic''s usage.speed (standard, fast) where the log gives it: fast mode is priced by the price book''s speed=fast variant; NULL otherwise.';
COMMENT ON COLUMN fct_requests.source_file IS 'Landing file of the chosen occurrence.';
COMMENT ON COLUMN fct_requests.source_line IS 'Line (or array element) of the chosen occurrence, from 1.';

COMMENT ON COLUMN stg_calls.has_envelope IS 'The record was an envelope (project, user, key, request) rather than a bare body.';
COMMENT ON COLUMN stg_calls.run_id IS 'Ingest run that read this occurrence.';
COMMENT ON COLUMN stg_calls.is_canonical IS 'This occurrence is the call''s row in fct_requests (exactly one per dedup_key).';
