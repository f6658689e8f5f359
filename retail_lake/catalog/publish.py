"""After a run: register every lake table and its partitions, then (re)create the views.

This is the one call the pipeline's catalog step makes (``publish``). Partitions are
discovered from the hive folders in storage, or, when the run says which
partitions it wrote, only those are registered, so the cost of the step stays
flat as history grows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from retail_lake.catalog._base import Catalog
from retail_lake.catalog.tables import TableSpec, lake_tables
from retail_lake.catalog.views import ViewReport
from retail_lake.storage import LakeStorage


@dataclass
class PublishReport:
    """Tables registered, partitions per table, and the views outcome (for run reports)."""

    tables: list[str] = field(default_factory=list)
    partitions: dict[str, int] = field(default_factory=dict)
    views: ViewReport = field(default_factory=ViewReport)

    def as_dict(self) -> dict[str, object]:
        return {
            "tables": self.tables,
            "partitions": self.partitions,
            "views_created": self.views.created,
            "views_skipped": self.views.skipped,
        }


def discover_partitions(storage: LakeStorage, spec: TableSpec) -> list[tuple[str, ...]]:
    """Partition values of ``spec`` found as ``key=value`` folders, in key order."""
    found: list[tuple[str, ...]] = [()]
    for key in spec.partition_names:
        prefix = f"{key}="
        deeper: list[tuple[str, ...]] = []
        for values in found:
            folder = "/".join(
                [
                    spec.location,
                    *(f"{k}={v}" for k, v in zip(spec.partition_names, values, strict=False)),
                ]
            )
            deeper.extend(
                (*values, name[len(prefix) :])
                for name in storage.list_dirs(folder)
                if name.startswith(prefix)
            )
        found = deeper
    return found if spec.partitions else []


def publish(
    catalog: Catalog,
    storage: LakeStorage,
    tables: Iterable[TableSpec] | None = None,
    written: Mapping[str, Sequence[Sequence[str]]] | None = None,
    views: Iterable[Path | str] | None = None,
) -> PublishReport:
    """Register ``tables`` (default: all lake tables) and their partitions, then the views.

    ``written`` maps a table name to the partitions this run wrote (e.g.
    ``{"weekly_sales_inventory": [("202401",)]}``); tables not in it get every
    partition found in storage.
    """
    report = PublishReport()
    catalog.ensure_database()
    # The DuckDB catalog can share one connection for the whole step; Glue has no need.
    batch = getattr(catalog, "batch", None)
    with batch() if batch is not None else nullcontext():
        _register(catalog, storage, tables, written, report)
    report.views = catalog.create_or_replace_views(views)
    return report


def _register(
    catalog: Catalog,
    storage: LakeStorage,
    tables: Iterable[TableSpec] | None,
    written: Mapping[str, Sequence[Sequence[str]]] | None,
    report: PublishReport,
) -> None:
    for spec in lake_tables() if tables is None else tables:
        location = storage.uri(spec.location)
        catalog.register_table(spec, location)
        report.tables.append(spec.name)
        if spec.partitions:
            if written is not None and spec.name in written:
                values = [tuple(str(x) for x in v) for v in written[spec.name]]
            else:
                values = discover_partitions(storage, spec)
            catalog.register_partitions(spec, location, values)
            report.partitions[spec.name] = len(values)


def refresh_after_run(
    catalog: Catalog,
    storage: LakeStorage,
    written: Mapping[str, Sequence[Sequence[str]]] | None = None,
    days: Sequence[dt.date] | None = None,
) -> PublishReport:
    """The workflow's catalog step: :func:`publish` to ``catalog``.

    First the validate reports of ``days`` (default: every day) become the rows of
    ``validation_counts`` (:mod:`retail_lake.catalog.quality`). The runner opens the
    catalog (:func:`~retail_lake.catalog.open_catalog`) and passes it in, as it does
    every adapter a step uses.
    """
    from retail_lake.catalog.quality import write_validation_counts

    write_validation_counts(storage, days)
    return publish(catalog, storage, written=written)
