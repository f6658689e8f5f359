"""Catalog port: Glue Data Catalog on AWS, a DuckDB catalog file locally.

The workflow's catalog step is one call::

    from retail_lake.catalog import open_catalog, refresh_after_run
    refresh_after_run(open_catalog(settings), storage)  # validation counts, then publish

Table definitions come from the contracts (:mod:`retail_lake.catalog.tables`); view
SQL from ``retail_lake/sql/views/*.sql``.
"""

from __future__ import annotations

from retail_lake.catalog._base import Catalog, CatalogError
from retail_lake.catalog._duckdb import DuckDBCatalog
from retail_lake.catalog._glue import GlueCatalog
from retail_lake.catalog._open import open_catalog
from retail_lake.catalog.publish import (
    PublishReport,
    discover_partitions,
    publish,
    refresh_after_run,
)
from retail_lake.catalog.tables import (
    QUARANTINED_DATASETS,
    TableSpec,
    curated_table,
    lake_tables,
    order_changes_table,
    quarantine_table,
    table,
)
from retail_lake.catalog.views import ViewDef, ViewReport, load_views, plan_views

__all__ = [
    "QUARANTINED_DATASETS",
    "Catalog",
    "CatalogError",
    "DuckDBCatalog",
    "GlueCatalog",
    "PublishReport",
    "TableSpec",
    "ViewDef",
    "ViewReport",
    "curated_table",
    "discover_partitions",
    "lake_tables",
    "load_views",
    "open_catalog",
    "order_changes_table",
    "plan_views",
    "publish",
    "quarantine_table",
    "refresh_after_run",
    "table",
]
