"""The landing domain's sensor: it starts the ingest when the landing folder has new, appended
or rewritten files, or its billing reports changed. (Reading them is staging's job:
pipelines/ledger/assets.py; the billing reports', pipelines/billing/assets.py.)"""

import hashlib
from typing import TYPE_CHECKING

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from pipelines.billing.load import discover_reports, reports_changed
from pipelines.landing.plan import plan_run, read_manifest
from pipelines.warehouse.resource import TokenworksWarehouse
from pipelines.warehouse.store import WarehouseMissing, connect_reader

if TYPE_CHECKING:
    # What define_asset_job returns; dagster does not export the class at its top level.
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )


def landing_sensor_for(job: "UnresolvedAssetJobDefinition") -> SensorDefinition:
    @sensor(name="landing_sensor", job=job, minimum_interval_seconds=60,
            default_status=DefaultSensorStatus.RUNNING,
            description="Starts an ingest when the landing folder has new, appended or "
                        "rewritten files, or a billing report was added, changed or "
                        "removed; waits while one is already running.")
    def landing_sensor(context: SensorEvaluationContext, tokenworks: TokenworksWarehouse):
        active = context.instance.get_runs(
            filters=RunsFilter(job_name=job.name, statuses=[
                DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED,
                DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]), limit=1)
        if active:
            return SkipReason(f"ingest run {active[0].run_id} is still going")
        manifest = {}
        # Billing reports are read by the runs over the whole landing folder.
        reports = [] if tokenworks.landing_prefix else discover_reports(tokenworks.landing_path)
        billing_changed = bool(reports)
        try:
            conn = connect_reader(tokenworks.lake())
        except WarehouseMissing:
            pass  # the first run makes the lake
        else:
            try:
                manifest = read_manifest(conn)
                if not tokenworks.landing_prefix:
                    billing_changed = reports_changed(conn, tokenworks.landing_path)
            finally:
                conn.close()
        plan = plan_run(tokenworks.landing_path, manifest, tokenworks.landing_prefix,
                        tokenworks.agent_dirs())
        if not plan.has_work and not billing_changed:
            return SkipReason(f"nothing new in {tokenworks.landing} ({plan.seen} files)")
        # The same landing state gives the same key, so it is never requested twice.
        identity = "\n".join([*(f"{p.file.path}:{p.file.size}:{p.file.mtime_ns}"
                                for p in plan.files),
                              *(f"{r.path}:{r.size}:{r.mtime_ns}" for r in reports
                                if billing_changed)])
        counts = plan.counts()
        return RunRequest(run_key=hashlib.sha1(identity.encode()).hexdigest(),
                          tags={"tokenworks/files": str(len(plan.files)),
                                **{f"tokenworks/{k}": str(v) for k, v in counts.items()}})

    return landing_sensor
