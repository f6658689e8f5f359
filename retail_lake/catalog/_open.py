"""The catalog wiring point: which adapter ``settings.catalog`` selects.

A module of its own (re-exported by :mod:`retail_lake.catalog`) so that the
composition root (:mod:`retail_lake.runtime.adapters`) and the command line open
the catalog through one function, apart from the adapters themselves.
"""

from __future__ import annotations

from typing import Any

from retail_lake.catalog._base import Catalog
from retail_lake.catalog._duckdb import DuckDBCatalog
from retail_lake.catalog._glue import GlueCatalog


def open_catalog(settings: Any, boto3_session: Any = None) -> Catalog:
    """The catalog adapter selected by ``settings.catalog`` (``local`` or ``aws``)."""
    if settings.catalog == "aws":
        if boto3_session is None:
            import boto3

            boto3_session = boto3.Session(region_name=settings.region)
        return GlueCatalog(settings.glue_database, boto3_session, settings.athena_workgroup)
    return DuckDBCatalog(settings.lake, settings.glue_database)
