"""Cost model: the bytes Athena scans when a dashboard queries each view of the lake.

Athena bills by bytes scanned. For Parquet it reads only the column chunks of the
columns a query references (column pruning) and, when the query filters on a hive
partition key, only the files of the matching partitions (partition pruning); for
JSON it reads whole files. This module estimates both for every Athena view from
the files actually in a local lake folder, without AWS:

* which base tables and columns a view reads: the view SQL is parsed with sqlglot,
  views it reads are inlined recursively, columns are qualified against the catalog
  and projections nobody uses are pruned, as Athena's planner does, and
* how many bytes those are: the sum of the compressed column chunk sizes from the
  Parquet footers (whole file sizes for JSON), once over the full history and once
  over only the latest partition of each partitioned table (the one-week or one-day
  query a dashboard runs).

It is an estimate: footer reads, row-group skipping by statistics, the 10 MB minimum
billed per query, and a table scanned twice by one view (``v_weekly_store_performance``
reads ``dim_calendar`` twice) are not modelled; each table counts once with the union
of its referenced columns.

    .venv/bin/python -m benchmarks.athena_scan /tmp/demo-lake
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.pushdown_projections import pushdown_projections
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from retail_lake.catalog.tables import TableSpec, lake_tables
from retail_lake.catalog.views import ViewDef, load_views
from retail_lake.sql import ATHENA

HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
"""The folder value Spark/Hive give a NULL partition key; never the "latest" one."""

MB = 1024 * 1024


# --------------------------------------------------------------------------- catalog


@cache
def _tables() -> dict[str, TableSpec]:
    """The catalog tables by name; cached because every view resolves against them."""
    return {spec.name: spec for spec in lake_tables()}


@cache
def _views() -> dict[str, ViewDef]:
    """The packaged views by name; cached because nested views are inlined repeatedly."""
    return {view.name: view for view in load_views()}


def _schema() -> dict[str, dict[str, str]]:
    """The sqlglot schema of the base tables, partition keys included (they are columns)."""
    return {
        name: {col: typ.athena() for col, typ in spec.all_columns}
        for name, spec in _tables().items()
    }


# ------------------------------------------------------------------ view -> columns


def _parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read=ATHENA)


def _inline_views(tree: exp.Expression, stack: tuple[str, ...]) -> exp.Expression:
    """Replace every view a query reads by its body as an aliased subquery.

    Athena expands views the same way before planning, so after this the query reads
    base tables only and the columns it needs from a nested view's tables can be
    worked out exactly (unused outputs of the inner view are pruned later).
    """
    views = _views()
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        name = table.name
        if name in ctes or name not in views:
            if name not in ctes and name not in _tables():
                raise KeyError(f"{stack[-1]} reads {name!r}, neither a catalog table nor a view")
            continue
        if name in stack:
            raise ValueError(f"circular views: {' -> '.join((*stack, name))}")
        body = _inline_views(_parse(views[name].sql), (*stack, name))
        alias = exp.TableAlias(this=exp.to_identifier(table.alias_or_name))
        table.replace(exp.Subquery(this=body, alias=alias))
    return tree


def _source(scope: Scope, name: str) -> exp.Expression | Scope | None:
    """What a column qualifier names: a table or derived scope, looked up outwards.

    Walking to the parent scopes resolves correlated subqueries, whose columns name
    a table of the enclosing query.
    """
    current: Scope | None = scope
    while current is not None:
        if name in current.sources:
            return current.sources[name]
        current = current.parent
    return None


def _planned(view_name: str) -> exp.Expression:
    """The view as Athena plans it: views inlined, columns qualified, dead projections gone.

    ``qualify`` expands ``*`` and attaches each unqualified column to the one table
    in scope that has it, failing loudly on a column no table has; projection pushdown
    then drops inner outputs nothing reads, so only truly read columns remain.
    """
    if view_name not in _views():
        raise KeyError(f"no view named {view_name!r}")
    tree = _inline_views(_parse(_views()[view_name].sql), (view_name,))
    tree = qualify(tree, schema=_schema(), dialect=ATHENA, validate_qualify_columns=True)
    return pushdown_projections(tree)


def view_columns(view_name: str) -> dict[str, frozenset[str]]:
    """The base tables a view reads (through other views) and the columns of each.

    Columns include join keys, filter, grouping and window columns and partition keys,
    i.e. everything Athena must read to answer ``SELECT * FROM view``. A table read
    only for its row count maps to an empty set.
    """
    found: dict[str, set[str]] = {}
    for scope in traverse_scope(_planned(view_name)):
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                found.setdefault(source.name, set())
        for column in scope.columns:
            source = _source(scope, column.table)
            if isinstance(source, exp.Table):
                found.setdefault(source.name, set()).add(column.name)
    return {name: frozenset(cols) for name, cols in found.items()}


# ------------------------------------------------------------------- lake -> bytes


def _hidden(part: str) -> bool:
    """Athena (like Hive) skips files and folders whose names start with ``_`` or ``.``.

    That is how Spark's ``_SUCCESS`` markers and ``.crc`` checksums stay out of scans.
    """
    return part.startswith(("_", "."))


def _partition(relative: Path, keys: Sequence[str]) -> tuple[str, ...] | None:
    """The partition values of a file from its ``key=value`` folders, in key order.

    ``None`` when the file does not sit in a partition folder of the table: Athena
    only reads registered partitions, so such a file is never scanned.
    """
    folders = relative.parts[:-1]
    if len(folders) < len(keys):
        return None
    values = []
    for key, folder in zip(keys, folders, strict=False):
        name, sep, value = folder.partition("=")
        if not sep or name != key:
            return None
        values.append(unquote(value))
    return tuple(values)


def table_files(lake: Path, spec: TableSpec) -> dict[tuple[str, ...], list[Path]]:
    """The data files of a table grouped by partition values (``()`` if unpartitioned).

    Files are found recursively, as Athena reads a location's sub-folders too (the
    order change files sit under ``YYYY/MM/DD/``). A missing folder is an empty table.
    """
    root = lake / spec.location
    groups: dict[tuple[str, ...], list[Path]] = {}
    if not root.is_dir():
        return groups
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or any(_hidden(part) for part in relative.parts):
            continue
        values = _partition(relative, spec.partition_names)
        if values is not None:
            groups.setdefault(values, []).append(path)
    return groups


def _partition_order(value: str) -> tuple[int, int | str]:
    """Sort key of a partition value: integers numerically, others (ISO dates) as text."""
    try:
        return (0, int(value))
    except ValueError:
        return (1, value)


def latest_partition(partitions: Sequence[tuple[str, ...]]) -> str | None:
    """The newest value of the first partition key, the one a dashboard filters on."""
    values = {p[0] for p in partitions if p and p[0] != HIVE_DEFAULT_PARTITION}
    return max(values, key=_partition_order) if values else None


@cache
def _parquet_column_bytes(path: Path, mtime_ns: int, size: int) -> dict[str, int]:
    """Compressed bytes per top-level column of one Parquet file, from its footer.

    Keyed on modification time and size as well, so a rewritten file is read again.
    Names are lower-cased because Athena matches Parquet columns case-insensitively.
    """
    del mtime_ns, size  # cache key only
    meta = pq.ParquetFile(path).metadata
    out: dict[str, int] = {}
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        for j in range(group.num_columns):
            chunk = group.column(j)
            top = chunk.path_in_schema.split(".", 1)[0].lower()
            out[top] = out.get(top, 0) + chunk.total_compressed_size
    return out


def file_scan_bytes(path: Path, spec: TableSpec, columns: frozenset[str]) -> int:
    """Bytes Athena reads from one file of ``spec`` for a query needing ``columns``.

    JSON has no column layout, so the whole file is read. For Parquet only the chunks
    of referenced data columns count; partition keys come from the folder names and
    cost nothing, even if a writer also stored them in the file.
    """
    stat = path.stat()
    if spec.format == "json":
        return stat.st_size
    wanted = {c.lower() for c in columns} - {p.lower() for p in spec.partition_names}
    sizes = _parquet_column_bytes(path, stat.st_mtime_ns, stat.st_size)
    return sum(size for name, size in sizes.items() if name in wanted)


# ------------------------------------------------------------------------ scans


@dataclass(frozen=True)
class ViewScan:
    """Estimated Athena scan of one view, over all history and over the latest partition.

    ``pruning`` names, per base table, the partition key a dashboard filters on (the
    first hive key; ``None`` for unpartitioned tables, which are always read whole).
    ``partitions`` counts the partitions found per table in the lake.
    """

    view: str
    tables: dict[str, frozenset[str]]
    pruning: dict[str, str | None]
    full_bytes: int
    pruned_bytes: int
    partitions: dict[str, int]

    @property
    def ratio(self) -> float | None:
        """How many times cheaper the pruned query is; ``None`` when it reads nothing."""
        return self.full_bytes / self.pruned_bytes if self.pruned_bytes else None


def scan_view(lake: Path, view_name: str) -> ViewScan:
    """The scan estimate of one view over the files of ``lake``."""
    tables = view_columns(view_name)
    pruning: dict[str, str | None] = {}
    partitions: dict[str, int] = {}
    full = pruned = 0
    for name, columns in tables.items():
        spec = _tables()[name]
        groups = table_files(lake, spec)
        pruning[name] = spec.partition_names[0] if spec.partitions else None
        partitions[name] = len(groups) if spec.partitions else 0
        latest = latest_partition(list(groups)) if spec.partitions else None
        for values, files in groups.items():
            size = sum(file_scan_bytes(path, spec, columns) for path in files)
            full += size
            if not spec.partitions or values[0] == latest:
                pruned += size
    return ViewScan(
        view=view_name,
        tables=tables,
        pruning=pruning,
        full_bytes=full,
        pruned_bytes=pruned,
        partitions=partitions,
    )


def scan_views(lake: Path) -> list[ViewScan]:
    """The scan estimate of every packaged view, in view-name order."""
    return [scan_view(Path(lake), name) for name in sorted(_views())]


def format_bytes(n: int) -> str:
    """Bytes in binary units (1 KB = 1024 B), as the Athena console reports a scan."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB", "PB"):
        value /= 1024
        if value < 1024 or unit == "PB":
            break
    return f"{value:.2f} {unit}"


# -------------------------------------------------------------------------- CLI


def _table_order(scan: ViewScan) -> list[str]:
    """Partitioned tables first (they drive the ratio), then the rest, each by name."""
    return sorted(scan.tables, key=lambda t: (scan.pruning[t] is None, t))


def _partitions_cell(scan: ViewScan) -> str:
    """Partition counts of the partitioned tables, in the order of the tables column."""
    counts = [str(scan.partitions[t]) for t in _table_order(scan) if scan.pruning[t]]
    return ", ".join(counts) or "-"


def render(scans: Sequence[ViewScan]) -> str:
    """A plain-text table of the scans, one view per row, plus the totals."""
    header = ("view", "tables", "partitions", "full MB", "pruned MB", "ratio")
    rows = [
        (
            s.view,
            ", ".join(_table_order(s)),
            _partitions_cell(s),
            f"{s.full_bytes / MB:.3f}",
            f"{s.pruned_bytes / MB:.3f}",
            f"{s.ratio:.1f}x" if s.ratio is not None else "-",
        )
        for s in scans
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    right = {3, 4, 5}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    full = sum(s.full_bytes for s in scans)
    pruned = sum(s.pruned_bytes for s in scans)
    return "\n".join(
        [
            line(header),
            line(["-" * w for w in widths]),
            *(line(r) for r in rows),
            f"\nall views once: full {format_bytes(full)}, pruned {format_bytes(pruned)}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lake", type=Path, help="local lake folder (holds curated/, quarantine/)")
    args = parser.parse_args(argv)
    if not args.lake.is_dir():
        parser.error(f"{args.lake} is not a folder")
    print(render(scan_views(args.lake)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
