"""An independent DuckDB implementation of the whole daily workflow over a date range.

Landing CSV files of a range of loads -> validated rows -> curated tables, in SQL,
written from the specification (docs/design.md: lake layout, validation rules,
restatement, metrics, choices made), not translated from the Spark code: nothing
here imports ``retail_lake.transforms`` or ``retail_lake.jobs``. Only the contracts (columns, types, keys, rules) and the lake
layout's paths are shared. What it reproduces:

* strict parsing: a value parses only in its canonical form (``-?digits`` integers,
  plain decimals that the column holds exactly, ``YYYY-MM-DD`` dates that exist,
  ``0``/``1`` booleans); an empty field is NULL; a line whose field count does not
  match the header, or that is not UTF-8, is ``bad_type``;
* the first broken rule in ``RULE_ORDER``; references against the dimension keys
  known after that load's dimension loads (valid dimension rows of this load or an
  earlier one); ``duplicate_key`` within one load (identical copies keep the first
  in file order, differing copies are all rejected);
* restatement: a later load's row replaces the earlier row of its key, for facts
  and dimensions alike (each key keeps the row of its latest load);
* ``daily_store_sales`` and the weekly metrics (:mod:`benchmarks.reference`).

    run_reference(lake, days, out_dir) -> {"validated_sales": path, ...}
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from pathlib import Path

import duckdb

from benchmarks.reference import WEEKLY_SQL
from retail_lake.contracts import RULE_ORDER, Column, Dataset, dataset
from retail_lake.storage import layout

DIMENSIONS = ("calendar", "store", "product")
FACTS = ("sales", "inventory", "store_sales")
PER_SENDER = ("store_sales",)
"""One file per franchise store: a file that cannot be read is set aside, not fatal."""

INT = r"-?[0-9]{1,18}"
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
DOUBLE = r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?"
NOT_UTF8 = "\ufffd"

DAILY_STORE_SALES_SQL = """
SELECT franchise_store, item,
       SUM(sale_amount)::DOUBLE AS total_sale_amount,
       SUM(tax_amount)::DOUBLE AS total_tax_amount,
       SUM(discount_amount)::DOUBLE AS total_discount_amount,
       SUM(quantity)::BIGINT AS total_quantity,
       COUNT(DISTINCT order_id)::BIGINT AS order_count,
       transaction_date
FROM validated_store_sales
GROUP BY franchise_store, item, transaction_date
"""


class UnreadableFile(ValueError):
    """A landing file without a readable header that names the contract's columns."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _t(column: str) -> str:
    """The typed value of ``column`` (the delivered text keeps the plain name)."""
    return _q(f"__t_{column}")


# -- parsing -------------------------------------------------------------------------


def decimal_pattern(precision: int, scale: int) -> str:
    """At most ``precision - scale`` whole digits; fractional digits beyond the scale
    only when they are zeros (the value is then exact at the column's scale)."""
    kept = f"[0-9]{{1,{scale}}}0*" if scale else "0+"
    return rf"-?[0-9]{{1,{precision - scale}}}(\.{kept})?"


def typed(column: Column) -> str:
    """SQL for the parsed value of a text column, NULL when it is not canonical."""
    text, kind = _q(column.name), column.type
    if kind.name == "string":
        return text
    if kind.name == "bool":
        return f"CASE {text} WHEN '1' THEN true WHEN '0' THEN false END"
    pattern = {"int": INT, "date": DATE, "double": DOUBLE}.get(kind.name)
    if kind.is_decimal:
        pattern = decimal_pattern(kind.precision or 18, kind.scale or 0)
    if pattern is None:
        raise ValueError(f"no parser for {kind}")
    return f"CASE WHEN regexp_full_match({text}, {_lit(pattern)}) THEN TRY_CAST({text} AS {kind.duckdb()}) END"


def _as_flag(name: str) -> str:
    """A ``*_flg`` read as an integer: ``2`` is a bad flag, ``yes`` a bad type."""
    return (
        f"CASE WHEN regexp_full_match({_q(name)}, '{INT}') THEN TRY_CAST({_q(name)} AS BIGINT) END"
    )


def broken_rules(ds: Dataset) -> dict[str, str]:
    """One SQL condition per row rule (references test ``__known_<col>``, set by a join)."""
    bad_type = []
    for c in ds.columns:
        if c.name in ds.flags:
            bad_type.append(f"({_q(c.name)} IS NOT NULL AND {_as_flag(c.name)} IS NULL)")
        elif c.type.name == "string":
            bad_type.append(f"contains({_q(c.name)}, {_lit(NOT_UTF8)})")
        else:
            bad_type.append(f"({_q(c.name)} IS NOT NULL AND {_t(c.name)} IS NULL)")
    rules = {
        "missing_required": [f"{_q(c)} IS NULL" for c in ds.required],
        "bad_type": bad_type,
        "negative_value": [f"{_t(c)} < 0" for c in ds.non_negative],
        "bad_flag": [f"{_as_flag(c)} NOT IN (0, 1)" for c in ds.flags],
    }
    for column, _dim, reason in ds.reference_reasons():
        rules.setdefault(reason, []).append(f"{_q('__known_' + column)} IS NULL")
    return {r: " OR ".join(f"COALESCE({c}, false)" for c in cs) for r, cs in rules.items() if cs}


# -- landing files -------------------------------------------------------------------


def landing_files(lake: Path, name: str, day: dt.date) -> list[str]:
    """Relative paths of the load ``day``'s landing files of ``name``."""
    if name in PER_SENDER:
        folder = layout.landing_store_sales_dir(day)
        return sorted(f"{folder}/{p.name}" for p in (lake / folder).glob("*.csv"))
    rel = layout.landing_retail(day, name)
    return [rel] if (lake / rel).exists() else []


def read_header(path: Path, ds: Dataset) -> tuple[str, ...]:
    """The header of a landing file; it must name the contract's columns, nothing else."""
    with path.open("rb") as handle:
        first = handle.readline()
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    try:
        text = first.rstrip(b"\r\n").decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableFile(f"{path}: header is not UTF-8") from None
    header = tuple(next(csv.reader(io.StringIO(text)), []))
    needed = {c.name for c in ds.columns if not c.since}
    if not needed <= set(header) <= set(ds.column_names) or len(set(header)) != len(header):
        raise UnreadableFile(f"{path}: header {header} does not match the '{ds.name}' contract")
    return header


def _create_raw(con: duckdb.DuckDBPyConnection, ds: Dataset) -> None:
    columns = ", ".join(f"{_q(c)} VARCHAR" for c in ds.column_names)
    con.execute(
        f"CREATE TABLE raw_{ds.name} ({columns}, malformed BOOLEAN, source_file VARCHAR, "
        "load_date DATE)"
    )


def load_raw(con: duckdb.DuckDBPyConnection, lake: Path, ds: Dataset, days: list[dt.date]) -> None:
    """``raw_<name>``: every line of the range's files as text, in file order.

    Lines whose field count does not match the header (or that are not UTF-8) are
    one row each with ``malformed`` set and no values.
    """
    _create_raw(con, ds)
    groups: dict[tuple[str, ...], list[str]] = {}
    for day in days:
        for rel in landing_files(lake, ds.name, day):
            path = lake / rel
            if path.stat().st_size == 0 and ds.name in PER_SENDER:
                continue
            try:
                groups.setdefault(read_header(path, ds), []).append(rel)
            except UnreadableFile:
                if ds.name not in PER_SENDER:
                    raise
    prefix = str(lake) + "/"
    file_expr = f"replace(filename, {_lit(prefix)}, '')"
    load_expr = r"CAST(regexp_extract(filename, '([0-9]{4}-[0-9]{2}-[0-9]{2})/[^/]*$', 1) AS DATE)"
    for i, (header, rels) in enumerate(groups.items()):
        files = "[" + ", ".join(_lit(prefix + rel) for rel in rels) + "]"
        schema = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in header) + "}"
        picked = ", ".join(_q(c) if c in header else "NULL" for c in ds.column_names)
        rejects, scans = f"rejects_{ds.name}_{i}", f"scans_{ds.name}_{i}"
        con.execute(f"""
            INSERT INTO raw_{ds.name}
            SELECT {picked}, false, {file_expr}, {load_expr}
            FROM read_csv({files}, header = true, auto_detect = false, columns = {schema},
                          delim = ',', quote = '"', escape = '"', filename = true,
                          store_rejects = true, rejects_table = '{rejects}',
                          rejects_scan = '{scans}')
        """)
        nulls = ", ".join("NULL" for _ in ds.column_names)
        con.execute(f"""
            INSERT INTO raw_{ds.name}
            SELECT {nulls}, true, {file_expr}, {load_expr}
            FROM (SELECT DISTINCT s.file_path AS filename, e.line
                  FROM {rejects} e JOIN {scans} s USING (scan_id, file_id))
        """)


# -- validation ----------------------------------------------------------------------


def check(con: duckdb.DuckDBPyConnection, ds: Dataset) -> None:
    """``checked_<name>``: raw rows with typed values and ``reject_reason`` (NULL if valid)."""
    typed_columns = ", ".join(f"{typed(c)} AS {_t(c.name)}" for c in ds.columns)
    joins = "".join(
        f"""
        LEFT JOIN (SELECT key AS {_q("__k_" + col)}, since AS {_q("__s_" + col)},
                          true AS {_q("__known_" + col)} FROM known_{dim})
          ON {_q("__k_" + col)} = {_t(col)} AND {_q("__s_" + col)} <= load_date"""
        for col, dim, _reason in ds.reference_reasons()
    )
    rules = broken_rules(ds)
    cases = "\n".join(f"WHEN {rules[r]} THEN '{r}'" for r in RULE_ORDER if r in rules)
    key = [_t(k) for k in ds.key]
    whole = "struct_pack(" + ", ".join(f"{_q(c)} := {_t(c)}" for c in ds.column_names) + ")"
    position = "struct_pack(f := source_file, r := source_row)"
    same_key = " AND ".join(f"c.{k} = judged.{k}" for k in ["load_date", *key])
    con.execute(f"""
        CREATE TEMP TABLE typed_{ds.name} AS
        SELECT *, rowid AS source_row, {typed_columns} FROM raw_{ds.name}
    """)
    # duplicate_key: keys of one load held by several rows that passed every other
    # rule; identical copies keep the first (by file, then line), differing ones none.
    con.execute(f"""
        CREATE TABLE checked_{ds.name} AS
        WITH judged AS MATERIALIZED (
            SELECT *, CASE WHEN malformed THEN 'bad_type' {cases} END AS reason
            FROM typed_{ds.name} {joins}
        ), copies AS (
            SELECT load_date, {", ".join(key)}, COUNT(DISTINCT {whole}) > 1 AS differ,
                   MIN({position}) AS first
            FROM judged WHERE reason IS NULL GROUP BY ALL HAVING COUNT(*) > 1
        )
        SELECT judged.*,
               CASE WHEN c.first IS NOT NULL AND (c.differ OR c.first <> {position})
                    THEN 'duplicate_key' ELSE reason END AS reject_reason
        FROM judged LEFT JOIN copies c ON judged.reason IS NULL AND {same_key}
    """)
    valid = ", ".join(f"{_t(c)} AS {_q(c)}" for c in ds.column_names)
    con.execute(f"""
        CREATE TABLE valid_{ds.name} AS
        SELECT {valid}, source_file, load_date FROM checked_{ds.name} WHERE reject_reason IS NULL
    """)


def known_keys(con: duckdb.DuckDBPyConnection, ds: Dataset) -> None:
    """``known_<dim>``: each valid key of a dimension and the first load that delivered it."""
    (key,) = ds.key
    con.execute(f"""
        CREATE TABLE known_{ds.name} AS
        SELECT {_q(key)} AS key, MIN(load_date) AS since FROM valid_{ds.name} GROUP BY 1
    """)


def restate(con: duckdb.DuckDBPyConnection, ds: Dataset) -> None:
    """``validated_<name>``: a key delivered again by a later load replaces the earlier
    row, so each key keeps the row of the latest load that delivered it (a fact's row
    then sits in the partition of its own business date)."""
    key = ", ".join(_q(k) for k in ds.key)
    con.execute(f"""
        CREATE TABLE validated_{ds.name} AS SELECT * FROM valid_{ds.name}
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY load_date DESC) = 1
    """)


# -- the whole range -----------------------------------------------------------------


def run_reference(
    lake: Path, days: list[dt.date], out_dir: Path, threads: int | None = None
) -> dict[str, Path]:
    """Landing files of the loads ``days`` (in load order) through validate and aggregate.

    Writes Parquet files to ``out_dir``: ``validated_<dataset>``, ``quarantine_counts``
    (rows per dataset, load, file and ``reject_reason``; NULL reason = valid rows),
    ``weekly_sales_inventory`` and ``daily_store_sales``. Returns their paths.
    """
    lake, out_dir = Path(lake).resolve(), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    days = sorted(days)
    for name in (*DIMENSIONS, *FACTS):
        ds = dataset(name)
        load_raw(con, lake, ds, days)
        check(con, ds)
        if name in DIMENSIONS:
            known_keys(con, ds)
        restate(con, ds)
    counts = " UNION ALL ".join(
        f"SELECT '{name}' AS dataset, load_date, source_file, reject_reason, COUNT(*) AS rows "
        f"FROM checked_{name} GROUP BY ALL"
        for name in (*DIMENSIONS, *FACTS)
    )
    for name in ("sales", "inventory", "calendar"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM validated_{name}")
    queries = {f"validated_{n}": f"SELECT * FROM validated_{n}" for n in (*DIMENSIONS, *FACTS)}
    queries["quarantine_counts"] = counts
    queries["weekly_sales_inventory"] = WEEKLY_SQL
    queries["daily_store_sales"] = DAILY_STORE_SALES_SQL
    paths = {}
    for name, query in queries.items():
        paths[name] = out_dir / f"{name}.parquet"
        con.execute(f"COPY ({query}) TO {_lit(str(paths[name]))} (FORMAT parquet)")
    con.close()
    return paths
