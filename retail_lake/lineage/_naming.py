"""Dataset namespaces and names, following the OpenLineage naming spec.

* lake paths: an S3 lake ``s3://bucket/prefix`` gives namespace ``s3://bucket`` and
  name ``prefix/<path>`` (the object key of the folder, as the spec's S3 naming and
  Spark's OpenLineage listener spell it); a local lake gives namespace
  ``file://<lake root>`` and name ``<path>``, so a local ``validated/sales`` has the
  same name as on an S3 lake without prefix;
* the source database: ``mysql://<host>:<port>`` and ``<database>.<table>``;
* catalog tables: the Glue Data Catalog ``arn:aws:glue:<region>:<account>`` and
  ``table/<database>/<table>``; the local DuckDB catalog ``duckdb://<catalog file>``
  and ``<database>.<table>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from retail_lake.storage import layout


@dataclass(frozen=True)
class Naming:
    """Where the datasets of one lake live, in OpenLineage terms."""

    lake: str
    catalog_namespace: str
    glue_database: str = "retail_lake"
    glue_catalog: bool = False
    source_namespace: str = "mysql://source"
    source_database: str = "retail"

    @property
    def lake_namespace(self) -> str:
        if self.lake.startswith("s3://"):
            return "s3://" + self.lake[len("s3://") :].split("/", 1)[0]
        return "file://" + self.lake

    def lake_name(self, path: str) -> str:
        """The dataset name of a lake-relative path."""
        if self.lake.startswith("s3://"):
            parts = self.lake[len("s3://") :].split("/", 1)
            prefix = parts[1].strip("/") if len(parts) > 1 else ""
            return f"{prefix}/{path}" if prefix else path
        return path

    def table_name(self, table: str) -> str:
        if self.glue_catalog:
            return f"table/{self.glue_database}/{table}"
        return f"{self.glue_database}.{table}"

    def source_table(self, table: str) -> str:
        return f"{self.source_database}.{table}"


def glue_catalog_namespace(region: str, account: str) -> str:
    return f"arn:aws:glue:{region}:{account}"


def duckdb_catalog_namespace(lake: str) -> str:
    return "duckdb://" + str(Path(lake) / layout.catalog_db())


_JDBC = re.compile(
    r"^jdbc:(?P<scheme>mysql|mariadb)://(?:[^@/]*@)?(?P<host>[^:/?]+)(?::(?P<port>\d+))?/(?P<db>[^?;/]*)"
)


def source_from_jdbc(url: str | None, fallback: str | None = None) -> tuple[str, str]:
    """``(namespace, database)`` of the source database from its JDBC URL.

    Credentials in the URL are never part of the result. Without a URL (a Glue
    connection holds it) the namespace names the connection: ``mysql://<connection>``.
    """
    match = _JDBC.match(url or "")
    if match:
        port = match["port"] or "3306"
        return f"mysql://{match['host']}:{port}", match["db"] or "retail"
    return f"mysql://{fallback or 'source'}", "retail"
