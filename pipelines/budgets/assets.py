"""The budgets domain's assets: the budgets evaluated after pricing (their alerts raised in the
run's transaction), and the alerts delivered after the run commits."""

from datetime import UTC, datetime

from dagster import AssetExecutionContext, MaterializeResult, asset

from pipelines import config
from pipelines.budgets import alerts, evaluate
from pipelines.budgets.file import load as load_budgets
from pipelines.scenarios.projection import as_double
from pipelines.warehouse.resource import BUDGETS, TokenworksWarehouse, nothing_to_do, timed


@asset(group_name=BUDGETS, kinds={"duckdb"},
       deps=["mart_daily_spend", "dim_model", "scenario_trend", "forecast_methods"],
       description="The budgets file evaluated against the spend: budgets, budget_daily (view "
                   "budget_status), and the open periods' new alerts recorded in "
                   "budget_alerts.")
def budget_status(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                  ) -> MaterializeResult:
    budget_file = load_budgets(tokenworks.budgets_path)
    inputs = (f"{budget_file.fingerprint} | {tokenworks.recorded('mart_daily_spend.built')} | "
              f"{tokenworks.recorded('scenario_base.built')}")
    if tokenworks.recorded("budget_status.from") == inputs:
        return nothing_to_do("budgets and spend unchanged")
    scenario_file = tokenworks.scenario_file()
    baseline = scenario_file.resolved(scenario_file.scenario("baseline"))
    conn = tokenworks.writer()
    method = evaluate.resolved_method(conn, str(baseline["trend_method"]),
                                      str(baseline["trend_by"]))
    count, seconds = timed(evaluate.build, conn, budget_file, method,
                           as_double(baseline["min_monthly_growth"]),
                           as_double(baseline["max_monthly_growth"]))
    raised = alerts.raise_alerts(conn, context.run.run_id, datetime.now(UTC))
    tokenworks.record("budget_status.from", inputs)
    statuses = dict(conn.execute("SELECT status, count(*) FROM budget_status WHERE is_open "
                                 "GROUP BY ALL").fetchall())
    return MaterializeResult(metadata={"budgets": count, "forecast_method": method,
                                       "alerts_raised": raised, "seconds": seconds,
                                       **{f"open_{k}": v for k, v in sorted(statuses.items())}})


@asset(group_name=BUDGETS, deps=["ingest_runs"], kinds={"duckdb"},
       description="Budget alerts not yet delivered, POSTed to TOKENWORKS_ALERT_WEBHOOK after "
                   "the run's commit; each outcome recorded in budget_alerts. A failed "
                   "delivery fails nothing: the next run tries again.")
def budget_alerts(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                  ) -> MaterializeResult:
    webhook = config.alert_webhook()
    # Asked on the run's own connection: most runs have nothing to send and open no other.
    waiting = alerts.pending(tokenworks.transaction.connection())
    if not waiting:
        return MaterializeResult(metadata={"pending": 0})
    if not webhook:
        return MaterializeResult(metadata={
            "pending": waiting, "note": "TOKENWORKS_ALERT_WEBHOOK is not set: nothing sent"})
    try:
        deliveries = alerts.deliver(tokenworks.lake(), webhook)
    except Exception as error:  # the run has committed: a delivery never fails it
        context.log.warning(f"budget alerts not sent this run: {error}")
        return MaterializeResult(metadata={"pending": waiting, "error": str(error)[:300]})
    failed = [d for d in deliveries if not d.delivered]
    return MaterializeResult(metadata={
        "pending": waiting, "delivered": len(deliveries) - len(failed), "failed": len(failed),
        "errors": str([(d.alert_id, d.error) for d in failed[:5]])})
