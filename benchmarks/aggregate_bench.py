"""Benchmark: the weekly aggregation job (Spark) against the DuckDB reference.

Generates retail data (default 10 million sales rows with one inventory snapshot
per store x product x day), builds the validated zone from it directly with pyarrow
(ingest and validation are not what is measured here), then in the same run times

* Spark: ``retail_lake.jobs.aggregate.run`` over every date (reads validated
  Parquet, computes the weekly metrics, writes curated partitions), and
* DuckDB: the independent SQL reference over the same files, writing Parquet too,

and prints both times, their ratio, peak memory of each and the data size.

    .venv/bin/python -m benchmarks.aggregate_bench --sales 10000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.lakes import build_validated, write_validate_reports
from benchmarks.memory import PeakMemory
from benchmarks.reference import weekly_reference
from retail_lake.storage import layout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=10_000_000, help="sales rows in total")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--lake", type=Path, default=None, help="keep the lake here")
    args = parser.parse_args()

    from retail_lake.config import build_settings
    from retail_lake.generator import generate
    from retail_lake.jobs import aggregate
    from retail_lake.runtime.spark import build_spark
    from retail_lake.storage import open_storage

    lake = args.lake or Path(tempfile.mkdtemp(prefix="retail-lake-bench-"))
    start = dt.date(2026, 1, 5)
    days = [start + dt.timedelta(days=i) for i in range(args.days)]
    t0 = time.perf_counter()
    generate(
        lake,
        start,
        args.days,
        args.stores,
        args.products,
        seed=1,
        sales_per_day=args.sales // args.days,
    )
    build_validated(lake, days)
    write_validate_reports(lake, days)
    prep = time.perf_counter() - t0

    settings = build_settings({"lake": str(lake)}, env={})
    with PeakMemory() as spark_memory:
        spark = build_spark(settings, "aggregate-bench")
        storage = open_storage(settings.lake)
        aggregate.run(spark, storage, days[:1])  # JVM and code paths warm, one week
        t0 = time.perf_counter()
        aggregate.run(spark, storage, days)
        spark_seconds = time.perf_counter() - t0
        spark.stop()
    with PeakMemory() as duck_memory:
        t0 = time.perf_counter()
        frame = weekly_reference(lake, threads=2)
        pq.write_table(pa.Table.from_pandas(frame), lake / "_control" / "reference_weekly.parquet")
        duck_seconds = time.perf_counter() - t0
    rows = len(frame)
    sales_rows = (
        pq.ParquetDataset(lake / layout.validated_dir("sales")).read(columns=["trans_id"]).num_rows
    )
    inventory_rows = (
        pq.ParquetDataset(lake / layout.validated_dir("inventory"))
        .read(columns=["store_key"])
        .num_rows
    )
    print(
        f"data: {sales_rows:,} sales rows, {inventory_rows:,} inventory rows, {args.days} days, "
        f"{args.stores} stores x {args.products} products -> {rows:,} weekly rows (prep {prep:.0f} s)"
    )
    print(
        f"spark aggregate job : {spark_seconds:8.1f} s   peak RSS {spark_memory.peak_gib:.2f} GiB"
    )
    print(f"duckdb reference    : {duck_seconds:8.1f} s   peak RSS {duck_memory.peak_gib:.2f} GiB")
    print(f"ratio spark/duckdb  : {spark_seconds / duck_seconds:8.2f}x  (target <= 3x)")
    if args.lake is None:
        shutil.rmtree(lake, ignore_errors=True)


if __name__ == "__main__":
    main()
