"""The AWS cost model of ``docs/cost.md``, computed from the measured ``docs/benchmarks.json``.

    .venv/bin/python -m benchmarks.cost            # rewrite docs/cost.md

Nothing here is measured on AWS (there is no account in this project's machines):
compute is extrapolated from the throughput the benchmark measured on its own
machine, under the assumptions listed in :data:`ASSUMPTIONS` and printed in the
document, and Athena bytes come from the Parquet footers of the benchmark's lakes.
Prices are parameters, not facts about your account.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import STEPS, _table

DAILY_ROWS = (1_000_000, 100_000_000, 1_000_000_000)
GLUE_DPU_HOUR = 0.44  # USD, Glue 5.0 Spark jobs, us-east-1
EMR_VCPU_HOUR = 0.052624  # USD, EMR Serverless x86, us-east-1
EMR_GB_HOUR = 0.0057785
ATHENA_PER_TB = 5.0  # USD per TB scanned
ATHENA_MIN_BYTES = 10 * 1024 * 1024  # billed minimum per query
WORKER_VCPU, WORKER_GB = 4, 16  # Glue G.1X = 1 DPU; the same shape on EMR Serverless
MIN_WORKERS = 2  # the workflow's default (workflows/daily.toml): one driver, one executor
BILLING_MINIMUM_S = 60.0
WINDOW_S = 3600.0  # workers are added until the whole run fits in this window
SALES_ROWS_PER_PAIR_DAY = 30  # the benchmark's shape: stores x products = rows / 30

ASSUMPTIONS = [
    "One vCPU of a Glue or EMR Serverless worker does the work of one core of the "
    "benchmark machine; the local runs use `local[2]` on its 2 cores.",
    "Work per row is linear in rows: each step's time is fitted as `fixed + per_row x rows` "
    "over the measured scales (least squares), and only the per-row part is shared "
    "across executors; the fixed part (job start, catalog, small files) is not.",
    f"Workers are G.1X-shaped ({WORKER_VCPU} vCPU, {WORKER_GB} GB, 1 DPU); one is the "
    "driver. Each day starts with the workflow's 2 workers and adds executors until the "
    f"whole run fits in {WINDOW_S / 3600:.0f} hour; every job run is billed at least "
    f"{BILLING_MINIMUM_S:.0f} s per worker.",
    f"Prices (us-east-1, USD): Glue ${GLUE_DPU_HOUR}/DPU-hour; EMR Serverless "
    f"${EMR_VCPU_HOUR}/vCPU-hour and ${EMR_GB_HOUR}/GB-hour; Athena ${ATHENA_PER_TB}/TB "
    "scanned with a 10 MB minimum per query. Glue job start-up and EMR Serverless "
    "pre-initialised capacity are not modelled.",
    f"Curated tables grow with the assortment, not with sales: the weekly table has one "
    "row per store and product a week. A day of N sales rows is taken to have the "
    f"benchmark's shape, N / {SALES_ROWS_PER_PAIR_DAY} store-product pairs.",
]


@dataclass(frozen=True)
class Fit:
    """``seconds = fixed + per_row * rows`` for one step on the benchmark machine."""

    fixed: float
    per_row: float

    def seconds(self, rows: float, executors: int, local_cores: int) -> float:
        share = local_cores / (WORKER_VCPU * executors)
        return self.fixed + self.per_row * rows * share


def fit_steps(scales: list[dict[str, Any]]) -> dict[str, Fit]:
    """Least-squares line per step through (sales rows, seconds) of every scale."""
    rows = np.array([s["sales_rows"] for s in scales], dtype=float)
    fits = {}
    for step in STEPS:
        seconds = np.array([s["steps"].get(step, 0.0) for s in scales], dtype=float)
        if len(scales) > 1:
            per_row, fixed = np.polyfit(rows, seconds, 1)
        else:
            per_row, fixed = seconds[0] / rows[0], 0.0
        fits[step] = Fit(max(float(fixed), 0.0), max(float(per_row), 0.0))
    return fits


@dataclass(frozen=True)
class DailyCompute:
    rows: int
    workers: int
    seconds: dict[str, float]

    @property
    def run_seconds(self) -> float:
        return sum(self.seconds.values())

    @property
    def worker_hours(self) -> float:
        return sum(self.workers * max(s, BILLING_MINIMUM_S) for s in self.seconds.values()) / 3600


def daily_compute(fits: dict[str, Fit], rows: int, local_cores: int) -> DailyCompute:
    """The fewest workers (at least the workflow's 2) that finish the day in the window."""
    workers = MIN_WORKERS
    while True:
        seconds = {step: fit.seconds(rows, workers - 1, local_cores) for step, fit in fits.items()}
        if sum(seconds.values()) <= WINDOW_S or workers >= 1000:
            return DailyCompute(rows, workers, seconds)
        workers += 1


def _compute_section(results: dict[str, Any]) -> list[str]:
    cores = int(results["machine"]["cores"])
    fits = fit_steps(results["scales"])
    fit_rows = [
        [step, f"{fit.fixed:.1f}", f"{fit.per_row * 1e6 * cores:.2f}"] for step, fit in fits.items()
    ]
    days = [daily_compute(fits, n, cores) for n in DAILY_ROWS]
    rows = []
    for day in days:
        vcpu_h = day.worker_hours * WORKER_VCPU
        gb_h = day.worker_hours * WORKER_GB
        emr = vcpu_h * EMR_VCPU_HOUR + gb_h * EMR_GB_HOUR
        rows.append(
            [
                f"{day.rows:,}",
                str(day.workers),
                f"{day.run_seconds / 60:.1f}",
                f"{day.worker_hours:.2f}",
                f"${day.worker_hours * GLUE_DPU_HOUR:.2f}",
                f"{vcpu_h:.1f}",
                f"{gb_h:.0f}",
                f"${emr:.2f}",
            ]
        )
    header = ["sales rows a day", "workers", "run minutes", "Glue DPU-hours", "Glue $/day"]
    header += ["EMR vCPU-hours", "EMR GB-hours", "EMR $/day"]
    return [
        "## Compute per day",
        "",
        "Each step's time on the benchmark machine, fitted over the measured scales:",
        "",
        _table(["step", "fixed s", "core-seconds per million rows"], fit_rows),
        "",
        _table(header, rows),
        "",
    ]


def _athena_section(results: dict[str, Any]) -> list[str]:
    scans = results.get("athena") or []
    if not scans:
        return ["## Athena", "", "Not measured in this run.", ""]
    rows = []
    for scan in scans:
        pruned = max(scan["pruned_bytes"], ATHENA_MIN_BYTES)
        tables = ", ".join(f"{t} ({p})" if p else t for t, p in sorted(scan["pruning"].items()))
        if not scan["full_bytes"]:  # clean generated data: no rejects, no order changes
            rows.append([scan["view"], tables, "no data in this lake", "", ""])
            continue
        rows.append(
            [
                scan["view"],
                tables,
                f"{scan['full_bytes'] / 1e6:,.2f}",
                f"{scan['pruned_bytes'] / 1e6:,.3f}",
                f"${pruned / 1e12 * ATHENA_PER_TB:.5f}",
            ]
        )
    per_pair = results.get("weekly_bytes_per_pair_week")
    extrapolated = []
    if per_pair:
        for n in DAILY_ROWS:
            pairs = n / SALES_ROWS_PER_PAIR_DAY
            week = pairs * per_pair
            billed = max(week, ATHENA_MIN_BYTES)
            extrapolated.append(
                [
                    f"{n:,}",
                    f"{pairs:,.0f}",
                    f"{week / 1e6:,.1f} MB",
                    f"{week * 52 / 1e9:,.2f} GB",
                    f"${billed / 1e12 * ATHENA_PER_TB:.4f}",
                    f"${max(week * 52, ATHENA_MIN_BYTES) / 1e12 * ATHENA_PER_TB:.4f}",
                ]
            )
    history = max(results["history"], key=lambda h: h["history_days"])["history_days"]
    out = [
        "## Athena bytes scanned per view",
        "",
        f"Measured from the Parquet footers of the benchmark's lake with {history} days "
        "of history (20 stores x 100 products): *full* is a query over the whole "
        "history, *one partition* is the dashboard query filtered on the partition key "
        "(one week of `weekly_sales_inventory`, one day of `daily_store_sales`, one "
        "load date of quarantine). Only referenced columns count (column pruning); "
        "NDJSON is read whole. Price per query at the 10 MB minimum. The benchmark's "
        "data is clean and has no order events, so the quarantine and order views "
        "have nothing to scan here; `python -m benchmarks.athena_scan LAKE` measures "
        "them on any lake (e.g. the `make run` lake).",
        "",
        _table(["view", "tables (partition key)", "full MB", "one partition MB", "$/query"], rows),
        "",
    ]
    if extrapolated:
        out += [
            "A one-week query on `weekly_sales_inventory` (every column, as "
            "`v_weekly_store_performance` reads) for the three daily volumes, from the "
            f"{per_pair:.1f} compressed bytes per store-product-week measured at the "
            "largest scale, against a query over a year without the partition filter:",
            "",
            _table(
                [
                    "sales rows a day",
                    "store-product pairs",
                    "one week",
                    "one year",
                    "$ one-week query",
                    "$ one-year query",
                ],
                extrapolated,
            ),
            "",
        ]
    return out


LAYOUT = """## How the layout keeps the bill low

* **Partitions on the dashboard's filter.** `weekly_sales_inventory` is partitioned by
  `yr_wk_num`, `daily_store_sales` by `transaction_date` and quarantine by `load_date`,
  so a query for one week or day reads one folder; the views keep those columns so
  that Athena can push a `WHERE yr_wk_num = ...` down through them.
* **Parquet, compressed, with few columns read.** Athena reads only the column chunks
  a query references; the narrow views (`v_top_products_by_week`,
  `v_stockout_impact_by_region_category`) read a fifth to two fifths of what
  `v_weekly_store_performance`, which needs every weekly column, reads.
* **Incremental writes.** A daily run replaces only the partitions of the weeks and
  days it touched, so compute stays flat in history (see *Incremental daily run* in
  `docs/benchmarks.md`) and old partitions are never rewritten.
* **Big files.** `spark.sql.adaptive.advisoryPartitionSizeInBytes` = 256 MB: AQE
  coalesces the shuffle partitions a job writes to min(256 MB, data / parallelism)
  each, so a week of a large retailer lands in a few files of Athena's 128-512 MB
  sweet spot instead of `spark.sql.shuffle.partitions` small ones.
* **What is not pruned.** `order_changes` is unpartitioned NDJSON: `v_order_current`
  and `v_sales_outlook` read the whole change history on every query. At a few MB
  this is under Athena's 10 MB minimum; once it is not, partition it by date with
  partition projection (left open).
"""


def render(results: dict[str, Any]) -> str:
    parts = [
        "# Cost model",
        "",
        "<!-- Generated by `python -m benchmarks.cost` from docs/benchmarks.json; "
        "do not edit by hand. -->",
        "",
        f"From the benchmark run of {results['date']} (`docs/benchmarks.md`) on "
        f"{results['machine']['cores']} cores of {results['machine']['cpu']}. These are "
        "estimates extrapolated from a laptop-sized machine, not measurements on AWS.",
        "",
        "## Assumptions",
        "",
        *[f"* {a}" for a in ASSUMPTIONS],
        "",
        *_compute_section(results),
        *_athena_section(results),
        LAYOUT,
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cost", description=__doc__)
    parser.add_argument("--results", type=Path, default=Path("docs/benchmarks.json"))
    parser.add_argument("--out", type=Path, default=Path("docs/cost.md"))
    args = parser.parse_args(argv)
    text = render(json.loads(args.results.read_text()))
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
