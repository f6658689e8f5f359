"""The workflow's extract step: fill raw/ for a business date from the configured source.

``--source mysql`` extracts the five retail tables from MySQL/RDS; the franchise
files only ever arrive in landing/, so they are ingested from there either way.
``--source files`` ingests every landing CSV. The Glue script and the local runner
both call :func:`run`, so the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import SparkSession

from retail_lake.config import Settings
from retail_lake.jobs import ingest
from retail_lake.storage import LakeStorage
from retail_lake.tracker import Tracker


def run(
    spark: SparkSession,
    storage: LakeStorage,
    settings: Settings,
    day: dt.date,
    *,
    tracker: Tracker | None = None,
):
    if settings.source != "mysql":
        return ingest.run(spark, storage, day)
    from retail_lake.jobs import extract

    report = extract.run(spark, storage, settings, day, tracker=tracker)
    ingest.run(spark, storage, day, datasets=ingest.FILE_ONLY_DATASETS)
    return report
