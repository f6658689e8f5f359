"""Tracker port: file arrivals, job runs, watermarks, workflow starts, contract metadata.

:func:`open_tracker` is the one wiring point: ``settings.tracker`` picks DynamoDB
(``aws``) or the SQLite file in the lake's ``_control/`` folder (``local``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from retail_lake.tracker._dynamodb import DynamoDBTracker, create_dynamodb_tables
from retail_lake.tracker._model import (
    FileRecord,
    JobRun,
    PublishedContract,
    RecordOutcome,
    Tracker,
    TrackerError,
    WatermarkConflictError,
    WorkflowStart,
)
from retail_lake.tracker._sqlite import SQLiteTracker

if TYPE_CHECKING:
    import boto3

    from retail_lake.config import Settings


def open_tracker(settings: Settings, boto3_session: boto3.Session | None = None) -> Tracker:
    """The tracker adapter chosen by ``settings.tracker``."""
    if settings.tracker == "aws":
        if boto3_session is None:
            import boto3

            boto3_session = boto3.Session(region_name=settings.region)
        return DynamoDBTracker(settings.tracker_table, settings.metadata_table, boto3_session)
    if settings.on_s3:
        raise TrackerError(
            f"the local tracker needs a local lake, got {settings.lake}; use --tracker aws"
        )
    from retail_lake.storage import layout

    return SQLiteTracker(os.path.join(settings.lake, layout.tracker_db()))


__all__ = [
    "DynamoDBTracker",
    "FileRecord",
    "JobRun",
    "PublishedContract",
    "RecordOutcome",
    "SQLiteTracker",
    "Tracker",
    "TrackerError",
    "WatermarkConflictError",
    "WorkflowStart",
    "create_dynamodb_tables",
    "open_tracker",
]
