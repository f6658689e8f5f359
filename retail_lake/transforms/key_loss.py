"""How many of a dimension's keys each new snapshot left out: the figure of the key-loss gate.

A dimension keeps every key it ever had (restatement replaces rows, it never drops
keys), so a snapshot that suddenly lacks most stores is not visible in the table;
it is visible here, by comparing each load's keys with the keys the dimension had
before that load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from retail_lake.transforms.rules import LOAD_DATE

_LOAD = "__load"


def key_loss_counts(
    known: DataFrame, valid: DataFrame, key: str, loads: Sequence[str]
) -> DataFrame:
    """Per load: ``had`` (keys known before it) and ``lost`` (of those, absent from it).

    ``known`` is :func:`retail_lake.transforms.rules.reference_keys` of the dimension
    (``__ref_key``, ``__ref_since``: stored keys are known always, a delivered key
    from its first load); ``valid`` holds the valid rows of ``loads``. A load whose
    snapshot has no valid row loses every key. Loads with nothing known before them
    have no row.
    """
    spark = valid.sparkSession
    load_dates = spark.createDataFrame(
        [(dt.date.fromisoformat(load),) for load in loads], f"{_LOAD} date"
    )
    before = known.crossJoin(F.broadcast(load_dates)).filter(F.col("__ref_since") < F.col(_LOAD))
    delivered = (
        valid.select(F.col(LOAD_DATE).alias(_LOAD), F.col(key).alias("__ref_key"))
        .distinct()
        .withColumn("__present", F.lit(True))
    )
    return (
        before.join(delivered, [_LOAD, "__ref_key"], "left")
        .groupBy(F.col(_LOAD).alias(LOAD_DATE))
        .agg(
            F.count("*").alias("had"),
            F.count(F.when(F.col("__present").isNull(), 1)).alias("lost"),
        )
    )
