"""The pricing domain's assets: the price book, each model string matched to it, the exact cost
of every call, and the check that warns of unpriced models."""

from collections.abc import Callable

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    asset,
    asset_check,
    multi_asset,
)

from pipelines.ledger.assets import fct_requests
from pipelines.pricing import costs, pricebook
from pipelines.warehouse.resource import PRICING, TokenworksWarehouse, nothing_to_do, timed
from pipelines.warehouse.sql import one, scalar


@multi_asset(
    specs=[
        AssetSpec("dim_price", group_name=PRICING, kinds={"duckdb"},
                  description="The price book exported from the pinned genai-prices package "
                              "and pricing/overrides.yaml: effective-dated price sets, context "
                              "variants and tiers as rows."),
        AssetSpec("price_discounts", group_name=PRICING, kinds={"duckdb"},
                  description="Negotiated discounts of pricing/overrides.yaml."),
    ],
)
def price_book(tokenworks: TokenworksWarehouse):
    """Loaded again only when the price-book version (package, overrides file) changed."""
    overrides = tokenworks.overrides()
    version = pricebook.pricebook_version(overrides)
    if pricebook.published_version(tokenworks.reader()) == version:
        for key in ("dim_price", "price_discounts"):
            yield MaterializeResult(asset_key=key, metadata={
                "pricebook_version": version, "note": "this price book is loaded"})
        return
    rows, seconds = timed(pricebook.load_prices, tokenworks.writer(), version, overrides)
    yield MaterializeResult(asset_key="dim_price", metadata={
        "rows": rows, "pricebook_version": version, "seconds": seconds})
    yield MaterializeResult(asset_key="price_discounts", metadata={
        "rows": len(overrides.discounts), "pricebook_version": version})


@asset(group_name=PRICING, deps=[fct_requests, "dim_price"], kinds={"duckdb"},
       description="Each distinct (provider, model) string of the ledger matched once to a "
                   "price-book model by the package's own rules.")
def dim_model(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    overrides = tokenworks.overrides()
    version = pricebook.pricebook_version(overrides)
    reader = tokenworks.reader()
    # Matched against this price book and this ledger already: no need to look at the ledger.
    inputs = f"{version} | {tokenworks.recorded('fct_requests.built')}"
    if tokenworks.recorded("dim_model.from") == inputs or not pricebook.models_to_match(
            reader, version):
        return nothing_to_do("every model string is matched")
    conn = tokenworks.writer()
    (matched, unmatched), seconds = timed(pricebook.match_models, conn, version, overrides)
    tokenworks.record("dim_model.from", inputs)
    rows = scalar(conn, "SELECT count(*) FROM dim_model")
    return MaterializeResult(metadata={"rows": rows, "matched_now": matched,
                                       "unmatched": unmatched, "seconds": seconds})


@asset(group_name=PRICING, deps=[dim_model, "price_discounts"], kinds={"duckdb"},
       description="Exact DECIMAL cost per call and per bucket at the price in force at "
                   "event_at: the calls this run changed, or every call when the price book "
                   "changed.")
def fct_costs(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
              ) -> MaterializeResult:
    run_id = context.run.run_id
    version = pricebook.pricebook_version(tokenworks.overrides())
    reader = tokenworks.reader()
    full = not costs.costs_current(reader, version)
    if not full and not costs.calls_changed(reader, run_id):
        return nothing_to_do("no call changed and the price book is the same")
    conn = tokenworks.writer()
    _, seconds = timed(costs.cost_calls, conn, version, run_id, full)
    if full:
        tokenworks.record("fct_costs.full", run_id)
    rows, unpriced = one(
        conn, "SELECT count(*), count(*) FILTER (NOT is_priced) FROM fct_costs")
    return MaterializeResult(metadata={"rows": rows, "unpriced_calls": unpriced,
                                       "repriced_all": full, "seconds": seconds})


@asset_check(asset=fct_costs, description="Every successful call the run costed (every call, "
                                          "after a price-book change) has a price; unpriced "
                                          "models are listed with their tokens. The view "
                                          "unpriced_models lists those of every call.")
def every_call_priced(tokenworks: TokenworksWarehouse) -> AssetCheckResult:
    return costed_calls_check(
        tokenworks, "SELECT provider, model, calls, input_tokens, output_tokens "
                    "FROM unpriced_models_among('calls_to_cost')", "unpriced_model",
        lambda rows, in_warehouse: {"unpriced_models": len(rows),
                                    "unpriced_calls": sum(r[2] for r in rows),
                                    "examples": str(rows[:10]),
                                    "unpriced_calls_in_warehouse": in_warehouse})


def costed_calls_check(tokenworks: TokenworksWarehouse, sql: str, cost_status: str,
                       metadata: Callable[[list[tuple], int], dict]) -> AssetCheckResult:
    """A warning about the calls this run costed: `sql` reads the temp view calls_to_cost and
    returns what is wrong with them; `metadata` describes those rows and how many calls of the
    whole warehouse have `cost_status`."""
    conn = tokenworks.reader()
    rows = costs.among_costed_calls(conn, sql)
    if rows is None:
        return AssetCheckResult(passed=True, metadata={"note": "no call was costed this run"})
    in_warehouse = scalar(conn, "SELECT count(*) FROM fct_costs WHERE cost_status = ?",
                          [cost_status])
    return AssetCheckResult(passed=not rows, severity=AssetCheckSeverity.WARN,
                            metadata=metadata(rows, in_warehouse))
