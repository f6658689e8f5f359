"""Starting a date's workflow run: the Glue adapter (the local one is the lead's runner)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from retail_lake.config import Settings

WorkflowStarter = Callable[[dt.date], "str | None"]
"""Starts the workflow for a business date; returns the run id if there is one.

On AWS this is :class:`GlueWorkflowStarter`; locally any callable that runs the
pipeline for the date. It is called at most once per date (the tracker guards it).
"""


class WorkflowStartError(RuntimeError):
    """Starting the workflow failed; the claim was released so the next check retries."""


class GlueWorkflowStarter:
    """``glue:StartWorkflowRun`` with the run property ``business_date``."""

    def __init__(self, workflow_name: str, boto3_session: boto3.Session | None = None) -> None:
        self.workflow_name = workflow_name
        self._glue = (boto3_session or boto3.Session()).client("glue")

    def __call__(self, business_date: dt.date) -> str:
        response = self._glue.start_workflow_run(
            Name=self.workflow_name,
            RunProperties={"business_date": business_date.isoformat()},
        )
        return response["RunId"]


class StepFunctionsStarter:
    """``states:StartExecution`` of the EMR variant's state machine with ``business_date``.

    The execution name carries the date, so Step Functions itself refuses a second
    execution of the same date with the same name for 90 days.
    """

    def __init__(self, state_machine_arn: str, boto3_session: boto3.Session | None = None) -> None:
        self.state_machine_arn = state_machine_arn
        self._sfn = (boto3_session or boto3.Session()).client("stepfunctions")

    def __call__(self, business_date: dt.date) -> str:
        response = self._sfn.start_execution(
            stateMachineArn=self.state_machine_arn,
            name=f"business-date-{business_date.isoformat()}",
            input=json.dumps({"business_date": business_date.isoformat()}),
        )
        return response["executionArn"]


def workflow_starter(
    settings: Settings, boto3_session: boto3.Session | None = None
) -> WorkflowStarter:
    """The starter for the configured compute platform: Glue workflow or EMR state machine."""
    if settings.platform == "emr":
        if not settings.emr_state_machine_arn:
            raise WorkflowStartError("platform emr needs RETAIL_LAKE_EMR_STATE_MACHINE_ARN")
        return StepFunctionsStarter(settings.emr_state_machine_arn, boto3_session)
    return GlueWorkflowStarter(settings.workflow_name, boto3_session)
