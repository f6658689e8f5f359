"""Restatement: a key delivered again in a later load replaces the earlier row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from retail_lake.transforms.rules import LOAD_DATE


def merge_restated(
    existing: DataFrame, incoming: DataFrame, key: Sequence[str], load_dates: Iterable[str]
) -> DataFrame:
    """The current rows after applying the loads ``load_dates`` to ``existing``.

    Rows that an earlier run of the same loads wrote are dropped first, so rerunning
    them gives the same result; then each key keeps the row of its latest load. A
    rerun of older loads therefore never overrides a newer restatement, and several
    loads applied together give what applying them one by one would.
    """
    reloaded = [F.lit(d).cast("date") for d in sorted(set(load_dates))]
    kept = existing.filter(~F.col(LOAD_DATE).isin(*reloaded))
    combined = kept.unionByName(incoming)
    latest = Window.partitionBy(*key).orderBy(F.col(LOAD_DATE).desc())
    return (
        combined.withColumn("__rank", F.row_number().over(latest))
        .filter(F.col("__rank") == 1)
        .drop("__rank")
    )
