"""The benchmark compares equal work: its generator, shortcuts and reference agree.

``make bench`` times the Spark job against the DuckDB reference on data from the
benchmark's generator, and builds months of history with pyarrow instead of the
validate step. These tests run the same code on a small case and check that the
two implementations give the same numbers, that the pyarrow history equals what
the validate step writes, and that every history length does the same work.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from benchmarks import cost, report, targets
from benchmarks.history import build_history_lake, measure_history
from benchmarks.lakes import build_validated, link_landing
from benchmarks.reference import write_weekly_reference
from benchmarks.same_numbers import compare_with_reference, run_duckdb_workflow
from benchmarks.scale import DAY, compare_weekly, generate_scale, run_workflow, spark_weekly
from benchmarks.suite import parse_rows
from benchmarks.user_commands import suite_time, time_demo
from retail_lake.contracts import dataset
from retail_lake.storage import layout
from tests.weekly_compare import assert_same_weekly

SALES_ROWS = 6_000


@pytest.fixture(scope="module")
def scale_lake(spark, tmp_path_factory):
    """A small benchmark scale, generated and run through the daily workflow."""
    lake = tmp_path_factory.mktemp("bench") / "scale"
    generate_scale(lake, SALES_ROWS)
    seconds, steps = run_workflow(spark, lake, DAY)
    return lake, seconds, steps


def test_workflow_timing_names_every_step(scale_lake):
    _, seconds, steps = scale_lake
    assert set(steps) == {"extract", "validate", "aggregate", "catalog", "crawl"}
    assert 0 < sum(steps.values()) <= seconds


def test_spark_weekly_and_duckdb_reference_give_the_same_numbers(spark, scale_lake, tmp_path):
    lake, _, _ = scale_lake
    ours, theirs = tmp_path / "spark", tmp_path / "duckdb.parquet"
    spark_weekly(spark, lake, DAY, ours)
    rows = write_weekly_reference(lake, theirs, threads=2)
    assert rows == 20 * 1000  # one row per store x product of the week's snapshot
    assert_same_weekly(pd.read_parquet(ours), pd.read_parquet(theirs))
    agree, worst, compared = compare_weekly(ours, theirs)
    assert agree and compared == rows and worst <= 1e-9


def test_curated_weekly_of_the_workflow_equals_the_reference(scale_lake, tmp_path):
    lake, _, _ = scale_lake
    theirs = tmp_path / "duckdb.parquet"
    write_weekly_reference(lake, theirs)
    curated = pd.read_parquet(lake / layout.curated_dir("weekly_sales_inventory"))
    assert_same_weekly(curated, pd.read_parquet(theirs))


def test_one_date_through_both_workflows_gives_the_same_numbers(scale_lake, tmp_path):
    lake, _, _ = scale_lake
    _, _, ref = run_duckdb_workflow(lake, [DAY], tmp_path / "duckdb")
    checks = compare_with_reference(lake, [DAY], ref)
    assert {name: check["same"] for name, check in checks.items()} == {
        "weekly_sales_inventory": True,
        "daily_store_sales": True,
        "quarantine": True,
    }
    assert checks["weekly_sales_inventory"]["rows"] == [20 * 1000, 20 * 1000]


@pytest.mark.parametrize("name", ["sales", "inventory", "store_sales", "store", "product"])
def test_pyarrow_history_equals_what_the_validate_step_writes(scale_lake, tmp_path, name):
    lake, _, _ = scale_lake
    shortcut = tmp_path / "shortcut"
    link_landing(lake, shortcut)
    build_validated(shortcut, [DAY])
    ds = dataset(name)
    key = list(ds.key)

    def rows(root):
        frame = pd.read_parquet(root / layout.validated_dir(name))
        if ds.business_date:
            frame[ds.business_date] = frame[ds.business_date].astype(str)
        frame["load_date"] = frame["load_date"].astype(str)
        return frame[sorted(frame.columns)].sort_values(key).reset_index(drop=True)

    validated, built = rows(lake), rows(shortcut)
    assert len(validated) > 0
    pd.testing.assert_frame_equal(validated, built, check_dtype=False)


def test_every_history_length_does_the_same_work(spark, tmp_path):
    results = measure_history(spark, tmp_path, [7, 9], sales_per_day=300, repeats=1, warm_up=False)
    assert [r.history_days for r in results] == [7, 9]
    assert [len(r.runs) for r in results] == [1, 1]
    assert results[0].history_sales_rows == 7 * 300 and results[1].history_sales_rows == 9 * 300
    weekly = {
        h: pd.read_parquet(tmp_path / f"history-{h}" / layout.curated_dir("weekly_sales_inventory"))
        for h in (7, 9)
    }
    target_week = max(weekly[7]["yr_wk_num"].astype(int))
    same = {h: w[w["yr_wk_num"].astype(int) == target_week] for h, w in weekly.items()}
    assert_same_weekly(same[7], same[9])
    assert weekly[9]["yr_wk_num"].nunique() >= weekly[7]["yr_wk_num"].nunique()


def test_history_lake_holds_curated_weeks_for_its_days(spark, tmp_path):
    source = tmp_path / "source"
    from retail_lake.generator import generate

    generate(source, dt.date(2025, 1, 6), 15, 3, 5, seed=1, sales_per_day=50)
    days = [dt.date(2025, 1, 6) + dt.timedelta(days=i) for i in range(14)]
    rows = build_history_lake(spark, source, tmp_path / "lake", days)
    assert rows == 14 * 50
    weeks = pd.read_parquet(tmp_path / "lake" / layout.curated_dir("weekly_sales_inventory"))
    assert weeks["yr_wk_num"].nunique() == 2
    assert len(weeks) == 2 * 3 * 5


def test_rows_parse_with_units():
    assert [parse_rows(t) for t in ("1M", "10M", "500k", "1.5M", "42")] == [
        1_000_000,
        10_000_000,
        500_000,
        1_500_000,
        42,
    ]


def _scale(label, rows, spark_s, duck_s, peak):
    return {
        "label": label,
        "sales_rows": rows,
        "spark_weekly_seconds": spark_s,
        "duckdb_weekly_seconds": duck_s,
        "workflow_peak_gib": peak,
        "spark_weekly_peak_gib": peak / 2,
    }


def test_targets_table_reports_met_and_not_met():
    results = {
        "scales": [_scale("1M", 10**6, 9.0, 2.0, 3.0), _scale("30M", 3 * 10**7, 20.0, 10.0, 9.5)],
        "history": [
            {"history_days": 7, "median_seconds": 10.0},
            {"history_days": 365, "median_seconds": 12.0},
        ],
    }
    rows = targets.target_rows(results)
    assert rows[0][2:] == ["1.20x", "met"]
    assert rows[1][2:] == ["4.50x", "**not met**"]
    assert rows[2][2:] == ["2.00x", "met"]
    assert "at 30M" in rows[3][0] and rows[3][2:] == ["9.50 GiB", "**not met**"]


def _backfill(label: str, days: int, ratio: float, same: bool) -> dict:
    checks = {"weekly_sales_inventory": {"same": True}, "daily_store_sales": {"same": same}}
    return {
        "label": label,
        "days": days,
        "ratio": ratio,
        "same_numbers": same,
        "checks": checks,
        **dict.fromkeys(["stores", "products", "sales_rows", "inventory_rows"], 1),
        **dict.fromkeys(["store_sales_rows", "quarantined_rows", "weekly_rows"], 1),
        **dict.fromkeys(["landing_bytes", "daily_store_sales_rows"], 1),
        **dict.fromkeys(["retail_lake_seconds", "duckdb_seconds"], 1.0),
        **dict.fromkeys(["retail_lake_peak_gib", "duckdb_peak_gib"], 1.0),
    }


def test_backfill_targets_need_the_ratio_and_the_same_numbers():
    results = {
        "scales": [_scale("1M", 10**6, 9.0, 2.0, 3.0)],
        "backfills": [
            _backfill("21d", 21, 4.0, True),
            _backfill("14d-1M", 14, 4.0, False),
            _backfill("365d", 365, 9.0, True),
        ],
    }
    rows = targets.target_rows(results)
    assert "21-day backfill" in rows[2][0] and rows[2][1:] == ["<= 5x", "4.00x", "met"]
    assert "14-day 1M-row backfill" in rows[3][0]
    assert rows[3][2:] == ["4.00x, numbers differ", "**not met**"]
    assert "365-day backfill" in rows[4][0] and rows[4][1:] == ["<= 5x", "9.00x", "**not met**"]
    assert "NO (daily_store_sales)" in report.render_backfills(results["backfills"])


def _linear_scales():
    """Two scales whose step times are exactly 10 s + 2 s per million rows each."""
    steps = lambda rows: {s: 10.0 + 2.0 * rows / 1e6 for s in report.STEPS}  # noqa: E731
    return [{"sales_rows": n, "steps": steps(n)} for n in (1_000_000, 10_000_000)]


def test_cost_fit_recovers_a_linear_step_time():
    fits = cost.fit_steps(_linear_scales())
    assert set(fits) == set(report.STEPS)
    for fit in fits.values():
        assert fit.fixed == pytest.approx(10.0) and fit.per_row == pytest.approx(2e-6)


def test_cost_model_adds_the_fewest_workers_that_fit_the_window():
    fits = cost.fit_steps(_linear_scales())
    # 4 steps x 2 s per million rows on 2 local cores = 16 core-seconds per million rows.
    small = cost.daily_compute(fits, 1_000_000, local_cores=2)
    assert small.workers == cost.MIN_WORKERS
    assert small.run_seconds == pytest.approx(4 * (10 + 2 * 2 / 4))
    assert small.worker_hours == pytest.approx(2 * 4 * 60 / 3600)  # the 60 s minimum
    big = cost.daily_compute(fits, 1_000_000_000, local_cores=2)
    seconds = lambda workers: 4 * (10 + 2000 * 2 / (4 * (workers - 1)))  # noqa: E731
    assert seconds(big.workers) <= cost.WINDOW_S < seconds(big.workers - 1)


def test_weekly_table_shows_the_repeat_run_when_measured():
    scale = {
        **_scale("1M", 10**6, 9.0, 2.0, 3.0),
        "weekly_rows": 10,
        "weekly_agree": True,
        "duckdb_peak_gib": 1.0,
    }
    assert "| **4.50x** | - | yes |" in report._weekly([scale])
    repeated = report._weekly([{**scale, "spark_weekly_repeat_seconds": 5.0}])
    assert "| **4.50x** | 5.0 (2.50x) | yes |" in repeated


def test_whole_workflow_and_command_targets():
    scale = {
        **_scale("10M", 10**7, 9.0, 3.0, 3.0),
        "workflow_ratio": 2.5,
        "duckdb_workflow_seconds": 4.0,
        "workflow_same_numbers": True,
    }
    results = {
        "scales": [scale, {**scale, "label": "30M", "workflow_same_numbers": False}],
        "demo": {"seconds": 95.2, "exit_code": 0, "error": ""},
        "test_suite": {"seconds": 599.0, "summary": "9 passed", "passed": True, "log": "ci.log"},
    }
    rows = targets.target_rows(results)
    assert rows[3] == [
        "whole workflow at 10M, one date, retail-lake / DuckDB (same numbers)",
        "<= 3x",
        "2.50x",
        "met",
    ]
    assert rows[4][2:] == ["2.50x, numbers differ", "**not met**"]
    assert rows[5][1:] == ["< 90 s", "95 s", "**not met**"]
    assert rows[6][1:] == ["< 10 min", "9 min 59 s (9 passed; from `ci.log`)", "met"]
    failed = {**results["test_suite"], "passed": False}
    assert targets.target_rows({**results, "test_suite": failed})[6][3] == "**not met**"
    assert "no `--test-log`" in targets.target_rows({"scales": [scale]})[-1][2]


def test_suite_time_is_the_last_pytest_summary_of_the_log(tmp_path):
    log = tmp_path / "ci.log"
    log.write_text(
        "===== 3 failed, 640 passed, 5 warnings in 1859.82s (0:30:59) =====\n"
        "noise 12 passed in 3s\n"
        "================= 647 passed, 5 warnings in 1179.08s (0:19:39) =================\n"
        "==> make test exited 0\n"
    )
    assert suite_time(log) == {
        "seconds": 1179.08,
        "summary": "647 passed, 5 warnings",
        "passed": True,
        "log": "ci.log",
    }
    log.write_text(log.read_text() + "=== 1 failed, 9 passed in 60.00s ===\n")
    assert suite_time(log)["passed"] is False
    log.write_text("pytest never finished\n")
    assert suite_time(log) is None


def test_a_demo_that_fails_gives_its_exit_code_and_its_one_line_error(tmp_path):
    not_a_folder = tmp_path / "lake"
    not_a_folder.write_text("")
    demo = time_demo(not_a_folder)
    assert demo["exit_code"] == 1
    assert demo["error"].startswith("error: demo: ") and "Not a directory" in demo["error"]
