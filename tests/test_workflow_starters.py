"""The workflow starters the completeness check and `run --platform` use, on moto.

A run covers ``business_date`` .. ``end_date``: the completeness check starts one
date (``end_date`` equal), ``retail-lake run --platform glue|emr --start-date A
--end-date B`` one run for the whole range.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from retail_lake.completeness import GlueWorkflowStarter, StepFunctionsStarter, workflow_starter
from retail_lake.config import ConfigError, build_settings
from retail_lake.runner.remote import start_remote_run
from tests.aws_readback import glue_runs

DAY = dt.date(2026, 1, 5)
END = dt.date(2026, 1, 11)
WORKFLOW = "retail-lake-daily"


@pytest.fixture
def state_machine(aws) -> str:
    iam = aws.client("iam")
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    return aws.client("stepfunctions").create_state_machine(
        name="daily-emr",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn=role,
    )["stateMachineArn"]


def _emr(arn: str):
    return build_settings(
        {"lake": "s3://lake/retail", "platform": "emr", "emr_state_machine_arn": arn}, env={}
    )


def _glue(aws):
    aws.client("glue").create_workflow(Name=WORKFLOW)
    return build_settings({"lake": "s3://lake/retail", "platform": "glue"}, env={})


def _executions(aws, arn: str) -> list[tuple[str, dict]]:
    sfn = aws.client("stepfunctions")
    return [
        (e["name"], json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]))
        for e in sfn.list_executions(stateMachineArn=arn)["executions"]
    ]


def test_emr_platform_starts_the_state_machine_with_the_business_date(aws, state_machine):
    starter = workflow_starter(_emr(state_machine), aws)
    assert (type(starter), starter.state_machine_arn) == (StepFunctionsStarter, state_machine)
    execution = starter(DAY)
    described = aws.client("stepfunctions").describe_execution(executionArn=execution)
    # end_date is always there: a Step Functions path cannot read an absent key
    assert json.loads(described["input"]) == {
        "business_date": "2026-01-05",
        "end_date": "2026-01-05",
    }
    assert described["name"] == "business-date-2026-01-05"


def test_glue_platform_starts_the_workflow_with_the_run_properties(aws):
    settings = _glue(aws)
    starter = workflow_starter(settings, aws)
    assert (type(starter), starter.workflow_name) == (GlueWorkflowStarter, WORKFLOW)
    run_id = starter(DAY)
    properties = aws.client("glue").get_workflow_run_properties(Name=WORKFLOW, RunId=run_id)
    assert properties["RunProperties"] == {"business_date": "2026-01-05", "end_date": "2026-01-05"}


def test_a_date_range_on_glue_is_one_workflow_run(aws):
    settings = _glue(aws)
    run_id = start_remote_run(settings, DAY, END, aws)
    assert glue_runs(aws, WORKFLOW) == [{"business_date": "2026-01-05", "end_date": "2026-01-11"}]
    properties = aws.client("glue").get_workflow_run_properties(Name=WORKFLOW, RunId=run_id)
    assert properties["RunProperties"]["end_date"] == "2026-01-11"


def test_a_date_range_on_emr_is_one_execution(aws, state_machine):
    arn = start_remote_run(_emr(state_machine), DAY, END, aws)
    assert _executions(aws, state_machine) == [
        (
            "business-dates-2026-01-05-to-2026-01-11",
            {"business_date": "2026-01-05", "end_date": "2026-01-11"},
        )
    ]
    assert arn.endswith(":business-dates-2026-01-05-to-2026-01-11")


def test_a_remote_run_of_one_date_covers_that_date(aws, state_machine):
    start_remote_run(_emr(state_machine), DAY, None, aws)
    assert _executions(aws, state_machine) == [
        ("business-date-2026-01-05", {"business_date": "2026-01-05", "end_date": "2026-01-05"})
    ]


def test_a_reversed_range_is_refused_before_anything_starts(aws):
    settings = _glue(aws)
    with pytest.raises(ConfigError, match="before --start-date"):
        start_remote_run(settings, END, DAY, aws)
    assert glue_runs(aws, WORKFLOW) == []
    local = build_settings({"lake": "/tmp/lake"}, env={})
    with pytest.raises(ConfigError, match="glue or emr"):
        start_remote_run(local, DAY, END, aws)


def test_run_command_on_glue_starts_one_run_for_the_range(aws):
    from typer.testing import CliRunner

    from retail_lake.cli import app

    _glue(aws)
    args = ["run", "--lake", "s3://lake/retail", "--platform", "glue"]
    result = CliRunner().invoke(
        app, [*args, "--start-date", "2026-01-05", "--end-date", "2026-01-11"]
    )
    assert result.exit_code == 0, result.output
    assert "2026-01-05..2026-01-11" in result.output
    assert glue_runs(aws, WORKFLOW) == [{"business_date": "2026-01-05", "end_date": "2026-01-11"}]
