"""The one place configuration is resolved: explicit argument, else environment, else default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_NIGHTLY_CRON = "0 2 * * *"  # 02:00 UTC
DEFAULT_PRICE_OVERRIDES = Path(__file__).resolve().parent.parent / "pricing" / "overrides.yaml"


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    nightly_cron: str
    workers: int  # 0 = one per CPU
    price_overrides: Path


def resolve(landing: str | Path | None = None, warehouse: str | Path | None = None) -> Settings:
    env = os.environ
    return Settings(
        landing=Path(landing or env.get("TOKENWORKS_LANDING") or DEFAULT_LANDING).resolve(),
        warehouse=Path(warehouse or env.get("TOKENWORKS_WAREHOUSE")
                       or DEFAULT_WAREHOUSE).resolve(),
        nightly_cron=env.get("TOKENWORKS_NIGHTLY_CRON") or DEFAULT_NIGHTLY_CRON,
        workers=int(env.get("TOKENWORKS_WORKERS") or 0),
        price_overrides=Path(env.get("TOKENWORKS_PRICE_OVERRIDES")
                             or DEFAULT_PRICE_OVERRIDES).resolve(),
    )
