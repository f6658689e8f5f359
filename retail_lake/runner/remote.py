"""Starting the daily workflow on AWS for business dates (``run --platform glue|emr``).

Locally the runner executes the steps itself; on AWS the same definition is deployed
as a Glue Workflow or an EMR state machine, and ONE run is started for the whole
range ``start .. end`` (run properties / execution input ``business_date`` and
``end_date``), through the same starters the completeness check uses. One run, not
one per date: the Glue workflow allows a single concurrent run, and the jobs
process the dates in order and aggregate the touched weeks once.
"""

from __future__ import annotations

import datetime as dt

from retail_lake.completeness import workflow_starter
from retail_lake.config import ConfigError, Settings


def start_remote_run(
    settings: Settings, start: dt.date, end: dt.date | None = None, boto3_session=None
) -> str:
    """Start one workflow run covering ``start`` .. ``end``; returns its run id / execution ARN."""
    import boto3

    if settings.platform not in ("glue", "emr"):
        raise ConfigError("remote runs need --platform glue or emr")
    if end is not None and end < start:
        raise ConfigError(f"--end-date {end} is before --start-date {start}")
    session = boto3_session or boto3.Session(region_name=settings.region)
    return workflow_starter(settings, session)(start, end)
