"""Loading ``datasets.toml`` into immutable :class:`Dataset` objects."""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from retail_lake.contracts._gates import GateDeclarationError, Gates, parse_gates
from retail_lake.contracts._types import ColumnType, parse_type

ROW_RULE_REASONS: tuple[str, ...] = ("missing_required", "bad_type", "negative_value", "bad_flag")
"""The reasons judged on a row alone, in order; ``retail_lake.transforms.rules``
implements one check per reason and refuses to import if the two sets differ."""

_REFERENCE_REASONS = {
    "calendar": "unknown_date",
    "store": "unknown_store",
    "product": "unknown_product",
}

DUPLICATE_KEY = "duplicate_key"
"""The reason of every copy of a key after the first, among rows that broke nothing else."""

RULE_ORDER: tuple[str, ...] = (*ROW_RULE_REASONS, *_REFERENCE_REASONS.values(), DUPLICATE_KEY)
"""A rejected row carries the first reason of this list that it broke (docs/design.md,
Validation rules). The one list of reason labels: everything else derives from it."""


class ContractError(ValueError):
    """A contract is malformed, or data/metadata disagrees with it."""


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    doc: str = ""
    since: str | None = None
    """Contract version that added the column; files delivered before may lack it."""

    @property
    def nullable(self) -> bool:
        return True


@dataclass(frozen=True)
class Dataset:
    """One dataset's contract; derived views (schemas, DDL, rules) hang off it."""

    name: str
    zone: str
    kind: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: tuple[str, ...] = ()
    non_negative: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    references: tuple[tuple[str, str], ...] = ()
    business_date: str | None = None
    partition_by: tuple[str, ...] = ()
    landing_path: str | None = None
    raw_path: str | None = None
    curated_path: str | None = None
    mysql_indexes: tuple[tuple[str, ...], ...] = ()
    expected_files: str | None = None
    columns_from: str | None = None
    """For a curated copy of a validated dataset (``dim_store``): its source."""
    gates: Gates = field(default_factory=Gates)
    """The quality gates validate applies to each load of this dataset."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise ContractError(f"dataset {self.name!r} has no column {name!r}")

    def reference_reasons(self) -> list[tuple[str, str, str]]:
        """``(column, dimension, reason)`` for each reference, in rule order."""
        out = [(col, dim, _REFERENCE_REASONS[dim]) for col, dim in self.references]
        return sorted(out, key=lambda item: RULE_ORDER.index(item[2]))

    def spark_schema(self, all_strings: bool = False):
        """The Spark ``StructType``; ``all_strings`` gives the raw, as-delivered schema."""
        from pyspark.sql import types as T

        return T.StructType(
            [
                T.StructField(c.name, T.StringType() if all_strings else c.type.spark(), True)
                for c in self.columns
            ]
        )

    def mysql_ddl(self) -> str:
        cols = [f"  `{c.name}` {c.type.mysql()}" for c in self.columns]
        cols.append(f"  PRIMARY KEY ({', '.join(f'`{k}`' for k in self.key)})")
        for i, idx in enumerate(self.mysql_indexes):
            cols.append(f"  KEY `ix_{self.name}_{i}` ({', '.join(f'`{c}`' for c in idx)})")
        return f"CREATE TABLE `{self.name}` (\n" + ",\n".join(cols) + "\n)"

    def athena_columns(self) -> dict[str, str]:
        """Non-partition columns in Glue/Athena types (``wr.catalog`` ``columns_types``)."""
        return {c.name: c.type.athena() for c in self.columns if c.name not in self.partition_by}

    def athena_partitions(self) -> dict[str, str]:
        return {c.name: c.type.athena() for c in self.columns if c.name in self.partition_by}


def _dataset(
    name: str,
    body: dict[str, Any],
    raw: dict[str, dict[str, Any]],
    default_gates: dict[str, dict[str, Any]] | None = None,
) -> Dataset:
    source = body
    if "columns_from" in body:
        source = raw[body["columns_from"]]
    columns = tuple(
        Column(c["name"], parse_type(c["type"]), c.get("doc", ""), c.get("since"))
        for c in source["columns"]
    )
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ContractError(f"dataset {name!r} repeats a column name")
    known = set(names)
    for attr in ("key", "required", "non_negative", "flags", "partition_by"):
        unknown = set(body.get(attr, [])) - known
        if unknown:
            raise ContractError(f"dataset {name!r}: {attr} names unknown columns {sorted(unknown)}")
    references = tuple(sorted(body.get("references", {}).items()))
    for col, dim in references:
        if col not in known or dim not in _REFERENCE_REASONS:
            raise ContractError(f"dataset {name!r}: bad reference {col} -> {dim}")
    consumed = {
        "zone",
        "kind",
        "description",
        "columns",
        "key",
        "required",
        "non_negative",
        "flags",
        "references",
        "business_date",
        "partition_by",
        "landing_path",
        "raw_path",
        "curated_path",
        "mysql_indexes",
        "expected_files",
        "columns_from",
        "gates",
    }
    # Gates judge the loads validate reads: datasets with a raw zone.
    judged = bool(body.get("raw_path")) and body["kind"] in ("dimension", "fact")
    if "gates" in body and not judged:
        raise ContractError(f"dataset {name!r}: only datasets validate reads have gates")
    try:
        defaults = (default_gates or {}).get(body["kind"], {}) if judged else {}
        gates = parse_gates(f"dataset {name!r}", defaults, body.get("gates", {}))
    except GateDeclarationError as exc:
        raise ContractError(str(exc)) from None
    return Dataset(
        name=name,
        zone=body["zone"],
        kind=body["kind"],
        description=body.get("description", ""),
        columns=columns,
        key=tuple(body["key"]),
        required=tuple(body.get("required", [])),
        non_negative=tuple(body.get("non_negative", [])),
        flags=tuple(body.get("flags", [])),
        references=references,
        business_date=body.get("business_date"),
        partition_by=tuple(body.get("partition_by", [])),
        landing_path=body.get("landing_path"),
        raw_path=body.get("raw_path"),
        curated_path=body.get("curated_path"),
        mysql_indexes=tuple(tuple(i) for i in body.get("mysql_indexes", [])),
        expected_files=body.get("expected_files"),
        columns_from=body.get("columns_from"),
        gates=gates,
        extra={k: v for k, v in body.items() if k not in consumed},
    )


@dataclass(frozen=True)
class Registry:
    """All contracts plus their version and content hash."""

    version: str
    content_hash: str
    datasets: dict[str, Dataset]

    def __getitem__(self, name: str) -> Dataset:
        try:
            return self.datasets[name]
        except KeyError:
            raise ContractError(f"no contract for dataset {name!r}") from None

    def by_zone(self, zone: str) -> list[Dataset]:
        return [d for d in self.datasets.values() if d.zone == zone]

    def validated(self) -> list[Dataset]:
        """The datasets validate turns from raw into ``validated/``, dimensions first
        (in the order of their reference rules), since facts are checked against them."""
        loads = [
            d for d in self.datasets.values() if d.raw_path and d.kind in ("dimension", "fact")
        ]
        dims = [d for d in loads if d.kind == "dimension"]
        dims.sort(key=lambda d: RULE_ORDER.index(_REFERENCE_REASONS[d.name]))
        return dims + [d for d in loads if d.kind == "fact"]

    def curated_copies(self) -> dict[str, str]:
        """Curated dataset -> the validated dataset it is a current copy of."""
        return {d.name: d.columns_from for d in self.by_zone("curated") if d.columns_from}


def contract_hash(document: dict[str, Any]) -> str:
    """A stable hash of the parsed contract document (formatting does not count)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def load_registry(text: str) -> Registry:
    document = tomllib.loads(text)
    raw = document["datasets"]
    default_gates = document.get("gates", {})
    datasets = {name: _dataset(name, body, raw, default_gates) for name, body in raw.items()}
    return Registry(document["version"], contract_hash(document), datasets)


@cache
def _shipped() -> Registry:
    text = resources.files("retail_lake.contracts").joinpath("datasets.toml").read_text("utf-8")
    return load_registry(text)


_override: list[Registry] = []


def contracts() -> Registry:
    """The contracts shipped with the library (also inside the wheel)."""
    return _override[-1] if _override else _shipped()


@contextmanager
def contracts_overridden(text: str) -> Iterator[Registry]:
    """Run with another contract document, e.g. to rehearse a schema change in a test."""
    registry = load_registry(text)
    _override.append(registry)
    try:
        yield registry
    finally:
        _override.pop()


def dataset(name: str) -> Dataset:
    return contracts()[name]


RETAIL_TABLES: tuple[str, ...] = tuple(
    d.name for d in _shipped().validated() if (d.raw_path or "").startswith("raw/retail/")
)
"""The retail tables of the company's database (MySQL or its CSV dumps), dimensions
first (validation order); the other validated datasets only arrive as files."""
