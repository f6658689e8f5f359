"""``make bench``: every benchmark in one run, written to ``docs/benchmarks.md``.

    .venv/bin/python -m benchmarks --scales 1M 10M 30M --history 7 90 365 --backfills 21d 14d-1M 365d

It starts from an empty work folder, times ``make run``'s demo in a process of its
own (:mod:`benchmarks.user_commands`), keeps one SparkSession for the whole run (as a
Glue job keeps one for its steps), warms the JVM on a small date first, then
measures each scale (:mod:`benchmarks.scale`), the incremental run against
history (:mod:`benchmarks.history`) and whole backfills against a DuckDB
implementation of the workflow (:mod:`benchmarks.backfill`). Every ratio in the report comes from timings
taken in the same run, because the machines this runs on are shared and noisy.
The raw results go to ``docs/benchmarks.json``, which ``docs/cost.md``'s model
(:mod:`benchmarks.cost`) reads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import cost, machine
from benchmarks.athena_scan import scan_views
from benchmarks.backfill import SHAPES, describe, measure_backfill
from benchmarks.history import measure_history
from benchmarks.report import render
from benchmarks.scale import DAY, generate_scale, measure_scale, run_workflow
from benchmarks.user_commands import suite_time, time_demo
from retail_lake.config import build_settings
from retail_lake.runner.workflow import daily


def parse_rows(text: str) -> int:
    """``1M``, ``500k``, ``30M`` or a plain integer."""
    units = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}
    suffix = text[-1].lower()
    if suffix in units:
        return int(float(text[:-1]) * units[suffix])
    return int(text)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--scales", nargs="+", default=["1M", "10M", "30M"])
    parser.add_argument("--history", nargs="+", type=int, default=[7, 90, 365])
    parser.add_argument(
        "--history-sales-per-day", type=parse_rows, default=20_000, help="rows per history day"
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per history length")
    parser.add_argument(
        "--backfills",
        nargs="*",
        choices=list(SHAPES),
        default=list(SHAPES),
        help="backfill shapes timed against the DuckDB workflow (none: skip)",
    )
    parser.add_argument("--no-extract", action="store_true", help="skip the MariaDB extraction")
    parser.add_argument("--no-demo", action="store_true", help="skip timing `make run`'s demo")
    parser.add_argument(
        "--test-log",
        type=Path,
        default=None,
        help="a `make test` log whose last pytest summary gives the suite's time",
    )
    parser.add_argument("--work", type=Path, default=None, help="work folder (emptied first)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    parser.add_argument("--markdown", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--json", type=Path, default=Path("docs/benchmarks.json"))
    parser.add_argument("--cost", type=Path, default=Path("docs/cost.md"))
    parser.add_argument(
        "--render", action="store_true", help="only rewrite the documents from --json"
    )
    return parser.parse_args(argv)


def _warm_up(spark: Any, work: Path) -> None:
    """One small date through the whole workflow so no scale pays for JIT and class loading."""
    lake = work / "warm-up"
    generate_scale(lake, 20_000)
    run_workflow(spark, lake, DAY)
    shutil.rmtree(lake, ignore_errors=True)


def run_suite(args: argparse.Namespace) -> dict[str, Any]:
    from retail_lake.runtime.spark import build_spark, spark_conf

    work = args.work or Path(tempfile.mkdtemp(prefix="retail-lake-bench-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "command": "python -m benchmarks " + " ".join(_argv_echo(args)),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine.describe(),
        "spark_conf": {
            "local": spark_conf(build_settings({"lake": str(work)}, env={})),
            "glue": spark_conf(build_settings({"lake": "s3://bucket", "platform": "glue"}, env={})),
        },
    }
    if not args.no_demo:
        print("[make run] retail-lake demo in its own process", flush=True)
        results["demo"] = time_demo(work / "demo")
        print(f"[make run] {results['demo']}", flush=True)
        shutil.rmtree(work / "demo", ignore_errors=True)
    if args.test_log:
        results["test_suite"] = suite_time(args.test_log)
    settings = build_settings({"lake": str(work / "spark")}, env={})
    partitions = int(daily().job_arguments(daily().step("extract"))["jdbc_partitions"])
    spark = build_spark(settings, "retail-lake-bench")
    try:
        print("[warm-up] one small date through the workflow", flush=True)
        _warm_up(spark, work)
        results["scales"] = []
        for label in args.scales:
            scale = measure_scale(
                spark, work, label, parse_rows(label), None if args.no_extract else partitions
            )
            results["scales"].append(scale.as_dict())
            print(
                f"[{label}] workflow {scale.workflow_seconds:.1f} s {scale.steps}, DuckDB "
                f"{scale.duckdb_workflow_seconds:.1f} s, same numbers "
                f"{scale.workflow_same_numbers}; weekly "
                f"Spark {scale.spark_weekly_seconds:.1f} s, DuckDB "
                f"{scale.duckdb_weekly_seconds:.1f} s; extraction {scale.extract}",
                flush=True,
            )
            shutil.rmtree(work / f"scale-{label}", ignore_errors=True)
        history = measure_history(
            spark, work, args.history, args.history_sales_per_day, args.repeats
        )
        results["history"] = [h.as_dict() for h in history]
        longest = work / f"history-{max(args.history)}"
        results["athena"] = [
            {**asdict(scan), "tables": {t: sorted(c) for t, c in scan.tables.items()}}
            for scan in scan_views(longest)
        ]
        largest = max(results["scales"], key=lambda s: s["sales_rows"])
        results["weekly_bytes_per_pair_week"] = (
            largest["weekly_parquet_bytes"] / largest["weekly_rows"]
        )
        results["history_sales_per_day"] = args.history_sales_per_day
        results["backfills"] = []
        for label in args.backfills:
            backfill = measure_backfill(spark, work, SHAPES[label])
            results["backfills"].append(backfill.as_dict())
            print(describe(backfill), flush=True)
            for suffix in ("", "-duckdb"):
                shutil.rmtree(work / f"backfill-{label}{suffix}", ignore_errors=True)
    finally:
        spark.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["load_average_at_end"] = machine.load_average()
    results["total_seconds"] = time.perf_counter() - started
    return results


def _argv_echo(args: argparse.Namespace) -> list[str]:
    out = ["--scales", *args.scales, "--history", *map(str, args.history)]
    out += ["--history-sales-per-day", str(args.history_sales_per_day)]
    out += ["--repeats", str(args.repeats)]
    out += ["--backfills", *args.backfills]
    if args.no_extract:
        out.append("--no-extract")
    if args.no_demo:
        out.append("--no-demo")
    if args.test_log:
        out += ["--test-log", args.test_log.name]
    return out


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    if args.render:
        results = json.loads(args.json.read_text())
    else:
        results = run_suite(args)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    text = render(results)
    args.markdown.write_text(text)
    args.cost.write_text(cost.render(results))
    print(text)
    print(f"wrote {args.markdown}, {args.json} and {args.cost}")
