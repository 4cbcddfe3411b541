"""Provider billing reports, exactly as the APIs and consoles deliver them, read into rows.

Pure: a file's name and bytes in, rows out; no I/O. What each report holds, and its traps
(docs/reconciliation.md):
- OpenAI Costs API pages: daily buckets of results, `amount.value` in **dollars**, a number or
  a string. Usage API completions pages: `input_tokens` includes cached and cache-write tokens.
- Anthropic Admin API cost report pages: `amount` in **cents**, as a decimal string ("123.45" is
  $1.2345). Messages usage report pages: `uncached_input_tokens` excludes cache reads and writes.
- The consoles' CSV exports: OpenAI's amounts in dollars; Anthropic's `cost_usd` in dollars.
- Buckets are UTC days, end exclusive; an empty bucket is a day reported with nothing billed.

A file holds one page, a JSON array of pages, or one page a line. Amounts are read as exact
decimals (never floats). A result that cannot be read is a problem with its page or line and
the reason; the rest of the file is still read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

COSTS, USAGE = "costs", "usage"
OPENAI, ANTHROPIC = "openai", "anthropic"
SUFFIXES = (".json", ".jsonl", ".csv", ".tsv")
DAY_SECONDS = 86_400
AMOUNT_SCALE = 18  # decimals kept of an amount in USD (billing_cost_lines.amount_usd)


class ReportError(ValueError):
    """The file as a whole is not a billing report this reader knows."""


@dataclass(frozen=True)
class CostLine:
    page: int  # the page of a JSON file (from 1), or the line of a CSV file
    line: int  # the result within its page (from 1); 0 for a CSV line
    day: date
    amount_reported: str  # the amount exactly as the report wrote it
    amount_unit: str  # dollars | cents
    amount_usd: Decimal
    currency: str
    line_item: str | None = None  # OpenAI line_item, Anthropic description
    model: str | None = None
    project_id: str | None = None  # OpenAI project_id, Anthropic workspace_id
    api_key_id: str | None = None
    token_type: str | None = None
    cost_type: str | None = None
    service_tier: str | None = None
    context_window: str | None = None
    quantity: Decimal | None = None
    quantity_unit: str | None = None


@dataclass(frozen=True)
class UsageLine:
    page: int
    line: int
    day: date
    model: str | None
    project_id: str | None
    api_key_id: str | None
    service_tier: str | None
    batch: bool | None
    input_tokens: int | None  # billed at the base input rate: no cache reads or writes
    cache_read_tokens: int | None
    cache_write_tokens: int | None  # 5-minute (or unspecified) cache writes
    cache_write_1h_tokens: int | None
    output_tokens: int | None
    web_search_requests: int | None
    requests: int | None  # Anthropic reports none


@dataclass(frozen=True)
class Problem:
    page: int
    reason: str
    excerpt: str


@dataclass
class Report:
    provider: str
    report: str  # costs | usage
    source_format: str  # e.g. openai_costs_api, anthropic_cost_export_csv
    days: set[date] = field(default_factory=set)  # every day the report covers
    costs: list[CostLine] = field(default_factory=list)
    usage: list[UsageLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    pages: int = 0

    def add(self, line: CostLine | UsageLine) -> None:
        if isinstance(line, CostLine):
            self.costs.append(line)
        else:
            self.usage.append(line)


def read_report(name: str, data: bytes) -> Report:
    """The rows of one billing report file. Raises ReportError when the file as a whole cannot
    be read (not JSON/CSV, or of no known report shape)."""
    lower = name.lower()
    if lower.endswith((".csv", ".tsv")):
        return _read_export(data)
    if lower.endswith((".json", ".jsonl")):
        return _read_pages(name, data)
    raise ReportError(f"not a billing report file (expected {', '.join(SUFFIXES)})")


# ------------------------------------------------------------------------ API pages


def _pages(data: bytes) -> list:
    text = data.decode("utf-8")
    try:
        whole = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError:
        # one page a line
        try:
            return [json.loads(line, parse_float=Decimal)
                    for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise ReportError(f"malformed JSON: {exc}") from None
    return whole if isinstance(whole, list) else [whole]


def _read_pages(name: str, data: bytes) -> Report:
    try:
        pages = _pages(data)
    except UnicodeDecodeError as exc:
        raise ReportError(f"not UTF-8 text: {exc}") from None
    if not pages or not all(isinstance(page, dict) and isinstance(page.get("data"), list)
                            for page in pages):
        raise ReportError("not a report page: expected an object with a `data` list of "
                          "buckets (or a list of such pages)")
    buckets = [bucket for page in pages for bucket in page["data"] if isinstance(bucket, dict)]
    provider, report = _kind_of_pages(name, buckets)
    reader = _READERS[provider, report]
    out = Report(provider, report, f"{provider}_{_API_NAMES[provider, report]}_api",
                 pages=len(pages))
    for number, page in enumerate(pages, 1):
        for bucket in page["data"]:
            try:
                day = _bucket_day(provider, bucket)
            except ValueError as exc:
                out.problems.append(Problem(number, f"bucket: {exc}", _excerpt(bucket)))
                continue
            out.days.add(day)
            for index, result in enumerate(bucket.get("results") or [], 1):
                try:
                    row = reader(number, index, day, result)
                except (ValueError, TypeError, KeyError, InvalidOperation) as exc:
                    out.problems.append(Problem(
                        number, f"result {index} of the bucket of {day}: {exc}",
                        _excerpt(result)))
                    continue
                out.add(row)
    return out


_API_NAMES = {(OPENAI, COSTS): "costs", (OPENAI, USAGE): "usage_completions",
              (ANTHROPIC, COSTS): "cost_report", (ANTHROPIC, USAGE): "usage_report_messages"}


def _kind_of_pages(name: str, buckets: list[dict]) -> tuple[str, str]:
    """Which provider and report the pages are, from their buckets and results; an all-empty
    report is told by its file name (…cost… or …usage…)."""
    if not buckets:
        raise ReportError("no buckets: a report page's `data` holds daily buckets")
    provider = (OPENAI if "start_time" in buckets[0] else
                ANTHROPIC if "starting_at" in buckets[0] else None)
    if provider is None:
        raise ReportError("buckets have neither start_time (OpenAI) nor starting_at "
                          "(Anthropic)")
    results = [r for b in buckets for r in (b.get("results") or []) if isinstance(r, dict)]
    if results:
        first = results[0]
        if provider == OPENAI:
            kind = str(first.get("object", ""))
            if kind.endswith("costs.result") or "amount" in first:
                return provider, COSTS
            if "usage.completions" in kind or "num_model_requests" in first:
                return provider, USAGE
            raise ReportError(f"OpenAI results of an unknown report (object {kind!r}): only "
                              "the costs and usage/completions reports are read")
        if "amount" in first:
            return provider, COSTS
        if "uncached_input_tokens" in first:
            return provider, USAGE
        raise ReportError("Anthropic results of an unknown report: only the cost report and "
                          "the messages usage report are read")
    lower = name.lower()
    if "cost" in lower:
        return provider, COSTS
    if "usage" in lower:
        return provider, USAGE
    raise ReportError("every bucket is empty, so the report cannot be told from its content: "
                      "name the file …cost… or …usage…")


def _bucket_day(provider: str, bucket: dict) -> date:
    if provider == OPENAI:
        start, end = bucket.get("start_time"), bucket.get("end_time")
        if not isinstance(start, int) or not isinstance(end, int):
            raise ValueError("start_time and end_time must be Unix seconds")
        begins = datetime.fromtimestamp(start, UTC)
        ends = datetime.fromtimestamp(end, UTC)
    else:
        begins = _timestamp(bucket.get("starting_at"))
        ends = _timestamp(bucket.get("ending_at"))
    return _one_day(begins, ends)


def _timestamp(value) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an RFC 3339 time")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment.astimezone(UTC)


def _one_day(begins: datetime, ends: datetime) -> date:
    if begins.time() != datetime.min.time() or ends - begins != timedelta(days=1):
        raise ValueError(f"{begins.isoformat()} to {ends.isoformat()} is not one UTC day "
                         "(the reports are read at bucket_width=1d)")
    return begins.date()


def _openai_cost(page: int, line: int, day: date, result: dict) -> CostLine:
    amount = result.get("amount")
    if not isinstance(amount, dict):
        raise ValueError("no amount")
    reported, usd = _amount(amount.get("value"), cents=False)
    return CostLine(
        page, line, day, reported, "dollars", usd, _currency(amount.get("currency")),
        line_item=_text(result.get("line_item")), project_id=_text(result.get("project_id")),
        api_key_id=_text(result.get("api_key_id")),
        quantity=_decimal_or_none(result.get("quantity")),
        quantity_unit=_text(result.get("quantity_unit")))


def _anthropic_cost(page: int, line: int, day: date, result: dict) -> CostLine:
    reported, usd = _amount(result.get("amount"), cents=True)
    return CostLine(
        page, line, day, reported, "cents", usd, _currency(result.get("currency")),
        line_item=_text(result.get("description")), model=_text(result.get("model")),
        project_id=_text(result.get("workspace_id")), token_type=_text(result.get("token_type")),
        cost_type=_text(result.get("cost_type")), service_tier=_text(result.get("service_tier")),
        context_window=_text(result.get("context_window")))


def _openai_usage(page: int, line: int, day: date, result: dict) -> UsageLine:
    total_input = _count(result, "input_tokens")
    cached = _count(result, "input_cached_tokens")
    written = _count(result, "input_cache_write_tokens")
    uncached = _count(result, "input_uncached_tokens")
    if uncached is None and total_input is not None:
        # input_tokens includes the cached and the cache-write tokens
        uncached = total_input - (cached or 0) - (written or 0)
        if uncached < 0:
            raise ValueError(f"input_tokens {total_input} is less than its cached "
                             f"{cached} and cache-write {written} tokens")
    return UsageLine(
        page, line, day, _text(result.get("model")), _text(result.get("project_id")),
        _text(result.get("api_key_id")), _text(result.get("service_tier")),
        _flag(result.get("batch")), uncached, cached, written, None,
        _count(result, "output_tokens"), None, _count(result, "num_model_requests"))


def _anthropic_usage(page: int, line: int, day: date, result: dict) -> UsageLine:
    creation = result.get("cache_creation") or {}
    tools = result.get("server_tool_use") or {}
    return UsageLine(
        page, line, day, _text(result.get("model")), _text(result.get("workspace_id")),
        _text(result.get("api_key_id")), _text(result.get("service_tier")), None,
        _count(result, "uncached_input_tokens"), _count(result, "cache_read_input_tokens"),
        _count(creation, "ephemeral_5m_input_tokens"),
        _count(creation, "ephemeral_1h_input_tokens"), _count(result, "output_tokens"),
        _count(tools, "web_search_requests"), None)


_READERS: dict[tuple[str, str], Callable[..., CostLine | UsageLine]] = {
    (OPENAI, COSTS): _openai_cost, (ANTHROPIC, COSTS): _anthropic_cost,
    (OPENAI, USAGE): _openai_usage, (ANTHROPIC, USAGE): _anthropic_usage}


# --------------------------------------------------------------------- console exports


def _read_export(data: bytes) -> Report:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReportError(f"not UTF-8 text: {exc}") from None
    first = text.split("\n", 1)[0]
    dialect = "excel-tab" if "\t" in first else "excel"
    rows = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = set(rows.fieldnames or [])
    kind = next((kind for kind, columns in _EXPORT_HEADERS.items() if columns <= header), None)
    if kind is None:
        raise ReportError(f"CSV header of no known export ({', '.join(sorted(header)[:8])}): "
                          "expected the OpenAI or Anthropic console's cost or usage export")
    provider, report, source_format = kind
    out = Report(provider, report, source_format, pages=1)
    reader = _EXPORT_READERS[provider, report]
    for number, row in enumerate(rows, 2):  # line 1 is the header
        try:
            day = _export_day(provider, row)
            out.days.add(day)
            if not any((row.get(column) or "").strip() for column in _EXPORT_VALUES[kind]):
                continue  # a day exported with nothing on it
            parsed = reader(number, day, row)
        except (ValueError, TypeError, InvalidOperation) as exc:
            out.problems.append(Problem(number, str(exc), _excerpt(row)))
            continue
        out.add(parsed)
    return out


_EXPORT_HEADERS = {
    (OPENAI, COSTS, "openai_cost_export_csv"): {"start_time", "end_time", "amount_value",
                                                "amount_currency", "line_item"},
    (OPENAI, USAGE, "openai_usage_export_csv"): {"start_time", "end_time", "input_tokens",
                                                 "output_tokens", "num_model_requests"},
    (ANTHROPIC, COSTS, "anthropic_cost_export_csv"): {"usage_date_utc", "model", "cost_usd",
                                                      "token_type"},
    (ANTHROPIC, USAGE, "anthropic_usage_export_csv"): {"usage_date_utc", "model_version",
                                                       "usage_input_tokens_no_cache",
                                                       "usage_output_tokens"},
}
_EXPORT_VALUES = {
    (OPENAI, COSTS, "openai_cost_export_csv"): ("amount_value",),
    (OPENAI, USAGE, "openai_usage_export_csv"): ("input_tokens", "output_tokens",
                                                 "num_model_requests"),
    (ANTHROPIC, COSTS, "anthropic_cost_export_csv"): ("cost_usd",),
    (ANTHROPIC, USAGE, "anthropic_usage_export_csv"): ("usage_input_tokens_no_cache",
                                                       "usage_output_tokens"),
}


def _export_day(provider: str, row: dict) -> date:
    if provider == ANTHROPIC:
        return date.fromisoformat((row.get("usage_date_utc") or "").strip()[:10])
    start, end = (row.get("start_time") or "").strip(), (row.get("end_time") or "").strip()
    if start.isdigit() and end.isdigit():
        return _one_day(datetime.fromtimestamp(int(start), UTC),
                        datetime.fromtimestamp(int(end), UTC))
    return _one_day(_timestamp(row.get("start_time_iso")), _timestamp(row.get("end_time_iso")))


def _openai_cost_row(number: int, day: date, row: dict) -> CostLine:
    reported, usd = _amount(row["amount_value"], cents=False)
    return CostLine(
        number, 0, day, reported, "dollars", usd, _currency(row.get("amount_currency")),
        line_item=_cell(row, "line_item"), project_id=_cell(row, "project_id"),
        api_key_id=_cell(row, "api_key_id"), quantity=_decimal_or_none(_cell(row, "quantity")),
        quantity_unit=_cell(row, "quantity_unit"))


def _anthropic_cost_row(number: int, day: date, row: dict) -> CostLine:
    reported, usd = _amount(row["cost_usd"], cents=False)  # the console exports dollars
    return CostLine(
        number, 0, day, reported, "dollars", usd, "USD", model=_cell(row, "model"),
        project_id=_cell(row, "workspace"), api_key_id=_cell(row, "api_key_id"),
        token_type=_cell(row, "token_type"), cost_type=_cell(row, "cost_type"),
        context_window=_cell(row, "context_window"),
        line_item=" ".join(filter(None, (_cell(row, "usage_type"), _cell(row, "token_type"))))
        or None)


def _openai_usage_row(number: int, day: date, row: dict) -> UsageLine:
    result: dict = {key: _whole(value) if key in _OPENAI_COUNTS else _cell(row, key)
                    for key, value in row.items() if key}
    batch = (result.get("batch") or "").lower()
    result["batch"] = {"true": True, "false": False, "": None}.get(batch, batch)
    return _openai_usage(number, 0, day, result)


_OPENAI_COUNTS = {"input_tokens", "input_cached_tokens", "input_cache_write_tokens",
                  "input_uncached_tokens", "output_tokens", "num_model_requests"}


def _anthropic_usage_row(number: int, day: date, row: dict) -> UsageLine:
    def count(column: str) -> int | None:
        return _whole(row.get(column))

    return UsageLine(
        number, 0, day, _cell(row, "model_version"), _cell(row, "workspace"),
        _cell(row, "api_key"), None, None, count("usage_input_tokens_no_cache"),
        count("usage_input_tokens_cache_read"), count("usage_input_tokens_cache_write_5m"),
        count("usage_input_tokens_cache_write_1h"), count("usage_output_tokens"),
        count("web_search_count"), None)


_EXPORT_READERS: dict[tuple[str, str], Callable[..., CostLine | UsageLine]] = {
    (OPENAI, COSTS): _openai_cost_row, (ANTHROPIC, COSTS): _anthropic_cost_row,
    (OPENAI, USAGE): _openai_usage_row, (ANTHROPIC, USAGE): _anthropic_usage_row}


# ------------------------------------------------------------------------ values


def _amount(value, *, cents: bool) -> tuple[str, Decimal]:
    """The amount as reported, and in USD: exact, never through a float."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"amount {value!r} is not a number")
    reported = str(value).strip()
    try:
        amount = Decimal(reported)
    except InvalidOperation:
        raise ValueError(f"amount {reported!r} is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"amount {reported!r} is not a number")
    usd = amount / 100 if cents else amount
    if usd != usd.quantize(Decimal(1).scaleb(-AMOUNT_SCALE)):
        raise ValueError(f"amount {reported!r} has more than {AMOUNT_SCALE} decimals in USD")
    return reported, usd


def _currency(value) -> str:
    currency = str(value or "").strip().upper()
    if currency != "USD":
        raise ValueError(f"currency {value!r}: only USD amounts can be set against the ledger")
    return currency


def _count(record: dict, key: str) -> int | None:
    value = record.get(key) if isinstance(record, dict) else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} {value!r} is not a token count")
    return value


def _whole(value) -> int | None:
    """A count from an export cell: '59200.0' is 59200; '59200.5' is an error."""
    text = (value or "").strip()
    if not text:
        return None
    number = Decimal(text)
    if number != number.to_integral_value() or number < 0:
        raise ValueError(f"{text!r} is not a token count")
    return int(number)


def _decimal_or_none(value) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return Decimal(str(value).strip())


def _text(value) -> str | None:
    return None if value is None else str(value)


def _cell(row: dict, column: str) -> str | None:
    value = (row.get(column) or "").strip()
    return value or None


def _flag(value) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"batch {value!r} is not true, false or null")


def _excerpt(value) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text[:600]
