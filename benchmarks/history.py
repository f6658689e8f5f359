"""The incremental daily run on lakes holding 7, 90 or 365 days of history.

One landing zone of ``max(history) + 1`` days is generated once. Each lake gets the
same landing files (hard links) and the validated and curated zones of the
``H`` days before the target date (validated written with pyarrow by
:mod:`benchmarks.lakes`, curated by one real aggregate backfill, then the catalog
step). The daily workflow then runs for the same target date on every lake, the
lakes taking turns for each repetition so that drift in the machine's load hits all
of them alike. Every lake holds the target date's whole week, so each run does the
same work; only the history differs.
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.lakes import build_validated, folder_bytes, link_landing, write_validate_reports
from benchmarks.same_numbers import spawn
from benchmarks.scale import run_workflow
from retail_lake.config import build_settings

START = dt.date(2025, 1, 6)
STORES = 20
PRODUCTS = 100


@dataclass
class HistoryResult:
    history_days: int
    runs: list[float] = field(default_factory=list)
    steps: list[dict[str, float]] = field(default_factory=list)
    lake_bytes: int = 0
    history_sales_rows: int = 0
    build_seconds: float = 0.0

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.runs)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "median_seconds": self.median_seconds}


def _generate(source: Path, days: int, sales_per_day: int) -> None:
    from retail_lake.generator import generate

    generate(source, START, days, STORES, PRODUCTS, seed=5, sales_per_day=sales_per_day)


def build_history_lake(spark: Any, source: Path, lake: Path, days: list[dt.date]) -> int:
    """A lake whose validated, curated and catalog zones hold ``days``; its sales rows."""
    from retail_lake.catalog import open_catalog, refresh_after_run
    from retail_lake.jobs import aggregate
    from retail_lake.storage import open_storage

    shutil.rmtree(lake, ignore_errors=True)
    link_landing(source, lake)
    sales_rows = build_validated(lake, days)
    write_validate_reports(lake, days)
    storage = open_storage(str(lake))
    aggregate.run(spark, storage, days)
    refresh_after_run(open_catalog(build_settings({"lake": str(lake)}, env={})), storage)
    return sales_rows


def measure_history(
    spark: Any,
    work: Path,
    histories: list[int],
    sales_per_day: int,
    repeats: int,
    *,
    warm_up: bool = True,
) -> list[HistoryResult]:
    """Build a lake per history length and time the daily workflow on each.

    ``warm_up=False`` skips the untimed first run that warms the JVM: for checking
    the harness, where the times themselves do not matter.
    """
    source = work / "history-source"
    total_days = max(histories) + 1
    print(f"[history] generating {total_days} days x {sales_per_day:,} sales rows", flush=True)
    with spawn() as pool:
        pool.submit(_generate, source, total_days, sales_per_day).result()
    all_days = [START + dt.timedelta(days=i) for i in range(total_days)]
    target = all_days[-1]

    results: dict[int, HistoryResult] = {}
    lakes: dict[int, Path] = {}
    for history in histories:
        print(f"[history] building a lake with {history} days of history", flush=True)
        t0 = time.perf_counter()
        lakes[history] = work / f"history-{history}"
        rows = build_history_lake(spark, source, lakes[history], all_days[-history - 1 : -1])
        results[history] = HistoryResult(history, history_sales_rows=rows)
        results[history].build_seconds = time.perf_counter() - t0

    if warm_up:
        warm = work / "history-warm-up"
        shutil.copytree(lakes[min(histories)], warm)
        run_workflow(spark, warm, target)  # JIT and caches warm; not timed
        shutil.rmtree(warm, ignore_errors=True)

    for repeat in range(repeats):
        for history in histories:
            print(f"[history] run {repeat + 1}/{repeats} with {history} days", flush=True)
            seconds, steps = run_workflow(spark, lakes[history], target)
            results[history].runs.append(seconds)
            results[history].steps.append(steps)
    for history in histories:
        results[history].lake_bytes = folder_bytes(lakes[history]) - folder_bytes(
            lakes[history] / "landing"
        )
    return [results[h] for h in histories]
