"""Fetching the providers' billing reports through their admin APIs, exactly as returned.

Each report is fetched for a window of whole UTC days, page by page (`has_more` / `next_page`),
and every page is kept byte for byte as the API sent it:
`<landing>/billing/fetched/<provider>/<report>/<first-day>_<last-day>/page-0001.json`, ….
The pages go to a hidden temporary folder beside the window's folder (the landing readers skip
names starting with "."), which is renamed into place once every page has arrived: a reader sees
the window's previous pages or all the new ones, never half a page, and a re-fetch of the same
window replaces its folder whole, so a page that no longer exists does not linger. An HTTP error
(after bounded retries of 429, 5xx and timeouts) raises `FetchError`, naming the provider, the
report and the status, and leaves the previous files as they were.

The admin keys go into request headers only: never into an error, a log line or a file name.
Redirects are not followed, since the key would travel with them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from http.client import HTTPException
from pathlib import Path

from pipelines import outbound
from pipelines.landing.files import BILLING_FOLDER

FETCHED = (BILLING_FOLDER, "fetched")  # under the landing folder
ANTHROPIC_VERSION = "2023-06-01"
USER_AGENT = "tokenworks-billing-fetch"
MAX_PAGES = 10_000  # a cursor that never ends is an error, not a loop
STALE_SECONDS = 3600  # a temporary folder older than this was left by a fetch that died
RETRY_AFTER_CAP = 60.0  # seconds: the most a Retry-After header makes us wait


@dataclass(frozen=True)
class Report:
    """One report of one provider's admin API: where it is and how it is asked for."""

    provider: str  # openai | anthropic
    name: str  # the folder under billing/fetched/<provider>/
    path: str  # under the API base
    group_by: tuple[str, ...]
    limit: int  # buckets per page: the API's maximum for daily buckets

    def query(self, first: date, last: date) -> list[tuple[str, str]]:
        """The query parameters for the days first..last (UTC, both included), first page."""
        start = datetime.combine(first, datetime.min.time(), UTC)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
        if self.provider == "openai":  # unix seconds; arrays as repeated names
            return [("start_time", str(int(start.timestamp()))),
                    ("end_time", str(int(end.timestamp()))), ("bucket_width", "1d"),
                    *(("group_by", field) for field in self.group_by),
                    ("limit", str(self.limit))]
        return [("starting_at", start.strftime("%Y-%m-%dT%H:%M:%SZ")),  # RFC 3339
                ("ending_at", end.strftime("%Y-%m-%dT%H:%M:%SZ")), ("bucket_width", "1d"),
                *(("group_by[]", field) for field in self.group_by),
                ("limit", str(self.limit))]

    def headers(self, key: str) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {key}"} if self.provider == "openai" else {
            "x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}
        return {**auth, "Accept": "application/json", "User-Agent": USER_AGENT}

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.name}"


REPORTS = (
    Report("openai", "costs", "/v1/organization/costs", ("line_item", "project_id"), 180),
    Report("openai", "usage_completions", "/v1/organization/usage/completions",
           ("model", "project_id", "batch"), 31),
    Report("anthropic", "cost_report", "/v1/organizations/cost_report",
           ("description", "workspace_id"), 31),
    Report("anthropic", "usage_messages", "/v1/organizations/usage_report/messages",
           ("model", "workspace_id", "service_tier", "context_window"), 31),
)


class FetchError(RuntimeError):
    """A report could not be fetched whole: nothing of it was written."""

    def __init__(self, report: Report, page: int, problem: str, status: int | None = None):
        self.provider, self.report, self.page, self.status = (
            report.provider, report.name, page, status)
        super().__init__(f"{report.provider} {report.name}: page {page}: {problem}")


@dataclass(frozen=True)
class Written:
    """One report's window, written: its folder, how many pages and bytes."""

    report: Report
    folder: Path
    pages: int
    bytes: int


@dataclass(frozen=True)
class Http:
    """How requests are made: a timeout per request (seconds), and bounded retries of 429, 5xx
    and timeouts, waiting `backoff` seconds, then twice as long, and so on (or what a
    Retry-After header asks, up to a minute)."""

    timeout: float = 60.0
    retries: int = 3
    backoff: float = 2.0


def window(today: date, days: int) -> tuple[date, date]:
    """The `days` whole UTC days before `today`: (first, last), both included. Today is left
    out: its bill is still growing."""
    if days < 1:
        raise ValueError(f"days to fetch must be at least 1, not {days}")
    return today - timedelta(days=days), today - timedelta(days=1)


def window_folder(landing: Path, report: Report, first: date, last: date) -> Path:
    return landing.joinpath(*FETCHED, report.provider, report.name,
                            f"{first.isoformat()}_{last.isoformat()}")


def fetch_pages(report: Report, base: str, key: str, first: date, last: date,
                http: Http = Http()) -> Iterator[bytes]:
    """Each page of `report` for first..last, as the bytes the API returned, following
    `next_page` while `has_more`."""
    query = report.query(first, last)
    cursors: set[str] = set()
    page = 1
    while True:
        url = f"{base.rstrip('/')}{report.path}?{urllib.parse.urlencode(query)}"
        body = _get(report, page, url, report.headers(key), http)
        more, cursor = _continuation(report, page, body)
        yield body
        if not more:
            return
        if not cursor:
            raise FetchError(report, page, "has_more is true but next_page is empty")
        if cursor in cursors or page >= MAX_PAGES:
            raise FetchError(report, page, f"pagination does not end (next_page {cursor!r})")
        cursors.add(cursor)
        query = [*report.query(first, last), ("page", cursor)]
        page += 1


def replace_window(folder: Path, pages: Iterable[bytes]) -> tuple[int, int]:
    """Write `pages` as folder/page-0001.json, … and put them in place of whatever the folder
    held, all at once; (pages, bytes). If reading `pages` fails, the folder is left as it was."""
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    _sweep(parent)
    temp = Path(tempfile.mkdtemp(prefix=f".fetching-{folder.name}-", dir=parent))
    count = size = 0
    try:
        for count, body in enumerate(pages, start=1):
            with open(temp / f"page-{count:04d}.json", "xb") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            size += len(body)
        temp.chmod(0o755)  # mkdtemp's folders are private to their owner
        _swap(temp, folder)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return count, size


def fetch_report(landing: Path, report: Report, base: str, key: str, first: date, last: date,
                 http: Http = Http()) -> Written:
    """Fetch one report's window into the landing folder (replacing an earlier fetch of the
    same window); FetchError when it cannot be fetched whole, leaving earlier files untouched."""
    folder = window_folder(landing, report, first, last)
    pages, size = replace_window(folder, fetch_pages(report, base, key, first, last, http))
    return Written(report, folder, pages, size)


@dataclass(frozen=True)
class Outcome:
    written: list[Written]
    failed: list[FetchError]
    skipped: list[str]  # providers without a key


def fetch_all(landing: Path, keys: Mapping[str, str], bases: Mapping[str, str],
              first: date, last: date, http: Http = Http(),
              log: Callable[[str], None] = lambda line: None) -> Outcome:
    """Every report of every provider that has a key; a report that fails does not stop the
    others (each is replaced whole or not at all)."""
    written, failed = [], []
    for report in REPORTS:
        key = keys.get(report.provider, "")
        if not key:
            continue
        try:
            done = fetch_report(landing, report, bases[report.provider], key, first, last, http)
        except FetchError as error:
            log(f"{error} (earlier files left as they were)")
            failed.append(error)
            continue
        log(f"{report.label} {first}..{last}: {done.pages} pages, {done.bytes} bytes "
            f"-> {done.folder}")
        written.append(done)
    skipped = sorted({r.provider for r in REPORTS if not keys.get(r.provider)})
    return Outcome(written, failed, skipped)


# ------------------------------------------------------------------------------- HTTP

def _get(report: Report, page: int, url: str, headers: dict[str, str], http: Http) -> bytes:
    """The body of a 200 response to GET url, retrying 429, 5xx and timeouts."""
    shown = url.split("?", 1)[0]
    for attempt in range(http.retries + 1):
        wait = http.backoff * 2 ** attempt
        try:
            with outbound.opener().open(urllib.request.Request(url, headers=headers),
                                        timeout=http.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            status = error.code
            detail = _excerpt(error)
            problem = f"HTTP {status} {error.reason} from GET {shown}{detail}"
            if status == 429 or status >= 500:
                wait = _retry_after(error.headers, wait)
            else:  # 4xx other than 429 (a wrong key, a bad parameter): trying again won't help
                raise FetchError(report, page, problem, status) from None
        except (TimeoutError, urllib.error.URLError, ConnectionError,
                HTTPException) as error:
            reason = getattr(error, "reason", error)
            status = None
            problem = f"no response from GET {shown}: {reason or type(error).__name__}"
        if attempt < http.retries:
            time.sleep(wait)
    raise FetchError(report, page, f"{problem} (after {http.retries + 1} attempts)", status)


def _excerpt(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read(300).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    finally:
        error.close()
    return f": {' '.join(text.split())}" if text else ""


def _retry_after(headers: Message | None, default: float) -> float:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return min(max(float(value), 0.0), RETRY_AFTER_CAP) if value else default
    except ValueError:  # an HTTP date: not worth parsing for a bounded retry
        return default


def _continuation(report: Report, page: int, body: bytes) -> tuple[bool, str | None]:
    """has_more and next_page of a page; FetchError when the body is not a report page."""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise FetchError(report, page, f"the response is not a report page: {body[:120]!r}")
    cursor = doc.get("next_page")
    return bool(doc.get("has_more")), str(cursor) if cursor else None


# ------------------------------------------------------------------------------ files

def _swap(temp: Path, folder: Path) -> None:
    """Put `temp` where `folder` is, the old folder removed after."""
    old = None
    if folder.exists():
        old = folder.with_name(f".replaced-{folder.name}-{temp.name.rsplit('-', 1)[-1]}")
        folder.rename(old)
    try:
        temp.rename(folder)
    except BaseException:
        if old is not None:
            old.rename(folder)
        raise
    _fsync_folder(folder.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sweep(parent: Path) -> None:
    """Remove what fetches that died left beside the windows (an hour old or more)."""
    cutoff = time.time() - STALE_SECONDS
    for leftover in parent.iterdir():
        if leftover.name.startswith((".fetching-", ".replaced-")) and leftover.is_dir() and (
                leftover.stat().st_mtime < cutoff):
            shutil.rmtree(leftover, ignore_errors=True)
