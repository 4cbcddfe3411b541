"""The Inspector's engine: one raw record through the pipeline's own parser and the pipeline's
own costing SQL, never a second implementation.

A pasted record is parsed by pipelines.parsing, staged into a private scratch lake that carries
the warehouse's price book (dim_price, price_discounts), matched by the same rules and
costed by the same sql/pricing/fct_costs.sql. A logged call or quarantined record is re-read from
its landing file by file and line; a call a transcript or a span export logged is read on from
the start of its file, as the reader read it (a Codex turn's model and usage depend on the lines
before it, and an export's line holds several calls).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from pipelines.landing import files as lf
from pipelines.parsing import BUCKETS, CALL_COLUMNS, Rejected, parse_stream_document
from pipelines.parsing.lines import DEFAULT_MAPPINGS, FileContext, Mappings, parse_line
from pipelines.pricing import costs, pricebook
from pipelines.pricing import overrides as overrides_file
from pipelines.warehouse.lake import Lake
from pipelines.warehouse.sql import append_frame, scalar
from pipelines.warehouse.store import WarehouseMissing, connect_reader, scratch_lake

COST_COLUMNS = ("input_cost", "cache_read_cost", "cache_write_cost", "cache_write_1h_cost",
                "output_cost", "web_search_cost", "request_cost")
TOKEN_FOR_COST = {"input_cost": "input_tokens", "cache_read_cost": "cache_read_tokens",
                  "cache_write_cost": "cache_write_tokens",
                  "cache_write_1h_cost": "cache_write_1h_tokens",
                  "output_cost": "output_tokens", "web_search_cost": "web_search_requests",
                  "request_cost": None}


@dataclass
class Inspection:
    pretty: str  # the record, indented (or the raw text when it is not JSON)
    call: dict | None = None  # the ledger row the parser made
    rejected: str | None = None  # why the parser refused it
    costs: dict = field(default_factory=dict)  # the fct_costs row

    def cost_lines(self) -> list[dict]:
        """Each bucket: its tokens and its cost, then the total."""
        if not self.costs:
            return []
        call = self.call
        if call is None:
            raise ValueError("an inspection has costs only for a call the parser made")
        lines = [{"bucket": column.removesuffix("_cost"),
                  "tokens": call.get(TOKEN_FOR_COST[column]) if TOKEN_FOR_COST[column]
                  else None, "cost_usd": self.costs[column]} for column in COST_COLUMNS]
        lines.append({"bucket": "total", "tokens": sum(call[b] for b in BUCKETS),
                      "cost_usd": self.costs["total_cost"]})
        return lines


def parse_text(text: str) -> tuple[str, dict | None, str | None]:
    """(pretty form, ledger row, rejection) of a pasted record: a JSON record (envelope or bare
    body) or a raw streamed body (SSE text)."""
    stripped = text.strip()
    try:
        record = orjson.loads(stripped)
    except orjson.JSONDecodeError as exc:
        if stripped.startswith(("data:", "event:")):
            try:
                return stripped, parse_stream_document(stripped), None
            except Rejected as rejected:
                return stripped, None, str(rejected)
        return stripped, None, f"not valid JSON: {exc}"
    pretty = json.dumps(record, indent=2, ensure_ascii=False)
    try:
        calls, rejected_parts = parse_line(record, FileContext("(inspector)", datetime.now(UTC)))
    except Rejected as rejected:
        return pretty, None, str(rejected)
    if calls:  # an OpenTelemetry export: its first call
        return pretty, calls[0], None
    if rejected_parts:
        return pretty, None, "; ".join(f"span {span}: {reason}" for span, reason in
                                       rejected_parts)
    return pretty, None, ("the record holds no call: a coding agent's line without usage, or "
                          "an OpenTelemetry export without GenAI spans (counted in "
                          "landing_files.without_calls)")


def price_call(call: dict, warehouse: Lake, price_overrides: Path | None = None) -> dict:
    """The fct_costs row the pipeline would make for this call, with the warehouse's price
    book."""
    with scratch_lake() as conn:
        conn.execute("SET enable_progress_bar = false")
        published = connect_reader(warehouse)
        try:
            for table in ("dim_price", "price_discounts"):
                append_frame(conn, table, published.execute(f"SELECT * FROM {table}").pl())
        finally:
            published.close()
        version = scalar(conn, "SELECT max(pricebook_version) FROM dim_price")
        row = {name: call.get(name) for name in CALL_COLUMNS}
        row.update(call_id=1, source_file="(inspector)", source_line=1, run_id="inspector",
                   is_canonical=True)
        columns = ", ".join(row)
        conn.execute(f"INSERT INTO stg_calls ({columns}) VALUES "
                     f"({', '.join('?' * len(row))})", list(row.values()))
        overrides = overrides_file.load(price_overrides) if price_overrides else None
        pricebook.match_models(conn, version, overrides)
        costs.cost_calls(conn, version)
        cursor = conn.execute("SELECT * FROM fct_costs")
        names = [d[0] for d in cursor.description]
        costed = cursor.fetchone()
        if costed is None:
            raise LookupError("the pipeline's costing made no fct_costs row for the call")
        return dict(zip(names, costed, strict=True))


def inspect_text(text: str, warehouse: Lake, price_overrides: Path | None = None
                 ) -> Inspection:
    pretty, call, rejected = parse_text(text)
    inspection = Inspection(pretty, call, rejected)
    if call is not None:
        with contextlib.suppress(WarehouseMissing):  # no price book yet: the parse alone
            inspection.costs = price_call(call, warehouse, price_overrides)
    return inspection


def read_record(landing: Path, source_file: str, source_line: int,
                agents: lf.AgentDirs | None = None) -> bytes | None:
    """The raw record at a file and line (a .json array's element, a whole .txt/.sse document),
    or None when the landing file is gone or shorter."""
    path = lf.locate(landing, source_file, agents)
    kind = lf.file_format(path.name)
    if kind is None or not path.exists():
        return None
    file_format, gzipped = kind
    if file_format == "sse":
        return lf.read_document(path, gzipped)
    if file_format == "json":
        try:
            elements = orjson.loads(lf.read_document(path, gzipped))
        except orjson.JSONDecodeError:
            elements = None  # one record per line: read below, like a .jsonl
        else:
            if isinstance(elements, list) and 0 < source_line <= len(elements):
                return orjson.dumps(elements[source_line - 1])
            return None
    stream = lf.open_stream(path, gzipped)
    try:
        for index, _end, line in lf.iter_lines(stream):
            if index + 1 == source_line:
                return line if isinstance(line, bytes) else None
    finally:
        stream.close()
    return None


def _numbered_records(path: Path, file_format: str, gzipped: bool) -> Iterator[tuple[int, object]]:
    """(number from 1, record) of a file of JSON records, numbered as the reader numbers them
    (a line; an array's element; a JSON document whole). A record that is not JSON is its
    orjson.JSONDecodeError."""
    def decoded(raw: bytes) -> object:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            return exc

    if file_format == "json":
        data = lf.read_document(path, gzipped)
        document = decoded(data)
        if isinstance(document, orjson.JSONDecodeError):  # one record per line
            for number, raw in enumerate(data.splitlines(), 1):
                yield number, decoded(raw)
        else:
            yield from enumerate(document if isinstance(document, list) else [document], 1)
        return
    stream = lf.open_stream(path, gzipped)
    try:
        for index, _end, line in lf.iter_lines(stream):
            if isinstance(line, bytes) and line.strip():
                yield index + 1, decoded(line)
    finally:
        stream.close()


def parse_logged(landing: Path, source_file: str, source_line: int, dedup_key: str,
                 agents: lf.AgentDirs | None = None,
                 mappings: Mappings = DEFAULT_MAPPINGS
                 ) -> tuple[str, dict | None, str | None] | None:
    """(pretty record, ledger row, rejection) of a call a transcript line or a span export
    logged, re-read as the reader reads it: every record of its file up to its own through
    parse_line with one FileContext, then the call of that record with its dedup_key. None
    when the file is gone or shorter."""
    path = lf.locate(landing, source_file, agents)
    kind = lf.file_format(path.name)
    if kind is None or kind[0] == "sse" or not path.exists():
        return None
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    context = FileContext(source_file, mtime, mappings)
    for number, record in _numbered_records(path, *kind):
        if number > source_line:
            break
        if isinstance(record, orjson.JSONDecodeError):
            if number == source_line:
                return "", None, f"malformed JSON: {record}"
            continue
        try:
            calls, rejected = parse_line(record, context)
        except Rejected as exc:
            calls, rejected = [], [(0, str(exc))]
        if number == source_line:
            call = next((c for c in calls if c["dedup_key"] == dedup_key), None)
            why = None if call is not None else (
                "; ".join(reason for _, reason in rejected) or "the record holds no call now")
            return json.dumps(record, indent=2, ensure_ascii=False), call, why
    return None


def inspect_logged(stored: dict, landing: Path, warehouse: Lake,
                   price_overrides: Path | None = None, agents: lf.AgentDirs | None = None,
                   mappings: Mappings = DEFAULT_MAPPINGS) -> Inspection | None:
    """A logged call that is not an API log's (fct_requests row `stored`: a coding agent's
    transcript line, an OpenTelemetry span, a LiteLLM payload) re-read and priced as the
    pipeline did; None when its file is gone or changed."""
    parsed = parse_logged(landing, stored["source_file"], stored["source_line"],
                          stored["dedup_key"], agents, mappings)
    if parsed is None:
        return None
    inspection = Inspection(*parsed)
    if inspection.call is not None:
        with contextlib.suppress(WarehouseMissing):
            inspection.costs = price_call(inspection.call, warehouse, price_overrides)
    return inspection
