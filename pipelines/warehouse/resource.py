"""The Dagster resource every asset, check and sensor works through: the settings of this
deployment and this run's private working copy of the warehouse.

Each asset decides from the warehouse itself whether it has work (new landing bytes, calls this
run changed, inputs it was not built from), reading the published snapshot until some asset
writes: only then is the working copy made. `ingest_runs`, last in the job, publishes it in one
atomic rename (store.py); a selection without it is published when the run ends with every step
succeeded. A failed step or a failed blocking check publishes nothing. So the whole job, one
asset or any subset materializes on its own.
"""

import os
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetKey,
    ConfigurableResource,
    DagsterEventType,
    DagsterLogManager,
    EnvVar,
    InitResourceContext,
    MaterializeResult,
)
from pydantic import PrivateAttr

from pipelines import config
from pipelines.pricing import overrides as overrides_file
from pipelines.scenarios import hardware
from pipelines.scenarios import projection as scenarios
from pipelines.scenarios.hardware import HardwareSeed
from pipelines.scenarios.projection import ScenarioFile
from pipelines.warehouse.sql import schema_current
from pipelines.warehouse.store import RunWorkspace, Warehouse

INGESTION, PRICING, MARTS, SCENARIOS = "ingestion", "pricing", "marts", "scenarios"
# What a schema change drops and makes again (warehouse/sql.py DERIVED_TABLES), with what costs
# them: a run after one must include all of it.
REMADE_WHOLE = frozenset({"fct_costs", "mart_daily_drivers", "mart_daily_distribution",
                          "fct_cost_estimates", "mart_daily_spend"})


class TokenworksWarehouse(ConfigurableResource):
    """Where the landing folder, the warehouse and the reviewed files are, and how to read."""

    landing: str
    warehouse: str
    price_overrides: str
    scenarios: str
    hardware: str
    workers: int = 0
    chunk_bytes: int = 0  # 0: the staging default
    show_progress: bool = False

    _stack: ExitStack | None = PrivateAttr(default=None)
    _workspace: RunWorkspace | None = PrivateAttr(default=None)
    _reader: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _selection: AbstractSet[AssetKey] | None = PrivateAttr(default=None)

    @classmethod
    def from_environment(cls, settings: config.Settings) -> "TokenworksWarehouse":
        """For the code location: a setting the environment gives stays an EnvVar, so Dagster
        shows where it came from and reads it when a run starts; the others are resolved."""
        values: dict[str, Any] = {}
        for name in ("landing", "warehouse", "price_overrides", "scenarios", "hardware"):
            variable = config.ENVIRONMENT[name]
            values[name] = EnvVar(variable) if os.environ.get(variable) else str(
                getattr(settings, name))
        workers = config.ENVIRONMENT["workers"]
        values["workers"] = EnvVar.int(workers) if os.environ.get(workers) else settings.workers
        return cls(**values)

    @classmethod
    def from_settings(cls, settings: config.Settings, **options: Any) -> "TokenworksWarehouse":
        return cls(landing=str(settings.landing), warehouse=str(settings.warehouse),
                   price_overrides=str(settings.price_overrides),
                   scenarios=str(settings.scenarios), hardware=str(settings.hardware),
                   workers=settings.workers, **options)

    # ------------------------------------------------------------------ a run's lifetime

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Take the warehouse's run lock for the whole run (released by the OS if the process
        dies) and remove working copies that dead runs left behind. Outside a run (the sensor)
        there is nothing to set up."""
        if context.run is None:
            return
        warehouse = Warehouse(Path(self.warehouse))
        self._stack = ExitStack()
        self._stack.enter_context(warehouse.run_lock())
        warehouse.remove_stale_work()
        self._workspace = warehouse.workspace(context.run.run_id)
        self._selection = context.run.asset_selection or None  # empty: the whole job

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        try:
            self._close_reader()
            workspace = self._workspace
            if workspace is not None and workspace.has_work and not workspace.is_published:
                # A selection without ingest_runs: its changes are published here.
                if _run_failed(context):
                    _log(context).warning("a step failed: nothing was published")
                else:
                    workspace.publish()
                    _log(context).info(f"published {self.warehouse}")
        finally:
            if self._workspace is not None:
                self._workspace.discard()
            if self._stack is not None:
                self._stack.close()

    # ---------------------------------------------------------------------- for the assets

    @property
    def workspace(self) -> RunWorkspace:
        assert self._workspace is not None, "resource used outside a run"
        return self._workspace

    def writer(self) -> duckdb.DuckDBPyConnection:
        """The working copy, made from the published snapshot on first use."""
        if self.workspace.is_published:
            raise RuntimeError("this run has published its working copy: nothing more is "
                               "written after ingest_runs")
        self._close_reader()
        conn = self.workspace.connect()
        if self.workspace.derived_dropped and self._selection is not None and not (
                {key.to_user_string() for key in self._selection} >= REMADE_WHOLE):
            raise RuntimeError(
                f"{self.warehouse} was made with other schema files: its costs, marts and "
                "projections are made again whole, which takes the whole job (tokenworks "
                "ingest, or every asset in Dagster), not a selection")
        return conn

    def publish(self) -> None:
        """Swap the working copy in (ingest_runs does, last in the job; the run's end does for a
        selection without it). After this, readers see the published file."""
        self._close_reader()
        self.workspace.publish()

    def reader(self) -> duckdb.DuckDBPyConnection:
        """What the warehouse holds now: the working copy once this run wrote, else the
        published snapshot (read-only), else (no warehouse yet) a new working copy."""
        if (self.workspace.has_work and not self.workspace.is_published) or not Path(
                self.warehouse).exists():
            return self.writer()
        if self._reader is None:
            self._reader = Warehouse(Path(self.warehouse)).reader()
            if not schema_current(self._reader):
                # Made with other schema files: applying them (which a working copy does) is
                # this run's first work, and derived tables are made again.
                return self.writer()
        return self._reader

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    @property
    def landing_path(self) -> Path:
        return Path(self.landing).resolve()

    def overrides(self) -> overrides_file.Overrides:
        """Validated on every use: a bad entry fails the run before anything is priced."""
        return overrides_file.load(Path(self.price_overrides) if self.price_overrides else None)

    # The class names are imported: in this class body `scenarios` and `hardware` are fields.
    def scenario_file(self) -> ScenarioFile:
        return scenarios.load(Path(self.scenarios))

    def hardware_seed(self) -> HardwareSeed:
        return hardware.load(Path(self.hardware))


def _run_failed(context: InitResourceContext) -> bool:
    """A step of this run failed, a blocking check included (its step fails)."""
    # Dagster leaves them unset only outside a run, where the resource has no workspace.
    if context.instance is None or context.run is None:
        raise RuntimeError("the resource's context has no run to look at")
    records = context.instance.all_logs(context.run.run_id,
                                       of_type=DagsterEventType.STEP_FAILURE)
    return bool(records)


def _log(context: InitResourceContext) -> DagsterLogManager:
    # Set for every run's resources; None only for a context built without a log manager.
    if context.log is None:
        raise RuntimeError("the resource's context has no log")
    return context.log


def nothing_to_do(note: str = "nothing to do") -> MaterializeResult:
    return MaterializeResult(metadata={"rows": 0, "seconds": 0.0, "note": note})


def timed(step: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = step(*args)
    return result, round(time.perf_counter() - started, 3)
