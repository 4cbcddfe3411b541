"""The Dagster resource every asset, check and sensor works through: the settings of this
deployment and this run's transaction on the lake.

A run opens one transaction when it starts (store.py): every asset reads the snapshot the run
began from plus what earlier assets wrote, and decides from the warehouse itself whether it has
work (new landing bytes, calls this run changed, inputs it was not built from). `ingest_runs`,
last in the job, commits; a selection without it is committed when the run ends with every step
succeeded. A failed step or a failed blocking check commits nothing. So the whole job, one asset
or any subset materializes on its own.
"""

import os
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
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
from pipelines.landing.files import AgentDirs
from pipelines.parsing.lines import Mappings
from pipelines.pricing import overrides as overrides_file
from pipelines.scenarios import hardware
from pipelines.scenarios import projection as scenarios
from pipelines.scenarios.hardware import HardwareSeed
from pipelines.scenarios.projection import ScenarioFile
from pipelines.warehouse.lake import Lake
from pipelines.warehouse.store import RunTransaction

INGESTION, PRICING, MARTS, SCENARIOS = "ingestion", "pricing", "marts", "scenarios"
MAINTENANCE, BILLING, BUDGETS = "maintenance", "billing", "budgets"
# What a schema change drops and makes again (warehouse/sql.py DERIVED_TABLES), with what costs
# them: a run after one must include all of it.
REMADE_WHOLE = frozenset({"fct_costs", "mart_daily_drivers", "mart_daily_distribution",
                          "scenario_trend_history", "scenario_trend", "forecast_backtest",
                          "forecast_methods", "scenario_base",
                          "fct_cost_estimates", "mart_daily_spend"})


class TokenworksWarehouse(ConfigurableResource):
    """Where the landing folder, the warehouse and the reviewed files are, and how to read."""

    landing: str
    landing_prefix: str = ""  # only the files under this sub-folder of the landing folder
    warehouse: str  # a path (the embedded lake) or ducklake:postgres:<conninfo>
    data_path: str = ""  # where a new lake keeps its Parquet files; "" for the default
    price_overrides: str
    scenarios: str
    hardware: str
    budgets: str = str(config.DEFAULT_BUDGETS)
    workers: int = 0
    retention_days: int = config.DEFAULT_RETENTION_DAYS
    chunk_bytes: int = 0  # 0: the staging default
    show_progress: bool = False
    billing_open_days: int = config.DEFAULT_BILLING_OPEN_DAYS
    reconcile_tolerance_usd: str = config.DEFAULT_RECONCILE_TOLERANCE_USD  # exact decimals
    reconcile_tolerance_percent: str = config.DEFAULT_RECONCILE_TOLERANCE_PERCENT
    claude_dir: str = ""  # Claude Code's folder, read in place; "" for none
    codex_home: str = ""  # Codex CLI's folder, read in place; "" for none
    otel_attributes: str = config.DEFAULT_OTEL_ATTRIBUTES
    litellm_project: str = config.DEFAULT_LITELLM_PROJECT

    _transaction: RunTransaction | None = PrivateAttr(default=None)
    _selection: AbstractSet[AssetKey] | None = PrivateAttr(default=None)

    @classmethod
    def from_environment(cls, settings: config.Settings) -> "TokenworksWarehouse":
        """For the code location: a setting the environment gives stays an EnvVar, so Dagster
        shows where it came from and reads it when a run starts; the others are resolved."""
        values: dict[str, Any] = {}
        for name in ("landing", "landing_prefix", "warehouse", "data_path", "price_overrides",
                     "scenarios", "hardware", "budgets", "reconcile_tolerance_usd",
                     "reconcile_tolerance_percent", "claude_dir", "codex_home",
                     "otel_attributes", "litellm_project"):
            variable = config.ENVIRONMENT[name]
            values[name] = EnvVar(variable) if os.environ.get(variable) else str(
                getattr(settings, name) or "")
        workers = config.ENVIRONMENT["workers"]
        values["workers"] = EnvVar.int(workers) if os.environ.get(workers) else settings.workers
        retention = config.ENVIRONMENT["retention_days"]
        values["retention_days"] = EnvVar.int(retention) if os.environ.get(retention) else (
            settings.retention_days)
        open_days = config.ENVIRONMENT["billing_open_days"]
        values["billing_open_days"] = EnvVar.int(open_days) if os.environ.get(open_days) else (
            settings.billing_open_days)
        return cls(**values)

    @classmethod
    def from_settings(cls, settings: config.Settings, **options: Any) -> "TokenworksWarehouse":
        return cls(landing=str(settings.landing), warehouse=str(settings.warehouse),
                   data_path=settings.data_path or "", landing_prefix=settings.landing_prefix,
                   price_overrides=str(settings.price_overrides),
                   scenarios=str(settings.scenarios), hardware=str(settings.hardware),
                   budgets=str(settings.budgets),
                   workers=settings.workers, retention_days=settings.retention_days,
                   billing_open_days=settings.billing_open_days,
                   reconcile_tolerance_usd=str(settings.reconcile_tolerance_usd),
                   reconcile_tolerance_percent=str(settings.reconcile_tolerance_percent),
                   claude_dir=str(settings.claude_dir or ""),
                   codex_home=str(settings.codex_home or ""),
                   otel_attributes=settings.otel_attributes,
                   litellm_project=settings.litellm_project, **options)

    # ------------------------------------------------------------------ a run's lifetime

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Begin the run's transaction. Outside a run (the sensor) there is nothing to set
        up."""
        if context.run is None:
            return
        self._transaction = RunTransaction(self.lake(), context.run.run_id)
        self._transaction.begin()
        self._selection = context.run.asset_selection or None  # empty: the whole job

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        transaction = self._transaction
        if transaction is None:
            return
        try:
            if transaction.has_work and not transaction.is_committed:
                # A selection without ingest_runs: its changes are committed here.
                if _run_failed(context):
                    _log(context).warning("a step failed: nothing was committed")
                else:
                    transaction.commit()
                    _log(context).info(f"committed to {transaction.lake}")
        finally:
            transaction.close()

    # ---------------------------------------------------------------------- for the assets

    def lake(self) -> Lake:
        return Lake.locate(self.warehouse, self.data_path or None)

    @property
    def transaction(self) -> RunTransaction:
        assert self._transaction is not None, "resource used outside a run"
        return self._transaction

    def writer(self) -> duckdb.DuckDBPyConnection:
        """The run's connection, for an asset that writes."""
        if self.transaction.is_committed:
            raise RuntimeError("this run has committed: nothing more is written after "
                               "ingest_runs")
        conn = self.transaction.connection()
        self.transaction.mark_work()
        if self.transaction.derived_dropped and self._selection is not None and not (
                {key.to_user_string() for key in self._selection} >= REMADE_WHOLE):
            raise RuntimeError(
                f"{self.transaction.lake} was made with other schema files: its costs, marts and "
                "projections are made again whole, which takes the whole job (tokenworks "
                "ingest, or every asset in Dagster), not a selection")
        return conn

    def commit(self) -> None:
        """Commit the run (ingest_runs does, last in the job; the run's end does for a selection
        without it). After this, readers see what the run wrote."""
        self.transaction.commit()

    def reader(self) -> duckdb.DuckDBPyConnection:
        """What the warehouse holds now for this run: the snapshot it began from plus what it
        wrote (applying the schema files first, as work, when the lake is new or was made with
        other ones)."""
        conn = self.transaction.connection()
        return self.writer() if self.transaction.derived_dropped else conn

    def recorded(self, key: str) -> str | None:
        """What warehouse_meta holds under `key` for this run (pipelines/warehouse/state.py)."""
        return self.transaction.state.get(key)

    def record(self, key: str, value: str) -> None:
        """Record `key` in warehouse_meta: written with the run's commit."""
        self.writer()
        self.transaction.state.put(key, value)

    @property
    def landing_path(self) -> Path:
        return Path(self.landing).resolve()

    def agent_dirs(self) -> AgentDirs:
        """The coding agents' own folders read in place beside the landing folder."""
        return AgentDirs(Path(self.claude_dir).expanduser() if self.claude_dir else None,
                         Path(self.codex_home).expanduser() if self.codex_home else None)

    def mappings(self) -> Mappings:
        return Mappings.parse(self.otel_attributes, self.litellm_project)

    def overrides(self) -> overrides_file.Overrides:
        """Validated on every use: a bad entry fails the run before anything is priced."""
        return overrides_file.load(Path(self.price_overrides) if self.price_overrides else None)

    # The class names are imported: in this class body `scenarios` and `hardware` are fields.
    def scenario_file(self) -> ScenarioFile:
        return scenarios.load(Path(self.scenarios))

    def hardware_seed(self) -> HardwareSeed:
        return hardware.load(Path(self.hardware))

    @property
    def budgets_path(self) -> Path:
        return Path(self.budgets)


def _run_failed(context: InitResourceContext) -> bool:
    """A step of this run failed, a blocking check included (its step fails)."""
    # Dagster leaves them unset only outside a run, where the resource has no transaction.
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
