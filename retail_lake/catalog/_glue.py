"""AWS catalog adapter: Glue Data Catalog through awswrangler, views through Athena.

Jobs register tables and partitions themselves after writing, so a table is
queryable as soon as a run ends, without waiting for a crawler. Tables are updated
in place (``mode="update"``): awswrangler's default ``overwrite`` would drop every
partition of the table first, leaving Athena users an empty table mid-run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import awswrangler as wr

from retail_lake.catalog._base import CatalogError
from retail_lake.catalog.tables import TableSpec
from retail_lake.catalog.views import ViewReport, load_views, plan_views
from retail_lake.contracts import contracts

JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
"""Hive JSON SerDe: Athena documents the OpenX SerDe's results as possibly non-deterministic."""

TIMESTAMP_FORMATS = ",".join(
    [
        "yyyy-MM-dd'T'HH:mm:ss.SSSSSSZZ",
        "yyyy-MM-dd'T'HH:mm:ss.SSSZZ",
        "yyyy-MM-dd'T'HH:mm:ssZZ",
        "yyyy-MM-dd'T'HH:mm:ss.SSSSSS",
        "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd HH:mm:ss.SSSSSS",
        "yyyy-MM-dd HH:mm:ss",
    ]
)
"""Joda patterns for ISO-8601 ``event_time`` (``ZZ`` reads ``Z`` and ``+02:00``)."""

AthenaRunner = Callable[..., Any]


def _dir(location: str) -> str:
    return location.rstrip("/") + "/"


def partition_path(location: str, spec: TableSpec, values: Sequence[str]) -> str:
    """``<location>/k1=v1/k2=v2/``: the hive folder the jobs write a partition to."""
    if len(values) != len(spec.partitions):
        raise CatalogError(
            f"{spec.name}: partition {list(values)} does not match {spec.partition_names}"
        )
    parts = "/".join(f"{k}={v}" for k, v in zip(spec.partition_names, values, strict=True))
    return f"{_dir(location)}{parts}/"


class GlueCatalog:
    """The Glue database ``database``; views are created by Athena in ``workgroup``.

    ``run_athena`` defaults to ``wr.athena.start_query_execution``; it is a parameter
    because moto cannot execute Athena DDL, so tests record the statements instead.
    """

    def __init__(
        self,
        database: str,
        boto3_session: Any = None,
        workgroup: str = "primary",
        run_athena: AthenaRunner | None = None,
    ) -> None:
        self.database = database
        self.session = boto3_session
        self.workgroup = workgroup
        self._run_athena = run_athena or wr.athena.start_query_execution

    def ensure_database(self) -> None:
        wr.catalog.create_database(
            name=self.database,
            description="retail-lake: curated, quarantine and order-change tables",
            exist_ok=True,
            boto3_session=self.session,
        )

    def register_table(self, spec: TableSpec, location: str) -> None:
        common: dict[str, Any] = {
            "database": self.database,
            "table": spec.name,
            "path": _dir(location),
            "columns_types": spec.athena_columns(),
            "partitions_types": spec.athena_partitions() or None,
            "description": spec.description or None,
            "parameters": {"retail_lake_contract_hash": contracts().content_hash},
            "mode": "update",
            "boto3_session": self.session,
        }
        try:
            if spec.format == "json":
                wr.catalog.create_json_table(
                    **common,
                    serde_library=JSON_SERDE,
                    serde_parameters={"timestamp.formats": TIMESTAMP_FORMATS},
                )
            else:
                wr.catalog.create_parquet_table(**common, compression="snappy")
        except Exception as exc:
            raise CatalogError(
                f"cannot register Glue table {self.database}.{spec.name}: {exc}"
            ) from exc

    def register_partitions(
        self, spec: TableSpec, location: str, values: Sequence[Sequence[str]]
    ) -> None:
        if not spec.partitions or not values:
            return
        partitions = {partition_path(location, spec, v): [str(x) for x in v] for v in values}
        try:
            wr.catalog.add_parquet_partitions(
                database=self.database,
                table=spec.name,
                partitions_values=partitions,
                compression="snappy",
                columns_types=spec.athena_columns(),
                boto3_session=self.session,
            )
        except Exception as exc:
            raise CatalogError(
                f"cannot add partitions to {self.database}.{spec.name}: {exc}"
            ) from exc

    def create_or_replace_views(self, paths: Iterable[Path | str] | None = None) -> ViewReport:
        ordered, skipped = plan_views(load_views(paths), self.list_tables())
        report = ViewReport(skipped=skipped)
        for view in ordered:
            try:
                self._run_athena(
                    sql=view.create_statement(),
                    database=self.database,
                    workgroup=self.workgroup,
                    boto3_session=self.session,
                    wait=True,
                )
            except Exception as exc:
                raise CatalogError(f"Athena could not create view {view.name}: {exc}") from exc
            report.created.append(view.name)
        return report

    def list_tables(self) -> list[str]:
        tables = wr.catalog.get_tables(database=self.database, boto3_session=self.session)
        return sorted(t["Name"] for t in tables)
