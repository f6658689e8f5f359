"""Benchmark lakes built directly from generated landing CSVs, without Spark.

Building months of history through the daily workflow would take hours on a
laptop, so the history a benchmark needs is written with pyarrow in the exact
layout and schema the validate step writes (typed contract columns, ``source_file``,
``load_date``, hive partitions on the business date) from clean generated files,
which the validate step would pass unchanged. The step being measured then runs
for real on top of it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.dataset as pds
import pyarrow.parquet as pq

from retail_lake.contracts import Dataset, dataset
from retail_lake.storage import layout

FACTS = ("sales", "inventory", "store_sales")
DIMENSIONS = ("calendar", "store", "product")


def _read(path: Path, ds: Dataset, rel: str, load_date: dt.date) -> pa.Table:
    """One landing CSV as validated rows: contract types and order plus lineage."""
    types = {c.name: c.type.arrow() for c in ds.columns}
    table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=types))
    table = table.select(ds.column_names)
    table = table.append_column("source_file", pa.array([rel] * len(table), pa.string()))
    return table.append_column("load_date", pa.array([load_date] * len(table), pa.date32()))


def _landing_files(lake: Path, name: str, day: dt.date) -> list[tuple[Path, str]]:
    if name == "store_sales":
        folder = layout.landing_store_sales_dir(day)
        return [(p, f"{folder}/{p.name}") for p in sorted((lake / folder).glob("*.csv"))]
    rel = layout.landing_retail(day, name)
    return [(lake / rel, rel)]


def build_validated(lake: Path, days: list[dt.date], facts: Iterable[str] = FACTS) -> int:
    """Write ``validated/`` for ``days`` from the clean landing files; returns sales rows.

    Facts get one partition per business date; dimensions are the last day's
    snapshot, as the validate step keeps them.
    """
    sales_rows = 0
    for name in facts:
        ds = dataset(name)
        tables = [
            _read(path, ds, rel, day)
            for day in days
            for path, rel in _landing_files(lake, name, day)
        ]
        if not tables:
            continue
        table = pa.concat_tables(tables)
        if name == "sales":
            sales_rows = len(table)
        pds.write_dataset(
            table,
            lake / layout.validated_dir(name),
            format="parquet",
            partitioning=pds.partitioning(
                pa.schema([(ds.business_date, pa.date32())]), flavor="hive"
            ),
            existing_data_behavior="delete_matching",
            max_rows_per_group=1 << 20,
        )
    for name in DIMENSIONS:
        ds = dataset(name)
        ((path, rel),) = _landing_files(lake, name, days[-1])
        out = lake / layout.validated_dir(name)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        pq.write_table(_read(path, ds, rel, days[-1]), out / "part-0.parquet")
    return sales_rows


def write_validate_reports(lake: Path, days: list[dt.date]) -> None:
    """The validate reports through which the aggregate step finds the touched dates."""
    touched = [d.isoformat() for d in days]
    datasets = {name: {"files": {}, "touched_dates": touched} for name in FACTS}
    for day in days:
        path = lake / layout.report(day, "validate")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"business_date": day.isoformat(), "datasets": datasets}))


def link_landing(source: Path, lake: Path) -> None:
    """Give ``lake`` the landing zone of ``source`` as hard links (no copy of the bytes)."""
    shutil.copytree(source / "landing", lake / "landing", copy_function=os.link)


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
