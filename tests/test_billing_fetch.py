"""Fetching the billing reports (pipelines/billing/fetch.py, fetch_assets.py) against a real HTTP
server on 127.0.0.1 that replays recorded pages (tests/fixtures/billing/fetch/SOURCE.md): page 1
says has_more and gives a cursor, page 2 ends. The server refuses a request whose key, headers
or query parameters are not what the providers' APIs expect, and answers an error where a test
asks it to. Nothing of the HTTP layer is mocked."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from dagster import DagsterInstance, instance_for_test, materialize

from pipelines import config
from pipelines.billing import fetch
from pipelines.billing.fetch_assets import BillingApi, billing_reports_fetched
from pipelines.definitions import build_definitions

RECORDED = Path(__file__).parent / "fixtures" / "billing" / "fetch"
KEYS = {"openai": "sk-admin-TEST-openai-0123456789", "anthropic": "sk-ant-admin01-TEST-abcdef"}
FIRST, LAST = date(2025, 8, 1), date(2025, 8, 14)  # the window most tests fetch
# What each API path must be asked, as the providers document it (not taken from fetch.py).
PATHS = {
    "/v1/organization/costs": ("openai", "costs", {
        "bucket_width": ["1d"], "group_by": ["line_item", "project_id"]}),
    "/v1/organization/usage/completions": ("openai", "usage_completions", {
        "bucket_width": ["1d"], "group_by": ["model", "project_id", "batch"]}),
    "/v1/organizations/cost_report": ("anthropic", "cost_report", {
        "bucket_width": ["1d"], "group_by[]": ["description", "workspace_id"]}),
    "/v1/organizations/usage_report/messages": ("anthropic", "usage_messages", {
        "bucket_width": ["1d"],
        "group_by[]": ["model", "workspace_id", "service_tier", "context_window"]}),
}
LABELS = sorted(f"{provider}/{report}" for provider, report, _ in PATHS.values())


def recorded_pages(label: str) -> list[bytes]:
    return [path.read_bytes() for path in sorted((RECORDED / label).glob("page-*.json"))]


class Replay(ThreadingHTTPServer):
    """The providers' admin APIs, replaying the recorded pages."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReplayHandler)
        self.window = (FIRST, LAST)
        self.keys = dict(KEYS)
        self.served: list[tuple[str, dict[str, list[str]]]] = []  # (path, query) answered 200
        self.refused: list[str] = []  # requests that were not what the API expects
        self.errors: dict[tuple[str, int], list[int]] = {}  # (path, page) -> statuses to answer
        self.slow: dict[str, float] = {}  # path -> seconds to wait before answering
        self.pages: dict[str, list[bytes]] = {}  # provider/report -> pages other than recorded
        self.redirects: dict[str, str] = {}  # path -> where it redirects
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def fail(self, path: str, status: int, page: int = 1, times: int = 100) -> None:
        self.errors[(path, page)] = [status] * times


class ReplayHandler(BaseHTTPRequestHandler):
    server: Replay

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        if url.path in self.server.redirects:
            self.send_response(302)
            self.send_header("Location", self.server.redirects[url.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if url.path not in PATHS:
            return self.refuse(404, f"unknown path {url.path}")
        provider, report, expected = PATHS[url.path]
        problem = self.auth_problem(provider) or self.query_problem(provider, query, expected)
        if problem:
            return self.refuse(401 if "key" in problem else 400, f"{url.path}: {problem}")
        label = f"{provider}/{report}"
        pages = self.server.pages.get(label) or recorded_pages(label)
        page = 1
        if "page" in query:  # only the cursor a page gave leads to the next page
            following = [index + 2 for index, body in enumerate(pages[:-1])
                         if query["page"] == [json.loads(body)["next_page"]]]
            if not following:
                return self.refuse(400, f"{url.path}: unknown cursor {query['page']}")
            page = following[0]
        time.sleep(self.server.slow.get(url.path, 0))
        with self.server.lock:
            statuses = self.server.errors.get((url.path, page))
            status = statuses.pop(0) if statuses else None
        if status is not None:
            body = b'{"error": {"type": "injected", "message": "try later"}}'
            self.send_response(status)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        with self.server.lock:
            self.server.served.append((url.path, query))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(pages[page - 1])))
        self.end_headers()
        self.wfile.write(pages[page - 1])
        return None

    def auth_problem(self, provider: str) -> str | None:
        key = self.server.keys[provider]
        if provider == "openai":
            if self.headers.get("Authorization") != f"Bearer {key}":
                return "wrong or missing key (Authorization: Bearer)"
            return None
        if self.headers.get("x-api-key") != key:
            return "wrong or missing key (x-api-key)"
        if self.headers.get("anthropic-version") != "2023-06-01":
            return f"anthropic-version is {self.headers.get('anthropic-version')!r}"
        return None

    def query_problem(self, provider: str, query: dict[str, list[str]], expected: dict
                      ) -> str | None:
        first, last = self.server.window
        start = datetime.combine(first, datetime.min.time(), UTC)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
        window = ({"start_time": [str(int(start.timestamp()))],
                   "end_time": [str(int(end.timestamp()))]} if provider == "openai" else
                  {"starting_at": [start.strftime("%Y-%m-%dT%H:%M:%SZ")],
                   "ending_at": [end.strftime("%Y-%m-%dT%H:%M:%SZ")]})
        asked = {name: values for name, values in query.items() if name not in ("page", "limit")}
        if asked != {**window, **expected}:
            return f"query {asked} is not {({**window, **expected})}"
        if len(query.get("limit", [])) != 1 or not 1 <= int(query["limit"][0]) <= 180:
            return f"limit {query.get('limit')}"
        return None

    def refuse(self, status: int, problem: str) -> None:
        self.server.refused.append(problem)
        body = json.dumps({"error": {"message": problem}}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def api() -> Iterator[Replay]:
    server = Replay()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as inst:
        yield inst


FAST = fetch.Http(timeout=5.0, retries=2, backoff=0.0)


def fetch_everything(landing: Path, api: Replay, keys=KEYS, http=FAST) -> fetch.Outcome:
    return fetch.fetch_all(landing, keys, {"openai": api.base, "anthropic": api.base},
                           FIRST, LAST, http)


def window_folder(landing: Path, label: str, first: date = FIRST, last: date = LAST) -> Path:
    return landing / "billing" / "fetched" / label / f"{first.isoformat()}_{last.isoformat()}"


def written(landing: Path) -> dict[str, bytes]:
    """Every file under the landing folder, hidden ones included, by relative path."""
    return {path.relative_to(landing).as_posix(): path.read_bytes()
            for path in sorted(landing.rglob("*")) if path.is_file()}


def assert_pages_as_recorded(landing: Path, labels=LABELS) -> None:
    for label in labels:
        folder = window_folder(landing, label)
        pages = sorted(folder.iterdir())
        assert [p.name for p in pages] == [f"page-{n:04d}.json"
                                           for n in range(1, len(pages) + 1)], label
        assert [p.read_bytes() for p in pages] == recorded_pages(label), label


# ----------------------------------------------------------------------- pure functions

def test_window_is_whole_utc_days_before_today():
    assert fetch.window(date(2026, 12, 6), 35) == (date(2026, 11, 1), date(2026, 12, 5))
    assert fetch.window(date(2026, 12, 6), 1) == (date(2026, 12, 5), date(2026, 12, 5))
    with pytest.raises(ValueError, match="at least 1"):
        fetch.window(date(2026, 12, 6), 0)


def test_each_report_is_asked_as_its_api_documents():
    by_label = {report.label: report for report in fetch.REPORTS}
    assert sorted(by_label) == LABELS
    costs = by_label["openai/costs"].query(date(2024, 11, 1), date(2024, 11, 1))
    assert costs[:3] == [("start_time", "1730419200"), ("end_time", "1730505600"),
                         ("bucket_width", "1d")]
    report = by_label["anthropic/cost_report"].query(date(2025, 8, 1), date(2025, 8, 31))
    assert report[:2] == [("starting_at", "2025-08-01T00:00:00Z"),
                          ("ending_at", "2025-09-01T00:00:00Z")]
    assert by_label["anthropic/usage_messages"].headers("k")["anthropic-version"] == "2023-06-01"
    assert by_label["openai/costs"].headers("k")["Authorization"] == "Bearer k"


# ------------------------------------------------------------------ against the server

def test_every_page_is_written_as_sent_following_the_cursor(api, tmp_path):
    outcome = fetch_everything(tmp_path, api)
    assert api.refused == [] and outcome.failed == [] and outcome.skipped == []
    assert_pages_as_recorded(tmp_path)
    assert {(w.report.label, w.pages) for w in outcome.written} == {
        ("openai/costs", 1), ("openai/usage_completions", 2), ("anthropic/cost_report", 2),
        ("anthropic/usage_messages", 2)}
    assert all(w.bytes == sum(map(len, recorded_pages(w.report.label)))
               for w in outcome.written)
    # The second page was asked for with the first page's cursor, exactly.
    cursors = {path: query["page"] for path, query in api.served if "page" in query}
    assert cursors == {
        "/v1/organization/usage/completions": ["page_AAAAAGijgQLgv6bHAAAAAGihG4A="],
        "/v1/organizations/cost_report": ["page_MjAyNS0wNS0xNFQwMDowMDowMFo="],
        "/v1/organizations/usage_report/messages": ["page_MjAyNS0wNS0xNFQwMDowMDowMFo="]}
    assert len(api.served) == 7
    # Nothing but the pages: no temporary folder left behind.
    assert len(written(tmp_path)) == 7


def test_a_refetch_replaces_the_window_whole(api, tmp_path):
    fetch_everything(tmp_path, api)
    first_time = written(tmp_path)
    # An earlier fetch of the window had one more page, which the API no longer returns.
    stale = window_folder(tmp_path, "anthropic/cost_report") / "page-0003.json"
    stale.write_bytes(b'{"data": [], "has_more": false, "next_page": null}')
    fetch_everything(tmp_path, api)
    assert not stale.exists()
    assert written(tmp_path) == first_time  # replaced, never doubled


def test_another_window_is_another_folder(api, tmp_path):
    fetch_everything(tmp_path, api)
    api.window = (FIRST + timedelta(days=1), LAST + timedelta(days=1))
    costs = next(r for r in fetch.REPORTS if r.label == "openai/costs")
    done = fetch.fetch_report(tmp_path, costs, api.base, KEYS["openai"], *api.window, FAST)
    assert done.folder == window_folder(tmp_path, "openai/costs", *api.window)
    assert sorted(p.name for p in done.folder.parent.iterdir()) == [
        "2025-08-01_2025-08-14", "2025-08-02_2025-08-15"]


@pytest.mark.parametrize(("status", "page", "attempts"), [
    (401, 1, 1),  # a wrong key: not tried again
    (500, 2, 3),  # the second page fails: the first is not written either
    (429, 1, 3),  # rate limited every time
])
def test_an_http_error_names_what_failed_and_leaves_earlier_files(api, tmp_path, status, page,
                                                                   attempts):
    fetch_everything(tmp_path, api)
    before = written(tmp_path)
    served_before = len(api.served)
    path = "/v1/organizations/cost_report"
    api.fail(path, status, page=page)
    outcome = fetch_everything(tmp_path, api)
    assert [e.provider for e in outcome.failed] == ["anthropic"]
    error = outcome.failed[0]
    assert (error.report, error.status, error.page) == ("cost_report", status, page)
    message = str(error)
    assert message.startswith(f"anthropic cost_report: page {page}: HTTP {status}")
    assert "try later" in message  # what the API said
    if attempts > 1:
        assert f"(after {attempts} attempts)" in message
    else:
        assert "attempts" not in message
    assert KEYS["anthropic"] not in message and KEYS["openai"] not in message
    assert len(api.errors[(path, page)]) == 100 - attempts
    assert written(tmp_path) == before  # the failed window untouched, the others re-written
    assert len(api.served) - served_before == 7 - 2 + (page - 1)
    with pytest.raises(fetch.FetchError, match=f"anthropic cost_report: page {page}: HTTP"):
        fetch.fetch_report(tmp_path, next(r for r in fetch.REPORTS if r.label ==
                                          "anthropic/cost_report"),
                           api.base, KEYS["anthropic"], FIRST, LAST, FAST)


def test_a_429_or_5xx_is_tried_again_and_then_succeeds(api, tmp_path):
    api.fail("/v1/organization/usage/completions", 429, page=2, times=1)
    api.fail("/v1/organizations/usage_report/messages", 503, page=1, times=2)
    outcome = fetch_everything(tmp_path, api)
    assert outcome.failed == []
    assert_pages_as_recorded(tmp_path)


def test_a_timeout_is_an_error_naming_the_report(api, tmp_path):
    api.slow["/v1/organization/costs"] = 1.0
    with pytest.raises(fetch.FetchError) as raised:
        fetch.fetch_report(tmp_path, fetch.REPORTS[0], api.base, KEYS["openai"], FIRST, LAST,
                           fetch.Http(timeout=0.2, retries=1, backoff=0.0))
    assert str(raised.value).startswith("openai costs: page 1: no response from GET "
                                        f"{api.base}/v1/organization/costs")
    assert "timed out" in str(raised.value) and raised.value.status is None
    assert not (tmp_path / "billing" / "fetched" / "openai" / "costs" / (
        "2025-08-01_2025-08-14")).exists()
    assert [p.name for p in (tmp_path / "billing" / "fetched" / "openai" / "costs").iterdir()
            ] == []  # the temporary folder went too


def test_a_wrong_key_is_refused_and_not_repeated_anywhere(api, tmp_path):
    wrong = {"openai": "sk-admin-WRONG-1", "anthropic": "sk-ant-admin-WRONG-2"}
    outcome = fetch_everything(tmp_path, api, keys=wrong)
    assert sorted((e.provider, e.report, e.status) for e in outcome.failed) == [
        ("anthropic", "cost_report", 401), ("anthropic", "usage_messages", 401),
        ("openai", "costs", 401), ("openai", "usage_completions", 401)]
    assert len(api.refused) == 4  # once each: a 401 is not tried again
    assert not any(key in str(e) for e in outcome.failed for key in wrong.values())
    assert written(tmp_path) == {}


def test_a_report_that_does_not_end_is_an_error(api, tmp_path):
    # A page that says has_more without a cursor would be asked for again forever.
    api.pages["openai/costs"] = [json.dumps(
        {"object": "page", "data": [], "has_more": True, "next_page": None}).encode()]
    with pytest.raises(fetch.FetchError, match="has_more is true but next_page is empty"):
        fetch.fetch_report(tmp_path, fetch.REPORTS[0], api.base, KEYS["openai"], FIRST, LAST,
                           FAST)
    assert written(tmp_path) == {}


def test_a_redirect_is_not_followed_so_the_key_stays_home(api, tmp_path):
    api.redirects["/v1/organization/costs"] = f"{api.base}/elsewhere"
    with pytest.raises(fetch.FetchError, match="openai costs: page 1: HTTP 302") as raised:
        fetch.fetch_report(tmp_path, fetch.REPORTS[0], api.base, KEYS["openai"], FIRST, LAST,
                           FAST)
    assert raised.value.status == 302
    assert api.refused == [] and api.served == []  # /elsewhere was never asked


def test_what_a_fetch_that_died_left_is_swept(api, tmp_path):
    reports = tmp_path / "billing" / "fetched" / "openai" / "costs"
    old, recent = reports / ".fetching-2025-08-01_2025-08-14-old", reports / ".replaced-x-new"
    for leftover in (old, recent):
        leftover.mkdir(parents=True)
        (leftover / "page-0001.json").write_bytes(b"{}")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    fetch.fetch_report(tmp_path, fetch.REPORTS[0], api.base, KEYS["openai"], FIRST, LAST, FAST)
    assert sorted(p.name for p in reports.iterdir()) == [
        ".replaced-x-new", "2025-08-01_2025-08-14"]  # a younger one may be another fetch's


def test_only_providers_with_a_key_are_fetched(api, tmp_path):
    outcome = fetch_everything(tmp_path, api, keys={"openai": KEYS["openai"], "anthropic": ""})
    assert outcome.skipped == ["anthropic"]
    assert sorted(w.report.label for w in outcome.written) == ["openai/costs",
                                                                "openai/usage_completions"]
    assert {path for path, _ in api.served} == {"/v1/organization/costs",
                                               "/v1/organization/usage/completions"}
    assert not (tmp_path / "billing" / "fetched" / "anthropic").exists()


# ------------------------------------------------------------------------------ Dagster

def today_window(days: int) -> tuple[date, date]:
    return fetch.window(datetime.now(UTC).date(), days)


def test_the_job_fetches_every_report_from_the_definitions(api, tmp_path, instance,
                                                            monkeypatch):
    for provider, variable in config.ADMIN_KEYS.items():
        monkeypatch.setenv(variable, KEYS[provider])
    settings = config.resolve(tmp_path / "landing", tmp_path / "wh.ducklake",
                              openai_api_base=api.base + "/",
                              anthropic_api_base=api.base, billing_fetch_days=10)
    api.window = today_window(10)
    defs = build_definitions(settings)
    result = defs.resolve_job_def("fetch_billing").execute_in_process(instance=instance)
    assert result.success and api.refused == []
    [event] = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    first, last = api.window
    assert metadata["window"] == f"{first.isoformat()}..{last.isoformat()}"
    assert metadata["fetched"] is True and "note" not in metadata
    for label in LABELS:
        folder = window_folder(settings.landing, label, first, last)
        pages = [p.read_bytes() for p in sorted(folder.iterdir())]
        assert pages == recorded_pages(label)
        assert metadata[f"{label}/pages"] == len(pages)
        assert metadata[f"{label}/bytes"] == sum(map(len, pages))
    assert metadata["pages"] == 7
    # The fetch never opened the warehouse, and no key went into what Dagster recorded.
    assert not Path(settings.warehouse).exists()
    [started] = [e.message for e in result.all_events
                 if e.event_type_value == "RESOURCE_INIT_STARTED"]
    assert "billing_api" in started and "tokenworks" not in started
    recorded = " ".join(str(record) for record in instance.all_logs(result.run_id))
    assert "billing_reports_fetched" in recorded
    assert not any(key in recorded for key in KEYS.values())
    snapshot = str(instance.get_job_snapshot(
        instance.get_run_by_id(result.run_id).job_snapshot_id))
    assert api.base in snapshot and not any(key in snapshot for key in KEYS.values())


def test_the_job_and_its_schedule_stand_apart_from_the_ingest(tmp_path):
    defs = build_definitions(config.resolve(tmp_path, tmp_path / "wh.ducklake"))
    schedule = defs.resolve_schedule_def("daily_billing_fetch")
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == (
        "0 1 * * *", "UTC", "fetch_billing")
    fetching = defs.resolve_job_def("fetch_billing")
    assert [n.name for n in fetching.graph.node_defs] == ["billing_reports_fetched"]
    assert "billing_reports_fetched" not in {
        n.name for n in defs.resolve_job_def("ingest").graph.node_defs}


def test_without_a_key_the_asset_does_nothing_and_says_so(api, tmp_path, instance,
                                                          monkeypatch):
    for variable in config.ADMIN_KEYS.values():
        monkeypatch.delenv(variable, raising=False)
    result = materialize([billing_reports_fetched], instance=instance, resources={
        "billing_api": BillingApi(landing=str(tmp_path), openai_api_base=api.base,
                                  anthropic_api_base=api.base)})
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert metadata["fetched"] is False and metadata["pages"] == 0
    assert metadata["note"] == ("no admin key set (OPENAI_ADMIN_KEY not set, "
                                "ANTHROPIC_ADMIN_KEY not set): nothing fetched")
    assert api.served == [] and api.refused == []
    assert list(tmp_path.iterdir()) == []


def test_a_failed_report_fails_the_asset_after_the_others_are_fetched(api, tmp_path, instance,
                                                                       monkeypatch):
    monkeypatch.setenv("OPENAI_ADMIN_KEY", KEYS["openai"])
    monkeypatch.delenv("ANTHROPIC_ADMIN_KEY", raising=False)
    api.window = today_window(35)
    api.fail("/v1/organization/usage/completions", 401)
    result = materialize([billing_reports_fetched], instance=instance, raise_on_error=False,
                         resources={"billing_api": BillingApi(
                             landing=str(tmp_path), openai_api_base=api.base,
                             anthropic_api_base="http://127.0.0.1:9", backoff_seconds=0.0)})
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.event_specific_data.error
    assert "openai usage_completions: page 1: HTTP 401" in error.message
    assert failure.event_specific_data.user_failure_data.metadata["openai/costs/pages"].value == 1
    first, last = api.window
    assert [p.read_bytes() for p in sorted(
        window_folder(tmp_path, "openai/costs", first, last).iterdir())] == recorded_pages(
        "openai/costs")
    assert not (tmp_path / "billing" / "fetched" / "openai" / "usage_completions" /
                f"{first.isoformat()}_{last.isoformat()}").exists()
