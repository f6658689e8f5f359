"""Render the suite's results as ``docs/benchmarks.md``: tables, targets, the machine."""

from __future__ import annotations

from typing import Any

from benchmarks.targets import target_rows

STEPS = ("extract", "validate", "aggregate", "catalog")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 10e6 else f"{n / 1e6:,.1f} MB"


def _s(x: float) -> str:
    return f"{x:,.1f}"


def _workflow(scales: list[dict[str, Any]]) -> str:
    rows = [
        [
            s["label"],
            f"{s['sales_rows']:,}",
            f"{s['inventory_rows']:,}",
            f"{s['stores']} x {s['products']}",
            _mb(s["landing_bytes"]),
            *(_s(s["steps"].get(step, 0.0)) for step in STEPS),
            _s(s["workflow_seconds"]),
            f"{s['sales_rows'] / s['workflow_seconds']:,.0f}",
            f"{s['workflow_peak_gib']:.2f}",
        ]
        for s in scales
    ]
    header = ["scale", "sales rows", "inventory rows", "stores x products", "landing CSV"]
    header += [f"{step} s" for step in STEPS]
    header += ["workflow s", "sales rows/s", "peak RSS GiB"]
    return _table(header, rows)


def _same(checks: dict[str, Any], same: bool) -> str:
    """``yes``, or ``NO`` with the comparisons that differ."""
    if same:
        return "yes"
    return "NO (" + ", ".join(n for n, c in checks.items() if not c["same"]) + ")"


AGAINST_DUCKDB = ["retail-lake s", "DuckDB s", "retail-lake / DuckDB", "same numbers"]
AGAINST_DUCKDB += ["retail-lake peak GiB", "DuckDB peak GiB"]
"""The columns of every retail-lake-against-DuckDB table, in :func:`_against_duckdb` order."""


def _against_duckdb(
    seconds: tuple[float, float],
    ratio: float,
    checks: dict[str, Any],
    same: bool,
    peaks: tuple[float, float],
) -> list[str]:
    """retail-lake's and DuckDB's seconds, their ratio, same numbers, both peaks."""
    return [
        *map(_s, seconds),
        f"**{ratio:.2f}x**",
        _same(checks, same),
        *(f"{peak:.2f}" for peak in peaks),
    ]


def _whole_workflow(scales: list[dict[str, Any]]) -> str:
    rows = [
        [
            s["label"],
            f"{s['sales_rows']:,}",
            _mb(s["landing_bytes"]),
            *_against_duckdb(
                (s["workflow_seconds"], s["duckdb_workflow_seconds"]),
                s["workflow_ratio"],
                s["workflow_checks"],
                s["workflow_same_numbers"],
                (s["workflow_peak_gib"], s["duckdb_workflow_peak_gib"]),
            ),
        ]
        for s in scales
        if s.get("duckdb_workflow_seconds")
    ]
    return _table(["scale", "sales rows", "landing CSV", *AGAINST_DUCKDB], rows)


def _repeat(scale: dict[str, Any]) -> str:
    """The second run of the same weekly query, and its ratio to DuckDB."""
    seconds = scale.get("spark_weekly_repeat_seconds")
    if not seconds:
        return "-"
    return f"{_s(seconds)} ({seconds / scale['duckdb_weekly_seconds']:.2f}x)"


def _weekly(scales: list[dict[str, Any]]) -> str:
    rows = [
        [
            s["label"],
            f"{s['sales_rows']:,}",
            f"{s['weekly_rows']:,}",
            _s(s["spark_weekly_seconds"]),
            _s(s["duckdb_weekly_seconds"]),
            f"**{s['spark_weekly_seconds'] / s['duckdb_weekly_seconds']:.2f}x**",
            _repeat(s),
            "yes" if s["weekly_agree"] else f"NO (rel. diff {s['weekly_max_rel_diff']:.1e})",
            f"{s['spark_weekly_peak_gib']:.2f}",
            f"{s['duckdb_peak_gib']:.2f}",
        ]
        for s in scales
    ]
    header = ["scale", "sales rows", "weekly rows", "Spark s", "DuckDB s", "Spark / DuckDB"]
    header += ["Spark repeat s (ratio)"]
    header += ["same numbers", "Spark peak GiB", "DuckDB peak GiB"]
    return _table(header, rows)


def _extract(scales: list[dict[str, Any]]) -> str:
    rows = [
        [
            s["label"],
            f"{int(e['rows']):,}",
            str(int(e["jdbc_partitions_used"])),
            _s(e["load_seconds"]),
            _s(e["read_seconds"]),
            _s(e["write_seconds"]),
            f"{e['read_rows_per_s']:,.0f}",
            f"{e['rows_per_s']:,.0f}",
            _mb(e["raw_parquet_bytes"]),
            f"{e['peak_gib']:.2f}",
        ]
        for s in scales
        if (e := s.get("extract"))
    ]
    header = ["scale", "sales rows", "JDBC partitions", "MariaDB load s", "JDBC read s"]
    header += ["raw write s", "read rows/s", "read+write rows/s", "raw Parquet"]
    header += ["peak RSS GiB (Spark + MariaDB)"]
    return _table(header, rows) if rows else "Not measured in this run (`--no-extract`)."


def _history(history: list[dict[str, Any]]) -> str:
    base = history[0]["median_seconds"]
    rows = []
    for h in history:
        steps = {
            name: sorted(run[name] for run in h["steps"])[len(h["steps"]) // 2]
            for name in h["steps"][0]
        }
        rows.append(
            [
                str(h["history_days"]),
                f"{h['history_sales_rows']:,}",
                _mb(h["lake_bytes"]),
                ", ".join(_s(x) for x in h["runs"]),
                *(_s(steps.get(step, 0.0)) for step in STEPS),
                _s(h["median_seconds"]),
                f"**{h['median_seconds'] / base:.2f}x**",
            ]
        )
    header = ["history days", "history sales rows", "lake (no landing)", "runs s"]
    header += [f"{step} s (median)" for step in STEPS]
    header += ["median s", f"vs {history[0]['history_days']} days"]
    return _table(header, rows)


def render_backfills(backfills: list[dict[str, Any]]) -> str:
    rows = [
        [
            b["label"],
            f"{b['days']} x {b['stores']} x {b['products']}",
            f"{b['sales_rows']:,}",
            f"{b['inventory_rows']:,}",
            f"{b['store_sales_rows']:,}",
            f"{b['quarantined_rows']:,}",
            _mb(b["landing_bytes"]),
            f"{b['weekly_rows']:,} / {b['daily_store_sales_rows']:,}",
            *_against_duckdb(
                (b["retail_lake_seconds"], b["duckdb_seconds"]),
                b["ratio"],
                b["checks"],
                b["same_numbers"],
                (b["retail_lake_peak_gib"], b["duckdb_peak_gib"]),
            ),
        ]
        for b in backfills
    ]
    header = ["backfill", "days x stores x products", "valid sales rows", "inventory rows"]
    header += ["franchise rows", "quarantined rows", "landing CSV"]
    header += ["weekly / daily store rows", *AGAINST_DUCKDB]
    return _table(header, rows)


def _conf(conf: dict[str, dict[str, str]]) -> str:
    keys = sorted(set(conf["local"]) | set(conf["glue"]))
    rows = [[f"`{k}`", conf["local"].get(k, ""), conf["glue"].get(k, "")] for k in keys]
    return _table(["setting", "local", "Glue / EMR"], rows)


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    parts = [
        "# Benchmarks",
        "",
        "<!-- Generated by `make bench` (benchmarks/suite.py); do not edit by hand. -->",
        "",
        f"Run on {results['date']} with `{results['command']}`, from an empty work folder, "
        f"in {results['total_seconds'] / 60:.0f} minutes. Every ratio below compares timings "
        "taken in this same run. Load average at the start: "
        f"{m['load average at start (1, 5, 15 min)']}; at the end: {results['load_average_at_end']}.",
        "",
        "## Machine",
        "",
        _table(["", ""], [[k, v] for k, v in m.items()]),
        "",
        "## Targets",
        "",
        _table(["target", "goal", "measured", ""], target_rows(results)),
        "",
        "## Daily workflow at scale",
        "",
        "One business date carrying the scale's sales rows, plus that day's inventory "
        "snapshot (stores x products), franchise files and dimension snapshots, through "
        "`workflows/daily.toml` on the local runner (`--source files`), on an empty lake. "
        "Step times are wall seconds; peak RSS is the benchmark process and its Spark JVM.",
        "",
        _workflow(results["scales"]),
        "",
        "## Whole workflow at scale: retail-lake against DuckDB",
        "",
        "The same landing files of each scale through `benchmarks/workflow_reference.py`, "
        "an independent DuckDB implementation of landing CSV -> validated -> curated, in a "
        "child process. *Same numbers*: equal row counts and equal sums of every additive "
        "metric of `weekly_sales_inventory` and `daily_store_sales` (relative 1e-9), and "
        "per landing file the rows of each reject reason and the valid rows equal to the "
        "validate report.",
        "",
        _whole_workflow(results["scales"]),
        "",
        "## Weekly aggregation: Spark against DuckDB",
        "",
        "The aggregate job's weekly code path (`aggregate.weekly_for_dates`) and the "
        "independent DuckDB implementation of the weekly metrics (`benchmarks/reference.py`) over "
        "the same validated partitions, both writing Parquet. *Same numbers*: equal row "
        "counts and equal sums of every additive metric (relative 1e-9). DuckDB runs in a "
        "child process, so its peak is its own. *Spark repeat* is the same query run "
        "again at once: the difference is first-run cost (code generation, JIT), which a "
        "nightly job pays, so the target is judged on the first run.",
        "",
        _weekly(results["scales"]),
        "",
        "## Extraction from MariaDB",
        "",
        "The scale's retail tables bulk-loaded into a throwaway MariaDB server, then the "
        "extract job's first run (no watermark yet) for the date with the workflow's JDBC "
        "partition count; the `sales` table's rates.",
        "",
        _extract(results["scales"]),
        "",
    ]
    if results.get("history"):
        parts += [
            "## Incremental daily run against history",
            "",
            "The same target date, run by the whole daily workflow on lakes whose "
            "validated, curated and catalog zones already hold 7, 90 or 365 days "
            f"({results['history_sales_per_day']:,} sales rows a day, 20 stores x 100 "
            "products). The lakes take turns for each repetition; a repetition after "
            "the first is an idempotent rerun of the date.",
            "",
            _history(results["history"]),
            "",
        ]
    if results.get("backfills"):
        parts += [
            "## Backfill: retail-lake against a DuckDB implementation of the whole workflow",
            "",
            "A landing zone of N days generated with 1 % anomalies, then on the same files: "
            "retail-lake's `run_pipeline` over the whole range (local runner, `--source "
            "files`, an empty lake: extract, validate, aggregate, catalog) and "
            "`benchmarks/workflow_reference.py`, an independent DuckDB implementation of "
            "landing CSV -> validated -> curated (strict parsing, the reasons in rule "
            "order, references, duplicates, restatement load by load, both curated "
            "tables) in a child process. *Same numbers*: equal row counts and equal sums "
            "of every additive metric of `weekly_sales_inventory` and `daily_store_sales` "
            "(relative 1e-9), and per landing file the rows of each reject reason and the "
            "valid rows equal to the validate reports.",
            "",
            render_backfills(results["backfills"]),
            "",
        ]
    parts += [
        "## Spark settings",
        "",
        "One table in `retail_lake/runtime/spark.py` (`spark_conf`), read by every job.",
        "",
        _conf(results["spark_conf"]),
        "",
    ]
    return "\n".join(parts)
