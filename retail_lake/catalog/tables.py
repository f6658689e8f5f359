"""The catalog tables of the lake, derived from the dataset contracts.

Names and locations follow docs/design.md, Lake layout.

Both catalog adapters register exactly these tables, so the Glue database and the
local DuckDB catalog cannot drift apart: the names, locations, column types and
partition keys are computed here from ``datasets.toml`` and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from retail_lake.contracts import (
    RETAIL_TABLES,
    RULE_ORDER,
    ColumnType,
    contracts,
    dataset,
    parse_type,
)
from retail_lake.storage import layout

QUARANTINED_DATASETS: tuple[str, ...] = (*RETAIL_TABLES, "store_sales")
"""Datasets whose rejected rows land in ``quarantine/<dataset>/``."""

_STRING = parse_type("string")
_DATE = parse_type("date")


@dataclass(frozen=True)
class TableSpec:
    """One catalog table: its name, lake-relative location, typed columns and format.

    ``columns`` excludes the partition keys, which are listed in ``partitions`` in
    folder order, mirroring how Glue separates ``Columns`` from ``PartitionKeys``.
    """

    name: str
    location: str
    columns: tuple[tuple[str, ColumnType], ...]
    partitions: tuple[tuple[str, ColumnType], ...] = ()
    format: Literal["parquet", "json"] = "parquet"
    description: str = ""

    @property
    def all_columns(self) -> tuple[tuple[str, ColumnType], ...]:
        """Data columns then partition columns: the column order readers see."""
        return self.columns + self.partitions

    @property
    def partition_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.partitions)

    def athena_columns(self) -> dict[str, str]:
        return {name: typ.athena() for name, typ in self.columns}

    def athena_partitions(self) -> dict[str, str]:
        return {name: typ.athena() for name, typ in self.partitions}


def curated_table(name: str) -> TableSpec:
    """A curated dataset as a table: the contract's columns and partition keys."""
    ds = dataset(name)
    by_name = {c.name: c.type for c in ds.columns}
    return TableSpec(
        name=name,
        location=layout.curated_dir(name),
        columns=tuple((c.name, c.type) for c in ds.columns if c.name not in ds.partition_by),
        partitions=tuple((p, by_name[p]) for p in ds.partition_by),
        description=ds.description,
    )


def quarantine_table(name: str) -> TableSpec:
    """Rejected rows of ``name``: contract columns as delivered (strings) + why + where from."""
    ds = dataset(name)
    columns = tuple((c.name, _STRING) for c in ds.columns)
    return TableSpec(
        name=f"quarantine_{name}",
        location=layout.quarantine_dir(name),
        columns=(*columns, ("reject_reason", _STRING), ("source_file", _STRING)),
        partitions=(("load_date", _DATE),),
        description=f"Rows of {name} rejected by validation, with the reason.",
    )


def order_changes_table() -> TableSpec:
    """The Firehose NDJSON change records; unpartitioned, the files sit under YYYY/MM/DD/."""
    ds = dataset("order_changes")
    return TableSpec(
        name="order_changes",
        location=layout.order_changes_dir(),
        columns=tuple((c.name, c.type) for c in ds.columns),
        format="json",
        description=ds.description,
    )


def validation_counts_table() -> TableSpec:
    """Per load date, dataset and source file: the validate report's counts, one JSON
    line per file (written by :func:`retail_lake.catalog.quality.write_validation_counts`)."""
    integer = parse_type("int")
    return TableSpec(
        name="validation_counts",
        location=layout.validation_counts_dir(),
        columns=(
            ("load_date", _DATE),
            ("dataset", _STRING),
            ("source_file", _STRING),
            *((name, integer) for name in ("rows_in", "valid", "quarantined")),
            *((reason, integer) for reason in RULE_ORDER),
            ("gates_breached", _STRING),
            ("halted", parse_type("bool")),
        ),
        format="json",
        description="Rows in, valid, quarantined and rejected rows per reason, the quality "
        "gates breached and whether the load was halted, per load date, dataset and source "
        "file, from the validate reports.",
    )


def lake_tables() -> list[TableSpec]:
    """Every table the catalog holds: curated, quarantine, order changes, validation counts."""
    curated = [curated_table(d.name) for d in contracts().by_zone("curated")]
    quarantine = [quarantine_table(name) for name in QUARANTINED_DATASETS]
    return [*curated, *quarantine, order_changes_table(), validation_counts_table()]


def table(name: str) -> TableSpec:
    """The spec of one catalog table by its catalog name."""
    for spec in lake_tables():
        if spec.name == name:
            return spec
    raise KeyError(f"no catalog table named {name!r}")
