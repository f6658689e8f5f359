"""Lambda: is a business date complete? Alert by SES, or start its workflow run once
(the Glue workflow, or the EMR state machine with ``RETAIL_LAKE_PLATFORM=emr``).

Run by EventBridge schedules: the two completeness checks (03:00 and 03:30 UTC) and,
with ``Source=mysql``, the MySQL run schedule (02:00 UTC by default), because then
no retail file arrives whose check could start the date. Each delivers a "Scheduled Event"
(``{"source": "aws.events", "detail-type": "Scheduled Event", "time": ...}``). The
date is ``detail.business_date`` if given, else the day before the event time
(UTC): a schedule firing on the 5th checks the 4th. Whichever invocation finds the
date complete first starts it, once (the tracker's claim); the others answer
``already_started``. ``detail.next_check_time`` (ISO-8601) goes into the alert.
Configuration comes from ``RETAIL_LAKE_*`` environment variables through
:func:`retail_lake.config.build_settings` (``RETAIL_LAKE_SOURCE`` decides which files
are expected).
"""

from __future__ import annotations

import logging
from typing import Any

import boto3

from retail_lake.completeness import (
    business_date_from_event,
    next_check_from_event,
    run_check,
    workflow_starter,
)
from retail_lake.config import build_settings
from retail_lake.contracts.publish import check_published
from retail_lake.tracker import open_tracker

logging.getLogger().setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    settings = build_settings()
    session = boto3.Session(region_name=settings.region)
    tracker = open_tracker(settings, session)
    check_published(tracker)  # logs the contract version; fails on a mismatch
    result = run_check(
        settings,
        business_date_from_event(event),
        workflow_starter(settings, session),
        boto3_session=session,
        tracker=tracker,
        next_check_time=next_check_from_event(event),
    )
    return result.to_dict()
