"""Closing a month (issue #17): the closed figures equal the ledger at the close and never move;
later changes (late logs, a re-shipped log, a re-pricing) show as restatements with the right
difference and reason; the closed month's FOCUS export comes out byte for byte after all of
it, after snapshots are expired and after a schema change; refusals write nothing; the
command line and the Dagster job do the same. Real lakes, real ingests, no mocks."""

from __future__ import annotations

import copy
import json
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import orjson
import pytest
from dagster import Definitions, instance_for_test

from pipelines import config
from pipelines.analysts.export import export_focus
from pipelines.closing.close import ClosingRefused, close_month, export_focus_month
from pipelines.definitions import build_definitions
from pipelines.jobs import run_ingest
from pipelines.samples import generate
from pipelines.warehouse.lake import Lake
from pipelines.warehouse.resource import REMADE_WHOLE
from pipelines.warehouse.sql import DERIVED_TABLES, read_sql
from tests.conftest import fixture_records, open_lake, query
from tests.test_cli import tokenworks

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)  # the clock the close judges against
OCTOBER = date(2026, 10, 1)
CLOSED_TABLES = ("closed_months", "closed_month_totals", "closed_month_calls",
                 "closed_focus_rows")
BODY = fixture_records("openai_chat_cached_tokens_gpt4omini.json")[0]  # a priced OpenAI call


def call_line(name: str, day: str, project: str = "closing", output_tokens: int = 353) -> bytes:
    """One logged gateway envelope: an OpenAI chat call with its own id."""
    body = copy.deepcopy(BODY)
    body["id"] = f"chatcmpl-closing-{name}"
    body["usage"]["completion_tokens"] = output_tokens
    body["usage"]["total_tokens"] = body["usage"]["prompt_tokens"] + output_tokens
    return orjson.dumps({"timestamp": f"{day}T10:00:00Z", "project": project,
                         "user": "finance", "api_key_id": "key-close", "latency_ms": 120,
                         "response": body}) + b"\n"


def make_warehouse(tmp_path: Path, overrides: Path) -> tuple[Path, Path]:
    """Generated logs of September to November, and three hand-written October calls."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.ducklake"
    generate(landing / "gen", requests=1200, days=75, seed=21, end_date=date(2026, 11, 27))
    (landing / "hand").mkdir(parents=True)
    (landing / "hand" / "october.jsonl").write_bytes(
        call_line("a", "2026-10-14") + call_line("b", "2026-10-15")
        + call_line("c", "2026-10-16"))
    run_ingest(landing, wh, workers=1, price_overrides=overrides)
    return landing, wh


def october_by_key(wh: Path) -> dict[tuple, tuple]:
    """analytics.requests' October by provider, model and project, computed here."""
    rows = query(wh, """
        SELECT provider, model, project, count(*), sum(input_tokens), sum(cache_read_tokens),
               sum(output_tokens), sum(total_tokens), sum(total_cost), sum(list_cost),
               count(*) FILTER (cost_status <> 'priced')
        FROM analytics.requests WHERE event_day BETWEEN '2026-10-01' AND '2026-10-31'
        GROUP BY ALL""")
    return {row[:3]: row[3:] for row in rows}


def closed_by_key(wh: Path, month: date = OCTOBER) -> dict[tuple, tuple]:
    rows = query(wh, """
        SELECT provider, model, project, calls, input_tokens, cache_read_tokens, output_tokens,
               total_tokens, total_cost, list_cost, unpriced_calls + usage_unknown_calls
        FROM closed_month_totals WHERE month = ?""", [month])
    return {row[:3]: row[3:] for row in rows}


def snapshots(wh: Path) -> int:
    return query(wh, "SELECT max(snapshot_id) FROM ducklake_snapshots('lake')")[0][0]


def cost_of(wh: Path, name: str) -> Decimal:
    return query(wh, "SELECT total_cost FROM analytics.requests WHERE request_id = ?",
                 [f"chatcmpl-closing-{name}"])[0][0]


def restated(wh: Path) -> dict[tuple, tuple]:
    """(project, reason) -> (calls_difference, tokens_difference, cost_difference, changed) of
    the hand-written calls' model."""
    rows = query(wh, "SELECT project, reason, calls_difference, tokens_difference, "
                     "cost_difference, changed FROM restatements WHERE month = ? "
                     "AND model = 'gpt-4o-mini-2024-07-18' AND project LIKE 'closing%'",
                 [OCTOBER])
    return {(project, reason): tuple(rest) for project, reason, *rest in rows}


# --- the close ----------------------------------------------------------------------------

def test_close_records_the_ledger_and_where_it_came_from(tmp_path):
    overrides = tmp_path / "overrides.yaml"
    _, wh = make_warehouse(tmp_path, overrides)
    lake = Lake.locate(wh)
    before_close = snapshots(wh)
    last_run = query(wh, "SELECT run_id FROM ingest_runs ORDER BY finished_at DESC LIMIT 1")

    closed = close_month(lake, "2026-10", now=NOW)

    live = october_by_key(wh)
    assert closed_by_key(wh) == live and len(live) > 10
    calls, cost, listed, unknown = query(
        wh, "SELECT count(*), sum(total_cost), sum(list_cost), count(*) FILTER (NOT is_priced) "
            "FROM analytics.requests WHERE event_day BETWEEN '2026-10-01' AND '2026-10-31'")[0]
    assert (closed.calls, closed.total_cost, closed.list_cost,
            closed.unpriced_calls + closed.usage_unknown_calls) == (calls, cost, listed, unknown)
    assert unknown > 0  # unknown costs are counted apart, not as $0
    assert isinstance(closed.total_cost, Decimal)
    versions = sorted(v for (v,) in query(
        wh, "SELECT DISTINCT pricebook_version FROM analytics.requests "
            "WHERE event_day BETWEEN '2026-10-01' AND '2026-10-31'"))
    month_row = query(wh, "SELECT snapshot_id, last_ingest_run_id, pricebook_versions, calls, "
                          "total_cost, forced, close_run_id, focus_rows FROM closed_months")
    assert month_row == [(before_close, last_run[0][0], versions, calls, cost, False,
                          closed.close_run_id, closed.focus_rows)]
    # one commit, naming the close
    assert snapshots(wh) == before_close + 1
    assert query(wh, "SELECT snapshot_id FROM run_snapshots WHERE run_id = ?",
                 [closed.close_run_id]) == [(before_close + 1,)]
    assert query(wh, "SELECT count(*) FROM closed_month_calls") == [(calls,)]
    # money is exact DECIMAL everywhere it is kept
    money = dict(query(wh, "SELECT table_name || '.' || column_name, data_type FROM "
                           "catalog_columns WHERE (column_name LIKE '%cost' OR column_name "
                           "LIKE '%cost_difference') AND table_name IN "
                           "('closed_months', 'closed_month_totals', 'closed_month_calls', "
                           "'restatements')"))
    assert money and all(kind.startswith("DECIMAL") for kind in money.values()), money
    assert query(wh, "SELECT count(*) FROM restatements") == [(0,)]

    # refusals write nothing
    with pytest.raises(ClosingRefused, match=r"2026-10 was closed at .* restatements"):
        close_month(lake, "2026-10", now=NOW)
    for bad in ("2026-13", "2026-1", "november", "2026-11-01", "0000-05"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            close_month(lake, bad, now=NOW)
    with pytest.raises(ClosingRefused, match="2026-12 has not ended"):
        close_month(lake, "2026-12", now=NOW)
    with pytest.raises(ClosingRefused, match="ran before 2099-05 ended"):
        close_month(lake, "2099-05", now=datetime(2099, 6, 2, tzinfo=UTC))
    with pytest.raises(ClosingRefused, match="2020-01 has no calls"):
        close_month(lake, "2020-01", now=NOW)
    assert snapshots(wh) == before_close + 1
    assert query(wh, "SELECT count(*) FROM closed_months") == [(1,)]

    # --force closes what the checks hold back, and says so
    forced = close_month(lake, "2026-12", now=NOW, force=True)
    assert forced.forced and query(wh, "SELECT forced FROM closed_months WHERE month = "
                                       "'2026-12-01'") == [(True,)]
    assert closed_by_key(wh) == live  # October untouched


def test_closed_tables_are_not_derived():
    """A schema change drops and remakes the derived tables: closed figures must not be."""
    assert not set(CLOSED_TABLES) & set(DERIVED_TABLES)
    assert not set(CLOSED_TABLES) & REMADE_WHOLE


def test_kept_focus_rows_have_the_live_exports_columns_and_types(schema_lake):
    conn = schema_lake
    conn.execute(f"CREATE TEMP TABLE live_focus AS SELECT * FROM ({read_sql('analysts/focus.sql')}"
                 ") LIMIT 0", {"start": OCTOBER, "end": date(2026, 10, 31)})
    shape = "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? " \
            "AND column_name NOT IN ('month', 'line') ORDER BY column_index"
    assert conn.execute(shape, ["closed_focus_rows"]).fetchall() == conn.execute(
        shape, ["live_focus"]).fetchall()


# --- what happens to a closed month afterwards ------------------------------------------------

def test_later_changes_are_restated_and_the_closed_figures_never_move(tmp_path):
    overrides = tmp_path / "overrides.yaml"
    landing, wh = make_warehouse(tmp_path, overrides)
    lake = Lake.locate(wh)
    closed = close_month(lake, "2026-10", now=NOW)
    figures, month_row = closed_by_key(wh), query(wh, "SELECT * FROM closed_months")
    kept = query(wh, "SELECT * FROM closed_focus_rows ORDER BY month, line")
    exported = export_focus_month(lake, "2026-10", tmp_path / "closed.csv")
    assert exported.closed_at is not None
    first = (tmp_path / "closed.csv").read_bytes()
    export_focus(lake, tmp_path / "live.csv", OCTOBER, date(2026, 10, 31))
    assert (tmp_path / "live.csv").read_bytes() == first  # the kept rows are the live export
    cost_a, cost_b, cost_c = (cost_of(wh, name) for name in "abc")

    def closed_export_is_unchanged(step: str) -> None:
        again = export_focus_month(lake, "2026-10", tmp_path / f"{step}.csv")
        assert (tmp_path / f"{step}.csv").read_bytes() == first, step
        assert again.rows == closed.focus_rows
        assert closed_by_key(wh) == figures, step
        assert query(wh, "SELECT * FROM closed_months") == month_row, step
        assert query(wh, "SELECT * FROM closed_focus_rows ORDER BY month, line") == kept, step

    def restatements_add_up() -> None:
        """Closed figures plus the differences are the ledger now, key by key."""
        live, total = october_by_key(wh), dict(figures)
        moved: dict[tuple, list] = {}
        for *key, calls, tokens, cost in query(
                wh, "SELECT provider, model, project, calls_difference, tokens_difference, "
                    "cost_difference FROM restatements WHERE month = ?", [OCTOBER]):
            change = moved.setdefault(tuple(key), [0, 0, Decimal(0)])
            change[0] += calls
            change[1] += tokens
            change[2] += cost
        for key in set(live) | set(total):
            calls, tokens, cost = moved.get(key, [0, 0, Decimal(0)])
            then = total.get(key) or (0, None, None, None, None, None, None, 0)
            now = live.get(key) or (0, None, None, None, None, None, None, 0)
            assert then[0] + calls == now[0], key
            assert (then[4] or 0) + tokens == (now[4] or 0), key
            assert (then[5] or 0) + cost == (now[5] or 0), key

    # 1. Late logs of October, and the October log re-shipped: call a with more output
    # tokens, b under another project, c gone.
    (landing / "hand" / "late.jsonl").write_bytes(
        call_line("d", "2026-10-30") + call_line("e", "2026-10-31"))
    (landing / "hand" / "october.jsonl").write_bytes(
        call_line("a", "2026-10-14", output_tokens=400)
        + call_line("b", "2026-10-15", project="closing-2"))
    run_ingest(landing, wh, workers=1, price_overrides=overrides)
    closed_export_is_unchanged("late")
    export_focus(lake, tmp_path / "live-late.csv", OCTOBER, date(2026, 10, 31))
    assert (tmp_path / "live-late.csv").read_bytes() != first  # the live ledger did change
    tokens = BODY["usage"]["prompt_tokens"] + 353
    assert restated(wh) == {
        ("closing", "late calls"): (2, 2 * tokens, cost_of(wh, "d") + cost_of(wh, "e"),
                                    "calls, tokens, cost"),
        ("closing", "calls removed"): (-1, -tokens, -cost_c, "calls, tokens, cost"),
        ("closing", "usage changed"): (0, 47, cost_of(wh, "a") - cost_a, "tokens, cost"),
        ("closing", "re-attributed"): (-1, -tokens, -cost_b, "calls, tokens, cost"),
        ("closing-2", "re-attributed"): (1, tokens, cost_of(wh, "b"), "calls, tokens, cost"),
    }
    assert cost_of(wh, "d") > 0 and cost_of(wh, "a") > cost_a
    restatements_add_up()

    # 2. A negotiated discount in the overrides file re-prices every call, October's too.
    overrides.write_text("discounts:\n  - provider: openai\n    percent: 10\n"
                         "    from: 2000-01-01\n")
    run_ingest(landing, wh, workers=1, price_overrides=overrides)
    closed_export_is_unchanged("re-priced")
    repriced = query(wh, "SELECT sum(closed_calls), sum(current_calls), sum(cost_difference), "
                         "sum(list_cost_difference), bool_and(closed_pricebook_version <> "
                         "current_pricebook_version), list(DISTINCT changed), "
                         "list(DISTINCT provider) FROM restatements "
                         "WHERE month = ? AND reason = 're-priced'", [OCTOBER])[0]
    # every priced OpenAI call of October, but the three the re-shipped log changed
    calls, closed_cost, current_cost = query(wh, """
        SELECT count(*), sum(c.total_cost), sum(r.total_cost)
        FROM closed_month_calls c JOIN analytics.requests r USING (dedup_key)
        WHERE c.month = ? AND c.provider = 'openai' AND c.total_cost > 0
          AND c.dedup_key NOT IN ('openai:chatcmpl-closing-a', 'openai:chatcmpl-closing-b',
                                  'openai:chatcmpl-closing-c')""", [OCTOBER])[0]
    assert calls > 20
    assert repriced == (calls, calls, current_cost - closed_cost, 0, True, ["cost"],
                        ["openai"])
    assert abs(current_cost - closed_cost * Decimal("0.9")) < Decimal("1e-9")
    # the late calls are restated at today's price
    assert restated(wh)[("closing", "late calls")][2] == cost_of(wh, "d") + cost_of(wh, "e")
    restatements_add_up()

    # 3. Maintenance expires every snapshot older than now, the close's included: no time
    # travel back to the close is possible, and the closed export still comes out the same.
    conn = open_lake(wh, read_only=False)
    conn.execute("CALL ducklake_expire_snapshots('lake', older_than => now())")
    conn.execute("CALL ducklake_cleanup_old_files('lake', cleanup_all => true)")
    conn.close()
    with pytest.raises(duckdb.Error):
        open_lake(wh, snapshot=closed.snapshot_id).execute(
            "SELECT count(*) FROM fct_requests").fetchall()
    closed_export_is_unchanged("expired")

    # 4. Other schema files: the derived tables are dropped and made again whole; the closed
    # ones are kept as they were.
    conn = open_lake(wh, read_only=False)
    conn.execute("UPDATE warehouse_meta SET value = 'other schema files' WHERE key = 'schema'")
    conn.close()
    run_ingest(landing, wh, workers=1, price_overrides=overrides)
    assert query(wh, "SELECT count(*) FROM fct_costs")[0][0] > 0
    closed_export_is_unchanged("schema")
    restatements_add_up()


# --- the command line and Dagster ---------------------------------------------------------

def test_tokenworks_close_and_the_closed_export(tmp_path):
    _, wh = make_warehouse(tmp_path, tmp_path / "overrides.yaml")

    done = tokenworks("close", "2026-10", "--warehouse", wh, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    calls, cost = query(wh, "SELECT calls, total_cost FROM closed_months")[0]
    assert "closed 2026-10" in done.stdout and f"calls: {calls:,}" in done.stdout
    assert f"total cost: ${cost:,.2f}" in done.stdout

    again = tokenworks("close", "2026-10", "--warehouse", wh, cwd=tmp_path)
    assert again.returncode == 1 and "2026-10 was closed at" in again.stderr
    malformed = tokenworks("close", "2026-13", "--warehouse", wh, cwd=tmp_path)
    assert malformed.returncode == 2 and "YYYY-MM" in malformed.stderr
    unended = tokenworks("close", "2099-01", "--warehouse", wh, cwd=tmp_path)
    assert unended.returncode == 1 and "has not ended" in unended.stderr
    assert query(wh, "SELECT count(*) FROM closed_months") == [(1,)]

    outputs = []
    for name in ("one.csv", "two.csv"):
        exported = tokenworks("export", "--format", "focus", "--month", "2026-10", "--out",
                              tmp_path / name, "--warehouse", wh, cwd=tmp_path)
        assert exported.returncode == 0, exported.stderr
        assert "of closed month 2026-10" in exported.stdout
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    rows = query(wh, "SELECT focus_rows FROM closed_months")[0][0]
    assert len(outputs[0].splitlines()) == rows + 1 and rows > 0
    parquet = [tokenworks("export", "--format", "focus", "--month", "2026-10", "--out",
                          tmp_path / f"{n}.parquet", "--warehouse", wh, cwd=tmp_path)
               for n in (1, 2)]
    assert all(p.returncode == 0 for p in parquet)
    assert (tmp_path / "1.parquet").read_bytes() == (tmp_path / "2.parquet").read_bytes()

    open_month = tokenworks("export", "--format", "focus", "--month", "2026-11", "--out",
                            tmp_path / "nov.csv", "--warehouse", wh, cwd=tmp_path)
    assert open_month.returncode == 0 and "not closed" in open_month.stdout
    mixed = tokenworks("export", "--format", "focus", "--month", "2026-10", "--from",
                       "2026-10-01", "--out", tmp_path / "x.csv", "--warehouse", wh,
                       cwd=tmp_path)
    assert mixed.returncode == 2


def test_the_dagster_job_closes_a_month(tmp_path):
    landing, wh = make_warehouse(tmp_path, tmp_path / "overrides.yaml")
    defs = build_definitions(config.resolve(landing, wh))
    Definitions.validate_loadable(defs)  # as dagster dev loads it: names unique, config valid
    job = defs.resolve_job_def("close_month")
    run_config = {"ops": {"close": {"config": {"month": "2026-10"}}}}
    with instance_for_test() as instance:
        result = job.execute_in_process(run_config=run_config, instance=instance)
        assert result.success
        assert query(wh, "SELECT close_run_id, closed_by FROM closed_months") == [
            (result.run_id, f"dagster run {result.run_id}")]
        assert closed_by_key(wh) == october_by_key(wh)
        output = next(event.event_specific_data.metadata for event in result.all_events
                      if event.event_type_value == "STEP_OUTPUT")
        assert output["calls"].value == query(wh, "SELECT calls FROM closed_months")[0][0]
        assert output["snapshot_id"].value == query(
            wh, "SELECT snapshot_id FROM closed_months")[0][0]

        refused = job.execute_in_process(run_config=run_config, instance=instance,
                                         raise_on_error=False)
        assert not refused.success
        failure = refused.get_step_failure_events()[0].event_specific_data.error
        assert "2026-10 was closed at" in json.dumps(failure.to_string())
    assert query(wh, "SELECT count(*) FROM closed_months") == [(1,)]


def test_two_closes_at_once_close_the_month_once(tmp_path):
    _, wh = make_warehouse(tmp_path, tmp_path / "overrides.yaml")
    lake = Lake.locate(wh)
    outcomes: list[object] = []

    def close() -> None:
        try:
            outcomes.append(close_month(lake, "2026-10", now=NOW))
        except ClosingRefused as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [outcome for outcome in outcomes if isinstance(outcome, ClosingRefused)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    assert "2026-10 was closed at" in str(refused[0])
    assert query(wh, "SELECT count(*) FROM closed_months") == [(1,)]
    assert closed_by_key(wh) == october_by_key(wh)
    assert query(wh, "SELECT count(*), count(DISTINCT dedup_key) FROM closed_month_calls") == \
        query(wh, "SELECT count(*), count(*) FROM analytics.requests "
                  "WHERE event_day BETWEEN '2026-10-01' AND '2026-10-31'")
