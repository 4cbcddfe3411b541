"""The one way to run the pipeline: the Dagster job of pipelines/definitions.py, in this process.

`tokenworks ingest`, `tokenworks demo`, the tests and the benchmarks all call `run_ingest` (or
`run_job` for a selection of assets); `dagster dev` runs the same job from its UI, its schedule
and its sensor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetKey, DagsterInstance

from pipelines import config
from pipelines.warehouse.runs import RunSummary


class RunFailed(RuntimeError):
    """The run published nothing; the message says why (a failed check, a failed step)."""


@dataclass
class JobResult:
    success: bool
    summary: dict = field(default_factory=dict)  # the ingest_runs asset's metadata
    problems: list[str] = field(default_factory=list)

    @property
    def published(self) -> bool:
        return bool(self.summary.get("changed"))


def run_job(settings: config.Settings, *, selection: list[str] | None = None,
            show_progress: bool = False, chunk_bytes: int = 0,
            instance: DagsterInstance | None = None) -> JobResult:
    """Materialize the ingest job (or the assets named in `selection`) in-process; failures
    are returned as problems, not raised."""
    from pipelines.definitions import build_definitions

    defs = build_definitions(settings, show_progress=show_progress, chunk_bytes=chunk_bytes)
    job = defs.resolve_job_def("ingest")
    if instance is None:
        instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else (
            DagsterInstance.ephemeral())
    result = job.execute_in_process(
        instance=instance, raise_on_error=False,
        asset_selection=[AssetKey(name) for name in selection] if selection else None,
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
    summary: dict = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key.to_user_string() == "ingest_runs":
            summary = {k: v.value for k, v in materialization.metadata.items()}
    return JobResult(result.success and not _teardown_failed(result),
                     summary, _problems(result))


def run_ingest(landing: Path, warehouse: Path, *, workers: int = 0, chunk_bytes: int = 0,
               price_overrides: Path | None = None, scenarios: Path | None = None,
               hardware: Path | None = None, show_progress: bool = False) -> RunSummary:
    """Landing folder -> published warehouse; raises RunFailed when nothing was published
    because something failed. Settings not given come from the environment or the defaults."""
    settings = config.resolve(landing, warehouse, workers=workers or None,
                              price_overrides=price_overrides, scenarios=scenarios,
                              hardware=hardware)
    outcome = run_job(settings, show_progress=show_progress, chunk_bytes=chunk_bytes)
    if not outcome.success:
        raise RunFailed("; ".join(outcome.problems) + ": nothing was published")
    if not outcome.published:
        return RunSummary(run_id="", files_seen=0, files_new=0, files_appended=0,
                          files_rewritten=0, files_unchanged=0, bytes_read=0, records_read=0,
                          calls_loaded=0, duplicates=0, quarantined=0, seconds=0.0)
    return RunSummary(**{name: outcome.summary[name]
                         for name in RunSummary.__dataclass_fields__})


def _teardown_failed(result) -> bool:
    return any(event.event_type_value == "ENGINE_EVENT" and event.message
               and event.message.startswith("Teardown of resources")
               for event in result.all_events)


def _problems(result) -> list[str]:
    problems: list[str] = []
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None)
        failed = event.is_failure or event.event_type_value == "RESOURCE_INIT_FAILURE" or (
            event.event_type_value == "ENGINE_EVENT" and error is not None)
        if failed:
            message = _root_cause(error) if error else event.message
            if message and message not in problems:
                problems.append(message)
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity.value == "ERROR":
                examples = evaluation.metadata.get("examples")
                problems.append(f"check {evaluation.check_name} failed: "
                                f"{examples.value if examples else ''}")
    return problems


def _root_cause(error) -> str:
    """The innermost error of a Dagster error chain: the one that says what went wrong."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()
