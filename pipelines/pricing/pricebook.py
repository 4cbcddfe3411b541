"""The price book: the genai-prices package's data, exported as rows the warehouse can join.

Nothing here prices a call; SQL does (sql/pricing/, run by costs.py). This module only turns the
package's objects into two kinds of rows:

- price rows (`dim_price`): one per model, price set, price key and tier. A price set is either
  a *standard* set, chosen by date or time of day (the package tries them last to first and
  falls back to the first), or a *variant* set that overrides some keys when the request's
  context matches (`processing=batch`, `service_tier=flex`, …).
- model matches (`dim_model`): each distinct (provider, raw model string) seen in the ledger,
  matched once by the package's own rules (including its provider fallbacks).
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from genai_prices import data_snapshot, types

from pipelines.warehouse.sql import insert_rows

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
    return f"genai-prices {importlib.metadata.version('genai-prices')}"


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
    return types._utc_timetz(value).replace(tzinfo=None)


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


OVERRIDE_PROVIDER = "override"


def all_price_rows(overrides=None) -> list[PriceRow]:
    """The package's price rows, plus the overrides file's custom models and corrections."""
    snapshot = data_snapshot.get_snapshot()
    rows: list[PriceRow] = []
    for provider in snapshot.providers:
        for model in provider.models:
            rows += model_price_rows(provider, model)
    if overrides is None:
        return rows
    for custom in overrides.custom_models:
        rows += _price_rows(OVERRIDE_PROVIDER, custom.price_model, "standard", 0, None,
                            types.ModelPrice(**custom.prices), None)
    for correction in overrides.corrections:
        rows += _corrected_set(rows, correction)
    return rows


def _corrected_set(rows: list[PriceRow], correction) -> list[PriceRow]:
    """A correction is a new standard set from its date: the model's latest set with the
    corrected keys replaced (the package's own way to change a price from a date)."""
    own = [r for r in rows if r.set_kind == "standard"
           and (r.price_provider, r.price_model) == (correction.provider, correction.model)]
    if not own:
        raise LookupError(f"correction for {correction.provider}/{correction.model}: no such "
                          "model in the price book (for a model it lacks, use custom_models)")
    latest = max(r.set_ordinal for r in own)
    kept = [r for r in own if r.set_ordinal == latest and r.price_key not in correction.prices]
    new = [PriceRow(**{**r.__dict__, "set_ordinal": latest + 1, "constraint_kind": "start_date",
                       "start_date": correction.valid_from, "start_time": None,
                       "end_time": None}) for r in kept]
    new += _price_rows(correction.provider, correction.model, "standard", latest + 1,
                       types.StartDateConstraint(correction.valid_from),
                       types.ModelPrice(**correction.prices), None)
    return new


@dataclass(frozen=True)
class ModelMatch:
    provider: str
    model: str
    price_provider: str | None
    price_model: str | None
    via_fallback: bool  # priced from another provider's list (e.g. Azure -> OpenAI)


def match_model(provider_id: str | None, model_ref: str | None, overrides=None) -> ModelMatch:
    """Custom models of the overrides file first, then the package's own matching: its
    provider lookup, model match rules and fallbacks."""
    if not provider_id or not model_ref:
        return ModelMatch(provider_id or "", model_ref or "", None, None, False)
    for custom in overrides.custom_models if overrides else ():
        if custom.provider == provider_id and (
                model_ref == custom.model if custom.match == "exact"
                else model_ref.startswith(custom.model)):
            return ModelMatch(provider_id, model_ref, OVERRIDE_PROVIDER, custom.price_model,
                              False)
    snapshot = data_snapshot.get_snapshot()
    try:
        provider, model = snapshot.find_provider_model(model_ref, None, provider_id, None)
    except LookupError:
        return ModelMatch(provider_id, model_ref, None, None, False)
    owner = next((p for p in snapshot.providers if any(m is model for m in p.models)), provider)
    return ModelMatch(provider_id, model_ref, owner.id, model.id, owner is not provider)


def pricebook_version(overrides=None) -> str:
    """The pinned package version identifies its price data (it is never updated at run time
    here), plus a hash of the overrides file when there is one."""
    version = package_version()
    if overrides is not None and overrides.fingerprint != "none":
        version += f" + overrides {overrides.fingerprint}"
    return version


def load_prices(conn, version: str, overrides=None) -> int:
    """Replace dim_price with the price rows and price_discounts with the overrides'
    discounts; returns the price row count."""
    import polars as pl

    if published_version(conn) == version:  # the same price book is already loaded
        return conn.execute("SELECT count(*) FROM dim_price").fetchone()[0]
    rows = all_price_rows(overrides)
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
    conn.execute("DELETE FROM price_discounts")
    insert_rows(conn, "price_discounts", [
        (ordinal, d.provider, d.model, d.project, str(d.percent), d.valid_from, d.until, version)
        for ordinal, d in enumerate(overrides.discounts if overrides else ())])
    return len(rows)


def models_to_match(conn, version: str) -> bool:
    """Whether a model string of the ledger has no match of this price-book version."""
    stale = conn.execute("SELECT count(*) FROM dim_model WHERE pricebook_version <> ?",
                         [version]).fetchone()[0]
    new = conn.execute(
        "SELECT count(*) FROM (SELECT DISTINCT f.provider, f.model FROM fct_requests f "
        "ANTI JOIN dim_model m ON m.provider = f.provider AND m.model = f.model "
        "WHERE f.provider IS NOT NULL AND f.model IS NOT NULL)").fetchone()[0]
    return stale + new > 0


def match_models(conn, version: str, overrides=None) -> tuple[int, int]:
    """Match each (provider, model) string of the ledger not yet matched by this price-book
    version; returns (newly matched strings, unmatched strings in all)."""
    conn.execute("DELETE FROM dim_model WHERE pricebook_version <> ?", [version])
    todo = conn.execute(
        "SELECT DISTINCT f.provider, f.model FROM fct_requests f "
        "ANTI JOIN dim_model m ON m.provider = f.provider AND m.model = f.model "
        "WHERE f.provider IS NOT NULL AND f.model IS NOT NULL").fetchall()
    matches = [match_model(provider, model, overrides) for provider, model in todo]
    if matches:
        insert_rows(conn, "dim_model",
                    [(m.provider, m.model, m.price_provider, m.price_model, m.via_fallback,
                      version) for m in matches])
    unmatched = conn.execute("SELECT count(*) FROM dim_model WHERE price_model IS NULL"
                             ).fetchone()[0]
    return len(matches), unmatched


def published_version(conn) -> str | None:
    """The price-book version the published warehouse was priced with, if any."""
    try:
        row = conn.execute("SELECT max(pricebook_version) FROM dim_price").fetchone()
    except Exception:  # an older warehouse without the table
        return None
    return row[0] if row else None
