"""Equal work, equal numbers: retail-lake's lake against the DuckDB implementation.

The backfill and the scale benchmarks both time retail-lake against
:func:`benchmarks.workflow_reference.run_reference` on the same landing files. A
ratio only means something when both did the same work, so each comparison also
checks the results: for ``weekly_sales_inventory`` and ``daily_store_sales`` equal
row counts and equal sums of every additive metric (relative 1e-9), and per landing
file the rows of each ``reject_reason`` (and the valid rows) equal to the validate
reports.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import resource
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

WEEKLY_COMPARED = (
    "total_sales_qty",
    "total_sales_amt",
    "total_cost_amt",
    "potential_low_stock_impact",
    "no_stock_impact",
    "low_stock_instances",
    "no_stock_instances",
    "total_low_stock_impact",
)
DAILY_COMPARED = (
    "total_sale_amount",
    "total_tax_amount",
    "total_discount_amount",
    "total_quantity",
    "order_count",
)
TOLERANCE = 1e-9


def spawn() -> ProcessPoolExecutor:
    """One fresh child process: its memory and the Spark process tree's stay apart."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def _duckdb_workflow(lake: Path, days: list[dt.date], out: Path) -> tuple[float, float]:
    """In a child process: seconds and the child's own peak RSS in GiB."""
    from benchmarks.workflow_reference import run_reference

    t0 = time.perf_counter()
    run_reference(lake, days, out, threads=2)
    seconds = time.perf_counter() - t0
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def run_duckdb_workflow(
    lake: Path, days: list[dt.date], out: Path
) -> tuple[float, float, dict[str, Path]]:
    """The DuckDB workflow over ``lake``'s landing files in a child process.

    Returns its seconds, its peak RSS in GiB and its output tables by name.
    """
    with spawn() as pool:
        seconds, peak = pool.submit(_duckdb_workflow, lake, days, out).result()
    return seconds, peak, {p.stem: p for p in out.glob("*.parquet")}


def _sums(table: Any, columns: tuple[str, ...]) -> dict[str, float]:
    return {c: float(pc.sum(table[c].cast("double")).as_py() or 0.0) for c in columns}


def compare_table(ours: Path, theirs: Path, columns: tuple[str, ...]) -> dict[str, Any]:
    """Equal row counts and equal sums of ``columns`` (relative 1e-9)?"""
    left = pq.read_table(ours, columns=list(columns)) if ours.exists() else None
    right = pq.read_table(theirs, columns=list(columns))
    left_rows = 0 if left is None else left.num_rows
    a = _sums(left, columns) if left is not None else dict.fromkeys(columns, 0.0)
    b = _sums(right, columns)
    worst = max(abs(a[c] - b[c]) / max(abs(a[c]), abs(b[c]), 1.0) for c in columns)
    return {
        "same": left_rows == right.num_rows and worst <= TOLERANCE,
        "rows": [left_rows, right.num_rows],
        "max_rel_diff": worst,
    }


def report_counts(lake: Path, days: list[dt.date]) -> Counter:
    """(dataset, file, reason or 'valid') -> rows, from the lake's validate reports."""
    from retail_lake.storage import layout

    counts: Counter = Counter()
    for day in days:
        path = lake / layout.report(day, "validate")
        if not path.exists():
            continue
        for name, outcome in json.loads(path.read_text()).get("datasets", {}).items():
            for rel, entry in outcome["files"].items():
                counts[(name, rel, "valid")] += entry["valid"]
                for reason, n in entry["reasons"].items():
                    counts[(name, rel, reason)] += n
    return +counts


def reference_counts(path: Path) -> Counter:
    """The same counts from the DuckDB workflow's ``quarantine_counts`` table."""
    counts: Counter = Counter()
    for row in pq.read_table(path).to_pylist():
        counts[(row["dataset"], row["source_file"], row["reject_reason"] or "valid")] += row["rows"]
    return +counts


def compare_quarantine(lake: Path, days: list[dt.date], reference: Path) -> dict[str, Any]:
    ours, theirs = report_counts(lake, days), reference_counts(reference)
    differ = sorted(k for k in set(ours) | set(theirs) if ours[k] != theirs[k])
    return {
        "same": not differ and bool(ours),
        "files": len({k[:2] for k in ours}),
        "quarantined": sum(n for k, n in ours.items() if k[2] != "valid"),
        "differences": [[*k, ours[k], theirs[k]] for k in differ[:20]],
    }


def compare_with_reference(lake: Path, days: list[dt.date], ref: dict[str, Path]) -> dict[str, Any]:
    """Every check of the module docstring, by name."""
    curated = lake / "curated"
    return {
        "weekly_sales_inventory": compare_table(
            curated / "weekly_sales_inventory", ref["weekly_sales_inventory"], WEEKLY_COMPARED
        ),
        "daily_store_sales": compare_table(
            curated / "daily_store_sales", ref["daily_store_sales"], DAILY_COMPARED
        ),
        "quarantine": compare_quarantine(lake, days, ref["quarantine_counts"]),
    }
