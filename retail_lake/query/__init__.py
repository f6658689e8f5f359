"""Query port: Athena on AWS, DuckDB over the same Parquet files locally.

Both engines take Athena SQL, so a query copied from a notebook or Superset runs
unchanged against a local lake (``retail-lake query --lake DIR "SQL"``).
"""

from __future__ import annotations

from typing import Any

from retail_lake.query._athena import AthenaQuery
from retail_lake.query._base import QueryEngine, QueryError
from retail_lake.query._duckdb import DuckDBQuery
from retail_lake.query._print import print_query, render_table


def open_query(settings: Any, boto3_session: Any = None) -> QueryEngine:
    """The engine selected by ``settings.query`` (``local`` or ``aws``)."""
    if settings.query == "aws":
        if boto3_session is None:
            import boto3

            boto3_session = boto3.Session(region_name=settings.region)
        return AthenaQuery(settings.glue_database, settings.athena_workgroup, boto3_session)
    return DuckDBQuery(settings.lake)


__all__ = [
    "AthenaQuery",
    "DuckDBQuery",
    "QueryEngine",
    "QueryError",
    "open_query",
    "print_query",
    "render_table",
]
