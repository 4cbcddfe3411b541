"""Strict reading of the repository's reviewed YAML files (price overrides, hardware seed,
scenarios): every error names the file, the line and the field at fault."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml


class SeedFileError(ValueError):
    pass


def compose(path: Path, error_class: type[ValueError] = SeedFileError) -> yaml.Node | None:
    try:
        return yaml.compose(Path(path).read_text())
    except yaml.YAMLError as exc:
        raise error_class(f"{path}: not valid YAML: {exc}") from None


def read_sections(path: Path, error_class: type[ValueError], sections: set[str]
                  ) -> tuple[Where, dict[str, yaml.Node]]:
    """A file that must be a mapping of exactly these sections: its Where and the sections."""
    where = Where(path, error_class)
    root = compose(path, error_class)
    if not isinstance(root, yaml.MappingNode):
        raise error_class(f"{path}: must be a mapping of {', '.join(sorted(sections))}")
    top = where.mapping(root, "file")
    where.check_fields(root, top, sections, set())
    return where, top


def is_null(node: yaml.Node | None) -> bool:
    return node is None or (isinstance(node, yaml.ScalarNode)
                            and node.tag == "tag:yaml.org,2002:null")


class Where:
    """Where a node of a YAML file is, for errors that name the file, line and field."""

    def __init__(self, path, error_class: type[ValueError] = SeedFileError):
        self.path = path
        self.error_class = error_class

    def error(self, node, field_name, message) -> ValueError:
        line = node.start_mark.line + 1
        named = f", field {field_name!r}" if field_name else ""
        return self.error_class(f"{self.path} line {line}{named}: {message}")

    @staticmethod
    def node_of(fields: dict) -> yaml.Node:
        return next(iter(fields.values()))

    def optional_number(self, fields, name, low: Decimal, high: Decimal | None
                        ) -> Decimal | None:
        return None if is_null(fields.get(name)) else self.number(fields, name, low, high)

    def sequence(self, node, name: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, name, "must be a list")
        return node.value

    def mapping(self, node, section) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, None, f"each {section} entry must be a mapping")
        return {key.value: value for key, value in node.value}

    def check_fields(self, entry, fields, required: set[str], optional: set[str]) -> None:
        for name in required - fields.keys():
            raise self.error(entry, name, "is required")
        known = ", ".join(sorted(required | optional))
        for name in fields.keys() - required - optional:
            raise self.error(fields[name], name, f"is not a known field; expected {known}")

    def text(self, fields, name) -> str | None:
        node = fields.get(name)
        if is_null(node):
            return None
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.error(node, name, "must be a non-empty text")
        return str(node.value).strip()

    def required_text(self, fields, name) -> str:
        """A text the file must give: null is refused as a missing field is."""
        text = self.text(fields, name)
        if text is None:
            raise self._required(fields, name)
        return text

    def required_day(self, fields, name) -> date:
        """A date the file must give: null is refused as a missing field is."""
        day = self.day(fields, name)
        if day is None:
            raise self._required(fields, name)
        return day

    def _required(self, fields, name) -> ValueError:
        node = fields.get(name)
        return self.error(node if node is not None else self.node_of(fields), name,
                          "is required")

    def day(self, fields, name) -> date | None:
        node = fields.get(name)
        if is_null(node):
            return None
        try:
            return date.fromisoformat(str(node.value))
        except ValueError:
            raise self.error(node, name, f"must be a date like 2026-01-31, not {node.value!r}"
                             ) from None

    def number(self, fields, name, low: Decimal, high: Decimal | None) -> Decimal:
        node = fields.get(name)
        if is_null(node):
            raise self._required(fields, name)
        try:
            value = Decimal(str(node.value))
        except InvalidOperation:
            raise self.error(node, name, f"must be a number, not {node.value!r}") from None
        if not value.is_finite() or value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.error(node, name, f"must be {bound}, not {value}")
        return value
