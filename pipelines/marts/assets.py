"""The marts domain's assets: the daily marts the dashboards and analysts read, the spend-at-risk
estimates, and the check that warns of calls whose usage was never logged."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from pipelines.marts.build import build_marts
from pipelines.pricing.assets import fct_costs
from pipelines.warehouse.resource import MARTS, TokenworksWarehouse, _nothing_to_do, _timed


@asset(group_name=MARTS, deps=[fct_costs], kinds={"duckdb"},
       description="Daily spend by provider, model, project, user, API key and status, with "
                   "tokens and cost per bucket; the drivers and distribution marts; the "
                   "estimated cost of calls without usage (fct_cost_estimates).")
def mart_daily_spend(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    if not tokenworks.workspace.has_work:
        return _nothing_to_do()
    rows, seconds = _timed(build_marts, tokenworks.workspace.connect())
    return MaterializeResult(metadata={"rows": rows, "seconds": seconds})


@asset_check(asset=mart_daily_spend,
             description="Every call's log holds its usage. Calls without it have an unknown "
                         "cost (never $0): listed by provider and model with their estimated "
                         "spend at risk and the fix at the source (unknown_usage).")
def usage_logged(tokenworks: TokenworksWarehouse) -> AssetCheckResult:
    if not tokenworks.workspace.has_work:
        return AssetCheckResult(passed=True, metadata={"note": "nothing new this run"})
    rows = tokenworks.workspace.connect().execute(
        "SELECT provider, model, calls, estimated_cost, fix FROM unknown_usage").fetchall()
    listing = "\n".join(
        ["| provider | model | calls | spend at risk (estimated, USD) | fix |",
         "|---|---|---|---|---|",
         *(f"| {p} | {m} | {n:,} | {'' if e is None else f'{e:.4f}'} | {fix} |"
           for p, m, n, e, fix in rows[:50])])
    return AssetCheckResult(
        passed=not rows, severity=AssetCheckSeverity.WARN,
        metadata={"calls_without_usage": sum(r[2] for r in rows),
                  "spend_at_risk_estimated_usd": str(sum(r[3] or 0 for r in rows)),
                  "models": MetadataValue.md(listing),
                  "examples": str([r[:3] for r in rows[:10]])})
