"""seeds/hardware_generations.yaml -> dim_hardware_generation and hardware_sources.

The seed is reviewed by hand; loading it is strict: every figure must name a source listed in
the file, a blank stays blank (never a guess), and comparisons must point at generations that
exist. An error names the file, the line and the field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from pipelines.config.yamlfile import SeedFileError, Where, is_null, read_sections
from pipelines.warehouse.sql import insert_rows

# figure -> (lowest, highest) plausible value; the unit is in the name
FIGURES = {
    "memory_gb": (Decimal(1), Decimal(100_000)),
    "bandwidth_tb_s": (Decimal("0.1"), Decimal(1_000)),
    "bf16_dense_tflops": (Decimal(1), Decimal(1_000_000)),
    "fp8_dense_tflops": (Decimal(1), Decimal(1_000_000)),
    "fp4_dense_tflops": (Decimal(1), Decimal(1_000_000)),
}
TEXT_FACTS = ("memory_type",)
DATES = ("announced", "first_shipped", "cloud_available")
PRECISIONS = ("day", "month", "quarter", "half", "year")
CLAIM_FIELDS = ("factor", "basis", "versus", "quote", "source")


class HardwareSeedError(SeedFileError):
    pass


@dataclass
class Generation:
    generation_id: str
    name: str
    vendor: str
    architecture: str
    predecessor_id: str | None
    sequence: int
    facts: dict[str, object] = field(default_factory=dict)  # column -> value (sources too)
    notes: str | None = None


@dataclass
class HardwareSeed:
    sources: dict[str, tuple[str, str | None]]
    generations: list[Generation]
    fingerprint: str

    def by_id(self, generation_id: str) -> Generation:
        return next(g for g in self.generations if g.generation_id == generation_id)


def load(path: Path) -> HardwareSeed:
    where, top = read_sections(path, HardwareSeedError, {"sources", "generations"})
    sources = _sources(where, top["sources"])
    used: set[str] = set()
    generations = [_generation(where, entry, sources, used)
                   for entry in where.sequence(top["generations"], "generations")]
    ids = [g.generation_id for g in generations]
    for entry, generation in zip(top["generations"].value, generations, strict=True):
        fields = where.mapping(entry, "generations")
        if ids.count(generation.generation_id) > 1:
            raise where.error(fields["id"], "id", f"{generation.generation_id!r} is not unique")
        for name, value in (("predecessor", generation.predecessor_id),
                            ("cost_per_token_claim.versus", generation.facts["claim_versus"])):
            if value is not None and value not in ids:
                raise where.error(entry, name, f"{value!r} is not a generation of this file")
    for key in sources.keys() - used:
        raise HardwareSeedError(f"{path}: source {key!r} is listed but no figure cites it")
    fingerprint = hashlib.blake2b(Path(path).read_bytes(), digest_size=6).hexdigest()
    return HardwareSeed(sources, generations, fingerprint)


def _sources(where: Where, node) -> dict[str, tuple[str, str | None]]:
    if not isinstance(node, yaml.MappingNode):
        raise where.error(node, "sources", "must map source keys to a title and url")
    sources = {}
    for key_node, value_node in node.value:
        fields = where.mapping(value_node, "sources")
        where.check_fields(value_node, fields, {"title", "url"}, set())
        title = where.text(fields, "title")
        if title is None:
            raise where.error(value_node, "title", "is required")
        sources[key_node.value] = (title, where.text(fields, "url"))
    return sources


def _cited(where: Where, node, name: str, sources, used: set[str]) -> dict[str, yaml.Node]:
    fields = where.mapping(node, name)
    source = where.text(fields, "source")
    has_value = not is_null(fields.get("value"))
    if has_value and source is None:
        raise where.error(node, f"{name}.source", "a figure needs a source; blank the value "
                                                  "instead of guessing")
    if source is not None and source not in sources:
        raise where.error(fields["source"], f"{name}.source",
                          f"{source!r} is not in sources")
    if not has_value and source is not None:
        raise where.error(fields["source"], f"{name}.source", "cites a source for a blank value")
    if source:
        used.add(source)
    return fields


def _generation(where: Where, entry, sources, used: set[str]) -> Generation:
    fields = where.mapping(entry, "generations")
    required = {"id", "name", "vendor", "architecture", "predecessor", "sequence",
                *FIGURES, *TEXT_FACTS, *DATES, "cost_per_token_claim"}
    where.check_fields(entry, fields, required, {"notes"})
    generation = Generation(
        generation_id=where.required_text(fields, "id"),
        name=where.required_text(fields, "name"), vendor=where.required_text(fields, "vendor"),
        architecture=where.required_text(fields, "architecture"),
        predecessor_id=where.text(fields, "predecessor"),
        sequence=int(where.number(fields, "sequence", Decimal(1), Decimal(100))),
        notes=where.text(fields, "notes"))
    for name, (low, high) in FIGURES.items():
        fact = _cited(where, fields[name], name, sources, used)
        where.check_fields(fields[name], fact, {"value", "source"}, set())
        generation.facts[name] = where.optional_number(fact, "value", low, high)
        generation.facts[f"{name}_source"] = where.text(fact, "source")
    for name in TEXT_FACTS:
        fact = _cited(where, fields[name], name, sources, used)
        generation.facts[name] = where.text(fact, "value")
        generation.facts[f"{name}_source"] = where.text(fact, "source")
    for name in DATES:
        fact = _cited(where, fields[name], name, sources, used)
        where.check_fields(fields[name], fact, {"value", "source"}, {"precision"})
        day: date | None = where.day(fact, "value")
        precision = where.text(fact, "precision")
        if day is not None and precision not in PRECISIONS:
            raise where.error(fields[name], f"{name}.precision",
                              f"must be one of {', '.join(PRECISIONS)}")
        generation.facts[name] = day
        generation.facts[f"{name}_precision"] = precision if day else None
        generation.facts[f"{name}_source"] = where.text(fact, "source")
    claim_node = fields["cost_per_token_claim"]
    claim = where.mapping(claim_node, "cost_per_token_claim")
    where.check_fields(claim_node, claim, set(CLAIM_FIELDS), set())
    factor = where.optional_number(claim, "factor", Decimal(1), Decimal(1_000))
    source = where.text(claim, "source")
    if factor is not None and (source is None or where.text(claim, "versus") is None):
        raise where.error(claim_node, "cost_per_token_claim",
                          "a claimed factor needs its source and the generation it is versus")
    if source is not None:
        if source not in sources:
            raise where.error(claim["source"], "cost_per_token_claim.source",
                              f"{source!r} is not in sources")
        used.add(source)
    generation.facts.update({
        "claim_factor": factor, "claim_basis": where.text(claim, "basis"),
        "claim_versus": where.text(claim, "versus"), "claim_quote": where.text(claim, "quote"),
        "claim_source": source})
    return generation


def load_into(conn, seed: HardwareSeed) -> int:
    """Replace dim_hardware_generation and hardware_sources with the seed; returns the number of
    generations."""
    conn.execute("DELETE FROM hardware_sources")
    insert_rows(conn, "hardware_sources",
                [(key, title, url) for key, (title, url) in seed.sources.items()])
    conn.execute("DELETE FROM dim_hardware_generation")
    rows = []
    for generation in seed.generations:
        row = {"generation_id": generation.generation_id, "name": generation.name,
               "vendor": generation.vendor, "architecture": generation.architecture,
               "predecessor_id": generation.predecessor_id, "sequence": generation.sequence,
               **{k: str(v) if isinstance(v, Decimal) else v
                  for k, v in generation.facts.items()},
               "notes": generation.notes, "seed_version": seed.fingerprint}
        rows.append(row)
    for columns in {tuple(row) for row in rows}:  # generations may lack the same facts
        insert_rows(conn, "dim_hardware_generation",
                    [tuple(row.values()) for row in rows if tuple(row) == columns],
                    list(columns))
    return len(seed.generations)
