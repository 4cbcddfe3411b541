"""The dashboards end to end: the real `tokenworks dashboard` server on a generated warehouse,
driven in Debian's Chromium by Playwright (issue #5). Screenshots of every page go to
test-output/screenshots/."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from dashboards import ui
from dashboards.drawn import wait_until_drawn
from pipelines.jobs import run_ingest
from pipelines.samples import generate
from tests.conftest import bill_the_ledger, query

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PAGES = {"": "Spend overview", "cost-drivers": "Cost drivers",
         "latency": "Latency and throughput", "scenarios": "Scenarios",
         "hardware": "Hardware generations", "prices": "Prices",
         "reconciliation": "Reconciliation", "budgets": "Budgets",
         "data-quality": "Data quality", "inspector": "Inspector"}
BILLED_OVER = date(2026, 11, 20)  # OpenAI's bill is $5 over the ledger that day

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_budgets(path: Path, all_calls: Decimal, support_bot: Decimal) -> None:
    path.write_text(f"""budgets:
  - name: all-calls-monthly
    period: month
    amount_usd: {all_calls}
  - name: support-bot-monthly
    period: month
    amount_usd: {support_bot}
    scope: {{project: support-bot}}
""")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The budgets (a file of the fixture's own): the first run evaluates them at $1M each;
    the second sizes them on its figures: all-calls-monthly at 90% of November's spend (over
    budget), support-bot-monthly halfway between its spend and its forecast (forecast over)."""
    base = tmp_path_factory.mktemp("browser")
    generate(base / "landing", requests=4000, days=120, seed=12, end_date=date(2026, 11, 27))
    warehouse = base / "wh.ducklake"
    budgets = base / "budgets.yaml"
    write_budgets(budgets, Decimal(1_000_000), Decimal(1_000_000))
    run_ingest(base / "landing", warehouse, workers=1, budgets=budgets)
    (month, support_bot), = query(warehouse, """
        SELECT sum(spent_usd) FILTER (budget = 'all-calls-monthly'),
               sum(spent_usd + forecast_usd) FILTER (budget = 'support-bot-monthly')
        FROM budget_status WHERE is_open""")
    write_budgets(budgets, (month * Decimal("0.9")).quantize(Decimal("0.01")),
                  (support_bot / 2).quantize(Decimal("0.000001")))
    bill_the_ledger(base / "landing", warehouse, {("openai", BILLED_OVER): Decimal(5)})
    run_ingest(base / "landing", warehouse, workers=1, budgets=budgets)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "dashboard", "--warehouse", str(warehouse),
         "--port", str(port)],
        env={**os.environ, "TOKENWORKS_LANDING": str(base / "landing")}, cwd=base,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://localhost:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"the dashboard server did not start: {server.stdout.read()}")
            time.sleep(0.3)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield {"url": url, "warehouse": warehouse, "browser": browser, "base": base}
        browser.close()
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def page(served) -> Page:
    context = served["browser"].new_context(viewport={"width": 1500, "height": 1000})
    yield context.new_page()
    context.close()


def rendered(page: Page) -> None:
    """The page is completely drawn, without an exception."""
    wait_until_drawn(page, timeout_ms=60_000)


def metric_value(page: Page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_every_page_opens_without_an_error(served, page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for path, title in PAGES.items():
        page.goto(f"{served['url']}/{path}")
        rendered(page)
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        assert page.locator('[data-testid="stException"]').count() == 0, path
        page.screenshot(path=str(SCREENSHOTS / f"{path or 'spend'}.png"), full_page=True)
        assert (SCREENSHOTS / f"{path or 'spend'}.png").stat().st_size > 10_000


def test_a_filter_changes_the_numbers_which_match_sql(served, page):
    warehouse = served["warehouse"]
    last = query(warehouse, "SELECT max(day) FROM mart_daily_spend")[0][0]
    start = date.fromordinal(last.toordinal() - 29)
    page.goto(served["url"])
    rendered(page)
    total = query(warehouse, "SELECT sum(total_cost) FROM mart_daily_spend "
                             "WHERE day BETWEEN ? AND ?", [start, last])[0][0]
    assert metric_value(page, "Spend") == ui.money(total)

    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("All providers")).to_be_visible()
    # the filters' widgets are in a popover, drawn when it opens
    sidebar.get_by_role("button", name="Change filters").click()
    provider = page.locator('[data-testid="stPopoverBody"] [data-testid="stMultiSelect"]').first
    provider.click()
    page.keyboard.type("anthropic")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    anthropic = query(warehouse, "SELECT sum(total_cost) FROM mart_daily_spend WHERE day "
                                 "BETWEEN ? AND ? AND provider = 'anthropic'",
                      [start, last])[0][0]
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Spend").first
           .locator('[data-testid="stMetricValue"]')).to_have_text(ui.money(anthropic),
                                                                   timeout=30_000)
    assert "provider=anthropic" in page.url
    # the sidebar's summary of the filters names the provider
    expect(sidebar.get_by_text("All models")).to_contain_text("anthropic")
    # the link reproduces the view
    fresh = served["browser"].new_page()
    fresh.goto(page.url)
    rendered(fresh)
    assert metric_value(fresh, "Spend") == ui.money(anthropic)
    fresh.close()


def test_the_source_filter_keeps_the_agents_calls_which_match_sql(served, page):
    """Agent calls are told apart on the Spend page: choosing sources in the popover's Source
    filter gives the ledger's spend of those sources, in the URL and the sidebar's summary."""
    warehouse = served["warehouse"]
    last = query(warehouse, "SELECT max(day) FROM mart_daily_spend")[0][0]
    start = date.fromordinal(last.toordinal() - 29)
    page.goto(served["url"])
    rendered(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("All sources")).to_be_visible()
    sidebar.get_by_role("button", name="Change filters").click()
    source = page.locator('[data-testid="stPopoverBody"] [data-testid="stMultiSelect"]').filter(
        has_text="Source")
    expect(source).to_have_count(1)
    for chosen in ("claude_code", "codex_cli"):
        source.click()
        page.keyboard.type(chosen)
        page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    agents = query(warehouse, """
        SELECT sum(c.total_cost) FROM fct_requests f JOIN fct_costs c USING (call_id)
        WHERE c.event_day BETWEEN ? AND ? AND f.source IN ('claude_code', 'codex_cli')""",
                   [start, last])[0][0]
    assert agents > 0
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Spend").first
           .locator('[data-testid="stMetricValue"]')).to_have_text(ui.money(agents),
                                                                   timeout=30_000)
    assert "source=claude_code%2Ccodex_cli" in page.url or "source=claude_code,codex_cli" in (
        page.url)
    expect(sidebar.get_by_text("All sources")).to_have_count(0)
    expect(sidebar.get_by_text("All models")).to_contain_text("claude_code, codex_cli")


def test_a_tab_draws_its_table_when_opened_and_its_link_reopens_it(served, page):
    page.goto(f"{served['url']}/data-quality")
    rendered(page)
    # (React Aria also keeps an inert copy of the tabs, for measuring)
    panel = page.get_by_role("tabpanel").filter(visible=True)
    expect(panel.locator('[data-testid="stDataFrame"]')).to_have_count(1, timeout=30_000)
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(1)  # the open tab's only
    tab = page.get_by_role("tab", name="Calls logged more than once").filter(visible=True)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    rendered(page)
    # the duplicates table and its download, drawn in place of the first tab's
    expect(panel.get_by_role("button", name="Download CSV")).to_have_count(1, timeout=30_000)
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(1)
    expect(panel.locator("[role=columnheader]", has_text="occurrences")).to_have_count(1)
    # the open tab is in the URL: the link opens it
    assert "quality_tab=Calls" in page.url
    fresh = served["browser"].new_page()
    fresh.goto(page.url)
    rendered(fresh)
    expect(fresh.get_by_role("tabpanel").filter(visible=True)
           .locator("[role=columnheader]", has_text="occurrences")).to_have_count(1)
    assert fresh.get_by_text("Page not found").count() == 0
    fresh.close()


def test_reconciliation_names_the_day_billed_over_and_downloads_the_days(served, page):
    page.goto(f"{served['url']}/reconciliation")
    rendered(page)
    page.locator('[data-testid="stButtonGroup"]').get_by_text("openai", exact=True).click()
    rendered(page)
    expect(page.locator('[data-testid="stMetric"]').filter(
        has_text="Closed days not matching").locator('[data-testid="stMetricValue"]')
    ).to_have_text("1", timeout=30_000)
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1)
    expect(page.get_by_role("combobox", name="Day")).to_have_value(str(BILLED_OVER))
    last = query(served["warehouse"], "SELECT max(day) FROM mart_daily_spend")[0][0]
    expected = query(served["warehouse"],
                     "SELECT day, status, difference FROM reconciliation_daily WHERE provider "
                     "= 'openai' AND day BETWEEN ? - 29 AND ? ORDER BY day DESC", [last, last])
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").first.click()
    rows = download.value.path().read_text().splitlines()
    assert rows[0].startswith("day,status,ledger_cost,billed_cost,difference")
    assert [tuple(row.split(",")[:2]) for row in rows[1:]] == [
        (str(day), status) for day, status, _ in expected]
    assert [Decimal(row.split(",")[4]) for row in rows[1:]] == [d for _, _, d in expected]


def test_budgets_show_each_status_and_the_spend_and_download_the_overview(served, page):
    warehouse = served["warehouse"]
    page.goto(f"{served['url']}/budgets")
    rendered(page)
    expected = query(warehouse, """
        SELECT budget, status, spent_usd, amount_usd, forecast_usd FROM budget_status
        WHERE is_open ORDER BY budget""")
    statuses = {budget: status for budget, status, *_ in expected}
    assert statuses == {"all-calls-monthly": "over", "support-bot-monthly": "forecast_over"}
    expect(page.get_by_text("all-calls-monthly: over budget")).to_be_visible()
    expect(page.get_by_text("support-bot-monthly: forecast over")).to_be_visible()
    # the most urgent first: the budget over its amount is the one shown
    expect(page.get_by_role("combobox", name="Budget")).to_have_value("all-calls-monthly")
    figures = {budget: rest for budget, _, *rest in expected}
    assert metric_value(page, "Status") == "Over budget"
    assert metric_value(page, "Spent") == ui.money(figures["all-calls-monthly"][0])
    # (the other metrics' deltas say "budget" too)
    budget_box = page.locator('[data-testid="stMetric"]').filter(has=page.locator(
        '[data-testid="stMetricLabel"]', has_text=re.compile("^Budget$")))
    assert budget_box.locator('[data-testid="stMetricValue"]').inner_text().strip() == (
        ui.money(figures["all-calls-monthly"][1]))
    expect(page.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1)

    page.get_by_role("combobox", name="Budget").click()
    page.get_by_role("option", name="support-bot-monthly").click()
    status = page.locator('[data-testid="stMetric"]').filter(has_text="Status").first
    expect(status.locator('[data-testid="stMetricValue"]')).to_have_text("Forecast over",
                                                                          timeout=30_000)
    rendered(page)
    spent, amount, forecast = figures["support-bot-monthly"]
    assert metric_value(page, "Spent") == ui.money(spent)
    assert metric_value(page, "Forecast to period end") == ui.money(forecast)
    assert spent < amount < forecast

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").first.click()
    assert download.value.suggested_filename == "budgets.csv"
    rows = [row.split(",") for row in download.value.path().read_text().splitlines()]
    assert rows[0][:9] == ["budget", "status", "period", "period_start", "period_end",
                           "spent_usd", "amount_usd", "share", "forecast_usd"]
    assert [row[0] for row in rows[1:]] == ["all-calls-monthly", "support-bot-monthly"]
    # exact: the download holds the warehouse's decimals, not the table's dollars
    assert sorted((row[0], row[1], Decimal(row[5]), Decimal(row[6]), Decimal(row[8]))
                  for row in rows[1:]) == expected


def test_a_scenario_expander_draws_its_table_when_opened(served, page):
    page.goto(f"{served['url']}/scenarios")
    rendered(page)
    tables = page.locator('[data-testid="stDataFrame"]')
    # the backtest's scores and the savings; the expanders' tables are not drawn
    expect(tables).to_have_count(2)
    page.get_by_text("Usage trends fitted on the history").click()
    expect(tables).to_have_count(3, timeout=30_000)
    expect(page.locator("[role=columnheader]", has_text="r_squared")).to_have_count(1)
    assert "scenario_trends" in page.url


def test_moving_a_scenario_control_changes_the_projection(served, page):
    page.goto(f"{served['url']}/scenarios")
    rendered(page)
    before = metric_value(page, "Savings")
    slider = page.get_by_role("slider").nth(1)  # the pass-through share
    slider.focus()
    page.keyboard.press("End")
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Savings").first
           .locator('[data-testid="stMetricValue"]')).not_to_have_text(before, timeout=30_000)
    rendered(page)
    after = metric_value(page, "Savings")
    assert float(after.strip("$").replace(",", "")) > float(before.strip("$").replace(",", ""))
    full = query(served["warehouse"], "SELECT sum(savings) FROM project_scenario("
                                      "hardware_factor := 10, pass_through_share := 1)")[0][0]
    assert after == ui.money(full)


def test_pages_keep_working_while_an_ingest_runs(served, page):
    landing = served["base"] / "landing"
    generate(landing / "late", requests=3000, days=2, seed=99, end_date=date(2026, 11, 28))
    calls_before = query(served["warehouse"], "SELECT count(*) FROM fct_requests")[0][0]
    ingest = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "ingest", "--landing", str(landing),
         "--warehouse", str(served["warehouse"])], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    loads = 0
    while ingest.poll() is None or loads < 2:
        page.goto(f"{served['url']}/data-quality")
        rendered(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        loads += 1
    assert ingest.returncode == 0, ingest.stdout.read()
    page.goto(f"{served['url']}/data-quality")
    rendered(page)
    calls_after = query(served["warehouse"], "SELECT count(*) FROM fct_requests")[0][0]
    assert calls_after > calls_before
    assert metric_value(page, "Calls in the ledger") == f"{calls_after:,}"


def test_demo_ends_by_serving_the_dashboards(tmp_path, served):
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "demo", "--requests", "600", "--days", "20",
         "--port", str(port)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={k: v for k, v in os.environ.items() if not k.startswith("TOKENWORKS_")})
    try:
        lines = []
        while not any("dashboards: http://localhost" in line for line in lines):
            line = demo.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        assert f"http://localhost:{port}" in lines[-1]
        page = served["browser"].new_page()
        deadline = time.time() + 60
        while True:
            try:
                page.goto(f"http://localhost:{port}/data-quality")
                break
            except Exception:
                assert time.time() < deadline
                time.sleep(0.5)
        rendered(page)
        # a new server's first page, opened by its URL, is found (Streamlit also reads a
        # folder named pages/ as pages of its own, under other names)
        assert page.get_by_text("Page not found").count() == 0
        # the sample's API calls, and its coding agents' and spans' calls beside them
        calls, api_calls = query(tmp_path / "data" / "warehouse.ducklake",
                                 "SELECT count(*), count(*) FILTER (source = 'api_log') "
                                 "FROM fct_requests")[0]
        assert api_calls == 600 < calls
        assert metric_value(page, "Calls in the ledger") == f"{calls:,}"
        page.close()
    finally:
        demo.terminate()
        demo.wait(timeout=20)
