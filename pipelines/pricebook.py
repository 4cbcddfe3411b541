"""The price book: the genai-prices package's data, exported as rows the warehouse can join.

Nothing here prices a call; SQL does (sql/costs/). This module only turns the package's objects
into two kinds of rows:

- price rows (`dim_price`): one per model, price set, price key and tier. A price set is either
  a *standard* set, chosen by date or time of day (the package tries them last to first and
  falls back to the first), or a *variant* set that overrides some keys when the request's
  context matches (`processing=batch`, `service_tier=flex`, …).
- model matches (`dim_model`): each distinct (provider, raw model string) seen in the ledger,
  matched once by the package's own rules (including its provider fallbacks).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

import genai_prices
from genai_prices import data_snapshot, types

# The price keys the warehouse's buckets can be priced with; the package's other keys (audio,
# image, video, documents, storage searches, …) have no bucket here.
PRICE_KEYS = {
    "input_mtok": 1_000_000,
    "cache_read_mtok": 1_000_000,
    "cache_write_mtok": 1_000_000,
    "cache_write_5m_mtok": 1_000_000,
    "cache_write_1h_mtok": 1_000_000,
    "output_mtok": 1_000_000,
    "output_reasoning_mtok": 1_000_000,
    "web_searches_kcount": 1_000,
    "requests_kcount": 1_000,
}


def package_version() -> str:
    return f"genai-prices {genai_prices.__version__}"


@dataclass(frozen=True)
class PriceRow:
    price_provider: str
    price_model: str
    set_kind: str  # standard | variant
    set_ordinal: int
    constraint_kind: str  # always | start_date | time_of_day
    start_date: date | None
    start_time: time | None
    end_time: time | None
    when_key: str | None
    when_value: str | None
    price_key: str
    tier_start: int  # 0 = base price; otherwise applies when total input tokens exceed it
    unit_price: Decimal  # USD per `per` units
    per: int


def _constraint(constraint) -> tuple[str, date | None, time | None, time | None]:
    if constraint is None:
        return "always", None, None, None
    if isinstance(constraint, types.StartDateConstraint):
        return "start_date", constraint.start_date, None, None
    if isinstance(constraint, types.TimeOfDateConstraint):
        return ("time_of_day", None, _utc_time(constraint.start_time),
                _utc_time(constraint.end_time))
    raise TypeError(f"unknown price constraint {constraint!r}")


def _utc_time(value: time) -> time:
    # The package compares times of day in UTC; naive means UTC.
    return types._utc_timetz(value).replace(tzinfo=None)  # noqa: SLF001


def _price_rows(provider_id: str, model_id: str, kind: str, ordinal: int, constraint,
                prices: types.ModelPrice, when: tuple[str, str] | None) -> list[PriceRow]:
    constraint_kind, start_date, start_time, end_time = _constraint(constraint)
    rows = []
    for key, per in PRICE_KEYS.items():
        value = getattr(prices, key, None)
        if value is None:
            continue
        tiers = ([(0, value.base), *((t.start, t.price) for t in value.tiers)]
                 if isinstance(value, types.TieredPrices) else [(0, value)])
        for tier_start, unit_price in tiers:
            rows.append(PriceRow(provider_id, model_id, kind, ordinal, constraint_kind,
                                 start_date, start_time, end_time,
                                 when[0] if when else None, when[1] if when else None,
                                 key, tier_start, Decimal(unit_price), per))
    return rows


def model_price_rows(provider: types.Provider, model: types.ModelInfo) -> list[PriceRow]:
    rows: list[PriceRow] = []
    if isinstance(model.prices, types.ModelPrice):
        rows += _price_rows(provider.id, model.id, "standard", 0, None, model.prices, None)
    else:
        for ordinal, conditional in enumerate(model.prices):
            rows += _price_rows(provider.id, model.id, "standard", ordinal,
                                conditional.constraint, conditional.prices, None)
    for ordinal, variant in enumerate(model.price_variants or ()):
        # A variant with several conditions is matched on all of them; the warehouse's
        # contexts carry one key each, so such variants never apply and are not exported.
        if len(variant.when) != 1:
            continue
        (when,) = variant.when.items()
        rows += _price_rows(provider.id, model.id, "variant", ordinal, variant.constraint,
                            variant.prices, when)
    return rows


def all_price_rows() -> list[PriceRow]:
    snapshot = data_snapshot.get_snapshot()
    rows: list[PriceRow] = []
    for provider in snapshot.providers:
        for model in provider.models:
            rows += model_price_rows(provider, model)
    return rows


@dataclass(frozen=True)
class ModelMatch:
    provider: str
    model: str
    price_provider: str | None
    price_model: str | None
    via_fallback: bool  # priced from another provider's list (e.g. Azure -> OpenAI)


def match_model(provider_id: str | None, model_ref: str | None) -> ModelMatch:
    """The package's own matching: its provider lookup, model match rules and fallbacks."""
    if not provider_id or not model_ref:
        return ModelMatch(provider_id or "", model_ref or "", None, None, False)
    snapshot = data_snapshot.get_snapshot()
    try:
        provider, model = snapshot.find_provider_model(model_ref, None, provider_id, None)
    except LookupError:
        return ModelMatch(provider_id, model_ref, None, None, False)
    owner = next((p for p in snapshot.providers if any(m is model for m in p.models)), provider)
    return ModelMatch(provider_id, model_ref, owner.id, model.id, owner is not provider)


def snapshot_fingerprint() -> str:
    """Changes whenever the exported price rows change."""
    digest = hashlib.blake2b(digest_size=8)
    for row in all_price_rows():
        digest.update(repr(row).encode())
    return digest.hexdigest()


# ------------------------------------------------------------------------ into the warehouse


def pricebook_version() -> str:
    return f"{package_version()} ({snapshot_fingerprint()})"


def load_prices(conn, version: str) -> int:
    """Replace dim_price with the package's price rows; returns the row count."""
    import polars as pl

    rows = all_price_rows()
    frame = pl.DataFrame(
        [{**row.__dict__, "unit_price": str(row.unit_price),
          "price_per_unit": str(row.unit_price / row.per), "pricebook_version": version}
         for row in rows],
        schema_overrides={"start_date": pl.Date, "start_time": pl.Time, "end_time": pl.Time,
                          "when_key": pl.String, "when_value": pl.String},
        infer_schema_length=None)
    conn.execute("DELETE FROM dim_price")
    conn.register("price_rows", frame)
    try:
        conn.execute(
            "INSERT INTO dim_price BY NAME SELECT * REPLACE ("
            "unit_price::DECIMAL(30, 18) AS unit_price, "
            "price_per_unit::DECIMAL(18, 12) AS price_per_unit) FROM price_rows")
    finally:
        conn.unregister("price_rows")
    return len(rows)


def match_models(conn, version: str) -> tuple[int, int]:
    """Match each (provider, model) string of the ledger not yet matched by this price-book
    version; returns (newly matched strings, unmatched strings in all)."""
    conn.execute("DELETE FROM dim_model WHERE pricebook_version <> ?", [version])
    todo = conn.execute(
        "SELECT DISTINCT f.provider, f.model FROM fct_requests f "
        "ANTI JOIN dim_model m ON m.provider = f.provider AND m.model = f.model "
        "WHERE f.provider IS NOT NULL AND f.model IS NOT NULL").fetchall()
    matches = [match_model(provider, model) for provider, model in todo]
    if matches:
        conn.executemany("INSERT INTO dim_model VALUES (?, ?, ?, ?, ?, ?)",
                         [(m.provider, m.model, m.price_provider, m.price_model, m.via_fallback,
                           version) for m in matches])
    unmatched = conn.execute("SELECT count(*) FROM dim_model WHERE price_model IS NULL"
                             ).fetchone()[0]
    return len(matches), unmatched


def cost_calls(conn, version: str) -> None:
    from pipelines.warehouse import read_sql

    conn.execute(read_sql("costs/fct_costs.sql"), {"pricebook_version": version})


def build_marts(conn) -> int:
    from pipelines.warehouse import read_sql

    conn.execute(read_sql("costs/mart_daily_spend.sql"))
    return conn.execute("SELECT count(*) FROM mart_daily_spend").fetchone()[0]


def published_version(conn) -> str | None:
    """The price-book version the published warehouse was priced with, if any."""
    try:
        row = conn.execute("SELECT max(pricebook_version) FROM dim_price").fetchone()
    except Exception:  # an older warehouse without the table
        return None
    return row[0] if row else None


def price_all(conn, version: str | None = None) -> dict:
    """Load the price book, match new model strings, cost every call, rebuild the marts."""
    version = version or pricebook_version()
    price_rows = load_prices(conn, version)
    matched, unmatched = match_models(conn, version)
    cost_calls(conn, version)
    build_marts(conn)
    priced, unpriced = conn.execute(
        "SELECT count(*) FILTER (is_priced), count(*) FILTER (NOT is_priced) FROM fct_costs"
    ).fetchone()
    return {"pricebook_version": version, "price_rows": price_rows,
            "models_matched_now": matched, "models_unmatched": unmatched,
            "calls_priced": priced, "calls_unpriced": unpriced}
