"""The Dagster job `close_month`: `tokenworks close` from the Dagster UI, the month as run
config. Not an asset: a close is an act on one month, done once, not a table kept current.

    ops:
      close:
        config: {month: "2026-11", force: false}

Like the maintenance job, it opens its own writer on the lake (close.py: one RunTransaction,
committed whole or not at all); the run fails, writing nothing, when the close is refused.
"""

from dagster import Config, Failure, MetadataValue, OpExecutionContext, job, op
from pydantic import Field

from pipelines.closing.close import ClosingRefused, close_month
from pipelines.warehouse.resource import TokenworksWarehouse
from pipelines.warehouse.store import WarehouseMissing


class CloseMonthConfig(Config):
    month: str = Field(description="The UTC calendar month to close, YYYY-MM (e.g. 2026-11).")
    force: bool = Field(default=False, description=(
        "Close even before the month ended, before an ingest after its end, or with no calls "
        "(what arrives later is restated)."))


@op(name="close", description="Record the month's totals, calls and FOCUS rows, and the "
    "warehouse state they came from, in one commit; refused if closed already.")
def close_month_op(context: OpExecutionContext, config: CloseMonthConfig,
                   tokenworks: TokenworksWarehouse) -> None:
    try:
        closed = close_month(tokenworks.lake(), config.month, force=config.force,
                             closed_by=f"dagster run {context.run_id}", run_id=context.run_id)
    except (ClosingRefused, WarehouseMissing, ValueError) as refused:
        raise Failure(description=f"{config.month} was not closed: {refused}") from refused
    metadata = closed.as_metadata()
    metadata["restatements"] = MetadataValue.md(
        f"`tokenworks sql \"SELECT * FROM restatements WHERE month = DATE "
        f"'{closed.month.isoformat()}'\"`")
    context.add_output_metadata(metadata)
    context.log.info(f"closed {config.month}: {closed.calls:,} calls, "
                     f"${closed.total_cost or 0:,.2f}")


@job(name="close_month", description="Close a month (run config: ops.close.config.month "
     "= YYYY-MM): its figures recorded once, later changes shown as restatements.")
def close_month_job() -> None:
    close_month_op()
