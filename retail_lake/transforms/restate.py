"""Restatement: a key delivered again in a later load replaces the earlier row (DESIGN §6)."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from retail_lake.transforms.rules import LOAD_DATE


def merge_restated(
    existing: DataFrame, incoming: DataFrame, key: Sequence[str], load_date: str
) -> DataFrame:
    """The current rows after applying the load ``load_date`` to ``existing``.

    Rows that an earlier run of the same load wrote are dropped first, so rerunning a
    date gives the same result; then each key keeps the row of its latest load. A
    rerun of an older load therefore never overrides a newer restatement.
    """
    kept = existing.filter(F.col(LOAD_DATE) != F.lit(load_date).cast("date"))
    combined = kept.unionByName(incoming)
    latest = Window.partitionBy(*key).orderBy(F.col(LOAD_DATE).desc())
    return (
        combined.withColumn("__rank", F.row_number().over(latest))
        .filter(F.col("__rank") == 1)
        .drop("__rank")
    )
