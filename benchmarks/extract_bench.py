"""Benchmark: MySQL → raw extraction rows/s with 1 vs N parallel JDBC partitions.

Generates clean retail data (default 1 million sales rows over 7 days), loads it into
a private throwaway MariaDB server, then runs ``retail_lake.jobs.extract_mysql.run`` for
the last day on an empty lake (first run: every row up to that day) once per
partition count, after one untimed warm-up run (JVM, driver, InnoDB buffer pool).

For ``sales`` it prints the JDBC read rate (rows into Spark's cache) and the read +
Parquet-write rate, for each partition count, and their ratio, with the data size.
Spark runs ``local[N]`` so that N partitions can actually run at once; on a machine
with fewer cores than N the ratio is bounded by the cores, not by the job.

    .venv/bin/python -m benchmarks.extract_bench --sales 1000000 --partitions 1 4
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from pyspark.sql import SparkSession

from retail_lake.config import build_settings
from retail_lake.generator import generate, load_mysql
from retail_lake.jobs import extract_mysql
from retail_lake.mariadb import MariaDBServer
from retail_lake.runtime.spark import build_spark
from retail_lake.source_db import resolve_source
from retail_lake.storage import layout, open_storage
from retail_lake.tracker import open_tracker


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def time_extraction(
    spark: SparkSession, server: MariaDBServer, work: Path, day: dt.date, partitions: int
) -> dict[str, float]:
    """Extract ``day`` from ``server`` into an empty lake; the ``sales`` table's rates.

    A first run on an empty lake reads every row up to ``day`` (no watermark yet).
    """
    lake = work / f"extract-lake-{partitions}"
    shutil.rmtree(lake, ignore_errors=True)
    settings = build_settings(
        {
            "lake": str(lake),
            "source": "mysql",
            "jdbc_url": server.jdbc_url,
            "db_user": server.user,
            "db_password": server.password,
            "lookback_days": 3,
            "jdbc_partitions": partitions,
        },
        env={},
    )
    tracker = open_tracker(settings)
    try:
        report = extract_mysql.run(
            spark,
            open_storage(str(lake)),
            settings,
            day,
            tracker=tracker,
            source=resolve_source(settings),
        )
        sales = report.tables["sales"]
        raw_bytes = _size(lake / "raw" / "retail" / "sales")
    finally:
        shutil.rmtree(lake, ignore_errors=True)
    return {
        "rows": sales.rows,
        "read_seconds": sales.read_seconds,
        "write_seconds": sales.write_seconds,
        "read_rows_per_s": sales.rows / sales.read_seconds,
        "rows_per_s": sales.rows / (sales.read_seconds + sales.write_seconds),
        "raw_parquet_bytes": raw_bytes,
        "jdbc_partitions_used": sales.partitions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=1_000_000, help="total sales rows")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--partitions", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="extract-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    start = dt.date(2026, 3, 2)
    last = start + dt.timedelta(days=args.days - 1)
    per_day = -(-args.sales // args.days)
    os.environ.setdefault("RETAIL_LAKE_SPARK_MASTER", f"local[{max(args.partitions)}]")

    t0 = time.perf_counter()
    source_lake = work / "generated"
    generate(
        source_lake,
        start,
        args.days,
        stores=args.stores,
        products=args.products,
        seed=1,
        sales_per_day=per_day,
    )
    print(f"generated {args.days} days in {time.perf_counter() - t0:.1f}s")

    with MariaDBServer(base_dir=work, buffer_pool="1G") as server:
        t0 = time.perf_counter()
        counts = load_mysql(source_lake, server.url)
        with server.connect() as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT data_length + index_length FROM information_schema.TABLES"
                " WHERE table_schema = %s AND table_name = 'sales'",
                (server.database,),
            )
            mysql_bytes = int(cur.fetchone()[0])
        csv_bytes = sum(
            (source_lake / layout.landing_retail(start + dt.timedelta(days=i), "sales"))
            .stat()
            .st_size
            for i in range(args.days)
        )
        print(f"loaded MariaDB in {time.perf_counter() - t0:.1f}s: {counts}")

        spark = build_spark(build_settings({"lake": str(work / "warmup")}, env={}))
        results: dict[int, dict[str, float]] = {}
        try:
            time_extraction(spark, server, work, last, max(args.partitions))  # warm-up
            for partitions in args.partitions:
                results[partitions] = time_extraction(spark, server, work, last, partitions)
        finally:
            spark.stop()

    first, *_ = args.partitions
    rows = results[first]["rows"]
    print()
    print(
        f"data: sales {rows:,} rows over {args.days} days ({args.stores} stores x "
        f"{args.products} products); CSV {_mb(csv_bytes)}, MariaDB table+indexes "
        f"{_mb(mysql_bytes)}, raw Parquet {_mb(int(results[first]['raw_parquet_bytes']))}; "
        f"Spark local[{max(args.partitions)}] on {os.cpu_count()} CPUs"
    )
    print(f"{'partitions':>10} {'read s':>8} {'write s':>8} {'read rows/s':>12} {'rows/s':>10}")
    for n, r in results.items():
        print(
            f"{n:>10} {r['read_seconds']:>8.1f} {r['write_seconds']:>8.1f} "
            f"{r['read_rows_per_s']:>12,.0f} {r['rows_per_s']:>10,.0f}"
        )
    if len(results) > 1:
        lo, hi = min(results), max(results)
        print(
            f"ratio {hi} vs {lo} partitions: read {results[hi]['read_rows_per_s'] / results[lo]['read_rows_per_s']:.2f}x, "
            f"read+write {results[hi]['rows_per_s'] / results[lo]['rows_per_s']:.2f}x"
        )
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2))
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
