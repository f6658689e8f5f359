"""The workflow's extract step: fill raw/ for a range of business dates from the source.

``--source mysql`` extracts the five retail tables from MySQL/RDS, one load per
business date in date order (each load's window starts at the watermark the
previous one committed); the franchise files only ever arrive in landing/, so they
are ingested from there either way. ``--source files`` ingests every landing CSV of
the range in one pass. The Glue script and the local runner both call :func:`run`,
so the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession

from retail_lake.config import Settings
from retail_lake.jobs import extract_files, extract_mysql
from retail_lake.source_db import SourceDatabase
from retail_lake.storage import LakeStorage
from retail_lake.tracker import Tracker


@dataclass
class ExtractRun:
    """What the step did over its range: the ingest of landing files (its file half),
    and per-date MySQL extractions when the retail tables come from the database."""

    ingested: extract_files.IngestRun
    extracted: list[Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ingest": self.ingested.as_dict(),
            "extract": [report.as_dict() for report in self.extracted],
        }


def run(
    spark: SparkSession,
    storage: LakeStorage,
    settings: Settings,
    days: Sequence[dt.date],
    *,
    tracker: Tracker,
    source: Callable[[], SourceDatabase],
) -> ExtractRun:
    """Fill raw/ for ``days``; ``source`` is called only when the tables come from MySQL.

    ``source`` resolves the database on demand because resolving it reads a secret
    and a Glue connection, which a ``--source files`` run has neither the arguments
    nor the permissions for.
    """
    days = sorted(set(days))
    if settings.source != "mysql":
        return ExtractRun(extract_files.run(spark, storage, days), [])
    database = source()
    extracted = [
        extract_mysql.run(spark, storage, settings, day, tracker=tracker, source=database)
        for day in days
    ]
    files = extract_files.run(spark, storage, days, datasets=extract_files.FILE_ONLY_DATASETS)
    return ExtractRun(files, extracted)
