"""Faults: a killed job, a crashed partition write, a file delivered twice, a late file.

Each test states what a reader of the lake sees after the fault and after the
rerun (docs/reliability.md). Faults covered elsewhere: MariaDB unreachable
(test_extract.py), SES failing and concurrent completeness checks
(test_completeness.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pymysql
import pytest
from pyspark.sql import functions as F

from retail_lake.config import build_settings
from retail_lake.contracts import dataset
from retail_lake.generator import generate, load_mysql
from retail_lake.jobs import _io, extract_mysql
from retail_lake.jobs.extract_mysql import RetryPolicy
from retail_lake.runner.local import run_pipeline
from retail_lake.source_db import resolve_source
from retail_lake.storage import layout, open_storage
from retail_lake.tracker import open_tracker
from tests.frames import csv_text

FAST = RetryPolicy(attempts=2, base_delay=0.05)


class Killed(BaseException):
    """The process dies here (not an Exception: nothing may catch and carry on)."""


# -- a job killed between writing its data and committing its watermark ------------------


@pytest.fixture
def source_db(mariadb_database):
    """A private database on the session's MariaDB server: its JDBC and pymysql URLs."""
    return mariadb_database.jdbc_url, mariadb_database.url


class KilledBeforeWatermark:
    """The real tracker, except that the process dies when the watermark is committed."""

    def __init__(self, tracker) -> None:
        self._tracker = tracker

    def __getattr__(self, name):
        return getattr(self._tracker, name)

    def commit_watermark(self, *args, **kwargs):
        raise Killed("killed after the raw write, before the watermark commit")


def raw_sales(spark, storage, day: dt.date) -> list[tuple]:
    rel = layout.raw_partition("sales", day)
    if not storage.list_files(rel):
        return []
    frame = spark.read.parquet(storage.uri(rel)).drop("source_row")
    return sorted(tuple(r) for r in frame.collect())


def trans_ids(rows: list[tuple]) -> list[str]:
    position = dataset("sales").column_names.index("trans_id")
    return [r[position] for r in rows]


def test_killed_before_the_watermark_commit_rerun_has_no_duplicates_and_no_gaps(
    spark, mariadb, source_db, tmp_path
):
    jdbc_url, url = source_db
    days = [dt.date(2026, 3, 30) + dt.timedelta(days=i) for i in range(3)]
    landing = tmp_path / "generated"
    generate(landing, days[0], 3, stores=2, products=3, seed=11)
    load_mysql(landing, url, dates=days[:2])
    lake = tmp_path / "lake"
    settings = build_settings(
        {
            "lake": str(lake),
            "source": "mysql",
            "jdbc_url": jdbc_url,
            "db_user": mariadb.user,
            "db_password": mariadb.password,
            "jdbc_partitions": 2,
            "lookback_days": 0,
        },
        env={},
    )
    storage, tracker = open_storage(str(lake)), open_tracker(settings)

    def run(day, tracker=tracker):
        return extract_mysql.run(
            spark,
            storage,
            settings,
            day,
            tracker=tracker,
            source=resolve_source(settings),
            retry=FAST,
            tables=["sales"],
        )

    run(days[0])
    assert tracker.get_watermark("sales") == days[0].isoformat()
    with pytest.raises(Killed):
        run(days[1], tracker=KilledBeforeWatermark(tracker))
    # The data was written, the watermark and the report were not.
    killed_run = raw_sales(spark, storage, days[1])
    assert killed_run
    assert tracker.get_watermark("sales") == days[0].isoformat()
    assert not (lake / layout.report(days[1], "extract")).exists()

    # The next night runs before anyone reruns day 2: its window starts from the
    # old watermark, so day 2's rows are delivered again (no gap).
    load_mysql(landing, url, dates=[days[2]], replace=False)
    run(days[2])
    # The operator reruns day 2: the same window, the partition replaced, not appended.
    run(days[1])
    assert raw_sales(spark, storage, days[1]) == killed_run
    assert tracker.get_watermark("sales") == days[2].isoformat()  # never moved backwards

    conn = pymysql.connect(unix_socket=str(mariadb.socket_path), user="root")
    with conn, conn.cursor() as cur:
        cur.execute(f"SELECT trans_id, trans_dt FROM `{jdbc_url.rsplit('/', 1)[1]}`.sales")
        source = {(str(i), d.isoformat()) for i, d in cur.fetchall()}
    by_load = {day: raw_sales(spark, storage, day) for day in days}
    for rows in by_load.values():
        assert len(trans_ids(rows)) == len(set(trans_ids(rows)))  # no duplicate within a load
    trans_dt = dataset("sales").column_names.index("trans_dt")
    delivered = {(r[0], r[trans_dt]) for rows in by_load.values() for r in rows}
    assert delivered == source  # no gap, nothing invented
    # A key in two loads is a restatement (the later load wins in validated/), not a copy.
    assert {r[trans_dt] for r in by_load[days[2]]} == {days[1].isoformat(), days[2].isoformat()}


# -- a crash in the middle of a partition write --------------------------------------------


def parquet_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


@pytest.fixture
def dataset_dir(spark, lake_dir):
    """A partitioned dataset with two partitions p=a and p=b (v = 'old')."""
    storage = open_storage(str(lake_dir))
    old = spark.createDataFrame(
        [(i, "old", p) for p in "ab" for i in range(50)], "i int, v string, p string"
    )
    _io.replace_partitions(old, storage, "validated/t", "p", ["a", "b"])
    return storage


def read_back(lake: Path) -> pd.DataFrame:
    frame = pd.read_parquet(lake / "validated" / "t").astype({"p": str})
    return frame.sort_values(["p", "i"]).reset_index(drop=True)


def test_spark_write_failing_midway_leaves_the_old_partitions_and_no_staging(
    spark, lake_dir, dataset_dir
):
    before, old_rows = parquet_bytes(lake_dir / "validated"), read_back(lake_dir)
    new = spark.createDataFrame(
        [(i, "new", p) for p in "ab" for i in range(50)], "i int, v string, p string"
    ).repartition(4)
    failing = new.withColumn(
        "v", F.when(F.col("i") == 42, F.raise_error(F.lit("disk full"))).otherwise(F.col("v"))
    )
    with pytest.raises(Exception, match="disk full"):
        _io.replace_partitions(failing, dataset_dir, "validated/t", "p", ["a", "b"])
    assert parquet_bytes(lake_dir / "validated") == before  # byte for byte
    pd.testing.assert_frame_equal(read_back(lake_dir), old_rows)
    staging = Path(dataset_dir.uri(layout.staging_dir("x"))).parent
    assert not staging.exists() or not list(staging.iterdir())  # nothing left behind

    _io.replace_partitions(new, dataset_dir, "validated/t", "p", ["a", "b"])  # the rerun
    assert set(read_back(lake_dir).v) == {"new"} and len(read_back(lake_dir)) == 100


def test_crash_between_partition_swaps_leaves_each_partition_whole(
    spark, lake_dir, dataset_dir, monkeypatch
):
    new = spark.createDataFrame(
        [(i, "new", p) for p in "ab" for i in range(50)], "i int, v string, p string"
    )
    swaps = []
    real_swap = dataset_dir.replace_dir

    def swap_then_die(staged, target):
        if swaps:
            raise Killed("killed between two partition swaps")
        swaps.append(target)
        real_swap(staged, target)

    monkeypatch.setattr(dataset_dir, "replace_dir", swap_then_die)
    with pytest.raises(Killed):
        _io.replace_partitions(new, dataset_dir, "validated/t", "p", ["a", "b"])
    monkeypatch.undo()
    rows = read_back(lake_dir)
    # Each partition is entirely the new or entirely the old version, never a mix.
    assert rows.groupby("p").v.agg(set).to_dict() == {"a": {"new"}, "b": {"old"}}
    assert rows.groupby("p").size().to_dict() == {"a": 50, "b": 50}
    assert not [f for f in dataset_dir.list_files("validated") if ".old" in f or "staging" in f]

    _io.replace_partitions(new, dataset_dir, "validated/t", "p", ["a", "b"])  # the rerun
    assert read_back(lake_dir).groupby("p").v.agg(set).to_dict() == {"a": {"new"}, "b": {"new"}}


# -- the same file delivered twice; a late file after its date has run ----------------------

D = dt.date(2026, 1, 5)


def store_file(lake: Path, store: int, rows: int) -> Path:
    values = [
        {
            "row_id": i,
            "order_id": f"O-{store}-{i // 2}",
            "item": f"item-{i % 3}",
            "sale_amount": f"{i}.50",
            "tax_amount": "1.00",
            "discount_amount": "0.00",
            "quantity": 1 + i % 4,
            "franchise_store": store,
            "transaction_date": (D - dt.timedelta(days=i % 2)).isoformat(),
        }
        for i in range(1, rows + 1)
    ]
    values.append({**values[0], "quantity": -1, "row_id": rows + 1})  # one reject per file
    path = lake / layout.landing_store_sales(D, store)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text("store_sales", values))
    return path


def zones(lake: Path) -> dict[str, list[tuple]]:
    """Every row of validated/, quarantine/ and curated/, as sorted tuples (content, not
    file names, which Spark makes unique per write)."""
    out = {}
    for zone in ("validated", "quarantine", "curated"):
        for folder in sorted((lake / zone).iterdir()):
            frame = pd.read_parquet(folder).astype(str)
            out[f"{zone}/{folder.name}"] = sorted(map(tuple, frame.to_numpy().tolist()))
    return out


def run(lake: Path, spark) -> None:
    run_pipeline(build_settings({"lake": str(lake)}, env={}), D, spark=spark)


def test_same_file_twice_then_a_late_file(spark, lake_dir):
    first = store_file(lake_dir, 101, 6)
    store_file(lake_dir, 102, 4)
    run(lake_dir, spark)
    once = zones(lake_dir)
    files_once = {z: len(list((lake_dir / z).rglob("*.parquet"))) for z in once}

    # The same file is delivered again (same name, same bytes) and the date rerun:
    # the lake is identical, nothing appended.
    first.write_bytes(first.read_bytes())
    run(lake_dir, spark)
    assert zones(lake_dir) == once
    assert {z: len(list((lake_dir / z).rglob("*.parquet"))) for z in once} == files_once

    # Store 103's file arrives after the date has run; the rerun restates the date.
    store_file(lake_dir, 103, 5)
    run(lake_dir, spark)
    after = zones(lake_dir)
    daily = pd.read_parquet(lake_dir / layout.curated_dir("daily_store_sales"))
    assert sorted(set(daily.franchise_store)) == [101, 102, 103]
    valid = pd.read_parquet(lake_dir / layout.validated_dir("store_sales"))
    assert len(valid) == 6 + 4 + 5  # every valid row once
    assert not valid.duplicated(["franchise_store", "row_id"]).any()
    quarantined = pd.read_parquet(lake_dir / layout.quarantine_partition("store_sales", D))
    assert sorted(quarantined.franchise_store.astype(int)) == [101, 102, 103]
    # The rows of 101 and 102 are unchanged by the late file.
    assert set(once["validated/store_sales"]) <= set(after["validated/store_sales"])
    totals = daily.groupby("franchise_store").total_quantity.sum().to_dict()
    assert totals == {101: 2 + 3 + 4 + 1 + 2 + 3, 102: 2 + 3 + 4 + 1, 103: 2 + 3 + 4 + 1 + 2}
