"""The one place configuration is resolved: explicit argument, else environment, else default.

Nothing here runs at import time. The CLI resolves settings once per command; the Dagster code
location resolves them when it loads (pipelines/definitions.py) and hands them to every asset,
check and sensor through the `tokenworks` resource, naming the environment variables it took.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse.ducklake"  # the embedded lake's SQLite catalog
DEFAULT_NIGHTLY_CRON = "0 2 * * *"  # 02:00 UTC
DEFAULT_MAINTENANCE_CRON = "0 4 * * 0"  # Sundays 04:00 UTC
DEFAULT_RETENTION_DAYS = 90  # of time travel
DEFAULT_PRICE_OVERRIDES = REPO / "pricing" / "overrides.yaml"
DEFAULT_SCENARIOS = REPO / "scenarios" / "scenarios.yaml"
DEFAULT_HARDWARE = REPO / "seeds" / "hardware_generations.yaml"

# Setting -> environment variable.
ENVIRONMENT = {
    "landing": "TOKENWORKS_LANDING", "warehouse": "TOKENWORKS_WAREHOUSE",
    "data_path": "TOKENWORKS_DATA_PATH", "landing_prefix": "TOKENWORKS_LANDING_PREFIX",
    "nightly_cron": "TOKENWORKS_NIGHTLY_CRON", "workers": "TOKENWORKS_WORKERS",
    "price_overrides": "TOKENWORKS_PRICE_OVERRIDES", "scenarios": "TOKENWORKS_SCENARIOS",
    "hardware": "TOKENWORKS_HARDWARE", "maintenance_cron": "TOKENWORKS_MAINTENANCE_CRON",
    "retention_days": "TOKENWORKS_RETENTION_DAYS",
}


@dataclass(frozen=True)
class Settings:
    landing: Path
    landing_prefix: str  # this writer's sub-folder of the landing folder; "" for all of it
    warehouse: str  # an absolute path (the embedded lake) or ducklake:postgres:<conninfo>
    data_path: str | None  # a folder or s3://bucket/prefix/ for a new lake; None: the default
    nightly_cron: str
    maintenance_cron: str
    retention_days: int  # snapshots older than this are expired: how far time travel reaches
    workers: int  # 0 = one per CPU
    price_overrides: Path
    scenarios: Path
    hardware: Path


def resolve(landing: str | Path | None = None, warehouse: str | Path | None = None,
            **explicit) -> Settings:
    """Every setting: the argument given, else its environment variable, else the default."""
    env = os.environ

    def value(name: str, default):
        given = warehouse if name == "warehouse" else landing if name == "landing" else (
            explicit.get(name))
        return given or env.get(ENVIRONMENT[name]) or default

    return Settings(
        landing=Path(value("landing", DEFAULT_LANDING)).resolve(),
        landing_prefix=str(value("landing_prefix", "")).strip("/"),
        warehouse=_warehouse(value("warehouse", DEFAULT_WAREHOUSE)),
        data_path=_data_path(value("data_path", None)),
        nightly_cron=value("nightly_cron", DEFAULT_NIGHTLY_CRON),
        maintenance_cron=value("maintenance_cron", DEFAULT_MAINTENANCE_CRON),
        retention_days=int(value("retention_days", DEFAULT_RETENTION_DAYS)),
        workers=int(value("workers", 0)),
        price_overrides=Path(value("price_overrides", DEFAULT_PRICE_OVERRIDES)).resolve(),
        scenarios=Path(value("scenarios", DEFAULT_SCENARIOS)).resolve(),
        hardware=Path(value("hardware", DEFAULT_HARDWARE)).resolve(),
    )


def _warehouse(given: str | Path) -> str:
    text = str(given)
    return text if text.startswith("ducklake:") else str(Path(text).resolve())


def _data_path(given: str | Path | None) -> str | None:
    if not given:
        return None
    text = str(given)
    return text if "://" in text else str(Path(text).resolve())
