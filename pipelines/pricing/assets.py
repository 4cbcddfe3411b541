"""The pricing domain's assets: the price book, each model string matched to it, the exact cost
of every call, and the check that warns of unpriced models."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    MaterializeResult,
    asset,
    asset_check,
)

from pipelines.landing.assets import landing_files
from pipelines.ledger.assets import fct_requests
from pipelines.pricing import costs, pricebook
from pipelines.warehouse.resource import PRICING, TokenworksWarehouse, _nothing_to_do, _timed


@asset(group_name=PRICING, deps=[landing_files], kinds={"duckdb"},
       description="The price book exported from the pinned genai-prices package: effective-"
                   "dated price sets, context variants and tiers as rows.")
def dim_price(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    overrides = tokenworks.overrides()
    version = pricebook.pricebook_version(overrides)
    rows, seconds = _timed(pricebook.load_prices, tokenworks.workspace.connect(), version,
                           overrides)
    return MaterializeResult(metadata={"rows": rows, "pricebook_version": version,
                                       "seconds": seconds})


@asset(group_name=PRICING, deps=[fct_requests, dim_price], kinds={"duckdb"},
       description="Each distinct (provider, model) string of the ledger matched once to a "
                   "price-book model by the package's own rules.")
def dim_model(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    conn = tokenworks.workspace.connect()
    overrides = tokenworks.overrides()
    (matched, unmatched), seconds = _timed(pricebook.match_models, conn,
                                           pricebook.pricebook_version(overrides), overrides)
    rows = conn.execute("SELECT count(*) FROM dim_model").fetchone()[0]
    return MaterializeResult(metadata={"rows": rows, "matched_now": matched,
                                       "unmatched": unmatched, "seconds": seconds})


@asset(group_name=PRICING, deps=[dim_model], kinds={"duckdb"},
       description="Exact DECIMAL cost per call and per bucket at the price in force at "
                   "event_at; re-priced whole on every run.")
def fct_costs(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
              ) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    conn = tokenworks.workspace.connect()
    full, seconds = _timed(costs.cost_calls, conn,
                           pricebook.pricebook_version(tokenworks.overrides()),
                           context.run.run_id)
    rows, unpriced = conn.execute(
        "SELECT count(*), count(*) FILTER (NOT is_priced) FROM fct_costs").fetchone()
    return MaterializeResult(metadata={"rows": rows, "unpriced_calls": unpriced,
                                       "repriced_all": full, "seconds": seconds})


@asset_check(asset=fct_costs, description="Every successful call's model has a price; unpriced "
                                          "models are listed with their tokens (unpriced_models).")
def every_call_priced(tokenworks: TokenworksWarehouse) -> AssetCheckResult:
    if not tokenworks.workspace.has_work:
        return AssetCheckResult(passed=True, metadata={"note": "nothing new this run"})
    rows = tokenworks.workspace.connect().execute(
        "SELECT provider, model, calls, input_tokens, output_tokens FROM unpriced_models"
    ).fetchall()
    return AssetCheckResult(
        passed=not rows, severity=AssetCheckSeverity.WARN,
        metadata={"unpriced_models": len(rows),
                  "unpriced_calls": sum(r[2] for r in rows),
                  "examples": str(rows[:10])})
