"""Starting the daily workflow on AWS for business dates (``run --platform glue|emr``).

Locally the runner executes the steps itself; on AWS the same definition is deployed
as a Glue Workflow or an EMR state machine, and a run is started per business date
with ``business_date`` as its parameter, through the same starters the completeness
check uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from retail_lake.completeness import workflow_starter
from retail_lake.config import ConfigError, Settings


def start_remote_runs(settings: Settings, days: Sequence[dt.date], boto3_session=None) -> list[str]:
    """Start one workflow run per date; returns the run ids / execution ARNs."""
    import boto3

    if settings.platform not in ("glue", "emr"):
        raise ConfigError("remote runs need --platform glue or emr")
    start = workflow_starter(settings, boto3_session or boto3.Session(region_name=settings.region))
    return [start(day) or "" for day in days]
