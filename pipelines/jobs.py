"""A whole ingest run without Dagster (to be replaced by the Dagster job alone, issue #14), and
what decides whether a run has work: new landing bytes, or derived tables built from other
inputs (price book, scenario and hardware files, schema files)."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from pipelines import config
from pipelines.landing.plan import Plan, plan_run, read_manifest, save_plan
from pipelines.ledger import checks
from pipelines.ledger.reading import CHUNK_BYTES
from pipelines.ledger.refresh import refresh_fct
from pipelines.ledger.staging import Progress, stage
from pipelines.marts.build import build_marts
from pipelines.pricing import costs, pricebook
from pipelines.pricing import overrides as price_overrides_module
from pipelines.scenarios import hardware, projection
from pipelines.warehouse.runs import RunSummary, finish_run, new_run_id
from pipelines.warehouse.sql import schema_digest
from pipelines.warehouse.store import Warehouse


def price_all(conn, overrides=None, run_id: str | None = None) -> dict:
    """Load the price book, match new model strings, cost the run's calls (all of them when
    the price book changed), update the marts."""
    version = pricebook.pricebook_version(overrides)
    price_rows = pricebook.load_prices(conn, version, overrides)
    matched, unmatched = pricebook.match_models(conn, version, overrides)
    full = costs.cost_calls(conn, version, run_id)
    build_marts(conn)
    priced, unpriced, usage_unknown = conn.execute(
        "SELECT count(*) FILTER (cost_status = 'priced'), "
        "count(*) FILTER (cost_status = 'unpriced_model'), "
        "count(*) FILTER (cost_status = 'usage_unknown') FROM fct_costs").fetchone()
    return {"pricebook_version": version, "price_rows": price_rows,
            "models_matched_now": matched, "models_unmatched": unmatched,
            "calls_priced": priced, "calls_unpriced": unpriced,
            "calls_usage_unknown": usage_unknown, "repriced_all": full}


class ChecksFailed(RuntimeError):
    pass


def published_state(warehouse: Warehouse) -> tuple[dict[str, tuple], str | None]:
    """The published warehouse's manifest and what its derived tables were built from (price
    book, scenario and hardware files; None when there is no warehouse yet), read in one open."""
    if not warehouse.path.exists():
        return {}, None
    conn = warehouse.reader()
    try:
        return read_manifest(conn), derived_inputs_of(conn)
    finally:
        conn.close()


def derived_inputs_of(conn) -> str:
    try:
        meta = dict(conn.execute("SELECT key, value FROM warehouse_meta "
                                 "WHERE key IN ('projection_inputs', 'schema')").fetchall())
    except duckdb.Error:  # an older warehouse
        meta = {}
    return (f"{pricebook.published_version(conn) or ''} | "
            f"{meta.get('projection_inputs', '')} | {meta.get('schema', '')}")


def current_derived_inputs(price_overrides=None) -> str:
    return (f"{pricebook.pricebook_version(price_overrides)} | "
            f"{projection.projection_inputs(projection.load(), hardware.load())} | "
            f"{schema_digest()}")


def published_manifest(warehouse: Warehouse) -> dict[str, tuple]:
    return published_state(warehouse)[0]


def needs_rebuild(published_inputs: str | None, price_overrides=None) -> bool:
    """A published warehouse priced with another price book, projected from other scenario
    or hardware files, or made with other schema files, has them rebuilt whole even when no
    new log arrived."""
    return (published_inputs is not None
            and published_inputs != current_derived_inputs(price_overrides))


def empty_summary(run_id: str, plan: Plan) -> RunSummary:
    return RunSummary(run_id, plan.seen, 0, 0, 0, plan.unchanged, 0, 0, 0, 0, 0, 0.0)


def run_ingest(landing: Path, warehouse_path: Path, *, workers: int = 0,
               chunk_bytes: int = CHUNK_BYTES, progress: Progress | None = None,
               run_id: str | None = None, price_overrides: Path | None = None) -> RunSummary:
    """The ingestion job without Dagster: the same steps the assets run, in the same order,
    with the same checks gating publication."""
    # the same default as the CLI and Dagster, so every path prices with the same price book
    overrides = price_overrides_module.load(price_overrides or config.resolve().price_overrides)
    warehouse = Warehouse(warehouse_path)
    run_id = run_id or new_run_id()
    started = time.perf_counter()
    with warehouse.run_lock():
        warehouse.remove_stale_work()
        workspace = warehouse.workspace(run_id)
        try:
            manifest, built_from = published_state(warehouse)
            plan = plan_run(landing, manifest)
            if not plan.has_work and not needs_rebuild(built_from, overrides):
                summary = empty_summary(run_id, plan)
                summary.seconds = round(time.perf_counter() - started, 3)
                return summary
            conn = workspace.connect()
            save_plan(conn, plan, run_id)
            stage(conn, landing, run_id, workers=workers, chunk_bytes=chunk_bytes,
                  progress=progress)
            refresh_fct(conn, run_id)
            failed = [c for c in checks.run_all(conn, run_id) if not c.passed]
            if failed:
                raise ChecksFailed("; ".join(c.describe() for c in failed)
                                   + ": nothing was published")
            price_all(conn, overrides, run_id)
            projection.build_all(conn)
            summary = finish_run(conn, run_id)
            workspace.publish()
            return summary
        finally:
            workspace.discard()
