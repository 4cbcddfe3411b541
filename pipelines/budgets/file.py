"""The budgets file (TOKENWORKS_BUDGETS, default budgets/budgets.yaml), validated strictly: a bad
entry stops the run with the file, line and field at fault, as the overrides file does."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from pipelines.config.yamlfile import SeedFileError, Where, compose, is_null

PERIODS = ("month", "quarter")
# Scope key -> the column of mart_daily_spend it filters (budgets.scope_<key>).
SCOPE_KEYS = ("provider", "model", "project", "user", "api_key_id", "source")
DEFAULT_THRESHOLDS = (Decimal("0.5"), Decimal("0.8"), Decimal("1"))


class BudgetFileError(SeedFileError):
    pass


@dataclass(frozen=True)
class Budget:
    name: str
    period: str
    amount_usd: Decimal
    scope: dict[str, str]
    thresholds: tuple[Decimal, ...]


@dataclass
class BudgetFile:
    budgets: list[Budget] = field(default_factory=list)
    fingerprint: str = "none"


def load(path: Path | None) -> BudgetFile:
    """The file's budgets; none when there is no file."""
    if path is None or not Path(path).exists():
        return BudgetFile()
    root = compose(path, BudgetFileError)
    fingerprint = hashlib.blake2b(Path(path).read_bytes(), digest_size=6).hexdigest()
    if root is None:
        return BudgetFile(fingerprint=fingerprint)
    where = Where(path, BudgetFileError)
    if not isinstance(root, yaml.MappingNode):
        raise BudgetFileError(f"{path}: must be a mapping with a 'budgets' list")
    top = where.mapping(root, "file")
    where.check_fields(root, top, {"budgets"}, set())
    budgets: list[Budget] = []
    for entry in ([] if is_null(top["budgets"]) else where.sequence(top["budgets"], "budgets")):
        budget = _budget(where, entry)
        if any(b.name == budget.name for b in budgets):
            raise where.error(entry, "name", f"{budget.name!r} is the name of another budget")
        budgets.append(budget)
    return BudgetFile(budgets, fingerprint)


def _budget(where: Where, entry: yaml.Node) -> Budget:
    fields = where.mapping(entry, "budgets")
    where.check_fields(entry, fields, {"name", "period", "amount_usd"},
                       {"scope", "thresholds", "note"})
    name = where.required_text(fields, "name")
    if "/" in name:
        raise where.error(fields["name"], "name", "must not contain '/'")
    period = where.required_text(fields, "period")
    if period not in PERIODS:
        raise where.error(fields["period"], "period",
                          f"must be one of {', '.join(PERIODS)}, not {period!r}")
    amount = where.number(fields, "amount_usd", Decimal(0), None)
    if amount == 0:
        raise where.error(fields["amount_usd"], "amount_usd", "must be more than 0")
    scope: dict[str, str] = {}
    if not is_null(fields.get("scope")):
        scope_fields = where.mapping(fields["scope"], "scope")
        for key, node in scope_fields.items():
            if key not in SCOPE_KEYS:
                raise where.error(node, f"scope.{key}",
                                  f"is not a scope key; expected {', '.join(SCOPE_KEYS)}")
            scope[key] = where.required_text(scope_fields, key)
    thresholds: tuple[Decimal, ...] = DEFAULT_THRESHOLDS
    if "thresholds" in fields:
        nodes = where.sequence(fields["thresholds"], "thresholds")
        values = [where.number({"thresholds": node}, "thresholds", Decimal(0), Decimal(10))
                  for node in nodes]
        if not values or any(v == 0 for v in values):
            raise where.error(fields["thresholds"], "thresholds",
                              "must list shares of the amount above 0, e.g. [0.5, 0.8, 1.0]")
        if len(set(values)) != len(values):
            raise where.error(fields["thresholds"], "thresholds", "lists a share twice")
        thresholds = tuple(sorted(values))
    return Budget(name, period, amount, scope, thresholds)
