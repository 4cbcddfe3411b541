"""Dashboard benchmark (issue #5): prints figures, asserts nothing.

Serves the dashboards over the 10M-call lake bench/ingest_bench.py leaves (the year's ledger
replayed tenfold, priced, its marts and projections made by the job) and times every page in
Debian's Chromium: from navigation until the page is completely drawn (dashboards/drawn.py: its
footer, the run finished, every chart and visible table drawn). Target: every page under 2 s.

Two browsers are timed, as finance meets the app:
- first visit: a browser that has never opened the app, on a server just started, opens the
  Spend overview. Streamlit's front end (its scripts, chart and table libraries) is fetched and
  compiled once, then kept by the browser.
- returning browser: the same browser, still open, against a server started afresh (query
  caches empty, as after a restart), every page: cold = its first load on that server; warm =
  the same URL again (TTL cache), repeated; switch = choosing the page in the sidebar from
  another page, repeated.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from statistics import median

from playwright.sync_api import sync_playwright

from dashboards.drawn import PageFailed, wait_until_drawn
from pipelines.warehouse.lake import Lake

REPO = Path(__file__).resolve().parent.parent
PAGES = {"": "Spend overview", "cost-drivers": "Cost drivers",
         "latency": "Latency and throughput", "scenarios": "Scenarios",
         "hardware": "Hardware generations", "prices": "Prices",
         "reconciliation": "Reconciliation", "budgets": "Budgets",
         "data-quality": "Data quality", "inspector": "Inspector"}
NAV_LABELS = {"": "Spend overview", "hardware": "Hardware"}


def check_built(warehouse: Path) -> int:
    """The 10M lake bench/ingest_bench.py leaves is made by the whole job: ledger, costs,
    marts and projections. Returns its calls."""
    if not warehouse.exists():
        raise SystemExit(f"{warehouse} is missing: run bench/ingest_bench.py first")
    conn = Lake.locate(warehouse).connect(read_only=True)
    try:
        if conn.execute("SELECT count(*) FROM scenario_projection").fetchone()[0] == 0:
            raise SystemExit(f"{warehouse} has no projections: run bench/ingest_bench.py")
        return conn.execute("SELECT count(*) FROM fct_requests").fetchone()[0]
    finally:
        conn.close()


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


def returning_browser(page, warehouse: Path, port: int, repeats: int) -> dict:
    """Each page's cold load, then its warm loads and switches repeated: this VM's timings
    vary by a third from one load to the next, so the median says what a page costs and the
    slowest what a user may meet."""
    server = serve(warehouse, port)
    try:
        print(f"{'':<14}{'cold':>6}{'warm load':>16}{'switch to':>16}  seconds")
        print(f"{'page':<14}{'load':>6}{'median':>9}{'slowest':>8}{'median':>9}{'slowest':>8}")
        loads = {"cold": [], "warm": [], "switch": []}
        for path, title in PAGES.items():
            url = f"http://localhost:{port}/{path}"
            cold = timed_load(page, url, title)
            warm = [timed_load(page, url, title) for _ in range(repeats)]
            switch = []
            for _ in range(repeats):
                # from another page, through the sidebar
                other, other_title = ("inspector", "Inspector") if path == "" else \
                    ("", "Spend overview")
                page.goto(f"http://localhost:{port}/{other}")
                finished(page, other_title)
                switch.append(timed_switch(page, path, title))
            loads["cold"].append(cold)
            loads["warm"] += warm
            loads["switch"] += switch
            print(f"{path or 'spend':<14}{cold:>6.2f}{median(warm):>9.2f}{max(warm):>8.2f}"
                  f"{median(switch):>9.2f}{max(switch):>8.2f}")
        return loads
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path,
                        default=REPO / "bench-output" / "history-10x-current.ducklake",
                        help="the 10M-call lake bench/ingest_bench.py leaves")
    parser.add_argument("--repeats", type=int, default=5,
                        help="warm loads and switches per page")
    args = parser.parse_args()
    warehouse = args.warehouse
    print(f"warehouse: {warehouse}, {check_built(warehouse):,} calls")
    # The browser caches by address: both servers listen on the same port.
    port = free_port()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        first = first_visit(page, warehouse, port)
        print(f"first visit (new browser, new server), Spend overview: {first:.2f} s")
        print("returning browser (still open), server restarted:")
        loads = returning_browser(page, warehouse, port, args.repeats)
        browser.close()
    every = loads["cold"] + loads["warm"] + loads["switch"]
    print(f"slowest single load: cold {max(loads['cold']):.2f} s, warm {max(loads['warm']):.2f} "
          f"s, switching pages {max(loads['switch']):.2f} s; "
          f"{sum(t < 2 for t in every)} of {len(every)} loads under 2 s (target: every page "
          "under 2 s)")


if __name__ == "__main__":
    main()
