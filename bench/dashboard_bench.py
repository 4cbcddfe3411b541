"""Dashboard benchmark (issue #5): prints figures, asserts nothing.

Serves the dashboards over the 10M-call warehouse (bench/cost_bench.py's ledger, with its marts
and scenarios built here) and times every page in Debian's Chromium: from navigation until the
page is completely drawn (dashboards/drawn.py: its footer, the run finished, every chart and
visible table drawn). Target: every page under 2 s.

Two browsers are timed, as finance meets the app:
- first visit: a browser that has never opened the app, on a server just started, opens the
  Spend overview. Streamlit's front end (its scripts, chart and table libraries) is fetched and
  compiled once, then kept by the browser.
- returning browser: the same browser, still open, against a server started afresh (query
  caches empty, as after a restart), every page: cold = its first load on that server; warm =
  the same URL again (TTL cache); switch = choosing the page in the sidebar from another
  page.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
from cost_bench import built_with_current_schema  # bench/ is on the path
from playwright.sync_api import sync_playwright

from dashboards.drawn import PageFailed, wait_until_drawn
from pipelines import pricebook, scenarios
from pipelines.warehouse import apply_schema

REPO = Path(__file__).resolve().parent.parent
PAGES = {"": "Spend overview", "cost-drivers": "Cost drivers",
         "latency": "Latency and throughput", "scenarios": "Scenarios",
         "hardware": "Hardware generations", "prices": "Prices", "data-quality": "Data quality",
         "inspector": "Inspector"}
NAV_LABELS = {"": "Spend overview", "hardware": "Hardware"}


def prepare(source: Path, target: Path) -> None:
    if built_with_current_schema(target):
        return
    target.unlink(missing_ok=True)
    scratch = target.with_suffix(".building")
    shutil.copy(source, scratch)
    conn = duckdb.connect(str(scratch))
    conn.execute("SET enable_progress_bar = false")
    apply_schema(conn)
    started = time.perf_counter()
    conn.execute("CREATE OR REPLACE TEMP TABLE cost_run AS SELECT true AS repriced_all")
    conn.execute("CREATE OR REPLACE TEMP TABLE affected_days (day DATE)")
    pricebook.build_marts(conn)
    marts = time.perf_counter() - started
    started = time.perf_counter()
    scenarios.build_all(conn)
    projections = time.perf_counter() - started
    conn.execute("CHECKPOINT")
    calls = conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0]
    conn.close()
    scratch.rename(target)
    print(f"built the marts for {calls:,} calls in {marts:.1f} s, the projections in "
          f"{projections:.1f} s")


def serve(warehouse: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "dashboard", "--warehouse", str(warehouse),
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            if urllib.request.urlopen(f"http://localhost:{port}/_stcore/health",
                                      timeout=2).read() == b"ok":
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the dashboard server did not start")


def finished(page, title: str) -> None:
    """Wait until the page is completely drawn (dashboards/drawn.py)."""
    try:
        wait_until_drawn(page, f"Tokenworks · {NAV_LABELS.get(path_of(title), title)} ·")
    except PageFailed as failure:
        raise SystemExit(f"{title}: {failure}") from None


def path_of(title: str) -> str:
    return next(path for path, name in PAGES.items() if name == title)


def timed_load(page, url: str, title: str) -> float:
    """A full load of the page's URL: the app's HTML and scripts, its session, the page."""
    started = time.perf_counter()
    page.goto(url)
    finished(page, title)
    return time.perf_counter() - started


def timed_switch(page, path: str, title: str) -> float:
    """Choosing the page in the app's navigation, as a user moves between pages."""
    started = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"]').get_by_text(
        NAV_LABELS.get(path, title), exact=True).click()
    finished(page, title)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_visit(page, warehouse: Path, port: int) -> float:
    """The Spend overview in a browser that never opened the app; then every page once, so the
    browser holds what a returning one holds."""
    server = serve(warehouse, port)
    try:
        seconds = timed_load(page, f"http://localhost:{port}/", "Spend overview")
        for path, title in PAGES.items():
            timed_load(page, f"http://localhost:{port}/{path}", title)
        return seconds
    finally:
        server.terminate()
        server.wait(timeout=10)


def returning_browser(page, warehouse: Path, port: int) -> dict:
    server = serve(warehouse, port)
    try:
        print(f"{'page':<16}{'cold load':>10}{'warm load':>10}{'switch to':>10}  seconds")
        worst = {"cold": 0.0, "warm": 0.0, "switch": 0.0}
        for path, title in PAGES.items():
            url = f"http://localhost:{port}/{path}"
            cold, warm = timed_load(page, url, title), timed_load(page, url, title)
            # from the previous page, through the sidebar
            page.goto(f"http://localhost:{port}/inspector" if path == "" else
                      f"http://localhost:{port}/")
            finished(page, "Inspector" if path == "" else "Spend overview")
            switch = timed_switch(page, path, title)
            for name, value in (("cold", cold), ("warm", warm), ("switch", switch)):
                worst[name] = max(worst[name], value)
            print(f"{path or 'spend':<16}{cold:>10.2f}{warm:>10.2f}{switch:>10.2f}")
        return worst
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path,
                        default=REPO / "bench-output" / "costing-10x.duckdb",
                        help="the 10M-call ledger bench/cost_bench.py builds and prices")
    args = parser.parse_args()
    if not args.source.exists():
        raise SystemExit(f"{args.source} is missing: run bench/cost_bench.py first")
    warehouse = args.source.with_name("dashboard-10x.duckdb")
    prepare(args.source, warehouse)
    # The browser caches by address: both servers listen on the same port.
    port = free_port()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        first = first_visit(page, warehouse, port)
        print(f"first visit (new browser, new server), Spend overview: {first:.2f} s")
        print("returning browser (still open), server restarted:")
        worst = returning_browser(page, warehouse, port)
        browser.close()
    print(f"slowest page: cold {worst['cold']:.2f} s, warm {worst['warm']:.2f} s, "
          f"switching pages {worst['switch']:.2f} s (target < 2 s)")


if __name__ == "__main__":
    main()
