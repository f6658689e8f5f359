"""The whole local workflow on generated data: exact quarantine counts against the
generator's manifest, curated columns, incremental runs and an independent reference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

import pandas as pd
import pytest
from typer.testing import CliRunner

from benchmarks.reference import weekly_reference
from retail_lake.cli import app
from retail_lake.config import build_settings
from retail_lake.contracts import dataset
from retail_lake.generator import generate
from retail_lake.runner.local import run_pipeline
from retail_lake.storage import layout
from tests.weekly_compare import assert_same_weekly

START = dt.date(2026, 1, 5)  # a Monday: ISO week 2026-W02
DAYS = 15  # three weeks: W02, W03 and the Monday of W04
LAST = START + dt.timedelta(days=DAYS - 1)


def _fingerprints(root, rel):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / rel).rglob("*.parquet"))
    }


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("generated-lake")
    manifest = generate(root, START, DAYS, stores=3, products=6, seed=7, anomaly_rate=0.06)
    settings = build_settings({"lake": str(root)}, env={})
    # The first three weeks through the command line, as a user would run them.
    first = CliRunner().invoke(
        app,
        [
            "run",
            "--lake",
            str(root),
            "--start-date",
            START.isoformat(),
            "--end-date",
            (LAST - dt.timedelta(days=1)).isoformat(),
        ],
    )
    assert first.exit_code == 0, first.output
    before = _fingerprints(root, layout.curated_dir("weekly_sales_inventory"))
    run_pipeline(settings, LAST, spark=spark)  # the incremental daily run
    return root, manifest, before


def test_quarantine_counts_equal_the_generator_manifest(lake):
    root, manifest, _ = lake
    found: Counter = Counter()
    for name in ("sales", "inventory", "store_sales", "calendar", "store", "product"):
        folder = root / layout.quarantine_dir(name)
        if folder.exists():
            frame = pd.read_parquet(folder)
            found.update((name, r) for r in frame.reject_reason)
    expected: Counter = Counter()
    for name, totals in manifest.totals.items():
        for reason, count in totals.quarantined.items():
            expected[(name, reason)] += count
    assert found == +expected
    assert len(expected) >= 10  # every kind of anomaly really was exercised


def test_every_input_row_is_accounted_for(lake):
    root, manifest, _ = lake
    import json

    for day in (START + dt.timedelta(days=i) for i in range(DAYS)):
        report = json.loads((root / layout.report(day, "validate")).read_text())
        for name, outcome in report["datasets"].items():
            for rel, counts in outcome["files"].items():
                assert counts["rows_in"] == counts["valid"] + counts["quarantined"]
                assert counts["rows_in"] == manifest.files[rel].rows, (name, rel)


def test_curated_tables_have_the_contract_columns(lake):
    root, _, _ = lake
    for name in (
        "weekly_sales_inventory",
        "daily_store_sales",
        "dim_store",
        "dim_product",
        "dim_calendar",
    ):
        frame = pd.read_parquet(root / layout.curated_dir(name))
        assert sorted(frame.columns) == sorted(dataset(name).column_names), name


def test_incremental_day_leaves_other_weeks_byte_identical(lake):
    root, _, before = lake
    after = _fingerprints(root, layout.curated_dir("weekly_sales_inventory"))
    other_weeks = {k: v for k, v in before.items() if "yr_wk_num=202604" not in k}
    assert {k.split("/")[2] for k in other_weeks} == {"yr_wk_num=202602", "yr_wk_num=202603"}
    assert {k: after[k] for k in other_weeks} == other_weeks
    assert any("yr_wk_num=202604" in k for k in after)


def test_curated_weekly_equals_independent_duckdb_reference(lake):
    root, _, _ = lake
    spark_rows = pd.read_parquet(root / layout.curated_dir("weekly_sales_inventory"))
    assert_same_weekly(spark_rows, weekly_reference(root))
