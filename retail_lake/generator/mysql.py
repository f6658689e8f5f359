"""Load generated retail tables into MySQL/MariaDB (``retail-lake generate --to-mysql``).

Tables are created from :meth:`Dataset.mysql_ddl` (contract types, primary key,
indexes) and filled with ``LOAD DATA LOCAL INFILE``, the fastest bulk path MySQL
offers, through pymysql with ``local_infile`` enabled.

A typed table with a primary key cannot hold every row a CSV can, so only rows that
fit are loaded:

* reach MySQL: ``negative_value``, ``bad_flag`` (an int column holds 2 fine),
  ``unknown_date``, ``unknown_store``, ``unknown_product``, and ``missing_required``
  when the empty column is not part of the key (it becomes NULL);
* cannot: ``bad_type`` rows (the value does not fit the column), rows with an empty
  key column, and duplicate keys: the first row with a key wins (``LOAD DATA ...
  IGNORE``), which is the original row for both exact and conflicting copies.

Extracting from MySQL therefore sees fewer anomalies than reading the landing CSV
files; the manifest describes the files.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from retail_lake.contracts import RETAIL_TABLES, Column, Dataset, dataset
from retail_lake.storage import layout

_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class MySQLTarget:
    host: str
    port: int
    user: str
    password: str
    database: str


def parse_mysql_url(url: str) -> MySQLTarget:
    """``mysql://user:pass@host:port/db`` (user and password percent-encoded)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("mysql", "mariadb", "mysql+pymysql"):
        raise ValueError(f"not a mysql:// URL: {parsed.scheme}://...")
    database = parsed.path.lstrip("/")
    if not parsed.hostname or not database:
        raise ValueError(
            "the MySQL URL needs a host and a database: mysql://user:pass@host:port/db"
        )
    return MySQLTarget(
        host=parsed.hostname,
        port=parsed.port or 3306,
        user=unquote(parsed.username or ""),
        password=unquote(parsed.password or ""),
        database=database,
    )


def _pattern(column: Column) -> str | None:
    """A regex the text of a value must match to fit the MySQL column; None: any text."""
    ctype = column.type
    if ctype.is_decimal:
        # as transforms/parsing.py: extra fractional digits only when they are zeros
        scale = ctype.scale or 0
        whole = (ctype.precision or 18) - scale
        kept = f"[0-9]{{1,{scale}}}0*" if scale else "0+"
        return rf"^-?[0-9]{{1,{whole}}}(\.{kept})?$"
    if ctype.name in ("int", "bool"):
        return r"^-?[0-9]{1,18}$"
    if ctype.name == "date":
        return r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    return None


def fitting_rows(table: pa.Table, ds: Dataset) -> pa.Table:
    """Rows whose every value fits its typed column and whose key is complete."""
    keep = pa.array([True] * table.num_rows)
    for column in ds.columns:
        values = table.column(column.name)
        ok = pc.is_null(values)
        pattern = _pattern(column)
        if pattern is not None:
            fits = pc.match_substring_regex(values, pattern)
            if column.type.name == "date":
                parsed = pc.strptime(values, format="%Y-%m-%d", unit="s", error_is_null=True)
                fits = pc.and_(fits, pc.is_valid(parsed))
            ok = pc.or_(ok, pc.fill_null(fits, False))
        else:
            ok = pc.or_(ok, pc.is_valid(values))
        if column.name in ds.key:
            ok = pc.and_(ok, pc.is_valid(values))
        keep = pc.and_(keep, ok)
    return table.filter(keep)


def read_landing_csv(path: Path, ds: Dataset) -> pa.Table:
    """A landing CSV as delivered: every column text, empty fields NULL."""
    names = ds.column_names
    table = pa_csv.read_csv(
        path,
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
        ),
    )
    if table.column_names != names:
        raise ValueError(f"{path}: header {table.column_names} is not the contract's {names}")
    return table


def landing_dates(lake_dir: Path) -> list[date]:
    root = Path(lake_dir) / "landing" / "retail"
    if not root.is_dir():
        return []
    return sorted(
        date.fromisoformat(p.name) for p in root.iterdir() if p.is_dir() and _DATE_DIR.match(p.name)
    )


def _load_sql(ds: Dataset, path: str) -> tuple[str, tuple[str]]:
    variables = [f"@c{i}" for i in range(len(ds.columns))]
    assign = ", ".join(
        f"`{c.name}` = NULLIF({v}, '')" for c, v in zip(ds.columns, variables, strict=True)
    )
    sql = (
        f"LOAD DATA LOCAL INFILE %s IGNORE INTO TABLE `{ds.name}` CHARACTER SET utf8mb4 "
        "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\n' "
        f"IGNORE 1 LINES ({', '.join(variables)}) SET {assign}"
    )
    return sql, (path,)


def load_mysql(
    lake_dir: Path,
    url: str,
    dates: Iterable[date] | None = None,
    replace: bool = True,
    progress: bool = False,
) -> dict[str, int]:
    """Create the ``retail`` tables and bulk-load the landing CSVs of ``dates``.

    Dimensions come from the latest date's snapshot, facts from every date. With
    ``replace`` the tables are dropped and recreated first. Returns the row count of
    each table afterwards.
    """
    import pymysql

    lake = Path(lake_dir)
    days = sorted(dates) if dates is not None else landing_dates(lake)
    if not days:
        raise FileNotFoundError(f"no landing/retail/<date>/ folders under {lake}")
    target = parse_mysql_url(url)
    conn = pymysql.connect(
        host=target.host,
        port=target.port,
        user=target.user,
        password=target.password,
        database=target.database,
        local_infile=True,
        autocommit=True,
        charset="utf8mb4",
    )
    jobs: list[tuple[Dataset, Path]] = []
    for name in RETAIL_TABLES:
        ds = dataset(name)
        chosen = days if ds.kind == "fact" else days[-1:]
        jobs += [(ds, lake / layout.landing_retail(d, name)) for d in chosen]
    try:
        with conn.cursor() as cur, tempfile.TemporaryDirectory(prefix="retail-mysql-") as tmp:
            # No ``unique_checks = 0``: MariaDB's empty-table bulk path then drops the
            # rows around an IGNOREd duplicate instead of skipping just the duplicate.
            if replace:
                for name in reversed(RETAIL_TABLES):
                    cur.execute(f"DROP TABLE IF EXISTS `{name}`")
                for name in RETAIL_TABLES:
                    ddl = dataset(name).mysql_ddl()
                    cur.execute(f"{ddl} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
                deferred = {name: _drop_secondary_indexes(cur, name) for name in RETAIL_TABLES}
            else:
                deferred = {}
            for ds, path in _track(jobs, progress):
                if not path.exists():
                    raise FileNotFoundError(f"missing landing file {path}")
                table = fitting_rows(read_landing_csv(path, ds), ds)
                staged = Path(tmp) / f"{ds.name}.csv"
                pa_csv.write_csv(
                    table,
                    str(staged),
                    pa_csv.WriteOptions(quoting_style="needed", quoting_header="none"),
                )
                cur.execute(*_load_sql(ds, str(staged)))
            for name, indexes in deferred.items():
                _add_indexes(cur, name, indexes)
            counts: dict[str, int] = {}
            for name in RETAIL_TABLES:
                cur.execute(f"SELECT COUNT(*) FROM `{name}`")
                counts[name] = int(cur.fetchone()[0])
    finally:
        conn.close()
    return counts


def _drop_secondary_indexes(cur, table: str) -> dict[str, list[str]]:
    """Drop the (contract-created) secondary indexes of an empty table, returning them.

    Building an index once after a bulk load is about twice as fast as maintaining
    it row by row during ``LOAD DATA``; :func:`_add_indexes` restores the same names
    and columns, so the final table is exactly ``Dataset.mysql_ddl()``.
    """
    cur.execute(f"SHOW INDEX FROM `{table}`")
    indexes: dict[str, list[tuple[int, str]]] = {}
    for row in cur.fetchall():
        name, seq, column = row[2], row[3], row[4]
        if name != "PRIMARY":
            indexes.setdefault(name, []).append((int(seq), column))
    if indexes:
        drops = ", ".join(f"DROP KEY `{name}`" for name in indexes)
        cur.execute(f"ALTER TABLE `{table}` {drops}")
    return {name: [c for _, c in sorted(cols)] for name, cols in indexes.items()}


def _add_indexes(cur, table: str, indexes: dict[str, list[str]]) -> None:
    if indexes:
        adds = ", ".join(
            f"ADD KEY `{name}` ({', '.join(f'`{c}`' for c in cols)})"
            for name, cols in indexes.items()
        )
        cur.execute(f"ALTER TABLE `{table}` {adds}")


def _track(jobs: list[tuple[Dataset, Path]], enabled: bool):
    if not enabled:
        yield from jobs
        return
    from rich.progress import track

    yield from track(jobs, description="loading MySQL")
