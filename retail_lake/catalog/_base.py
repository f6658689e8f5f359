"""The catalog port: what the pipeline needs from Glue or its local twin."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from retail_lake.catalog.tables import TableSpec
from retail_lake.catalog.views import ViewReport


class CatalogError(RuntimeError):
    """Registering a table, partition or view failed; the message names it."""


class Catalog(Protocol):
    """Tables, partitions and views of the lake, as Athena/DuckDB users see them."""

    database: str

    def ensure_database(self) -> None:
        """Create the database if missing; idempotent."""

    def register_table(self, spec: TableSpec, location: str) -> None:
        """Create or update ``spec`` over the files at ``location``; keeps partitions."""

    def register_partitions(
        self, spec: TableSpec, location: str, values: Sequence[Sequence[str]]
    ) -> None:
        """Make the partitions ``values`` (one tuple per folder, in key order) visible."""

    def create_or_replace_views(self, paths: Iterable[Path | str] | None = None) -> ViewReport:
        """Create every view of ``paths`` (default: all packaged ``views/*.sql``)."""

    def list_tables(self) -> list[str]:
        """Names of the tables and views of the database, sorted."""
