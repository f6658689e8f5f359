"""Local catalog adapter: a DuckDB file in ``_control/`` whose tables are views over Parquet.

A table is a DuckDB view reading the lake's files with explicit casts to the
contract types, so a local query sees the same column types as Athena does through
Glue. DuckDB cannot create a ``read_parquet`` view over a folder without files, so
an empty dataset becomes an empty typed view, re-pointed at the files when a later
run registers the table or its partitions again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb

from retail_lake.catalog._base import CatalogError
from retail_lake.catalog.tables import TableSpec
from retail_lake.catalog.views import ViewReport, load_views, plan_views
from retail_lake.contracts import ColumnType
from retail_lake.sql import athena_to_duckdb
from retail_lake.storage import layout


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _has_files(folder: Path, pattern: str) -> bool:
    return folder.is_dir() and any(p.is_file() for p in folder.glob(pattern))


def _cast(column: str, typ: ColumnType, from_text: bool) -> str:
    """Cast one column to its contract type.

    ISO-8601 text with a zone (``...Z``, ``+02:00``) is normalised to UTC, as Athena
    does; a plain ``CAST(... AS TIMESTAMP)`` in DuckDB would drop the offset.
    """
    ident = quote_ident(column)
    if typ.name == "timestamp" and from_text:
        return (
            f"CASE WHEN regexp_matches({ident}, '(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') "
            f"THEN CAST(CAST({ident} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) "
            f"ELSE CAST({ident} AS TIMESTAMP) END"
        )
    return f"CAST({ident} AS {typ.duckdb()})"


def empty_select(spec: TableSpec) -> str:
    """A typed, row-less SELECT: the table of a dataset that has no files yet."""
    cols = ", ".join(
        f"CAST(NULL AS {typ.duckdb()}) AS {quote_ident(name)}" for name, typ in spec.all_columns
    )
    return f"SELECT {cols} WHERE FALSE"


class DuckDBCatalog:
    """The catalog in ``<lake>/_control/catalog.duckdb``; the lake must be a local folder."""

    def __init__(self, lake_root: str | Path, database: str = "retail_lake") -> None:
        if str(lake_root).startswith("s3://"):
            raise CatalogError("the DuckDB catalog needs a local lake; use the Glue catalog on S3")
        self.lake_root = Path(lake_root).resolve()
        self.database = database
        self.path = self.lake_root / layout.catalog_db()
        self._batch: duckdb.DuckDBPyConnection | None = None
        self._live: set[str] = set()  # tables whose view already globs their files

    @contextmanager
    def batch(self) -> Iterator[DuckDBCatalog]:
        """Share one connection for many registrations (opening the file costs ~50 ms)."""
        with self.connect() as con:
            self._batch = con
            try:
                yield self
            finally:
                self._batch = None

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection, so no process holds the file lock between steps."""
        if self._batch is not None:
            yield self._batch
            return
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def ensure_database(self) -> None:
        with self.connect():
            pass

    # -- tables ---------------------------------------------------------------------

    def _source_select(self, con: duckdb.DuckDBPyConnection, spec: TableSpec, folder: Path) -> str:
        if spec.format == "json":
            if not _has_files(folder, "**/*"):
                return empty_select(spec)
            columns = ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n, _ in spec.all_columns)
            source = (
                f"read_json({quote_literal(str(folder) + '/**/*')}, "
                f"format = 'newline_delimited', columns = {{{columns}}})"
            )
            casts = [f"{_cast(n, t, True)} AS {quote_ident(n)}" for n, t in spec.all_columns]
            return f"SELECT {', '.join(casts)} FROM {source}"
        if not _has_files(folder, "**/*.parquet"):
            return empty_select(spec)
        options = "hive_partitioning = true, union_by_name = true"
        if spec.partitions:
            hive = ", ".join(f"{quote_literal(n)}: '{t.duckdb()}'" for n, t in spec.partitions)
            options += f", hive_types = {{{hive}}}"
        source = f"read_parquet({quote_literal(str(folder) + '/**/*.parquet')}, {options})"
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        casts = [
            f"{_cast(n, t, False)} AS {quote_ident(n)}"
            if n in present
            else f"CAST(NULL AS {t.duckdb()}) AS {quote_ident(n)}"
            for n, t in spec.all_columns
        ]
        return f"SELECT {', '.join(casts)} FROM {source}"

    def register_table(self, spec: TableSpec, location: str) -> None:
        folder = Path(location)
        with self.connect() as con:
            try:
                select = self._source_select(con, spec, folder)
                con.execute(f"CREATE OR REPLACE VIEW {quote_ident(spec.name)} AS {select}")
                if select == empty_select(spec):
                    self._live.discard(spec.name)
                else:
                    self._live.add(spec.name)
            except duckdb.Error as exc:
                raise CatalogError(f"cannot register table {spec.name} at {folder}: {exc}") from exc

    def register_partitions(
        self, spec: TableSpec, location: str, values: Sequence[Sequence[str]]
    ) -> None:
        """DuckDB discovers hive folders at query time; only an empty view needs re-pointing."""
        if spec.name not in self._live:
            self.register_table(spec, location)

    # -- views ----------------------------------------------------------------------

    def create_or_replace_views(self, paths: Iterable[Path | str] | None = None) -> ViewReport:
        ordered, skipped = plan_views(load_views(paths), self.list_tables())
        report = ViewReport(skipped=skipped)
        with self.connect() as con:
            for view in ordered:
                try:
                    sql = athena_to_duckdb(view.sql)
                    con.execute(f"CREATE OR REPLACE VIEW {quote_ident(view.name)} AS {sql}")
                except Exception as exc:
                    raise CatalogError(f"cannot create view {view.name}: {exc}") from exc
                report.created.append(view.name)
        return report

    def list_tables(self) -> list[str]:
        if not self.path.exists():
            return []
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' "
                "UNION SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            ).fetchall()
        return sorted(r[0] for r in rows)
