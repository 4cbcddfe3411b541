"""The Dagster resource every asset works through: where the landing folder and the warehouse
are, and this run's private working copy of the warehouse (store.py)."""

import time
from contextlib import ExitStack
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext, MaterializeResult
from pydantic import PrivateAttr

from pipelines.pricing import overrides as overrides_file
from pipelines.warehouse.store import RunWorkspace, Warehouse

INGESTION, PRICING, MARTS, SCENARIOS = "ingestion", "pricing", "marts", "scenarios"


class TokenworksWarehouse(ConfigurableResource):
    """The landing folder and warehouse of this deployment, and the run's working copy.

    Setting up the resource takes the warehouse's run lock for the whole run (released by the
    OS if the process dies) and removes working copies that dead runs left behind. The job runs
    in one process (in_process_executor), so every step shares this run's workspace object."""

    landing: str
    warehouse: str
    workers: int = 0
    show_progress: bool = False
    price_overrides: str = ""

    _stack: ExitStack | None = PrivateAttr(default=None)
    _workspace: RunWorkspace | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        warehouse = Warehouse(self.warehouse)
        self._stack = ExitStack()
        self._stack.enter_context(warehouse.run_lock())
        warehouse.remove_stale_work()
        self._workspace = warehouse.workspace(context.run.run_id)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._workspace is not None:
            self._workspace.discard()
        if self._stack is not None:
            self._stack.close()

    @property
    def workspace(self) -> RunWorkspace:
        assert self._workspace is not None, "resource used outside a run"
        return self._workspace

    def published(self) -> Warehouse:
        return Warehouse(self.warehouse)

    def overrides(self) -> overrides_file.Overrides:
        """Validated on every use: a bad entry fails the run before anything is priced."""
        return overrides_file.load(Path(self.price_overrides) if self.price_overrides
                                    else None)


def _nothing_to_do() -> MaterializeResult:
    return MaterializeResult(metadata={"rows": 0, "seconds": 0.0, "note": "nothing to do"})


def _timed(step, *args) -> tuple[object, float]:
    started = time.perf_counter()
    result = step(*args)
    return result, round(time.perf_counter() - started, 3)
