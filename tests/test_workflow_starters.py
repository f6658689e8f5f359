"""The workflow starters the completeness check and `run --platform` use, on moto."""

from __future__ import annotations

import datetime as dt
import json

from retail_lake.completeness import GlueWorkflowStarter, StepFunctionsStarter, workflow_starter
from retail_lake.config import build_settings

DAY = dt.date(2026, 1, 5)


def test_emr_platform_starts_the_state_machine_with_the_business_date(aws):
    iam = aws.client("iam")
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    sfn = aws.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="daily-emr",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn=role,
    )["stateMachineArn"]
    settings = build_settings(
        {"lake": "s3://lake/retail", "platform": "emr", "emr_state_machine_arn": arn}, env={}
    )
    starter = workflow_starter(settings, aws)
    assert isinstance(starter, StepFunctionsStarter)
    execution = starter(DAY)
    described = sfn.describe_execution(executionArn=execution)
    assert json.loads(described["input"]) == {"business_date": "2026-01-05"}
    assert described["name"] == "business-date-2026-01-05"


def test_glue_platform_starts_the_workflow_with_the_run_property(aws):
    glue = aws.client("glue")
    glue.create_workflow(Name="retail-lake-daily")
    settings = build_settings({"lake": "s3://lake/retail", "platform": "glue"}, env={})
    starter = workflow_starter(settings, aws)
    assert isinstance(starter, GlueWorkflowStarter)
    run_id = starter(DAY)
    properties = glue.get_workflow_run_properties(Name="retail-lake-daily", RunId=run_id)
    assert properties["RunProperties"] == {"business_date": "2026-01-05"}
