"""The one place configuration is resolved: explicit argument, else environment, else default.

Nothing here runs at import time. The CLI resolves settings once per command; the Dagster code
location resolves them when it loads (pipelines/definitions.py) and hands them to every asset,
check and sensor through the `tokenworks` resource, naming the environment variables it took.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipelines.parsing import litellm, otel

REPO = Path(__file__).resolve().parents[2]
DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse.ducklake"  # the embedded lake's SQLite catalog
DEFAULT_NIGHTLY_CRON = "0 2 * * *"  # 02:00 UTC
DEFAULT_MAINTENANCE_CRON = "0 4 * * 0"  # Sundays 04:00 UTC
DEFAULT_RETENTION_DAYS = 90  # of time travel
DEFAULT_PRICE_OVERRIDES = REPO / "pricing" / "overrides.yaml"
DEFAULT_SCENARIOS = REPO / "scenarios" / "scenarios.yaml"
DEFAULT_HARDWARE = REPO / "seeds" / "hardware_generations.yaml"
DEFAULT_BUDGETS = REPO / "budgets" / "budgets.yaml"
# The webhook budget alerts are POSTed to: read by alert_webhook() when alerts are delivered,
# never kept in Settings or in Dagster's config (a Slack webhook's URL is its secret).
ALERT_WEBHOOK = "TOKENWORKS_ALERT_WEBHOOK"
DEFAULT_OPENAI_API_BASE = "https://api.openai.com"  # the billing reports' APIs
DEFAULT_ANTHROPIC_API_BASE = "https://api.anthropic.com"
DEFAULT_BILLING_FETCH_DAYS = 35  # billing reports fetched for the days before today
DEFAULT_BILLING_FETCH_CRON = "0 1 * * *"  # 01:00 UTC, an hour before the nightly ingest
DEFAULT_BILLING_OPEN_DAYS = 2  # a day's bill is final this many days after the day ends
DEFAULT_RECONCILE_TOLERANCE_USD = "0.01"  # a day matches within the larger of these two
DEFAULT_RECONCILE_TOLERANCE_PERCENT = "1"  # (of the billed cost)
# Provider -> its admin key's variable: read by admin_keys() when a fetch runs, never kept in
# Settings or in Dagster's config (a resource's values are stored with every run).
ADMIN_KEYS = {"openai": "OPENAI_ADMIN_KEY", "anthropic": "ANTHROPIC_ADMIN_KEY"}

# Setting -> environment variable.
ENVIRONMENT = {
    "landing": "TOKENWORKS_LANDING", "warehouse": "TOKENWORKS_WAREHOUSE",
    "data_path": "TOKENWORKS_DATA_PATH", "landing_prefix": "TOKENWORKS_LANDING_PREFIX",
    "nightly_cron": "TOKENWORKS_NIGHTLY_CRON", "workers": "TOKENWORKS_WORKERS",
    "price_overrides": "TOKENWORKS_PRICE_OVERRIDES", "scenarios": "TOKENWORKS_SCENARIOS",
    "hardware": "TOKENWORKS_HARDWARE", "budgets": "TOKENWORKS_BUDGETS",
    "maintenance_cron": "TOKENWORKS_MAINTENANCE_CRON",
    "retention_days": "TOKENWORKS_RETENTION_DAYS",
    "openai_api_base": "TOKENWORKS_OPENAI_API_BASE",
    "anthropic_api_base": "TOKENWORKS_ANTHROPIC_API_BASE",
    "billing_fetch_days": "TOKENWORKS_BILLING_FETCH_DAYS",
    "billing_fetch_cron": "TOKENWORKS_BILLING_FETCH_CRON",
    "billing_open_days": "TOKENWORKS_BILLING_OPEN_DAYS",
    "reconcile_tolerance_usd": "TOKENWORKS_RECONCILE_TOLERANCE_USD",
    "reconcile_tolerance_percent": "TOKENWORKS_RECONCILE_TOLERANCE_PERCENT",
    "claude_dir": "TOKENWORKS_CLAUDE_DIR", "codex_home": "TOKENWORKS_CODEX_HOME",
    "otel_attributes": "TOKENWORKS_OTEL_ATTRIBUTES",
    "litellm_project": "TOKENWORKS_LITELLM_PROJECT",
}
# Which span or resource attributes give a call's project, user and key, and where a LiteLLM
# payload's project comes from: the parsers' own defaults, as settings' text.
DEFAULT_OTEL_ATTRIBUTES = otel.attribute_mapping_text(otel.DEFAULT_MAPPING)
DEFAULT_LITELLM_PROJECT = "|".join(litellm.DEFAULT_PROJECT_MAPPING)


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
    budgets: Path = DEFAULT_BUDGETS
    openai_api_base: str = DEFAULT_OPENAI_API_BASE
    anthropic_api_base: str = DEFAULT_ANTHROPIC_API_BASE
    billing_fetch_days: int = DEFAULT_BILLING_FETCH_DAYS
    billing_fetch_cron: str = DEFAULT_BILLING_FETCH_CRON
    billing_open_days: int = DEFAULT_BILLING_OPEN_DAYS
    reconcile_tolerance_usd: Decimal = Decimal(DEFAULT_RECONCILE_TOLERANCE_USD)
    reconcile_tolerance_percent: Decimal = Decimal(DEFAULT_RECONCILE_TOLERANCE_PERCENT)
    claude_dir: Path | None = None  # Claude Code's folder (~/.claude), read in place
    codex_home: Path | None = None  # Codex CLI's folder (~/.codex), read in place
    otel_attributes: str = DEFAULT_OTEL_ATTRIBUTES
    litellm_project: str = DEFAULT_LITELLM_PROJECT


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
        budgets=Path(value("budgets", DEFAULT_BUDGETS)).resolve(),
        openai_api_base=value("openai_api_base", DEFAULT_OPENAI_API_BASE).rstrip("/"),
        anthropic_api_base=value("anthropic_api_base", DEFAULT_ANTHROPIC_API_BASE).rstrip("/"),
        billing_fetch_days=int(value("billing_fetch_days", DEFAULT_BILLING_FETCH_DAYS)),
        billing_fetch_cron=value("billing_fetch_cron", DEFAULT_BILLING_FETCH_CRON),
        billing_open_days=_days("billing_open_days",
                                value("billing_open_days", DEFAULT_BILLING_OPEN_DAYS)),
        reconcile_tolerance_usd=_amount("reconcile_tolerance_usd", value(
            "reconcile_tolerance_usd", DEFAULT_RECONCILE_TOLERANCE_USD)),
        reconcile_tolerance_percent=_amount("reconcile_tolerance_percent", value(
            "reconcile_tolerance_percent", DEFAULT_RECONCILE_TOLERANCE_PERCENT)),
        claude_dir=_folder(value("claude_dir", None)),
        codex_home=_folder(value("codex_home", None)),
        otel_attributes=_parsed_setting("otel_attributes",
                                        value("otel_attributes", DEFAULT_OTEL_ATTRIBUTES)),
        litellm_project=_parsed_setting("litellm_project",
                                        value("litellm_project", DEFAULT_LITELLM_PROJECT)),
    )


def admin_keys(**given: str) -> dict[str, str]:
    """Each provider's admin key (the argument given, else its environment variable; "" when
    unset), read now: only a fetch calls this, and the keys go nowhere but its requests."""
    return {provider: (given.get(provider) or os.environ.get(variable) or "").strip()
            for provider, variable in ADMIN_KEYS.items()}


def alert_webhook() -> str:
    """The budget alerts' webhook URL ("" when unset), read now: only their delivery calls
    this."""
    return os.environ.get(ALERT_WEBHOOK, "").strip()


class SettingError(ValueError):
    """A setting's value cannot be used; the message names its variable."""


def _amount(name: str, given: str) -> Decimal:
    """An exact, non-negative decimal setting."""
    try:
        amount = Decimal(str(given).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise SettingError(f"{ENVIRONMENT[name]}={given!r}: expected a non-negative decimal "
                           "number, e.g. 0.01")
    return amount


def _days(name: str, given) -> int:
    """A non-negative whole number of days."""
    text = str(given).strip()
    if not text.isdigit():
        raise SettingError(f"{ENVIRONMENT[name]}={given!r}: expected a whole number of days")
    return int(text)


def _folder(given: str | Path | None) -> Path | None:
    return Path(given).expanduser().resolve() if given else None


def _parsed_setting(name: str, given: str) -> str:
    """A parser's mapping setting, kept as text (it travels to the reader's workers), checked
    now: a bad one fails before anything is read, naming its variable."""
    parse = {"otel_attributes": otel.parse_attribute_mapping,
             "litellm_project": litellm.parse_project_mapping}[name]
    try:
        parse(given)
    except ValueError as exc:
        raise SettingError(f"{ENVIRONMENT[name]}={given!r}: {exc}") from None
    return given


def _warehouse(given: str | Path) -> str:
    text = str(given)
    return text if text.startswith("ducklake:") else str(Path(text).resolve())


def _data_path(given: str | Path | None) -> str | None:
    if not given:
        return None
    text = str(given)
    return text if "://" in text else str(Path(text).resolve())
