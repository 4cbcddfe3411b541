"""Budgets, their forecasts and their alerts (issue #18): the strict budgets file, exact spend
per scope and period, the forecast computed by hand, and alerts delivered to a real HTTP server
on 127.0.0.1 that is down, then up, then answers 500, through real ingests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipelines.budgets import evaluate
from pipelines.budgets import file as budgets_file
from pipelines.jobs import RunFailed, run_ingest
from pipelines.samples import generate
from tests.conftest import query
from tests.services import free_port

END = date(2026, 11, 20)  # the generated history's last day: November is the open month


# --- the file ---------------------------------------------------------------------------------

GOOD = """\
budgets:
  - name: search-monthly
    period: month
    amount_usd: 120.00
    scope: {project: search}
    thresholds: [0.8, 0.5, 1.0]
  - name: all-quarterly
    period: quarter
    amount_usd: 1000
"""


def test_a_good_file_loads_with_its_defaults(tmp_path):
    path = tmp_path / "budgets.yaml"
    path.write_text(GOOD)
    loaded = budgets_file.load(path)
    assert [(b.name, b.period, b.amount_usd, b.scope, b.thresholds) for b in loaded.budgets] == [
        ("search-monthly", "month", Decimal("120.00"), {"project": "search"},
         (Decimal("0.5"), Decimal("0.8"), Decimal("1.0"))),
        ("all-quarterly", "quarter", Decimal(1000), {}, budgets_file.DEFAULT_THRESHOLDS)]
    assert budgets_file.load(tmp_path / "absent.yaml").budgets == []


@pytest.mark.parametrize(("old", "new", "message"), [
    ("period: month", "period: week", "line 3, field 'period': must be one of month, quarter"),
    ("amount_usd: 120.00", "amount_usd: -5", "line 4, field 'amount_usd': must be at least 0"),
    ("amount_usd: 120.00", "amount_usd: 0", "line 4, field 'amount_usd': must be more than 0"),
    ("amount_usd: 120.00", "amount_usd: lots", "line 4, field 'amount_usd': must be a number"),
    ("{project: search}", "{team: search}", "line 5, field 'scope.team': is not a scope key"),
    ("[0.8, 0.5, 1.0]", "[0.8, 0.8]", "line 6, field 'thresholds': lists a share twice"),
    ("[0.8, 0.5, 1.0]", "[0, 1]", "line 6, field 'thresholds': must list shares"),
    ("name: all-quarterly", "name: search-monthly", "field 'name': 'search-monthly' is the name"),
    ("    period: quarter", "    period: quarter\n    owner: finance", "field 'owner': is not a "
                                                                      "known field"),
    ("  - name: all-quarterly\n", "  - period: quarter\n", "line 7, field 'name': is required"),
])
def test_a_bad_entry_names_its_line_and_field(tmp_path, old, new, message):
    path = tmp_path / "budgets.yaml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(budgets_file.BudgetFileError) as raised:
        budgets_file.load(path)
    assert message in str(raised.value) and str(path) in str(raised.value)


def test_a_bad_budgets_file_fails_the_run_and_commits_nothing(ledger, tmp_path):
    warehouse = copy_lake(ledger, tmp_path)
    path = tmp_path / "budgets.yaml"
    path.write_text(GOOD.replace("period: month", "period: fortnight"))
    with pytest.raises(RunFailed, match="line 3, field 'period'"):
        run_ingest(ledger.parent / "landing", warehouse, workers=1, budgets=path)
    assert query(warehouse, "SELECT count(*) FROM budgets") == [(0,)]


# --- spend and forecast -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    """Three months of generated calls, ingested with no budget yet."""
    base = tmp_path_factory.mktemp("budgets")
    generate(base / "landing", requests=1500, days=80, seed=4, end_date=END)
    run_ingest(base / "landing", base / "wh.ducklake", workers=1,
               budgets=base / "no-budgets.yaml")
    return base / "wh.ducklake"


def copy_lake(warehouse: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "wh.ducklake"
    shutil.copy(warehouse, copy)
    shutil.copytree(Path(f"{warehouse}.files"), Path(f"{copy}.files"))
    return copy


def write_budgets(path: Path, budgets: list[dict]) -> Path:
    lines = ["budgets:"]
    for budget in budgets:
        lines.append(f"  - name: {budget['name']}")
        lines.append(f"    period: {budget['period']}")
        lines.append(f"    amount_usd: {budget['amount_usd']}")
        if budget.get("scope"):
            lines.append("    scope: {" + ", ".join(f"{k}: '{v}'" for k, v in
                                                   budget["scope"].items()) + "}")
        if budget.get("thresholds"):
            lines.append(f"    thresholds: {budget['thresholds']}")
    path.write_text("\n".join(lines) + "\n")
    return path


def ledger_spend(warehouse: Path, where: str, first: date, last: date) -> Decimal:
    """The same spend the hard way: every call's cost in the ledger, in scope and period."""
    return query(warehouse, f"""
        SELECT coalesce(sum(c.total_cost), 0) FROM fct_requests f
        JOIN fct_costs c USING (call_id)
        LEFT JOIN dim_model m ON m.provider = f.provider AND m.model = f.model
        WHERE c.event_day BETWEEN ? AND ? AND {where}""", [first, last])[0][0]


def test_spend_per_scope_and_period_is_the_ledgers_exactly(ledger, tmp_path):
    warehouse = copy_lake(ledger, tmp_path)
    project, user, key, provider, model, price_model = query(warehouse, """
        SELECT arg_max(f.project, n), arg_max(f.user_id, n), arg_max(f.api_key_id, n),
               arg_max(f.provider, n), arg_max(f.model, n), arg_max(m.price_model, n)
        FROM (SELECT project, user_id, api_key_id, provider, model, count(*) OVER
                     (PARTITION BY model) AS n FROM fct_requests
              WHERE project IS NOT NULL AND user_id IS NOT NULL AND api_key_id IS NOT NULL) f
        LEFT JOIN dim_model m USING (provider, model)""")[0]
    scopes = {
        "all": ({}, "true"),
        "project": ({"project": project}, f"f.project = '{project}'"),
        "user-and-key": ({"user": user, "api_key_id": key},
                         f"f.user_id = '{user}' AND f.api_key_id = '{key}'"),
        "provider": ({"provider": provider}, f"f.provider = '{provider}'"),
        "model-as-logged": ({"model": model}, f"f.model = '{model}'"),
        "price-book-model": ({"model": price_model},
                             f"(f.model = '{price_model}' OR m.price_model = '{price_model}')"),
    }
    path = write_budgets(tmp_path / "budgets.yaml", [
        {"name": f"{name}-{period}", "period": period, "amount_usd": 10, "scope": scope}
        for name, (scope, _) in scopes.items() for period in ("month", "quarter")])
    run_ingest(ledger.parent / "landing", warehouse, workers=1, budgets=path)
    rows = query(warehouse, "SELECT budget, period_start, period_end, is_open, spent_usd, "
                            "as_of FROM budget_status ORDER BY budget, period_start")
    first_day = query(warehouse, "SELECT min(event_day) FROM fct_costs")[0][0]
    assert {r[0] for r in rows} == {f"{n}-{p}" for n in scopes for p in ("month", "quarter")}
    for budget, start, end, is_open, spent, as_of in rows:
        name, period = budget.rsplit("-", 1)
        assert spent == ledger_spend(warehouse, scopes[name][1], max(start, first_day), end)
        assert is_open == (start <= END <= end)
        assert (as_of == END) if is_open else (as_of == end)
        if period == "quarter":
            assert start.month in (1, 4, 7, 10) and (end.month - start.month) == 2
    assert {r[1] for r in rows if r[0] == "all-month"} == {
        date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)}
    assert sum(r[4] for r in rows if r[0] == "all-month") == ledger_spend(
        warehouse, "true", first_day, END) > 0
    # the calls whose cost is unknown are counted, not priced at 0
    unknown = query(warehouse, "SELECT sum(cost_unknown_calls) FROM budget_status "
                               "WHERE budget = 'all-month'")[0][0]
    assert unknown == query(warehouse, "SELECT count(*) FROM fct_costs WHERE NOT is_priced")[0][0]


def test_a_budget_for_one_source_sees_only_its_calls_and_says_so(ledger, tmp_path):
    """scope source: claude_code spends only what Claude Code's transcripts logged; a scope of
    provider anthropic and source api_log leaves those (also Anthropic's) out."""
    warehouse = copy_lake(ledger, tmp_path)
    november = date(2026, 11, 1)
    agents = ledger_spend(warehouse, "f.source = 'claude_code'", november, END)
    anthropic_logs = ledger_spend(warehouse, "f.provider = 'anthropic' AND f.source = 'api_log'",
                                  november, END)
    assert 0 < agents < ledger_spend(warehouse, "true", november, END)
    assert anthropic_logs < ledger_spend(warehouse, "f.provider = 'anthropic'", november, END)
    path = write_budgets(tmp_path / "budgets.yaml", [
        {"name": "claude-code-monthly", "period": "month", "scope": {"source": "claude_code"},
         "amount_usd": (agents * Decimal("0.9")).quantize(Decimal("0.01"))},
        {"name": "anthropic-api-logs-monthly", "period": "month", "amount_usd": 1_000_000,
         "scope": {"provider": "anthropic", "source": "api_log"}}])
    run_ingest(ledger.parent / "landing", warehouse, workers=1, budgets=path)
    assert dict(query(warehouse, "SELECT budget, spent_usd FROM budget_status WHERE is_open")
                ) == {"claude-code-monthly": agents, "anthropic-api-logs-monthly": anthropic_logs}
    assert query(warehouse, "SELECT budget, scope_provider, scope_source FROM budgets "
                            "ORDER BY budget") == [
        ("anthropic-api-logs-monthly", "anthropic", "api_log"),
        ("claude-code-monthly", None, "claude_code")]
    # over its amount: the alert names the scope
    (payload,) = query(warehouse, "SELECT payload FROM budget_alerts WHERE alert_id = "
                                  "'claude-code-monthly/2026-11-01/threshold/1'")[0]
    alert = json.loads(payload)
    assert alert["scope"] == {"source": "claude_code"}
    assert "Budget *claude-code-monthly* (source claude_code) reached 100%" in alert["text"]


def test_the_forecast_is_the_run_rate_grown_by_the_baselines_method_by_hand(schema_lake):
    """$1, $2, $4, $8 a day in July to October (growth 100% a month, bounded to 20%): on
    October 31 the quarter's forecast is October's $248, then November at $8 x 1.2 a day and
    December at $8 x 1.44."""
    conn = schema_lake
    conn.execute("""
        INSERT INTO mart_daily_spend BY NAME
        SELECT d::DATE AS day, 'openai' AS provider, 'gpt-4o' AS model, 'p' AS project,
               pow(2, month(d) - 7)::DECIMAL(38, 13) AS total_cost, 1 AS calls,
               0 AS unpriced_calls, 0 AS usage_unknown_calls
        FROM range(DATE '2026-07-01', DATE '2026-11-01', INTERVAL 1 DAY) t(d)""")
    budget = budgets_file.Budget("q", "quarter", Decimal(800), {"project": "p"},
                                 budgets_file.DEFAULT_THRESHOLDS)
    evaluate.build(conn, budgets_file.BudgetFile([budget]), "exponential", -0.2, 0.2)
    spent, forecast_usd, status = conn.execute(
        "SELECT spent_usd, forecast_usd, status FROM budget_status WHERE is_open").fetchone()
    assert spent == 31 * 8
    assert forecast_usd == Decimal(248 + 30 * 8 * Decimal("1.2") + 31 * 8 * Decimal("1.44"))
    assert status == "forecast_over"
    assert forecast_usd == Decimal("893.12") and "**$893.12**" in (
        Path(__file__).parent.parent / "docs" / "budgets.md").read_text()
    # flat: the run rate for the rest of the quarter
    evaluate.build(conn, budgets_file.BudgetFile([budget]), "flat", -0.2, 0.2)
    assert conn.execute("SELECT forecast_usd FROM budget_status WHERE is_open").fetchone() == (
        248 + 61 * 8,)
    # history periods have no forecast, and the baseline's method is what the budgets use
    assert conn.execute("SELECT count(*) FROM budget_status WHERE NOT is_open "
                        "AND forecast_usd IS NULL").fetchone() == (1,)
    conn.execute("INSERT INTO forecast_methods VALUES ('model_family', 'linear', 3, 0.1, 3, "
                 "0.1, true)")
    assert evaluate.resolved_method(conn, "auto", "model_family") == "linear"
    assert evaluate.resolved_method(conn, "damped", "model_family") == "damped"


def test_a_last_day_not_over_is_forecast_and_thresholds_are_judged_exactly(schema_lake):
    """$8 a day in October, but only $2.40 on the 31st so far: the rate is that of the 30 days
    before, the 31st's remaining $5.60 is forecast. A share of 0.8 exactly is 80% reached,
    though 2.4 / 3 in floating point is 0.7999999999999999."""
    conn = schema_lake
    conn.execute("""
        INSERT INTO mart_daily_spend BY NAME
        SELECT d::DATE AS day, 'openai' AS provider, 'gpt-4o' AS model, 'p' AS project,
               CASE WHEN d = DATE '2026-10-31' THEN 2.4 ELSE 8 END::DECIMAL(38, 13)
                   AS total_cost, 1 AS calls, 0 AS unpriced_calls, 0 AS usage_unknown_calls
        FROM range(DATE '2026-10-01', DATE '2026-11-01', INTERVAL 1 DAY) t(d)""")
    budgets = budgets_file.BudgetFile([
        budgets_file.Budget("q", "quarter", Decimal(800), {}, budgets_file.DEFAULT_THRESHOLDS),
        budgets_file.Budget("day", "month", Decimal(1000), {}, budgets_file.DEFAULT_THRESHOLDS)])
    evaluate.build(conn, budgets, "flat", -0.2, 0.2)
    assert conn.execute("SELECT spent_usd, forecast_usd FROM budget_status WHERE budget = 'q' "
                        "AND is_open").fetchone() == (Decimal("242.4"), Decimal("248") + 61 * 8)
    assert conn.execute("SELECT day, forecast_usd FROM budget_daily WHERE budget = 'q' "
                        "AND day = DATE '2026-10-31'").fetchone() == (date(2026, 10, 31),
                                                                      Decimal("5.6"))
    conn.execute("DELETE FROM mart_daily_spend WHERE day < DATE '2026-10-31'")
    exact = budgets_file.BudgetFile([budgets_file.Budget(
        "exact", "month", Decimal(3), {}, (Decimal("0.5"), Decimal("0.8")))])
    evaluate.build(conn, exact, "flat", -0.2, 0.2)
    assert conn.execute("SELECT share < 0.8, threshold_reached, status FROM budget_status"
                        ).fetchone() == (True, Decimal("0.8"), "warning")


# --- alerts -----------------------------------------------------------------------------------

class Webhook(ThreadingHTTPServer):
    """A webhook receiver on 127.0.0.1 that keeps every body and answers `status`."""

    def __init__(self, port: int):
        self.bodies: list[dict] = []
        self.content_types: list[str] = []
        self.status = 200
        super().__init__(("127.0.0.1", port), WebhookHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class WebhookHandler(BaseHTTPRequestHandler):
    server: Webhook

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.content_types.append(self.headers["Content-Type"])
        if self.server.status == 200:
            self.server.bodies.append(json.loads(body))
        self.send_response(self.server.status)
        self.end_headers()
        self.wfile.write(b"ok" if self.server.status == 200 else b"receiver broke")

    def log_message(self, *args) -> None:
        pass


def alerts(warehouse: Path) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in query(
        warehouse, "SELECT alert_id, attempts, delivered_at IS NOT NULL, last_error "
                   "FROM budget_alerts")}


def test_alerts_are_delivered_once_ever_and_a_failed_delivery_is_retried(
        ledger, tmp_path, monkeypatch):
    warehouse = copy_lake(ledger, tmp_path)
    landing = tmp_path / "landing"
    shutil.copytree(ledger.parent / "landing", landing)
    november = ledger_spend(warehouse, "true", date(2026, 11, 1), END)
    # All calls: November has spent 78% of it by the 20th (the 0.5 threshold), and at its run
    # rate the month will pass it. The quarterly one is far from its thresholds.
    amount = (november / Decimal("0.78")).quantize(Decimal("0.01"))
    path = write_budgets(tmp_path / "budgets.yaml", [
        {"name": "all-monthly", "period": "month", "amount_usd": amount},
        {"name": "all-quarterly", "period": "quarter", "amount_usd": amount * 100,
         "thresholds": [0.9]}])
    port = free_port()
    monkeypatch.setenv("TOKENWORKS_ALERT_WEBHOOK", f"http://127.0.0.1:{port}/hook")

    # 1. The webhook is down: the run commits, the alerts are kept with the error.
    run_ingest(landing, warehouse, workers=1, budgets=path)
    raised = alerts(warehouse)
    assert set(raised) == {"all-monthly/2026-11-01/threshold/0.5",
                           "all-monthly/2026-11-01/forecast/1"}
    assert all(attempts == 1 and not delivered and "Connection refused" in error
               for attempts, delivered, error in raised.values())
    # earlier months spent more than half of it too, but only the open period alerts
    assert query(warehouse, "SELECT count(*) FROM budget_status WHERE NOT is_open "
                            "AND budget = 'all-monthly' AND share >= 0.5")[0][0] > 0

    # 2. It answers 500: tried again, the status and body kept.
    webhook = Webhook(port)
    try:
        webhook.status = 500
        run_ingest(landing, warehouse, workers=1, budgets=path)
        assert all(attempts == 2 and not delivered and error == "HTTP 500: receiver broke"
                   for attempts, delivered, error in alerts(warehouse).values())

        # 3. It is up: both delivered, once, with what finance needs to read.
        webhook.status = 200
        run_ingest(landing, warehouse, workers=1, budgets=path)
        assert all(attempts == 3 and delivered and error is None
                   for attempts, delivered, error in alerts(warehouse).values())
        assert sorted(b["alert_id"] for b in webhook.bodies) == sorted(raised)
        assert set(webhook.content_types) == {"application/json"}
        status = query(warehouse, "SELECT spent_usd, amount_usd, forecast_usd, period_end "
                                  "FROM budget_status WHERE budget = 'all-monthly' "
                                  "AND is_open")[0]
        threshold = next(b for b in webhook.bodies if b["kind"] == "threshold")
        assert threshold["budget"] == "all-monthly" and threshold["period"] == "2026-11-01"
        assert threshold["threshold"] == 0.5
        assert Decimal(str(threshold["spent_usd"])) == status[0].quantize(Decimal("0.000001"))
        assert Decimal(str(threshold["amount_usd"])) == status[1] == amount
        assert "all-monthly" in threshold["text"] and "50%" in threshold["text"]
        assert f"${status[0]:,.2f}" in threshold["text"]
        forecast = next(b for b in webhook.bodies if b["kind"] == "forecast")
        assert Decimal(str(forecast["forecast_usd"])) == status[2] > amount
        assert "forecast to exceed" in forecast["text"]

        # 4. Re-runs, a changed budgets file and a backfill of an old month send nothing.
        run_ingest(landing, warehouse, workers=1, budgets=path)
        path.write_text(path.read_text().replace("thresholds: [0.9]", "thresholds: [0.95]"))
        run_ingest(landing, warehouse, workers=1, budgets=path)
        generate(landing / "backfill", requests=300, days=5, seed=9, end_date=date(2026, 9, 30))
        run_ingest(landing, warehouse, workers=1, budgets=path)
        assert query(warehouse, "SELECT spent_usd > ? FROM budget_status WHERE budget = "
                                "'all-monthly' AND period_start = DATE '2026-09-01'",
                     [amount])[0][0], "the backfill put September over its amount"
        assert len(webhook.bodies) == 2

        # 5. New calls in the open month reach the next thresholds: those alert, once.
        generate(landing / "late", requests=1500, days=3, seed=10, end_date=date(2026, 11, 23))
        run_ingest(landing, warehouse, workers=1, budgets=path)
        run_ingest(landing, warehouse, workers=1, budgets=path)
        # crossed together: the highest is sent, the lower one recorded as superseded by it
        sent = sorted(b["alert_id"] for b in webhook.bodies)
        assert sent == sorted([*raised, "all-monthly/2026-11-01/threshold/1"])
        assert query(warehouse, "SELECT superseded_by, attempts, delivered_at FROM budget_alerts "
                                "WHERE alert_id = 'all-monthly/2026-11-01/threshold/0.8'") == [
            ("all-monthly/2026-11-01/threshold/1", 0, None)]
        now = query(warehouse, "SELECT share FROM budget_status WHERE budget = 'all-monthly' "
                               "AND is_open")[0][0]
        assert f"reached 100% of ${amount:,.2f} for 2026-11 (now {now:.0%})" in next(
            b["text"] for b in webhook.bodies if b["alert_id"].endswith("threshold/1"))
        assert query(warehouse, "SELECT status FROM budget_status WHERE budget = "
                                "'all-monthly' AND is_open") == [("over",)]
    finally:
        webhook.close()


def test_without_a_webhook_alerts_are_recorded_and_sent_once_one_is_set(
        ledger, tmp_path, monkeypatch):
    warehouse = copy_lake(ledger, tmp_path)
    landing = ledger.parent / "landing"
    path = write_budgets(tmp_path / "budgets.yaml", [
        {"name": "tiny", "period": "month", "amount_usd": "0.01", "thresholds": [1.0]}])
    monkeypatch.delenv("TOKENWORKS_ALERT_WEBHOOK", raising=False)
    ingested = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "ingest", "--landing", landing, "--warehouse",
         warehouse], env={**os.environ, "TOKENWORKS_BUDGETS": str(path)}, capture_output=True,
        text=True, check=True)
    assert "budgets: 1 over, 0 forecast over this period" in ingested.stdout
    assert alerts(warehouse) == {"tiny/2026-11-01/threshold/1": (0, False, None)}
    port = free_port()
    webhook = Webhook(port)
    try:
        monkeypatch.setenv("TOKENWORKS_ALERT_WEBHOOK", f"http://127.0.0.1:{port}/")
        run_ingest(landing, warehouse, workers=1, budgets=path)
        assert [b["alert_id"] for b in webhook.bodies] == ["tiny/2026-11-01/threshold/1"]
        assert alerts(warehouse) == {"tiny/2026-11-01/threshold/1": (1, True, None)}
    finally:
        webhook.close()


def test_the_queries_in_the_budgets_doc_run(ledger, tmp_path):
    warehouse = copy_lake(ledger, tmp_path)
    path = write_budgets(tmp_path / "budgets.yaml", [
        {"name": "tiny", "period": "month", "amount_usd": "0.01"},
        {"name": "huge", "period": "quarter", "amount_usd": 1000000}])
    run_ingest(ledger.parent / "landing", warehouse, workers=1, budgets=path)
    doc = (Path(__file__).parent.parent / "docs" / "budgets.md").read_text()
    open_periods, undelivered = [block.split("```", 1)[0]
                                 for block in doc.split("```sql\n")[1:]]
    assert [(row[0], row[-1]) for row in query(warehouse, open_periods)] == [
        ("tiny", "over"), ("huge", "ok")]
    assert [row[0] for row in query(warehouse, undelivered)] == ["tiny/2026-11-01/threshold/1"]


def test_a_delivery_that_cannot_even_start_fails_nothing(ledger, tmp_path, monkeypatch):
    """The run has committed when alerts are sent: an error there (the lake unreachable for
    the claim, say) is reported, and the alerts wait for the next run."""
    from pipelines.budgets import alerts as budget_alerts

    def unreachable(lake, webhook):
        raise OSError("catalog unreachable")

    warehouse = copy_lake(ledger, tmp_path)
    path = write_budgets(tmp_path / "budgets.yaml", [
        {"name": "tiny", "period": "month", "amount_usd": "0.01", "thresholds": [1.0]}])
    monkeypatch.setenv("TOKENWORKS_ALERT_WEBHOOK", f"http://127.0.0.1:{free_port()}/")
    monkeypatch.setattr(budget_alerts, "deliver", unreachable)
    summary = run_ingest(ledger.parent / "landing", warehouse, workers=1, budgets=path)
    assert summary.run_id, "committed"
    assert alerts(warehouse) == {"tiny/2026-11-01/threshold/1": (0, False, None)}
