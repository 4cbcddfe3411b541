"""The one way to run the pipeline: the Dagster job of pipelines/definitions.py, in this process.

`tokenworks ingest`, `tokenworks demo`, the tests and the benchmarks all call `run_ingest` (or
`run_job` for a selection of assets); `dagster dev` runs the same job from its UI, its schedule
and its sensor.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetKey, DagsterInstance

from pipelines import config
from pipelines.warehouse.lake import is_commit_conflict
from pipelines.warehouse.runs import RunSummary

# A run that lost the race to commit (another writer committed while it worked) is made again
# whole; each attempt waits a little longer, at random, so racing writers spread out.
COMMIT_ATTEMPTS = 12


class RunFailed(RuntimeError):
    """The run committed nothing; the message says why (a failed check, a failed step)."""


@dataclass
class JobResult:
    success: bool
    summary: dict = field(default_factory=dict)  # the ingest_runs asset's metadata
    problems: list[str] = field(default_factory=list)
    attempts: int = 1  # runs made: more than one when a commit conflicted and was run again

    @property
    def committed(self) -> bool:
        return bool(self.summary.get("changed"))


def run_job(settings: config.Settings, *, selection: list[str] | None = None,
            show_progress: bool = False, chunk_bytes: int = 0,
            instance: DagsterInstance | None = None) -> JobResult:
    """Materialize the ingest job (or the assets named in `selection`) in-process; failures
    are returned as problems, not raised. A run whose commit conflicted with another writer's is
    run again whole: it then plans from what that writer committed."""
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        outcome = _run_once(settings, selection, show_progress, chunk_bytes, instance)
        outcome.attempts = attempt
        if outcome.success or not any(map(is_commit_conflict, outcome.problems)):
            return outcome
        time.sleep(random.uniform(0, min(0.2 * 2 ** attempt, 5.0)))
    return outcome


def _run_once(settings: config.Settings, selection: list[str] | None, show_progress: bool,
              chunk_bytes: int, instance: DagsterInstance | None) -> JobResult:
    from pipelines.definitions import build_definitions

    defs = build_definitions(settings, show_progress=show_progress, chunk_bytes=chunk_bytes)
    job = defs.resolve_job_def("ingest")
    # An instance made here is disposed of here: left to the garbage collector, its SQLite
    # connections are closed from whatever thread collects them, with errors logged there.
    owned = instance is None
    if instance is None:
        instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else (
            DagsterInstance.ephemeral())
    try:
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
    finally:
        if owned:
            instance.dispose()


def run_ingest(landing: Path, warehouse: str | Path, *, data_path: str | Path | None = None,
               prefix: str | None = None, workers: int = 0, chunk_bytes: int = 0,
               price_overrides: Path | None = None, scenarios: Path | None = None,
               hardware: Path | None = None, budgets: Path | None = None,
               claude_dir: Path | None = None, codex_home: Path | None = None,
               otel_attributes: str | None = None, litellm_project: str | None = None,
               show_progress: bool = False) -> RunSummary:
    """Landing folder -> committed warehouse; raises RunFailed when nothing was committed
    because something failed. Settings not given come from the environment or the defaults."""
    settings = config.resolve(landing, warehouse, data_path=data_path, landing_prefix=prefix,
                              workers=workers or None, price_overrides=price_overrides,
                              scenarios=scenarios, hardware=hardware, budgets=budgets,
                              claude_dir=claude_dir, codex_home=codex_home,
                              otel_attributes=otel_attributes,
                              litellm_project=litellm_project)
    outcome = run_job(settings, show_progress=show_progress, chunk_bytes=chunk_bytes)
    if not outcome.success:
        raise RunFailed("; ".join(outcome.problems) + ": nothing was committed")
    if not outcome.committed:
        return RunSummary(run_id="", files_seen=0, files_new=0, files_appended=0,
                          files_rewritten=0, files_unchanged=0, bytes_read=0, records_read=0,
                          calls_loaded=0, duplicates=0, quarantined=0, seconds=0.0,
                          ledger_rows=0)
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
