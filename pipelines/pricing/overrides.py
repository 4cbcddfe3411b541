"""pricing/overrides.yaml: negotiated discounts, custom models and corrections to the price book.

Validated strictly: a bad entry stops the run with the file, line and field at fault, before
anything is priced with it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from pipelines.config.yamlfile import SeedFileError, Where
from pipelines.pricing.pricebook import PRICE_KEYS


class OverridesError(SeedFileError):
    pass


@dataclass(frozen=True)
class Discount:
    percent: Decimal
    valid_from: date
    until: date | None
    provider: str
    model: str | None  # a price-book model id, or a raw model string
    project: str | None


@dataclass(frozen=True)
class CustomModel:
    """A model the price book lacks (fine-tune, self-hosted, newer than the package). Its
    prices apply to all its calls; a later price change is a correction on provider
    'override'."""

    provider: str
    model: str  # the raw model string as logged, or its prefix
    match: str  # exact | starts_with
    prices: dict[str, Decimal]

    @property
    def price_model(self) -> str:
        return f"{self.provider}/{self.model}"


@dataclass(frozen=True)
class Correction:
    provider: str  # price-book provider id
    model: str  # price-book model id
    valid_from: date
    prices: dict[str, Decimal]


@dataclass
class Overrides:
    discounts: list[Discount] = field(default_factory=list)
    custom_models: list[CustomModel] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    fingerprint: str = "none"


SECTIONS = {"discounts", "custom_models", "corrections"}


def load(path: Path | None) -> Overrides:
    if path is None or not Path(path).exists():
        return Overrides()
    text = Path(path).read_text()
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise OverridesError(f"{path}: not valid YAML: {exc}") from None
    overrides = Overrides(fingerprint=hashlib.blake2b(text.encode(), digest_size=6).hexdigest())
    if root is None:
        return overrides
    where = _Where(path)
    if not isinstance(root, yaml.MappingNode):
        raise where.error(root, None, "the file must be a mapping of sections")
    for key_node, value_node in root.value:
        section = key_node.value
        if section == "version":
            continue
        if section not in SECTIONS:
            raise where.error(key_node, section,
                              f"unknown section; expected one of {', '.join(sorted(SECTIONS))}")
        if not isinstance(value_node, yaml.SequenceNode):
            raise where.error(value_node, section, "must be a list of entries")
        for entry in value_node.value:
            fields = where.mapping(entry, section)
            if section == "discounts":
                overrides.discounts.append(_discount(where, entry, fields))
            elif section == "custom_models":
                overrides.custom_models.append(_custom_model(where, entry, fields))
            else:
                overrides.corrections.append(_correction(where, entry, fields))
    return overrides


class _Where(Where):
    def __init__(self, path):
        super().__init__(path, OverridesError)

    def prices(self, fields, name) -> dict[str, Decimal]:
        node = fields[name]
        if not isinstance(node, yaml.MappingNode) or not node.value:
            raise self.error(node, name, "must map price keys to USD prices")
        prices = {}
        for key_node, value_node in node.value:
            if key_node.value not in PRICE_KEYS:
                raise self.error(key_node, f"{name}.{key_node.value}",
                                 f"unknown price key; expected one of {', '.join(PRICE_KEYS)}")
            prices[key_node.value] = self.number({key_node.value: value_node}, key_node.value,
                                                 Decimal(0), None)
        return prices


def _discount(where: _Where, entry, fields) -> Discount:
    where.check_fields(entry, fields, {"provider", "percent", "from"},
                       {"model", "project", "until", "name", "note"})
    valid_from, until = where.required_day(fields, "from"), where.day(fields, "until")
    if until is not None and until < valid_from:
        raise where.error(fields["until"], "until", "must not be before 'from'")
    return Discount(where.number(fields, "percent", Decimal(0), Decimal(100)), valid_from, until,
                    where.required_text(fields, "provider"), where.text(fields, "model"),
                    where.text(fields, "project"))


def _custom_model(where: _Where, entry, fields) -> CustomModel:
    where.check_fields(entry, fields, {"provider", "prices"},
                       {"model", "model_starts_with", "name", "note"})
    model, prefix = where.text(fields, "model"), where.text(fields, "model_starts_with")
    if model is not None and prefix is None:
        name, match = model, "exact"
    elif prefix is not None and model is None:
        name, match = prefix, "starts_with"
    else:
        raise where.error(entry, "model", "give exactly one of 'model' or 'model_starts_with'")
    return CustomModel(where.required_text(fields, "provider"), name, match,
                       where.prices(fields, "prices"))


def _correction(where: _Where, entry, fields) -> Correction:
    where.check_fields(entry, fields, {"provider", "model", "from", "prices"}, {"name", "note"})
    return Correction(where.required_text(fields, "provider"), where.required_text(fields, "model"),
                      where.required_day(fields, "from"), where.prices(fields, "prices"))
