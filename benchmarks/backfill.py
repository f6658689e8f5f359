"""Benchmark: a backfill through retail-lake against a DuckDB implementation of it.

Generates a landing zone of N days of one shape with the project's generator (1 %
anomalies by default, so validation has real work), then on the same files times

* retail-lake: ``run_pipeline`` over the whole range (local platform, ``--source
  files``, an empty lake): ingest, validate, aggregate, catalog;
* DuckDB: :func:`benchmarks.workflow_reference.run_reference`, the whole workflow
  (landing CSV -> validated -> curated) in SQL, in a child process,

and checks the numbers are identical (:mod:`benchmarks.same_numbers`).

    .venv/bin/python -m benchmarks.backfill --days 3 --stores 5 --products 20 --sales-per-day 500
    .venv/bin/python -m benchmarks.backfill --shape 21d
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from benchmarks.lakes import folder_bytes
from benchmarks.memory import PeakMemory
from benchmarks.same_numbers import compare_with_reference, run_duckdb_workflow, spawn
from retail_lake.config import build_settings

START = dt.date(2026, 1, 5)  # a Monday


@dataclass(frozen=True)
class Shape:
    label: str
    days: int
    stores: int
    products: int
    sales_per_day: int
    description: str = ""


SHAPES = {
    s.label: s
    for s in (
        Shape("21d", 21, 40, 150, 12_000, "21 days x 40 stores x 150 products (~12,000 sales/day)"),
        Shape("14d-1M", 14, 50, 1000, 1_000_000 // 14, "14 days x 50 stores x 1,000 products"),
        Shape("365d", 365, 20, 100, 20_000, "365 days x 20,000 sales rows/day"),
    )
}


@dataclass
class BackfillResult:
    label: str
    days: int
    stores: int
    products: int
    sales_per_day: int
    anomaly_rate: float
    landing_bytes: int = 0
    sales_rows: int = 0
    inventory_rows: int = 0
    store_sales_rows: int = 0
    weekly_rows: int = 0
    daily_store_sales_rows: int = 0
    quarantined_rows: int = 0
    generate_seconds: float = 0.0
    retail_lake_seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    retail_lake_peak_gib: float = 0.0
    duckdb_seconds: float = 0.0
    duckdb_peak_gib: float = 0.0
    same_numbers: bool = False
    checks: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.retail_lake_seconds / self.duckdb_seconds if self.duckdb_seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def _generate(lake: Path, shape: Shape, anomaly_rate: float, seed: int) -> None:
    from retail_lake.generator import generate

    generate(
        lake,
        START,
        shape.days,
        shape.stores,
        shape.products,
        seed=seed,
        anomaly_rate=anomaly_rate,
        sales_per_day=shape.sales_per_day,
    )


def run_backfill(spark: Any, lake: Path, days: list[dt.date]) -> tuple[float, dict[str, float]]:
    """``run_pipeline`` over ``days`` on the local runner; total and per-step seconds."""
    from retail_lake.runner.local import run_pipeline

    steps: dict[str, float] = {}
    mark = [time.perf_counter()]

    def tick(step: str, label: str) -> None:
        now = time.perf_counter()
        steps[step] = steps.get(step, 0.0) + now - mark[0]
        mark[0] = now

    t0 = time.perf_counter()
    settings = build_settings({"lake": str(lake)}, env={})
    run_pipeline(settings, days[0], days[-1], spark=spark, progress=tick)
    return time.perf_counter() - t0, steps


# -- one measured backfill -----------------------------------------------------------


def measure_backfill(
    spark: Any, work: Path, shape: Shape, anomaly_rate: float = 0.01, seed: int = 21
) -> BackfillResult:
    """Generate ``shape``, back-fill it with retail-lake and with DuckDB, compare."""
    lake, out = work / f"backfill-{shape.label}", work / f"backfill-{shape.label}-duckdb"
    shutil.rmtree(lake, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    result = BackfillResult(
        shape.label, shape.days, shape.stores, shape.products, shape.sales_per_day, anomaly_rate
    )
    days = [START + dt.timedelta(days=i) for i in range(shape.days)]
    print(f"[backfill {shape.label}] generating {shape.days} days", flush=True)
    t0 = time.perf_counter()
    with spawn() as pool:
        pool.submit(_generate, lake, shape, anomaly_rate, seed).result()
    result.generate_seconds = time.perf_counter() - t0
    result.landing_bytes = folder_bytes(lake / "landing")

    print(f"[backfill {shape.label}] retail-lake run_pipeline over the range", flush=True)
    with PeakMemory() as memory:
        result.retail_lake_seconds, result.steps = run_backfill(spark, lake, days)
    result.retail_lake_peak_gib = memory.peak_gib

    print(f"[backfill {shape.label}] DuckDB reference over the same landing files", flush=True)
    result.duckdb_seconds, result.duckdb_peak_gib, ref = run_duckdb_workflow(lake, days, out)
    result.checks = compare_with_reference(lake, days, ref)
    result.same_numbers = all(c["same"] for c in result.checks.values())
    for name, attr in (
        ("validated_sales", "sales_rows"),
        ("validated_inventory", "inventory_rows"),
        ("validated_store_sales", "store_sales_rows"),
        ("weekly_sales_inventory", "weekly_rows"),
        ("daily_store_sales", "daily_store_sales_rows"),
    ):
        setattr(result, attr, pq.read_metadata(ref[name]).num_rows)
    result.quarantined_rows = result.checks["quarantine"]["quarantined"]
    return result


def describe(r: BackfillResult) -> str:
    return (
        f"[backfill {r.label}] {r.days} days x {r.stores} stores x {r.products} products, "
        f"{r.sales_rows:,} valid sales rows, {r.inventory_rows:,} inventory rows, "
        f"{r.store_sales_rows:,} franchise rows, {r.quarantined_rows:,} quarantined, "
        f"landing {r.landing_bytes / 1e6:,.1f} MB: retail-lake {r.retail_lake_seconds:.1f} s "
        f"{r.steps}, DuckDB {r.duckdb_seconds:.1f} s, ratio {r.ratio:.2f}x, "
        f"same numbers: {r.same_numbers}"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), help="a named shape of the suite")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--stores", type=int, default=5)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--sales-per-day", type=int, default=500)
    parser.add_argument("--anomaly-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--work", type=Path, default=None, help="keep the lakes here")
    args = parser.parse_args(argv)
    shape = SHAPES[args.shape] if args.shape else None
    shape = shape or Shape(
        "custom", args.days, args.stores, args.products, args.sales_per_day, "from the arguments"
    )

    from retail_lake.runtime.spark import build_spark

    work = args.work or Path(tempfile.mkdtemp(prefix="retail-lake-backfill-"))
    work.mkdir(parents=True, exist_ok=True)
    spark = build_spark(build_settings({"lake": str(work)}, env={}), "retail-lake-backfill")
    try:
        result = measure_backfill(spark, work, shape, args.anomaly_rate, args.seed)
    finally:
        spark.stop()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(describe(result))
    print(json.dumps(result.checks, indent=2, default=str))
    return result.as_dict()


if __name__ == "__main__":
    main()
