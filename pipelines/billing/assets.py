"""The billing domain's assets: the providers' billing reports read from <landing>/billing/, the
reconciliation of the ledger against them, and the check that names the closed days that do
not match."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from pipelines.billing.load import load_reports, reports_changed
from pipelines.warehouse.resource import BILLING, TokenworksWarehouse, nothing_to_do, timed
from pipelines.warehouse.sql import read_sql, run_sql

# Statuses of a closed day that the check warns of.
NOT_MATCHING = ("mismatch", "missing_billing", "missing_ledger")


@asset(group_name=BILLING, kinds={"duckdb"}, deps=["billing_reports_fetched"],
       description="The providers' cost and usage reports under <landing>/billing/ (API pages "
                   "and console exports), kept as reported: read again whole whenever a file "
                   "was added, changed or removed.")
def billing_reports(context: AssetExecutionContext, tokenworks: TokenworksWarehouse
                    ) -> MaterializeResult:
    if tokenworks.landing_prefix:
        return nothing_to_do("billing reports are read by runs over the whole landing folder "
                             "(no TOKENWORKS_LANDING_PREFIX)")
    # Asked of the run's snapshot first, so that a night with no new report writes nothing.
    if not reports_changed(tokenworks.reader(), tokenworks.landing_path):
        return nothing_to_do("no billing report was added, changed or removed")
    read, seconds = timed(load_reports, tokenworks.writer(), tokenworks.landing_path,
                          context.run.run_id)
    return MaterializeResult(metadata={**read, "seconds": seconds})


@asset(group_name=BILLING, deps=[billing_reports, "mart_daily_spend"], kinds={"duckdb"},
       description="The ledger against the bills, per day and provider (view "
                   "reconciliation_daily; by model, line item and tokens in the views beside "
                   "it), judged against the clock when read: its settings, and the count of "
                   "days by status.")
def reconciliation(tokenworks: TokenworksWarehouse) -> MaterializeResult:
    settings = {"open_days": tokenworks.billing_open_days,
                "tolerance_usd": tokenworks.reconcile_tolerance_usd,
                "tolerance_percent": tokenworks.reconcile_tolerance_percent}
    reader = tokenworks.reader()
    current = reader.execute(
        "SELECT count(*) FROM reconciliation_settings WHERE open_days = $open_days AND "
        "tolerance_usd = $tolerance_usd::DECIMAL(18, 6) AND "
        "tolerance_percent = $tolerance_percent::DECIMAL(9, 4)", settings).fetchone()
    if not current or current[0] != 1:
        run_sql(tokenworks.writer(), read_sql("billing/reconciliation_settings.sql"), settings)
    if not _reports_loaded(tokenworks):
        return MaterializeResult(metadata={"note": "no cost report loaded: nothing to "
                                                   "reconcile"})
    days = dict(reader.execute(
        "SELECT status, count(*) FROM reconciliation_daily GROUP BY status").fetchall())
    return MaterializeResult(metadata={"days_" + status: count
                                       for status, count in sorted(days.items())})


@asset_check(asset=reconciliation,
             description="Every closed day (its bill final) on which a provider's cost report "
                         "and the ledger are both kept matches within the tolerance: the days "
                         "that do not (mismatch, missing_billing, missing_ledger) are named. "
                         "Days before a provider's first report are not judged.")
def closed_days_reconcile(tokenworks: TokenworksWarehouse) -> AssetCheckResult:
    if not _reports_loaded(tokenworks):
        return AssetCheckResult(passed=True, metadata={
            "note": "no cost report loaded: nothing to reconcile"})
    rows = tokenworks.reader().execute(
        read_sql("billing/closed_days_not_matching.sql"), {"statuses": list(NOT_MATCHING)}
    ).fetchall()
    listing = "\n".join(
        ["| day | provider | status | ledger (USD) | billed (USD) | difference |",
         "|---|---|---|---|---|---|",
         *(f"| {day} | {provider} | {status} | {ledger} | {billed} | {difference} |"
           for day, provider, status, ledger, billed, difference in rows[:50])])
    return AssetCheckResult(
        passed=not rows, severity=AssetCheckSeverity.WARN,
        metadata={"days_not_matching": len(rows),
                  "examples": str([(str(r[0]), r[1], r[2]) for r in rows[:10]]),
                  "days": MetadataValue.md(listing)})


def _reports_loaded(tokenworks: TokenworksWarehouse) -> bool:
    """Whether a cost report is loaded: without one there is no day to judge (a cheap
    question, asked before the views are read)."""
    return tokenworks.reader().execute(
        "SELECT count(*) FROM billing_files WHERE report = 'costs'").fetchone() != (0,)
