"""Billing reports and the reconciliation (issue #17): the reports' traps read right, on the
recorded pages and exports of tests/fixtures/billing; then real ingests of calls and bills
into a lake, each reconciliation status produced and judged against the clock."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from dagster import DagsterInstance

from pipelines import config
from pipelines.billing.reports import ReportError, read_report
from pipelines.definitions import build_definitions
from pipelines.jobs import run_ingest
from tests.conftest import (
    anthropic_cost_page,
    day_seconds,
    fixture_records,
    openai_costs_page,
    query,
)

BILLING = Path(__file__).parent / "fixtures" / "billing"


def report(name: str):
    return read_report(name, (BILLING / name).read_bytes())


# --------------------------------------------------------------------- the reports' traps


def test_anthropic_cost_report_amounts_are_cents():
    cost = report("anthropic_cost_report__apiref_2025-08_docs.claude.com.json")
    (line,) = cost.costs
    # "123.78912" is cents: $1.2378912. Read as dollars it would be 100 times that.
    assert (line.amount_reported, line.amount_unit, line.amount_usd) == (
        "123.78912", "cents", Decimal("1.2378912"))
    assert (cost.provider, cost.report, line.day, line.model, line.token_type) == (
        "anthropic", "costs", date(2025, 8, 1), "claude-sonnet-4-20250514",
        "uncached_input_tokens")
    assert line.project_id == "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"


def test_openai_amounts_are_dollars_as_numbers_or_strings():
    numbers = report("openai_costs__apiref_f85dbe22_2026-08-21.json")
    assert [(c.day, c.amount_usd, c.amount_unit) for c in numbers.costs] == [
        (date(2024, 11, 1), Decimal("0.06"), "dollars")]
    # A live result with its amount as a string, in a page of its own.
    result = json.loads((BILLING / "openai_costs_result__live_fragment_codexbar_issue999"
                                   "_2026-05.json").read_text())
    page = {"object": "page", "data": [{"object": "bucket", "start_time": 1746057600,
                                        "end_time": 1746144000, "results": [result]}],
            "has_more": False, "next_page": None}
    (line,) = read_report("costs.json", json.dumps(page).encode()).costs
    assert (line.amount_reported, line.amount_usd, line.line_item) == (
        "12.50", Decimal("12.50"), "Text tokens")


def test_amounts_are_exact_decimals_never_floats():
    extract = report("openai_cost_extract__guardian_2025-10.tsv")
    assert extract.costs[0].amount_usd == Decimal("0.8958740000000000")
    assert all(isinstance(c.amount_usd, Decimal) for c in extract.costs)
    # 0.1 + 0.2 in binary floating point is not 0.3; the sum of these amounts is.
    page = {"data": [{"start_time": 1730419200, "end_time": 1730505600, "results": [
        {"object": "organization.costs.result", "amount": {"value": v, "currency": "usd"}}
        for v in ("0.1", "0.2")]}]}
    lines = read_report("costs.json", json.dumps(page).encode()).costs
    assert sum(c.amount_usd for c in lines) == Decimal("0.3")


def test_openai_usage_input_includes_cached_and_cache_write_tokens():
    newer = report("openai_usage_completions__apiref_f85dbe22_2026-08-21.json")
    (line,) = newer.usage
    # input_tokens 1000 = 500 uncached + 400 cached + 100 cache writes
    assert (line.input_tokens, line.cache_read_tokens, line.cache_write_tokens,
            line.output_tokens, line.requests) == (500, 400, 100, 500, 5)
    older = report("openai_usage_completions__apiref_7d205ff_2024-12-04.json")
    assert (older.usage[0].input_tokens, older.usage[0].cache_read_tokens) == (200, 800)
    by_model = report("openai_usage_completions__recorded_group_by_model_gpt5_2025-08.json")
    assert len(by_model.days) == 3 and len(by_model.usage) == 4
    first = by_model.usage[0]
    assert (first.model, first.input_tokens, first.cache_read_tokens) == (
        "gpt-5-2025-08-07", 14350791 - 12464896, 12464896)


def test_anthropic_usage_is_in_the_warehouse_buckets():
    (line,) = report("anthropic_usage_report_messages__apiref_current_md.json").usage
    assert (line.model, line.input_tokens, line.cache_read_tokens, line.cache_write_tokens,
            line.cache_write_1h_tokens, line.output_tokens, line.web_search_requests,
            line.requests) == ("claude-opus-5", 1500, 200, 500, 1000, 500, 10, None)


def test_console_exports_are_read_by_their_headers():
    extract = report("openai_cost_extract__guardian_2025-10.tsv")
    # Days exported with nothing billed still count as reported days.
    assert (extract.source_format, len(extract.days), len(extract.costs)) == (
        "openai_cost_export_csv", 8, 6)
    usage = report("openai_usage_extract__guardian_2025-10.tsv")
    assert usage.usage[0].input_tokens == 53440 and usage.usage[0].batch is False
    header = (BILLING / "anthropic_console_cost_export__header_2026-08.csv").read_text()
    row = "2026-08-03,claude-sonnet-4-5,Default,key-a,standard,0-200k,output_tokens,1.25,1.25," \
          "tokens,global,standard,apikey_1,active\n"
    (line,) = read_report("console.csv", (header + row).encode()).costs
    # The console exports dollars, where the API's cost report gives cents.
    assert (line.day, line.amount_usd, line.amount_unit, line.model) == (
        date(2026, 8, 3), Decimal("1.25"), "dollars", "claude-sonnet-4-5")
    assert report("anthropic_console_usage_export__header_2026.csv").report == "usage"


def test_bad_lines_are_problems_with_page_and_reason_and_the_rest_is_read():
    pages = [
        {"data": [{"start_time": 1730419200, "end_time": 1730505600, "results": [
            {"object": "organization.costs.result",
             "amount": {"value": "1.5", "currency": "usd"}}]}], "has_more": True},
        {"data": [
            {"start_time": 1730505600, "end_time": 1730592000, "results": [
                {"object": "organization.costs.result",
                 "amount": {"value": "abc", "currency": "usd"}},
                {"object": "organization.costs.result",
                 "amount": {"value": "2", "currency": "eur"}},
                {"object": "organization.costs.result",
                 "amount": {"value": "3", "currency": "usd"}}]},
            {"start_time": 1730505600, "end_time": 1730509200, "results": []}],
         "has_more": False}]
    read = read_report("costs.json", json.dumps(pages).encode())
    assert read.pages == 2
    assert [(c.page, c.line, c.amount_usd) for c in read.costs] == [
        (1, 1, Decimal("1.5")), (2, 3, Decimal("3"))]
    reasons = [(p.page, p.reason) for p in read.problems]
    assert reasons[0] == (2, "result 1 of the bucket of 2024-11-02: amount 'abc' is not a "
                             "number")
    assert "only USD" in reasons[1][1] and reasons[1][0] == 2
    assert "not one UTC day" in reasons[2][1]
    with pytest.raises(ReportError, match="malformed JSON"):
        read_report("costs.json", b'{"data": [')
    with pytest.raises(ReportError, match="cannot be told"):
        read_report("page.json", b'{"data": [{"starting_at": "2025-08-01T00:00:00Z", '
                                 b'"ending_at": "2025-08-02T00:00:00Z", "results": []}]}')


# -------------------------------------------------------------------- in the warehouse


TODAY = datetime.now(UTC).date()
CLOSED = [TODAY - timedelta(days=n) for n in (12, 11, 10, 9)]  # final bills
OPEN_DAY = TODAY - timedelta(days=1)  # its bill is not final yet (default: 2 days)


def _calls(landing: Path) -> None:
    """Priced OpenAI and Anthropic calls on the closed days and on the open day."""
    openai = fixture_records("openai_chat_cached_tokens_gpt4omini.json")[0]
    anthropic = fixture_records("anthropic_messages_cache_read_and_5m_write.json")[0]
    lines = []
    for number, day in enumerate([*CLOSED[:3], OPEN_DAY]):
        for copy in range(3):
            for provider, body in (("openai", openai), ("anthropic", anthropic)):
                body = {**body, "id": f"{body['id']}-{number}-{copy}"}
                lines.append({"timestamp": f"{day}T10:0{copy}:00Z", "provider": provider,
                              "project": "billing-test", "response": body})
    landing.mkdir(parents=True, exist_ok=True)
    (landing / "calls.jsonl").write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))


def _ledger(warehouse: Path, provider: str) -> dict[date, Decimal]:
    return dict(query(warehouse, "SELECT day, sum(total_cost) FROM mart_daily_spend "
                                 "WHERE provider = ? GROUP BY day", [provider]))


def _statuses(warehouse: Path, provider: str) -> dict[date, tuple]:
    return {row[0]: row[1:] for row in query(
        warehouse, "SELECT day, status, ledger_cost, billed_cost, difference "
                   "FROM reconciliation_daily WHERE provider = ?", [provider])}


def _touch_later(path: Path, seconds: int) -> None:
    later = path.stat().st_mtime + seconds
    os.utime(path, (later, later))


@pytest.fixture
def reconciled(tmp_path):
    """A lake with the calls, and bills made from the ledger: OpenAI's match on the first
    closed day, are $1 over on the second, missing on the third, and bill a fourth day the
    ledger has no call on; Anthropic's (cents) match every closed day."""
    landing, warehouse = tmp_path / "landing", tmp_path / "wh.ducklake"
    _calls(landing)
    run_ingest(landing, warehouse)
    openai, anthropic = _ledger(warehouse, "openai"), _ledger(warehouse, "anthropic")
    bills = landing / "billing"
    bills.mkdir()
    (bills / "openai-costs-1.json").write_bytes(openai_costs_page({
        CLOSED[0]: openai[CLOSED[0]], CLOSED[1]: openai[CLOSED[1]] + 1,
        CLOSED[3]: Decimal("4.25"), OPEN_DAY: Decimal("0")}))
    (bills / "anthropic" / "cost_report").mkdir(parents=True)
    (bills / "anthropic" / "cost_report" / "page-0001.json").write_bytes(anthropic_cost_page(
        {day: anthropic[day] for day in CLOSED[:3]}, "claude-sonnet-4-20250514"))
    run_ingest(landing, warehouse)
    return landing, warehouse, openai, anthropic


def test_each_status_of_a_day_against_the_bill(reconciled):
    _, warehouse, openai, anthropic = reconciled
    days = _statuses(warehouse, "openai")
    assert days[CLOSED[0]] == ("match", openai[CLOSED[0]], openai[CLOSED[0]], 0)
    assert days[CLOSED[1]] == ("mismatch", openai[CLOSED[1]], openai[CLOSED[1]] + 1,
                               Decimal(-1))
    assert days[CLOSED[2]][:3] == ("missing_billing", openai[CLOSED[2]], None)
    assert days[CLOSED[3]] == ("missing_ledger", 0, Decimal("4.25"), Decimal("-4.25"))
    assert days[OPEN_DAY][0] == "open"
    # Cents read as dollars would make every Anthropic day a mismatch of 100 times its cost.
    assert {status for status, *_ in _statuses(warehouse, "anthropic").values()} == {
        "match", "open"}
    assert _statuses(warehouse, "anthropic")[CLOSED[0]][2] == anthropic[CLOSED[0]]
    # The billing folder is not read as call logs.
    assert query(warehouse, "SELECT count(*) FROM landing_files "
                            "WHERE starts_with(path, 'billing/')") == [(0,)]


def test_a_page_delivered_again_replaces_and_a_later_export_corrects(reconciled):
    landing, warehouse, openai, _ = reconciled
    first = landing / "billing" / "openai-costs-1.json"
    again = landing / "billing" / "openai-costs-again.json"
    again.write_bytes(first.read_bytes())
    _touch_later(again, 60)
    run_ingest(landing, warehouse)
    days = _statuses(warehouse, "openai")
    assert days[CLOSED[0]] == ("match", openai[CLOSED[0]], openai[CLOSED[0]], 0)
    assert query(warehouse, "SELECT count(*) FROM billing_cost_lines "
                            "WHERE provider = 'openai'") == [(8,)]  # kept as delivered
    assert query(warehouse, "SELECT count(*) FROM billed_costs "
                            "WHERE provider = 'openai'") == [(4,)]  # counted once
    # A later export of the mismatched day (a console CSV, in dollars) replaces that day only.
    export = landing / "billing" / "openai-console.csv"
    export.write_text(
        "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,"
        "quantity,quantity_unit,line_item,user_id,api_key_id,project_id,organization_id,"
        "project_name,organization_name,user_email,api_source\n"
        f"{day_seconds(CLOSED[1])},{day_seconds(CLOSED[1] + timedelta(days=1))},,,"
        f"{openai[CLOSED[1]]},usd,,,completions,,,proj_1,org,,,,\n")
    _touch_later(export, 120)
    run_ingest(landing, warehouse)
    days = _statuses(warehouse, "openai")
    assert days[CLOSED[1]][:2] == ("match", openai[CLOSED[1]])
    assert days[CLOSED[0]][0] == "match" and days[CLOSED[3]][0] == "missing_ledger"
    assert query(warehouse, "SELECT billing_file FROM reconciliation_daily WHERE day = ? "
                            "AND provider = 'openai'", [CLOSED[1]]) == [
        ("billing/openai-console.csv",)]


def test_tolerance_and_open_days_are_settings(reconciled, monkeypatch):
    landing, warehouse, *_ = reconciled
    monkeypatch.setenv("TOKENWORKS_RECONCILE_TOLERANCE_USD", "1.00")
    monkeypatch.setenv("TOKENWORKS_BILLING_OPEN_DAYS", "10")
    run_ingest(landing, warehouse)  # nothing new but the settings
    days = _statuses(warehouse, "openai")
    assert days[CLOSED[1]][0] == "match"  # $1 off, within $1.00
    assert days[CLOSED[3]][0] == "open"  # 9 days ago: not final under 10 open days
    assert days[CLOSED[0]][0] == "match"  # 12 days ago: final 11 days after it
    assert query(warehouse, "SELECT open_days, tolerance_usd FROM reconciliation_settings"
                 ) == [(10, Decimal("1.000000"))]


def test_a_bad_report_is_quarantined_with_its_page_and_reason(reconciled):
    landing, warehouse, *_ = reconciled
    (landing / "billing" / "broken.json").write_bytes(b'{"data": [')
    (landing / "billing" / "notes.txt").write_text("not a report")
    page = json.loads(openai_costs_page({CLOSED[2]: Decimal("1")}))
    page["data"][0]["results"].append({"object": "organization.costs.result",
                                       "amount": {"value": "1e", "currency": "usd"}})
    (landing / "billing" / "partly.json").write_text(json.dumps(page))
    run_ingest(landing, warehouse)
    rows = query(warehouse, "SELECT source_file, source_line, reason FROM quarantine "
                            "WHERE starts_with(source_file, 'billing/') ORDER BY 1")
    assert [(f, line) for f, line, _ in rows] == [
        ("billing/broken.json", 1), ("billing/notes.txt", 1), ("billing/partly.json", 1)]
    assert "malformed JSON" in rows[0][2] and "not a billing report file" in rows[1][2]
    assert "result 2 of the bucket of" in rows[2][2] and "'1e' is not a number" in rows[2][2]
    # The readable line of the partly bad page still counts.
    assert _statuses(warehouse, "openai")[CLOSED[2]][2] == Decimal("1")


def test_the_check_names_the_closed_days_that_do_not_match(reconciled):
    landing, warehouse, *_ = reconciled
    settings = config.resolve(landing, warehouse)
    instance = DagsterInstance.ephemeral()
    try:
        result = build_definitions(settings).resolve_job_def("ingest").execute_in_process(
            instance=instance, raise_on_error=False)
    finally:
        instance.dispose()
    assert result.success
    (check,) = [e.event_specific_data for e in result.all_events
                if e.event_type_value == "ASSET_CHECK_EVALUATION"
                and e.event_specific_data.check_name == "closed_days_reconcile"]
    assert not check.passed and check.severity.value == "WARN"
    named = check.metadata["examples"].value
    assert all(str(day) in named for day in (CLOSED[1], CLOSED[2], CLOSED[3]))
    assert str(CLOSED[0]) not in named and str(OPEN_DAY) not in named
    assert check.metadata["days_not_matching"].value == 3


def test_finer_views_set_each_model_bucket_and_token_count_against_the_reports(reconciled):
    """An Anthropic cost report itemized by model and token type (cents), $0.10 over on
    output, and a usage report 7 output tokens over, for one closed day: the finer views say
    where the difference is."""
    landing, warehouse, *_ = reconciled
    day, model = CLOSED[0], "claude-sonnet-4-5-20250929"
    costs, tokens = {}, {}
    for bucket in ("input", "cache_read", "cache_write", "output"):
        costs[bucket], tokens[bucket] = query(
            warehouse, f"SELECT sum({bucket}_cost), sum({bucket}_tokens) FROM mart_daily_spend "
                       "WHERE provider = 'anthropic' AND day = ? AND model = ?", [day, model])[0]
    token_types = {"input": "uncached_input_tokens", "cache_read": "cache_read_input_tokens",
                   "cache_write": "cache_creation.ephemeral_5m_input_tokens",
                   "output": "output_tokens"}
    billed = {**costs, "output": costs["output"] + Decimal("0.10")}
    bucket = {"starting_at": f"{day}T00:00:00Z",
              "ending_at": f"{day + timedelta(days=1)}T00:00:00Z"}
    cost_report = {"has_more": False, "data": [{**bucket, "results": [
        {"currency": "USD", "amount": str(billed[b] * 100), "model": model,
         "description": f"{model} {b}", "cost_type": "tokens", "token_type": token_types[b]}
        for b in billed]}]}
    usage_report = {"has_more": False, "data": [{**bucket, "results": [
        {"model": model, "uncached_input_tokens": tokens["input"],
         "cache_read_input_tokens": tokens["cache_read"],
         "cache_creation": {"ephemeral_5m_input_tokens": tokens["cache_write"],
                            "ephemeral_1h_input_tokens": 0},
         "output_tokens": tokens["output"] + 7}]}]}
    itemized = landing / "billing" / "anthropic-itemized.json"
    itemized.write_text(json.dumps(cost_report))
    _touch_later(itemized, 60)
    (landing / "billing" / "anthropic-usage.json").write_text(json.dumps(usage_report))
    run_ingest(landing, warehouse)

    by_model = query(warehouse, "SELECT model, ledger_cost, billed_cost, difference FROM "
                                "reconciliation_by_model WHERE provider = 'anthropic' "
                                "AND day = ?", [day])
    ledger_total = sum(costs.values())
    assert by_model == [(model, ledger_total, ledger_total + Decimal("0.10"),
                         Decimal("-0.10"))]
    lines = {token_type: (ledger, billed_cost) for token_type, ledger, billed_cost in query(
        warehouse, "SELECT token_type, ledger_cost, billed_cost FROM reconciliation_by_line_item "
                   "WHERE provider = 'anthropic' AND day = ?", [day])}
    assert lines == {token_types[b]: (costs[b], billed[b]) for b in costs}
    assert query(warehouse, "SELECT input_tokens_difference, cache_read_tokens_difference, "
                            "cache_write_tokens_difference, output_tokens_difference, "
                            "ledger_calls, reported_requests FROM reconciliation_tokens_daily "
                            "WHERE provider = 'anthropic' AND day = ?", [day]) == [
        (0, 0, 0, -7, 3, None)]
    assert _statuses(warehouse, "anthropic")[day][0] == "mismatch"


def test_the_query_in_the_reconciliation_doc_runs_and_lists_the_days_off(reconciled):
    _, warehouse, *_ = reconciled
    doc = (Path(__file__).parent.parent / "docs" / "reconciliation.md").read_text()
    (sql,) = [block.split("```", 1)[0] for block in doc.split("```sql\n")[1:]]
    rows = query(warehouse, sql)
    assert [(day, provider, status) for day, provider, status, *_ in rows] == [
        (CLOSED[3], "openai", "missing_ledger"), (CLOSED[2], "openai", "missing_billing"),
        (CLOSED[1], "openai", "mismatch")]


@pytest.mark.parametrize("variable, value", [
    ("TOKENWORKS_RECONCILE_TOLERANCE_USD", "abc"), ("TOKENWORKS_RECONCILE_TOLERANCE_PERCENT", "-1"),
    ("TOKENWORKS_BILLING_OPEN_DAYS", "2.5")])
def test_a_bad_reconciliation_setting_is_named(tmp_path, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(config.SettingError, match=variable):
        config.resolve(tmp_path, tmp_path / "wh.ducklake")
    from pipelines.cli import main

    assert main(["ingest", "--landing", str(tmp_path), "--warehouse",
                 str(tmp_path / "wh.ducklake")]) == 2


def test_by_project_meets_where_the_logs_name_the_providers_project(reconciled):
    landing, warehouse, openai, _ = reconciled
    # The first bill names project proj_1, which the logs do not: each side on a row of its own.
    assert query(warehouse, "SELECT project, ledger_cost, billed_cost FROM "
                            "reconciliation_by_project WHERE provider = 'openai' AND day = ? "
                            "ORDER BY project", [CLOSED[1]]) == [
        ("billing-test", openai[CLOSED[1]], None), ("proj_1", None, openai[CLOSED[1]] + 1)]
    page = json.loads(openai_costs_page({CLOSED[1]: openai[CLOSED[1]]}))
    page["data"][0]["results"][0]["project_id"] = "billing-test"
    named = landing / "billing" / "openai-by-project.json"
    named.write_text(json.dumps(page))
    _touch_later(named, 60)
    run_ingest(landing, warehouse)
    assert query(warehouse, "SELECT project, ledger_cost, billed_cost, difference FROM "
                            "reconciliation_by_project WHERE provider = 'openai' AND day = ?",
                 [CLOSED[1]]) == [("billing-test", openai[CLOSED[1]], openai[CLOSED[1]], 0)]
