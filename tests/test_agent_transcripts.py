"""Coding agents' transcripts (Claude Code, Codex CLI): recognized by shape in the landing folder
or read in place from the agents' own folders, deduplicated, priced, and in daily totals that
agree with ccusage's (tests/fixtures/agent_logs/SOURCES.md has its rules)."""

from __future__ import annotations

import os
import shutil
import stat
from datetime import date
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from conftest import query

from pipelines.analysts.inspector import inspect_text
from pipelines.jobs import run_ingest
from pipelines.parsing.agents import CodexState, parse_claude_code_line, parse_codex_line
from pipelines.parsing.lines import FileContext, parse_line
from pipelines.warehouse.lake import Lake

AGENT_LOGS = Path(__file__).parent / "fixtures" / "agent_logs"
SPOTTER = AGENT_LOGS / "claude" / "projects" / "-home-USER-projects-spotter"

# Daily totals derived by hand from the transcripts (UTC days): (input, output, cache writes,
# cache reads, reported cost). Each message counts once, whatever number of lines repeat it.
CLAUDE_DAYS = {
    # project-alpha/session-alpha/chat.jsonl lines 1-2: 100+200, 50+75, 25+50, 10+20;
    # costUSD 0.12 + 0.34
    date(2026, 1, 9): (300, 125, 75, 30, Decimal("0.46")),
    # line 3
    date(2026, 1, 10): (300, 125, 0, 40, Decimal("0.56")),
    # project-beta: 50+80, 25+35, 5+10, 15+25; 0.03 + 0.04
    date(2026, 2, 3): (130, 60, 15, 40, Decimal("0.07")),
    # short.jsonl: msg_01MKH… on lines 5-8 and 10, once: 3, 13, 13835, 11515.
    # tool_heavy.jsonl: msg_0167… (line 5) 3, 27, 7883, 17915; msg_01NU… (12-13) 1, 1, 208,
    # 25798; msg_01Lb… (27-30) 3, 11, 8490, 18014; msg_019B… partial (34) then final (37):
    # 47, 173 (not 25), 1115, 26504.
    date(2026, 2, 10): (3 + 3 + 1 + 3 + 47, 13 + 27 + 1 + 11 + 173,
                        13835 + 7883 + 208 + 8490 + 1115, 11515 + 17915 + 25798 + 18014 + 26504,
                        None),
    # subagents/agent-aac57f5.jsonl: msg_01Xn… (lines 2-8) 3, 3, 13838, 0; msg_01QU… (21-24,
    # 29-31) 2326, 3, 1598, 13838; msg_01QG… (40) 79, 1, 3378, 15436
    date(2026, 2, 12): (3 + 2326 + 79, 3 + 3 + 1, 13838 + 1598 + 3378, 0 + 13838 + 15436, None),
}
# codex/sessions/project-alpha/session-alpha.jsonl: (input without the cached part, cache
# reads, output, reasoning). Turn 1: 1000 input of which 250 cached, 125 output (75
# reasoning). Turn 2: last_token_usage = total 3500/750/425/275 minus turn 1's.
CODEX_DAYS = {
    date(2026, 5, 13): ("gpt-5.2-codex", 1000 - 250, 250, 125, 75),
    date(2026, 5, 14): ("gpt-5.3-codex", 2500 - 500, 500, 300, 200),
}


def _lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _write_lines(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))


@pytest.fixture
def agent_landing(tmp_path) -> Path:
    """The transcripts in the agents' own layouts, somewhere inside a landing folder."""
    landing = tmp_path / "landing"
    shutil.copytree(AGENT_LOGS, landing / "laptops" / "alice")
    return landing


def _daily(warehouse, source: str) -> dict:
    rows = query(warehouse, """
        SELECT event_at::DATE, sum(input_tokens), sum(output_tokens),
               sum(cache_write_tokens + cache_write_1h_tokens), sum(cache_read_tokens),
               sum(provider_reported_cost)
        FROM fct_requests WHERE source = ? GROUP BY 1 ORDER BY 1""", [source])
    return {row[0]: tuple(row[1:]) for row in rows}


def test_daily_totals_agree_with_ccusage_rules(agent_landing, tmp_path):
    warehouse = tmp_path / "w.ducklake"
    run_ingest(agent_landing, warehouse, workers=1)
    assert _daily(warehouse, "claude_code") == CLAUDE_DAYS
    codex = query(warehouse, """
        SELECT event_at::DATE, model, input_tokens, cache_read_tokens, output_tokens,
               reasoning_tokens FROM fct_requests WHERE source = 'codex_cli' ORDER BY 1""")
    assert {row[0]: row[1:] for row in codex} == CODEX_DAYS
    # nothing else was read as a call, and nothing was quarantined
    assert query(warehouse, "SELECT count(*) FROM fct_requests WHERE source NOT IN "
                            "('claude_code', 'codex_cli')") == [(0,)]
    assert query(warehouse, "SELECT count(*) FROM quarantine") == [(0,)]


def test_every_line_is_accounted_for_and_the_final_line_of_a_message_is_kept(agent_landing,
                                                                             tmp_path):
    warehouse = tmp_path / "w.ducklake"
    summary = run_ingest(agent_landing, warehouse, workers=1)
    without = query(warehouse, "SELECT sum(without_calls), sum(records) FROM landing_files")[0]
    assert (summary.without_calls, summary.records_read) == without
    assert query(warehouse, "SELECT without_calls, records_read FROM ingest_runs") == [without]
    manifest = dict((path.rsplit("/", 1)[-1], counts) for path, *counts in query(
        warehouse, "SELECT path, records, staged, quarantined, without_calls "
                   "FROM landing_files"))
    # tool_heavy.jsonl: 39 lines, 9 with usage (4 messages), 30 without a call
    assert manifest["tool_heavy.jsonl"] == [39, 9, 0, 30]
    assert manifest["short.jsonl"] == [15, 5, 0, 10]
    assert manifest["agent-aac57f5.jsonl"] == [40, 15, 0, 25]
    assert manifest["session-alpha.jsonl"] == [3, 2, 0, 1]  # turn_context holds no call
    # msg_019B…: the streaming partial (line 34, 25 output tokens) lost to the final (line 37)
    assert query(warehouse, """
        SELECT source_line, output_tokens, is_sidechain, project, session_id, model,
               service_tier, finish_reason FROM fct_requests
        WHERE request_id = 'msg_019BN3FRqb7NU4DgBN5jdsym'""") == [
        (37, 173, False, "spotter", _lines(SPOTTER / "tool_heavy.jsonl")[36]["sessionId"],
         "claude-opus-4-6", "standard", None)]
    occurrences = query(warehouse, "SELECT count(*), count(*) FILTER (is_canonical) FROM "
                                   "stg_calls WHERE request_id = 'msg_01MKH1ccEGrZGNPvu8pYiiQa'")
    assert occurrences == [(5, 1)]
    # the sub-agent's calls are marked; the folder name stands in for a project without cwd
    assert query(warehouse, "SELECT DISTINCT is_sidechain, project FROM fct_requests "
                            "WHERE source_file LIKE '%agent-aac57f5.jsonl'") == [
        (True, "spotter-4te")]
    assert query(warehouse, "SELECT DISTINCT project FROM fct_requests "
                            "WHERE source_file LIKE '%project-beta%'") == [("project-beta",)]
    # whose: the folder holding the agent's folder (laptops/alice/claude/projects/…)
    assert query(warehouse, "SELECT DISTINCT user_id FROM fct_requests") == [("alice",)]


def test_a_copy_of_a_home_folder_is_read_hidden_folder_and_all(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(AGENT_LOGS / "claude", landing / "bob" / ".claude")
    shutil.copytree(AGENT_LOGS / "claude", landing / "bob" / ".cache" / "claude")
    warehouse = tmp_path / "w.ducklake"
    run_ingest(landing, warehouse, workers=1)
    assert _daily(warehouse, "claude_code") == CLAUDE_DAYS
    assert query(warehouse, "SELECT DISTINCT user_id, split_part(source_file, '/', 2) "
                            "FROM fct_requests") == [("bob", ".claude")]


def test_one_hour_cache_writes_are_priced_at_the_one_hour_rate(agent_landing, tmp_path):
    warehouse = tmp_path / "w.ducklake"
    run_ingest(agent_landing, warehouse, workers=1)
    # short.jsonl: claude-opus-4-6 wrote 13835 tokens to the 1-hour cache on 2026-02-10,
    # priced at $10/MTok (twice the $5 input rate), not the 5-minute $6.25
    row = query(warehouse, """
        SELECT f.cache_write_tokens, f.cache_write_1h_tokens, c.cache_write_1h_cost,
               c.cache_write_cost, c.input_cost
        FROM fct_requests f JOIN fct_costs c USING (call_id)
        WHERE f.request_id = 'msg_01MKH1ccEGrZGNPvu8pYiiQa'""")
    assert row == [(0, 13835, Decimal("0.13835"), Decimal("0"), Decimal("0.000015"))]
    # 5-minute writes of the sub-agent stay 5-minute
    assert query(warehouse, "SELECT sum(cache_write_1h_tokens) FROM fct_requests "
                            "WHERE is_sidechain") == [(0,)]
    # the Inspector reads a pasted transcript line and prices it as the pipeline did
    line = (SPOTTER / "short.jsonl").read_text().splitlines()[4]
    inspection = inspect_text(line, Lake.locate(warehouse))
    assert inspection.call["source"] == "claude_code"
    assert inspection.costs["cache_write_1h_cost"] == Decimal("0.13835")
    assert "holds no call" in inspect_text((SPOTTER / "short.jsonl").read_text().splitlines()[3],
                                           Lake.locate(warehouse)).rejected


def test_a_sidechain_copy_of_a_message_counts_once_as_the_main_line(agent_landing, tmp_path):
    """ccusage issue #913: a sub-agent file repeats a parent message under a new requestId."""
    parent = next(r for r in _lines(SPOTTER / "short.jsonl") if r.get("requestId"))
    copy = {**parent, "isSidechain": True, "requestId": "req_copied_by_subagent"}
    _write_lines(agent_landing / "laptops" / "alice" / "claude" / "projects" / "-home-USER-"
                 "projects-spotter" / "55604662" / "subagents" / "agent-copy.jsonl", [copy])
    warehouse = tmp_path / "w.ducklake"
    run_ingest(agent_landing, warehouse, workers=1)
    assert query(warehouse, "SELECT count(*), bool_or(is_sidechain) FROM fct_requests "
                            "WHERE request_id = ?", [parent["message"]["id"]]) == [(1, False)]
    assert _daily(warehouse, "claude_code") == CLAUDE_DAYS


def _rollout(session: str) -> list[dict]:
    """A Codex session in the current layout, with what real rollouts hold besides usage: a
    total logged twice, a rate-limit event without info, and an older token_count without
    last_token_usage (its usage is the difference of the totals)."""
    def tokens(i, c, o, r):
        return {"input_tokens": i, "cached_input_tokens": c, "output_tokens": o,
                "reasoning_output_tokens": r, "total_tokens": i + o}
    return [
        {"timestamp": "2026-06-01T09:00:00.000Z", "type": "session_meta",
         "payload": {"id": session, "cwd": "/home/bob/src/billing-api", "cli_version": "0.50.0"}},
        {"timestamp": "2026-06-01T09:00:01.000Z", "type": "turn_context",
         "payload": {"cwd": "/home/bob/src/billing-api", "model": "gpt-5-codex"}},
        {"timestamp": "2026-06-01T09:00:02.000Z", "type": "response_item",
         "payload": {"type": "message", "role": "user", "content": []}},
        {"timestamp": "2026-06-01T09:00:03.000Z", "type": "event_msg",
         "payload": {"type": "token_count", "info": None, "rate_limits": {}}},
        {"timestamp": "2026-06-01T09:00:05.000Z", "type": "event_msg",
         "payload": {"type": "token_count", "info": {
             "total_token_usage": tokens(5000, 1000, 400, 100),
             "last_token_usage": tokens(5000, 1000, 400, 100)}}},
        {"timestamp": "2026-06-01T09:00:06.000Z", "type": "event_msg",
         "payload": {"type": "token_count", "info": {
             "total_token_usage": tokens(5000, 1000, 400, 100),
             "last_token_usage": tokens(5000, 1000, 400, 100)}}},
        {"timestamp": "2026-06-01T09:05:00.000Z", "type": "turn_context",
         "payload": {"cwd": "/home/bob/src/billing-api", "model": "gpt-5.1-codex"}},
        {"timestamp": "2026-06-01T09:05:09.000Z", "type": "event_msg",
         "payload": {"type": "token_count", "info": {
             "total_token_usage": tokens(12000, 5000, 900, 300)}}},
    ]


def test_codex_turns_are_differences_of_the_cumulative_totals():
    state = CodexState()
    path = "sessions/2026/06/01/rollout-x.jsonl"
    calls = [c for r in _rollout("s-1") if (c := parse_codex_line(r, state, path))]
    assert [(c["model"], c["input_tokens"], c["cache_read_tokens"], c["output_tokens"],
             c["reasoning_tokens"], c["project"], c["session_id"]) for c in calls] == [
        ("gpt-5-codex", 4000, 1000, 400, 100, "billing-api", "s-1"),
        # 12000-5000 input of which 5000-1000 cached; 900-400 output of which 300-100 reasoning
        ("gpt-5.1-codex", 3000, 4000, 500, 200, "billing-api", "s-1")]
    assert calls[0]["dedup_key"] != calls[1]["dedup_key"]


def test_codex_rules_for_resets_contradictions_and_old_logs():
    state = CodexState(total={"input_tokens": 900, "cached_input_tokens": 0, "output_tokens": 9,
                              "reasoning_output_tokens": 0, "total_tokens": 909})
    restarted = {"timestamp": "2026-06-02T00:00:00Z", "type": "event_msg", "payload": {
        "type": "token_count", "info": {"total_token_usage": {
            "input_tokens": 100, "cached_input_tokens": 0, "output_tokens": 10,
            "reasoning_output_tokens": 0, "total_tokens": 110}}}}
    call = parse_codex_line(restarted, state, "rollout-y.jsonl")
    assert (call["input_tokens"], call["output_tokens"]) == (100, 10)  # a new count, not -800
    # September-2025 logs name no model: priced as gpt-5, as ccusage does
    assert call["model"] == "gpt-5"
    bad = {**restarted, "payload": {"type": "token_count", "info": {"last_token_usage": {
        "input_tokens": 10, "cached_input_tokens": 20, "output_tokens": 1}}}}
    from pipelines.parsing import Rejected
    with pytest.raises(Rejected, match="cached_input_tokens"):
        parse_codex_line(bad, CodexState(), "rollout-y.jsonl")
    # the legacy layout (a header, then untyped items and state records) holds no call
    context = FileContext("sessions/rollout-2025-08-01.jsonl")
    for record in ({"id": "abc", "timestamp": "2025-08-01T00:00:00Z", "instructions": ""},
                   {"type": "message", "role": "user", "content": []},
                   {"record_type": "state"}):
        assert parse_line(record, context) == ([], [])


def test_claude_code_lines_without_an_api_call_give_no_row():
    synthetic = {"type": "assistant", "sessionId": "s", "timestamp": "2026-01-01T00:00:00Z",
                 "message": {"id": "m", "role": "assistant", "model": "<synthetic>",
                             "usage": {"input_tokens": 0, "output_tokens": 0}}}
    user = {"type": "user", "sessionId": "s", "message": {"role": "user", "content": "hi"}}
    summary = {"type": "summary", "summary": "Fixing the server", "leafUuid": "u"}
    for record in (synthetic, user, summary):
        assert parse_line(record, FileContext("projects/p/s.jsonl")) == ([], [])
    assert parse_claude_code_line(user, "projects/p/s.jsonl") is None


def test_codex_and_claude_files_read_in_place_and_incrementally(tmp_path):
    """TOKENWORKS_CLAUDE_DIR / TOKENWORKS_CODEX_HOME: read where the agents write, never
    written; an appended session is read on from where the last run stopped, and a Codex
    session's earlier lines (its model, its last total) still count."""
    claude_dir, codex_home = tmp_path / "home" / ".claude", tmp_path / "home" / ".codex"
    shutil.copytree(AGENT_LOGS / "claude", claude_dir)
    (claude_dir / "settings.json").write_text("{}")  # not a transcript: never read
    rollout = codex_home / "sessions" / "2026" / "06" / "01" / (
        "rollout-2026-06-01T09-00-00-0199a213-81c0-7800-8aa1-bbab2a035a53.jsonl")
    records = _rollout("0199a213-81c0-7800-8aa1-bbab2a035a53")
    _write_lines(rollout, records[:6])
    landing = tmp_path / "landing"
    landing.mkdir()
    warehouse = tmp_path / "w.ducklake"

    def read_only(folder: Path) -> None:
        for root, _dirs, files in os.walk(folder):
            for name in files:
                os.chmod(Path(root) / name, stat.S_IRUSR)
            os.chmod(root, stat.S_IRUSR | stat.S_IXUSR)

    def writable(folder: Path) -> None:
        for root, _dirs, files in os.walk(folder):
            os.chmod(root, stat.S_IRWXU)
            for name in files:
                os.chmod(Path(root) / name, stat.S_IRUSR | stat.S_IWUSR)

    def ingest():
        read_only(tmp_path / "home")
        try:
            return run_ingest(landing, warehouse, workers=1, claude_dir=claude_dir,
                              codex_home=codex_home)
        finally:
            writable(tmp_path / "home")

    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "home").rglob("*"))
    ingest()
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "home").rglob("*")) == before
    assert _daily(warehouse, "claude_code") == CLAUDE_DAYS
    paths = [p for (p,) in query(warehouse, "SELECT path FROM landing_files ORDER BY 1")]
    assert all(p.startswith(("~claude/projects/", "~codex/sessions/")) for p in paths), paths
    assert query(warehouse, "SELECT count(*) FROM fct_requests WHERE user_id IS NOT NULL") == [
        (0,)]  # the agents' folders at the top name nobody
    assert query(warehouse, "SELECT model, input_tokens FROM fct_requests "
                            "WHERE source = 'codex_cli'") == [("gpt-5-codex", 4000)]

    # the session goes on: the model changed before, the new total has no last_token_usage
    with open(rollout, "ab") as fh:
        fh.write(b"".join(orjson.dumps(r) + b"\n" for r in records[6:]))
    summary = ingest()
    assert (summary.files_appended, summary.files_new, summary.records_read) == (1, 0, 2)
    assert query(warehouse, "SELECT last_action, records, staged, without_calls "
                            "FROM landing_files WHERE path LIKE '~codex/%'") == [
        ("appended", 8, 2, 6)]
    assert query(warehouse, """
        SELECT model, input_tokens, cache_read_tokens, output_tokens FROM fct_requests
        WHERE source = 'codex_cli' ORDER BY event_at""") == [
        ("gpt-5-codex", 4000, 1000, 400), ("gpt-5.1-codex", 3000, 4000, 500)]

    # the same session read whole from another place counts once (its totals name its turns)
    _write_lines(landing / "bob" / "rollout-copy.jsonl", records)
    ingest()
    assert query(warehouse, "SELECT count(*) FROM fct_requests WHERE source = 'codex_cli'") == [
        (2,)]


def test_a_broken_transcript_line_is_quarantined_with_its_file_and_line(agent_landing, tmp_path):
    session = agent_landing / "laptops" / "alice" / "claude" / "projects" / "project-beta" / (
        "session-beta") / "chat.jsonl"
    lines = session.read_bytes().splitlines(keepends=True)
    bad_usage = orjson.loads(lines[1])
    bad_usage["message"]["usage"]["output_tokens"] = "35"
    session.write_bytes(lines[0] + b'{"sessionId": "s", "message": {\n'
                        + orjson.dumps(bad_usage) + b"\n")
    warehouse = tmp_path / "w.ducklake"
    run_ingest(agent_landing, warehouse, workers=1)
    rows = query(warehouse, "SELECT source_file, source_line, reason FROM quarantine "
                            "ORDER BY source_line")
    assert [(f.rsplit("/", 3)[-3:] == ["project-beta", "session-beta", "chat.jsonl"], line)
            for f, line, _ in rows] == [(True, 2), (True, 3)]
    assert "malformed JSON" in rows[0][2]
    assert "output_tokens='35'" in rows[1][2]


def test_a_warehouse_made_before_transcripts_were_read_gains_their_columns(agent_landing,
                                                                          tmp_path):
    """The kept tables (staging, the manifest) get the new columns; earlier rows are API
    logs."""
    from conftest import open_lake, synthetic_lines

    landing, warehouse = tmp_path / "api", tmp_path / "w.ducklake"
    landing.mkdir()
    (landing / "gateway.jsonl").write_bytes(b"\n".join(synthetic_lines(50)) + b"\n")
    run_ingest(landing, warehouse, workers=1)
    conn = open_lake(warehouse, read_only=False)
    try:  # as a warehouse made before these columns existed
        conn.execute("DROP VIEW fct_requests")
        for column in ("source", "session_id", "is_sidechain", "is_partial", "source_item"):
            conn.execute(f"ALTER TABLE stg_calls DROP COLUMN {column}")
        for column in ("without_calls", "reader_state"):
            conn.execute(f"ALTER TABLE landing_files DROP COLUMN {column}")
        conn.execute("ALTER TABLE ingest_runs DROP COLUMN without_calls")
        conn.execute("UPDATE warehouse_meta SET value = 'older' WHERE key = 'schema'")
    finally:
        conn.close()
    shutil.copytree(agent_landing, landing / "agents")
    run_ingest(landing, warehouse, workers=1)
    assert _daily(warehouse, "claude_code") == CLAUDE_DAYS
    assert query(warehouse, "SELECT source, count(*) > 0 FROM fct_requests GROUP BY 1 "
                            "ORDER BY 1") == [("api_log", True), ("claude_code", True),
                                              ("codex_cli", True)]
    assert query(warehouse, "SELECT count(*) FROM landing_files WHERE without_calls IS NULL "
                            "OR records <> staged + quarantined + without_calls") == [(0,)]


def test_a_line_still_being_written_waits_for_its_end(tmp_path):
    """Claude Code appends to a live session while the ingest reads it in place: a last line
    without its end is left for the next run, not quarantined; a file still for an hour with
    such a line has it quarantined."""
    claude_dir = tmp_path / ".claude"
    session = claude_dir / "projects" / "project-beta" / "session-beta" / "chat.jsonl"
    source = AGENT_LOGS / "claude" / "projects" / "project-beta" / "session-beta" / "chat.jsonl"
    whole = source.read_bytes()
    first_end = whole.index(b"\n") + 1
    session.parent.mkdir(parents=True)
    session.write_bytes(whole[:first_end + 40])  # the second line half written
    landing, warehouse = tmp_path / "landing", tmp_path / "w.ducklake"
    landing.mkdir()
    run_ingest(landing, warehouse, workers=1, claude_dir=claude_dir)
    assert query(warehouse, "SELECT bytes_consumed, records, staged, quarantined "
                            "FROM landing_files") == [(first_end, 1, 1, 0)]
    session.write_bytes(whole)  # the agent finishes the line
    run_ingest(landing, warehouse, workers=1, claude_dir=claude_dir)
    assert query(warehouse, "SELECT last_action, records, staged, quarantined "
                            "FROM landing_files") == [("appended", 2, 2, 0)]
    assert _daily(warehouse, "claude_code")[date(2026, 2, 3)] == CLAUDE_DAYS[date(2026, 2, 3)]

    # a writer that died mid-line: after an hour the fragment is quarantined
    with open(session, "ab") as fh:
        fh.write(b'{"sessionId": "session-beta", "message": {"id": "msg-be')
    an_hour_ago = os.stat(session).st_mtime - 3601
    os.utime(session, (an_hour_ago, an_hour_ago))
    run_ingest(landing, warehouse, workers=1, claude_dir=claude_dir)
    assert query(warehouse, "SELECT source_line, reason LIKE 'malformed JSON%' "
                            "FROM quarantine") == [(3, True)]


def test_a_writer_with_a_landing_prefix_names_its_agent_folders_under_it(tmp_path):
    """One writer per machine, each with its prefix, sharing a lake: the prefix keeps their
    transcripts' names apart and says whose they are."""
    claude_dir = tmp_path / "home" / ".claude"
    shutil.copytree(AGENT_LOGS / "claude", claude_dir)
    landing, warehouse = tmp_path / "landing", tmp_path / "w.ducklake"
    (landing / "alice").mkdir(parents=True)
    run_ingest(landing, warehouse, workers=1, prefix="alice", claude_dir=claude_dir)
    assert query(warehouse, "SELECT DISTINCT split_part(path, '/', 1) || '/' || "
                            "split_part(path, '/', 2) FROM landing_files") == [("alice/~claude",)]
    assert query(warehouse, "SELECT DISTINCT user_id FROM fct_requests") == [("alice",)]
    assert _daily(warehouse, "claude_code") == CLAUDE_DAYS


def test_many_files_before_a_codex_session_in_one_run(tmp_path):
    """The manifest rows of a run are typed up front: a Codex session's reader_state after a
    hundred files without one once failed the frame's guessed types."""
    landing, warehouse = tmp_path / "landing", tmp_path / "w.ducklake"
    beta = (AGENT_LOGS / "claude" / "projects" / "project-beta" / "session-beta" / "chat.jsonl")
    for i in range(120):
        target = landing / "a" / "claude" / "projects" / f"p{i:03}" / "chat.jsonl"
        target.parent.mkdir(parents=True)
        target.write_bytes(beta.read_bytes())
    _write_lines(landing / "b" / "codex" / "sessions" / "rollout-1.jsonl", _rollout("s-9"))
    run_ingest(landing, warehouse, workers=1)
    assert query(warehouse, "SELECT count(*), count(reader_state) FROM landing_files") == [
        (121, 1)]


def test_fast_mode_is_priced_at_the_price_books_fast_rates(tmp_path):
    """usage.speed "fast" (Claude Code logs it; ccusage prices such a line as <model>-fast) is
    the price book's speed=fast variant, not the standard rates."""
    landing, warehouse = tmp_path / "landing", tmp_path / "w.ducklake"

    def line(message_id: str, speed: str | None) -> dict:
        usage = {"input_tokens": 1_000_000, "output_tokens": 100_000}
        if speed:
            usage["speed"] = speed
        return {"sessionId": "s", "timestamp": "2026-09-01T12:00:00Z", "requestId": message_id,
                "message": {"id": message_id, "role": "assistant", "model": "claude-opus-4-8",
                            "usage": usage}}

    _write_lines(landing / "dev" / "claude" / "projects" / "p" / "s.jsonl",
                 [line("msg_fast", "fast"), line("msg_std", "standard"), line("msg_none", None)])
    run_ingest(landing, warehouse, workers=1)
    costs = dict((rid, (speed, cost_in, cost_out)) for rid, speed, cost_in, cost_out in query(
        warehouse, "SELECT f.request_id, f.speed, c.input_cost, c.output_cost "
                   "FROM fct_requests f JOIN fct_costs c USING (call_id)"))
    fast_rates = dict(query(warehouse, """
        SELECT price_key, unit_price FROM dim_price
        WHERE price_provider = 'anthropic' AND price_model = 'claude-opus-4-8'
          AND when_key = 'speed' AND when_value = 'fast'
          AND price_key IN ('input_mtok', 'output_mtok')"""))
    assert costs["msg_fast"] == ("fast", fast_rates["input_mtok"], fast_rates["output_mtok"] / 10)
    assert costs["msg_std"][1:] == costs["msg_none"][1:]
    assert costs["msg_std"][1] < costs["msg_fast"][1] and costs["msg_std"][2] < costs[
        "msg_fast"][2]
