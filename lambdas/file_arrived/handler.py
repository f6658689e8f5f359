"""Lambda: record a file that reached the lake (EventBridge S3 "Object Created").

Configuration comes from ``RETAIL_LAKE_*`` environment variables (``RETAIL_LAKE_LAKE``,
``RETAIL_LAKE_TRACKER_TABLE``, ...) through :func:`retail_lake.config.build_settings`.
"""

from __future__ import annotations

import logging
from typing import Any

import boto3

from retail_lake.completeness import file_arrived
from retail_lake.config import build_settings
from retail_lake.contracts import contracts
from retail_lake.tracker import open_tracker

logging.getLogger().setLevel(logging.INFO)
log = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = build_settings()
    log.info("retail-lake contracts version %s", contracts().version)
    tracker = open_tracker(settings, boto3.Session(region_name=settings.region))
    return file_arrived(event, tracker, lake=settings.lake).to_dict()
