"""Aggregate: validated rows → curated fact tables and dimensions, incrementally.

Only the weeks (and days) touched by the given loads are recomputed, from the
validated partitions of exactly those weeks, and only their curated partitions are
replaced: the cost of a daily run does not grow with the history in the lake.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail_lake.contracts import contracts, dataset
from retail_lake.jobs import _io
from retail_lake.jobs.validate import validated_schema
from retail_lake.storage import LakeStorage, layout
from retail_lake.transforms.store_sales import daily_store_sales
from retail_lake.transforms.weekly import weekly_metrics

log = logging.getLogger(__name__)

WEEKLY, STORE_SALES = "weekly_sales_inventory", "daily_store_sales"


@dataclass
class AggregateReport:
    days: list[str]
    weeks: list[int] = field(default_factory=list)
    store_sales_dates: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "business_dates": self.days,
            "weeks": self.weeks,
            "store_sales_dates": self.store_sales_dates,
            "rows": self.rows,
        }


def touched_dates(storage: LakeStorage, days: Sequence[dt.date], name: str) -> set[str]:
    """Business dates whose validated rows the validate runs of ``days`` changed."""
    out: set[str] = set()
    for day in days:
        report = _io.read_json(storage, layout.report(day, "validate")) or {}
        out.update(report.get("datasets", {}).get(name, {}).get("touched_dates", []))
    return out


def read_validated(spark: SparkSession, storage: LakeStorage, name: str, dates=None):
    ds = dataset(name)
    partition = (ds.business_date, dates) if dates is not None else None
    return _io.read_parquet(
        spark, storage, layout.validated_dir(name), validated_schema(ds), partition
    )


def refresh_dimensions(spark: SparkSession, storage: LakeStorage) -> dict[str, int]:
    """Rewrite ``curated/dim_*`` from the current validated dimensions."""
    counts = {}
    for curated, source in contracts().curated_copies().items():
        frame = read_validated(spark, storage, source).select(*dataset(curated).column_names)
        _io.replace_dataset(frame, storage, layout.curated_dir(curated))
        counts[curated] = frame.count()
    return counts


def weekly_for_dates(
    spark: SparkSession, storage: LakeStorage, calendar: DataFrame, fact_dates: set[str]
) -> tuple[DataFrame, list[int]]:
    """The weekly rows of every week holding one of ``fact_dates``, and those weeks.

    Reads the validated partitions of exactly those weeks' days, whatever the history.
    """
    weeks = sorted(
        r[0]
        for r in calendar.filter(F.col("cal_dt").isin(sorted(fact_dates)))
        .select("yr_wk_num")
        .distinct()
        .collect()
    )
    week_days = sorted(
        str(r[0])
        for r in calendar.filter(F.col("yr_wk_num").isin(weeks)).select("cal_dt").collect()
    )
    sales = read_validated(spark, storage, "sales", week_days)
    inventory = read_validated(spark, storage, "inventory", week_days)
    return weekly_metrics(sales, inventory, calendar), weeks


def run(spark: SparkSession, storage: LakeStorage, days: Sequence[dt.date]) -> AggregateReport:
    """Recompute the weeks and days touched by the loads ``days``; each week once."""
    report = AggregateReport([d.isoformat() for d in days])
    for name in (WEEKLY, STORE_SALES, *contracts().curated_copies()):
        contract = dataset(name)
        _io.check_evolution(
            spark, storage, layout.curated_dir(name), contract.spark_schema(), contract.name
        )
    calendar = read_validated(spark, storage, "calendar").cache()
    try:
        fact_dates = touched_dates(storage, days, "sales") | touched_dates(
            storage, days, "inventory"
        )
        if fact_dates:
            weekly, weeks = weekly_for_dates(spark, storage, calendar, fact_dates)
            (week_column,) = dataset(WEEKLY).partition_by
            _io.replace_partitions(
                weekly, storage, layout.curated_dir(WEEKLY), week_column, [str(w) for w in weeks]
            )
            report.weeks = weeks
        store_dates = sorted(touched_dates(storage, days, "store_sales"))
        if store_dates:
            rows = read_validated(spark, storage, "store_sales", store_dates)
            (day_column,) = dataset(STORE_SALES).partition_by
            _io.replace_partitions(
                daily_store_sales(rows),
                storage,
                layout.curated_dir(STORE_SALES),
                day_column,
                store_dates,
            )
            report.store_sales_dates = store_dates
        report.rows = refresh_dimensions(spark, storage)
    finally:
        calendar.unpersist()
    last = max(days)
    _io.write_json(storage, layout.report(last, "aggregate"), report.as_dict())
    return report
