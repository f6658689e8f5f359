"""Starting a workflow run: the Glue and EMR adapters (the local one is the lead's runner).

A run covers the business dates ``business_date`` .. ``end_date`` (inclusive). Both
AWS starters always send both dates, ``end_date`` equal to ``business_date`` for a
single date (what the completeness check starts):

* Glue: ``glue:StartWorkflowRun`` with the run properties ``business_date`` and
  ``end_date``, which the jobs read from their workflow run;
* EMR: ``states:StartExecution`` with the input
  ``{"business_date": "YYYY-MM-DD", "end_date": "YYYY-MM-DD"}``.

One run per range, never one per date: the Glue workflow allows one concurrent
run, and the jobs process a range in order and aggregate the touched weeks once.
"""

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

On AWS this is :class:`GlueWorkflowStarter` or :class:`StepFunctionsStarter` (which
also take an optional ``end_date``); locally any callable that runs the pipeline for
the date. The check calls it at most once per date (the tracker guards it).
"""


class WorkflowStartError(RuntimeError):
    """Starting the workflow failed; the claim was released so the next check retries."""


def run_dates(business_date: dt.date, end_date: dt.date | None = None) -> dict[str, str]:
    """``{"business_date": A, "end_date": B}``: the run properties / execution input."""
    end = end_date or business_date
    if end < business_date:
        raise ValueError(f"end_date {end} is before business_date {business_date}")
    return {"business_date": business_date.isoformat(), "end_date": end.isoformat()}


class GlueWorkflowStarter:
    """``glue:StartWorkflowRun`` with the run properties ``business_date`` and ``end_date``."""

    def __init__(self, workflow_name: str, boto3_session: boto3.Session | None = None) -> None:
        self.workflow_name = workflow_name
        self._glue = (boto3_session or boto3.Session()).client("glue")

    def __call__(self, business_date: dt.date, end_date: dt.date | None = None) -> str:
        response = self._glue.start_workflow_run(
            Name=self.workflow_name, RunProperties=run_dates(business_date, end_date)
        )
        return response["RunId"]


class StepFunctionsStarter:
    """``states:StartExecution`` of the EMR variant's state machine for a date or range.

    The execution name carries the dates, so Step Functions itself refuses a second
    execution of the same date (or range) with the same name for 90 days.
    """

    def __init__(self, state_machine_arn: str, boto3_session: boto3.Session | None = None) -> None:
        self.state_machine_arn = state_machine_arn
        self._sfn = (boto3_session or boto3.Session()).client("stepfunctions")

    def __call__(self, business_date: dt.date, end_date: dt.date | None = None) -> str:
        dates = run_dates(business_date, end_date)
        if dates["end_date"] == dates["business_date"]:
            name = f"business-date-{dates['business_date']}"
        else:
            name = f"business-dates-{dates['business_date']}-to-{dates['end_date']}"
        response = self._sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(dates)
        )
        return response["executionArn"]


AwsStarter = GlueWorkflowStarter | StepFunctionsStarter


def workflow_starter(settings: Settings, boto3_session: boto3.Session | None = None) -> AwsStarter:
    """The starter for the configured compute platform: Glue workflow or EMR state machine."""
    if settings.platform == "emr":
        if not settings.emr_state_machine_arn:
            raise WorkflowStartError("platform emr needs RETAIL_LAKE_EMR_STATE_MACHINE_ARN")
        return StepFunctionsStarter(settings.emr_state_machine_arn, boto3_session)
    return GlueWorkflowStarter(settings.workflow_name, boto3_session)
