"""Local engine: DuckDB on the catalog file, with Athena SQL translated by sqlglot."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from retail_lake.query._base import QueryError
from retail_lake.sql import athena_to_duckdb
from retail_lake.storage import layout


class DuckDBQuery:
    """Read-only queries against ``<lake>/_control/catalog.duckdb``.

    The connection is opened read-only per query, so a query never blocks the
    pipeline's catalog step for longer than it runs. The session time zone is UTC,
    matching Athena, so timestamps print the same on every machine.
    """

    def __init__(self, lake_root: str | Path) -> None:
        self.lake_root = Path(lake_root).resolve()
        self.path = self.lake_root / layout.catalog_db()

    def translate(self, text: str) -> str:
        return athena_to_duckdb(text)

    def sql(self, text: str) -> pd.DataFrame:
        if not self.path.exists():
            raise QueryError(
                f"no catalog at {self.path}: run `retail-lake run --lake {self.lake_root} ...` first"
            )
        try:
            translated = self.translate(text)
        except Exception as exc:
            raise QueryError(f"cannot parse the query as Athena SQL: {exc}") from exc
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            con.execute("SET TimeZone = 'UTC'")
            return con.execute(translated).df()
        except duckdb.Error as exc:
            raise QueryError(f"{exc}\n(DuckDB SQL: {translated})") from exc
        finally:
            con.close()
