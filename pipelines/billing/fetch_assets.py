"""The optional fetch of the providers' billing reports: asset `billing_reports_fetched`, in its
own job `fetch_billing`, scheduled daily an hour before the nightly ingest.

It is never part of the `ingest` job: fetching needs an admin key and the providers' APIs, and
must never fail a night's ingest. The pages land under `<landing>/billing/fetched/`, where the
ingest reads them like any billing report dropped there. The asset does not touch the warehouse,
so it works through its own small resource (`billing_api`: the landing folder, the API bases,
the days to fetch), not through `tokenworks`, whose run transaction it does not need. The admin
keys are read from the environment when the asset runs (`config.admin_keys`), never put in the
resource: Dagster stores a resource's values with each run.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    ConfigurableResource,
    DefaultScheduleStatus,
    Failure,
    MaterializeResult,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from pipelines import config
from pipelines.billing import fetch
from pipelines.warehouse.resource import BILLING


class BillingApi(ConfigurableResource):
    """Where the fetched reports go and where the providers' admin APIs are (no keys here)."""

    landing: str
    openai_api_base: str = config.DEFAULT_OPENAI_API_BASE
    anthropic_api_base: str = config.DEFAULT_ANTHROPIC_API_BASE
    days: int = config.DEFAULT_BILLING_FETCH_DAYS
    timeout_seconds: float = 60.0
    retries: int = 3
    backoff_seconds: float = 2.0

    @classmethod
    def from_settings(cls, settings: config.Settings, **options: Any) -> "BillingApi":
        return cls(landing=str(settings.landing), openai_api_base=settings.openai_api_base,
                   anthropic_api_base=settings.anthropic_api_base,
                   days=settings.billing_fetch_days, **options)


@asset(group_name=BILLING, kinds={"openai", "anthropic"},
       description="The providers' billing reports (OpenAI costs and completions usage, "
                   "Anthropic cost and messages usage reports) for the last "
                   "TOKENWORKS_BILLING_FETCH_DAYS days (default 35), fetched page by page with "
                   "OPENAI_ADMIN_KEY / ANTHROPIC_ADMIN_KEY into "
                   "<landing>/billing/fetched/<provider>/<report>/<first-day>_<last-day>/, "
                   "exactly as returned. Does nothing without a key.")
def billing_reports_fetched(context: AssetExecutionContext, billing_api: BillingApi
                            ) -> MaterializeResult:
    keys = config.admin_keys()
    skipped = ", ".join(f"{config.ADMIN_KEYS[p]} not set" for p, key in keys.items() if not key)
    if not any(keys.values()):
        context.log.info("no admin key set: nothing to fetch")
        return MaterializeResult(metadata={
            "fetched": False, "pages": 0, "bytes": 0,
            "note": f"no admin key set ({skipped}): nothing fetched"})
    first, last = fetch.window(datetime.now(UTC).date(), billing_api.days)
    outcome = fetch.fetch_all(
        Path(billing_api.landing).resolve(), keys,
        {"openai": billing_api.openai_api_base, "anthropic": billing_api.anthropic_api_base},
        first, last, fetch.Http(billing_api.timeout_seconds, billing_api.retries,
                                billing_api.backoff_seconds), log=context.log.info)
    metadata: dict[str, Any] = {"fetched": bool(outcome.written),
                                "window": f"{first.isoformat()}..{last.isoformat()}",
                                "pages": sum(w.pages for w in outcome.written),
                                "bytes": sum(w.bytes for w in outcome.written)}
    for done in outcome.written:
        metadata[f"{done.report.label}/pages"] = done.pages
        metadata[f"{done.report.label}/bytes"] = done.bytes
    if skipped:
        metadata["note"] = f"skipped: {skipped}"
    if outcome.failed:
        raise Failure(description="billing reports not fetched (earlier files left as they "
                                  "were): " + "; ".join(str(e) for e in outcome.failed),
                      metadata=metadata)
    return MaterializeResult(metadata=metadata)


fetch_billing_job = define_asset_job(
    "fetch_billing", selection=[billing_reports_fetched],
    description="The providers' billing reports, fetched with their admin keys (optional: "
                "apart from the nightly ingest, which reads what it fetched).")


def fetch_billing_schedule(settings: config.Settings) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="daily_billing_fetch", job=fetch_billing_job,
        cron_schedule=settings.billing_fetch_cron, execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description="Billing reports fetched (TOKENWORKS_BILLING_FETCH_CRON, default 01:00 UTC, "
                    "an hour before the nightly ingest); nothing without an admin key.")
