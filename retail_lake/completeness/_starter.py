"""Starting a date's workflow run: the Glue adapter (the local one is the lead's runner)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import boto3

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
