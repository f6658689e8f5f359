"""Catalog port: Glue Data Catalog on AWS, a DuckDB catalog file locally.

The pipeline's catalog step is one call::

    from retail_lake.catalog import refresh_after_run
    refresh_after_run(settings, storage)  # = publish(open_catalog(settings), storage)

Table definitions come from the contracts (:mod:`retail_lake.catalog.tables`); view
SQL from ``retail_lake/sql/views/*.sql``.
"""

from __future__ import annotations

from typing import Any

from retail_lake.catalog._base import Catalog, CatalogError
from retail_lake.catalog._duckdb import DuckDBCatalog
from retail_lake.catalog._glue import GlueCatalog
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


def open_catalog(settings: Any, boto3_session: Any = None) -> Catalog:
    """The catalog adapter selected by ``settings.catalog`` (``local`` or ``aws``)."""
    if settings.catalog == "aws":
        if boto3_session is None:
            import boto3

            boto3_session = boto3.Session(region_name=settings.region)
        return GlueCatalog(settings.glue_database, boto3_session, settings.athena_workgroup)
    return DuckDBCatalog(settings.lake, settings.glue_database)


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
