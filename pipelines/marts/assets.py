"""The marts domain's assets: the daily marts the dashboards and analysts read, the spend-at-risk
estimates of the calls whose usage was never logged (they read their reference from the drivers
mart, and the spend mart sums them), and the check that warns of those calls.

Each is rebuilt whole when the costs were last made whole by another run than the one it was
last built from (`<asset>.from` against `fct_costs.full` in warehouse_meta), else for the days
whose costs this run changed (run_changed_days), else left as it is."""

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
    multi_asset,
)

from pipelines.marts.build import build_marts, build_spend
from pipelines.pricing import costs
from pipelines.pricing.assets import costed_calls_check, fct_costs
from pipelines.warehouse import state
from pipelines.warehouse.resource import MARTS, TokenworksWarehouse, nothing_to_do, timed
from pipelines.warehouse.sql import scalar


def _scope(tokenworks: TokenworksWarehouse, asset_name: str, run_id: str) -> bool | None:
    """True: rebuild whole; False: the days this run changed; None: nothing to do."""
    if tokenworks.recorded(f"{asset_name}.from") != _costs_full(tokenworks):
        return True
    if state.run_changed(tokenworks.reader(), "run_changed_days", run_id):
        return False
    return None


def _costs_full(tokenworks: TokenworksWarehouse) -> str:
    """The run that last costed every call ("none": never recorded, as in a warehouse costed
    outside a run)."""
    return tokenworks.recorded("fct_costs.full") or "none"


def _built(tokenworks: TokenworksWarehouse, asset_name: str, full: bool) -> None:
    if full:
        tokenworks.record(f"{asset_name}.from", _costs_full(tokenworks))


@multi_asset(
    specs=[
        AssetSpec("mart_daily_drivers", group_name=MARTS, deps=[fct_costs], kinds={"duckdb"},
                  description="What drives the spend per day, provider, model and project: "
                              "runaway generations, caching, repeats, batch, reasoning, "
                              "streaming, and the reference the spend-at-risk estimate reads."),
        AssetSpec("mart_daily_distribution", group_name=MARTS, deps=[fct_costs],
                  kinds={"duckdb"},
                  description="Histograms per day for distributions and percentiles."),
    ],
)
def daily_marts(context: AssetExecutionContext, tokenworks: TokenworksWarehouse):
    full = _scope(tokenworks, "daily_marts", context.run.run_id)
    if full is None:
        for key in ("mart_daily_drivers", "mart_daily_distribution"):
            yield MaterializeResult(asset_key=key, metadata={"note": "no cost changed"})
        return
    rows, seconds = timed(build_marts, tokenworks.writer(), context.run.run_id, full)
    _built(tokenworks, "daily_marts", full)
    yield MaterializeResult(asset_key="mart_daily_drivers", metadata={
        "rows": rows, "rebuilt_whole": full, "seconds": seconds})
    distribution = scalar(tokenworks.writer(), "SELECT count(*) FROM mart_daily_distribution")
    yield MaterializeResult(asset_key="mart_daily_distribution", metadata={
        "rows": distribution, "rebuilt_whole": full})


@asset(group_name=MARTS, deps=[fct_costs, "mart_daily_drivers"], kinds={"duckdb"},
       description="The estimated cost of each call whose usage was never logged: spend at "
                   "risk, never part of total_cost (docs/pricing.md).")
def fct_cost_estimates(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                       ) -> MaterializeResult:
    full = _scope(tokenworks, "fct_cost_estimates", context.run.run_id)
    if full is None:
        return nothing_to_do("no cost changed")
    estimated, seconds = timed(costs.estimate_unknown_usage, tokenworks.writer(),
                               context.run.run_id, full)
    _built(tokenworks, "fct_cost_estimates", full)
    return MaterializeResult(metadata={"calls_estimated": estimated, "rebuilt_whole": full,
                                       "seconds": seconds})


@asset(group_name=MARTS, deps=[fct_costs, fct_cost_estimates], kinds={"duckdb"},
       description="Daily spend by provider, model, project, user, API key and status, with "
                   "tokens and cost per bucket, and the spend at risk of calls without usage.")
def mart_daily_spend(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                     ) -> MaterializeResult:
    full = _scope(tokenworks, "mart_daily_spend", context.run.run_id)
    if full is None:
        return nothing_to_do("no cost changed")
    rows, seconds = timed(build_spend, tokenworks.writer(), context.run.run_id, full)
    _built(tokenworks, "mart_daily_spend", full)
    tokenworks.record("mart_daily_spend.built", context.run.run_id)
    return MaterializeResult(metadata={"rows": rows, "rebuilt_whole": full, "seconds": seconds})


@asset_check(asset=mart_daily_spend,
             description="The log of every call the run costed holds its usage. Calls without "
                         "it have an unknown cost (never $0): listed by provider and model with "
                         "their estimated spend at risk and the fix at the source. The view "
                         "unknown_usage lists those of every call.")
def usage_logged(tokenworks: TokenworksWarehouse) -> AssetCheckResult:
    def metadata(rows: list[tuple], in_warehouse: int) -> dict:
        listing = "\n".join(
            ["| provider | model | calls | spend at risk (estimated, USD) | fix |",
             "|---|---|---|---|---|",
             *(f"| {p} | {m} | {n:,} | {'' if e is None else f'{e:.4f}'} | {fix} |"
               for p, m, n, e, fix in rows[:50])])
        return {"calls_without_usage": sum(r[2] for r in rows),
                "spend_at_risk_estimated_usd": str(sum(r[3] or 0 for r in rows)),
                "models": MetadataValue.md(listing),
                "examples": str([r[:3] for r in rows[:10]]),
                "calls_without_usage_in_warehouse": in_warehouse}

    return costed_calls_check(
        tokenworks, "SELECT provider, model, calls, estimated_cost, fix "
                    "FROM unknown_usage_among('calls_to_cost')", "usage_unknown", metadata)
