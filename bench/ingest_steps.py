"""Where an ingest's time goes: one `ingest` run in this process, its steps' wall seconds from
Dagster's event log, printed as JSON. `bench/ingest_bench.py` runs it in a process of its own.

    python bench/ingest_steps.py LANDING WAREHOUSE
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance

from pipelines import config
from pipelines.definitions import build_definitions


def step_seconds(landing: Path, warehouse: Path) -> dict:
    job = build_definitions(config.resolve(landing, warehouse)).resolve_job_def("ingest")
    instance = DagsterInstance.ephemeral()
    try:
        started = time.perf_counter()
        result = job.execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
        total = time.perf_counter() - started
        if not result.success:
            raise SystemExit("the ingest failed")
        began: dict[str, float] = {}
        steps: dict[str, float] = {}
        for entry in instance.all_logs(result.run_id):
            kind, step = entry.dagster_event_type, entry.step_key or ""
            if kind == DagsterEventType.STEP_START:
                began[step] = entry.timestamp
            elif kind == DagsterEventType.STEP_SUCCESS:
                steps[step] = entry.timestamp - began[step]
        return {"total": total, "steps": steps}
    finally:
        instance.dispose()


if __name__ == "__main__":  # the staging's worker processes import this file again
    print(json.dumps(step_seconds(Path(sys.argv[1]), Path(sys.argv[2]))))
