"""Starting the daily workflow on AWS for business dates (``run --platform glue|emr``).

Locally the runner executes the steps itself; on AWS the same definition is deployed
as a Glue Workflow or an EMR state machine, and a run is started per business date
with ``business_date`` as its parameter, exactly as the completeness check does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from retail_lake.config import ConfigError, Settings


def start_remote_runs(settings: Settings, days: Sequence[dt.date], boto3_session=None) -> list[str]:
    """Start one workflow run per date; returns the run ids / execution ARNs."""
    import boto3

    session = boto3_session or boto3.Session(region_name=settings.region)
    started = []
    if settings.platform == "glue":
        glue = session.client("glue")
        for day in days:
            response = glue.start_workflow_run(
                Name=settings.workflow_name, RunProperties={"business_date": day.isoformat()}
            )
            started.append(response["RunId"])
    elif settings.platform == "emr":
        if not settings.emr_state_machine_arn:
            raise ConfigError("--platform emr needs RETAIL_LAKE_EMR_STATE_MACHINE_ARN")
        sfn = session.client("stepfunctions")
        for day in days:
            response = sfn.start_execution(
                stateMachineArn=settings.emr_state_machine_arn,
                name=f"{settings.workflow_name}-{day.isoformat()}-{dt.datetime.now(dt.UTC):%H%M%S}",
                input=json.dumps({"business_date": day.isoformat(), "lake": settings.lake}),
            )
            started.append(response["executionArn"])
    else:
        raise ConfigError("remote runs need --platform glue or emr")
    return started
