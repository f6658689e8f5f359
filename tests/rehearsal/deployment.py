"""``retail-lake deploy`` against the emulated AWS, with CloudFormation played for the root stack.

``deploy()`` runs unchanged: it builds nothing new (the wheel is given, as with
``--wheel``), creates the bootstrap stack through moto's CloudFormation, uploads
every artifact and creates the root stack. moto's CloudFormation cannot create the
Glue jobs, workflow, triggers and the rest of the nested stacks, so the root stack's
CloudFormation client is :class:`PlayedCloudFormation`: it reads the uploaded
templates back from S3 and creates their resources through the service APIs
(:mod:`tests.rehearsal.aws_side`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from tests.rehearsal.aws_side import create_stack
from tests.rehearsal.cfn import Stack, parse_template


def _template_from_url(session, url: str) -> dict[str, Any]:
    """``https://<bucket>.s3.<region>.amazonaws.com/<key>`` read back from moto S3."""
    parts = urlsplit(url)
    bucket = parts.netloc.split(".s3.", 1)[0]
    body = session.client("s3").get_object(Bucket=bucket, Key=parts.path.lstrip("/"))
    return parse_template(body["Body"].read().decode("utf-8"), url)


class _NoWait:
    def wait(self, **_: Any) -> None:
        """Creation is synchronous here."""


class PlayedCloudFormation:
    """The CloudFormation calls ``deploy()`` makes for the root stack, played on moto."""

    def __init__(self, session) -> None:
        self.session = session
        self.stacks: dict[str, Stack] = {}
        self.created: dict[str, list[str]] = {}

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        stack = self.stacks.get(StackName)
        if stack is None:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ValidationError",
                        "Message": f"Stack {StackName} does not exist",
                    }
                },
                "DescribeStacks",
            )
        outputs = [{"OutputKey": k, "OutputValue": str(v)} for k, v in stack.outputs().items()]
        parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in stack.parameters.items()]
        return {
            "Stacks": [
                {
                    "StackName": StackName,
                    "StackStatus": "CREATE_COMPLETE",
                    "Parameters": parameters,
                    "Outputs": outputs,
                }
            ]
        }

    def create_stack(self, StackName: str, Parameters: list, TemplateURL: str, **_: Any) -> None:
        values = {p["ParameterKey"]: p["ParameterValue"] for p in Parameters}

        def nested(logical: str, parameters: dict[str, str]) -> Stack:
            url = root.value(root.template["Resources"][logical]["Properties"]["TemplateURL"])
            return Stack(
                f"{StackName}-{logical}", _template_from_url(self.session, url), parameters
            )

        root = Stack(StackName, _template_from_url(self.session, TemplateURL), values, nested)
        self.created = create_stack(self.session, root)
        self.stacks[StackName] = root

    def update_stack(self, **_: Any) -> None:
        raise NotImplementedError("the rehearsal deploys each stack once")

    def get_waiter(self, name: str) -> _NoWait:
        return _NoWait()


@dataclass
class Deployed:
    root: Stack
    bucket: str
    prefix: str
    outputs: dict[str, str]
    parameters: dict[str, str]
    created: dict[str, list[str]]

    @property
    def lake_bucket(self) -> str:
        return self.parameters["LakeBucketName"]

    def function(self, logical: str) -> tuple[tuple[str, str], dict[str, str]]:
        """(S3 bucket and key of the code, environment variables) of a Lambda function."""
        props = self.root.resources("AWS::Lambda::Function")[logical]
        code = props["Code"]
        return (code["S3Bucket"], code["S3Key"]), dict(props["Environment"]["Variables"])

    def rule_input(self, logical: str) -> str | None:
        rule = self.root.resources("AWS::Events::Rule").get(logical)
        if rule is None:
            return None
        return rule["Targets"][0].get("Input")


def deploy_played(
    session,
    *,
    platform: str,
    wheel: Path,
    parameters: dict[str, str],
    stack: str = "retail-lake",
    bucket: str = "retail-lake-artifacts",
) -> Deployed:
    """Run ``retail_lake.deploy.deploy`` with the root stack played (see the module docstring)."""
    from retail_lake.deploy import deploy

    cloudformation = PlayedCloudFormation(session)
    result = deploy(
        stack,
        bucket,
        platform,
        session,
        lake_bucket=f"{stack}-lake",
        parameters=parameters,
        wheel=wheel,
        root_cloudformation=cloudformation,
    )
    return Deployed(
        root=cloudformation.stacks[stack],
        bucket=bucket,
        prefix=result.prefix,
        outputs=result.outputs,
        parameters=result.parameters,
        created=cloudformation.created,
    )
