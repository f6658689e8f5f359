"""The EMR variant: a Step Functions state machine that runs the same scripts on EMR Serverless.

Each job step becomes an ``emr-serverless:startJobRun.sync`` task (the execution
waits for the job run), in the definition's order, with the definition's
arguments plus ``--platform emr`` and the dates from the execution input
(``{"business_date": "YYYY-MM-DD", "end_date": "YYYY-MM-DD"}``, ``end_date``
optional: what ``retail-lake run --platform emr`` and the completeness check send). The crawler step starts its crawlers. Every task
retries transient failures and catches everything else into one Fail state that
names the step.

The definition is checked in as ``workflows/daily_emr.asl.json`` with
``${Name}`` placeholders that the template fills through DefinitionSubstitutions.
"""

from __future__ import annotations

import json
import re
from typing import Any

from retail_lake.infra._common import (
    artifact_uri,
    jdbc_jar_key,
    logical,
    placeholders,
    wheel_key,
)
from retail_lake.runner.workflow import Step, Workflow

IS_EMR = "IsEmr"
FAILED = "WorkflowFailed"
DATES = "Dates"
SINGLE_DATE = "SingleDate"
DATE_FIELDS = ("business_date", "end_date")
"""The execution input: ``end_date`` is optional and defaults to ``business_date``."""
_RETRY_TRANSIENT = {
    "ErrorEquals": [
        "EMRServerless.InternalServerException",
        "EMRServerless.ThrottlingException",
        "States.Timeout",
    ],
    "IntervalSeconds": 30,
    "BackoffRate": 2.0,
    "MaxAttempts": 3,
    "JitterStrategy": "FULL",
}


def substitution_key(placeholder: str) -> str:
    """``AWS::Region`` -> ``AwsRegion``: DefinitionSubstitutions keys are plain names."""
    return re.sub(r"[^A-Za-z0-9_]", "", placeholder.replace("AWS::", "Aws"))


def _asl_text(value: str) -> str:
    """Rewrite ``${AWS::Region}`` style placeholders into substitution keys."""
    return re.sub(
        r"\$\{([A-Za-z0-9_:]+)\}", lambda m: "${" + substitution_key(m.group(1)) + "}", value
    )


_SPLIT = re.compile(r"(\$\{[A-Za-z0-9_]+\})")


def _intrinsic_literal(value: str) -> str:
    """A string literal inside ``States.Array(...)``: escape what the grammar reserves.

    ``${Name}`` placeholders stay as they are: CloudFormation replaces them before
    Step Functions parses the intrinsic, so their braces never reach the parser.
    """
    parts = _SPLIT.split(value)
    escaped = [p if _SPLIT.fullmatch(p) else re.sub(r"([\\'{}])", r"\\\1", p) for p in parts]
    return "'" + "".join(escaped) + "'"


def entry_point_arguments(workflow: Workflow, step: Step) -> str:
    """``States.Array(...)`` of ``--name value`` pairs plus the dates from the input."""
    args = {**workflow.job_arguments(step), "platform": "emr"}
    parts: list[str] = []
    for name, value in args.items():
        parts += [_intrinsic_literal(f"--{name}"), _intrinsic_literal(_asl_text(value))]
    for name in DATE_FIELDS:
        parts += [_intrinsic_literal(f"--{name}"), f"$.{name}"]
    return "States.Array(" + ", ".join(parts) + ")"


def emr_python(workflow: Workflow) -> str:
    """The interpreter the EMR image provides for the jobs (``[compute] emr_python``)."""
    return str(workflow.compute.get("emr_python", "/usr/bin/python3.11"))


def spark_submit_parameters(workflow: Workflow, step: Step) -> str:
    """Python, wheel and driver jar of a job run; the Spark settings stay the job's.

    EMR Serverless 7.x images run Python 3.9 unless told otherwise; the custom image
    (``cloudformation/emr_image/Dockerfile``) adds Python 3.11 and the job's modules,
    and these settings make the driver and the executors use it.
    """
    python = emr_python(workflow)
    parts = [
        f"--conf spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON={python}",
        f"--conf spark.emr-serverless.driverEnv.PYSPARK_PYTHON={python}",
        f"--conf spark.executorEnv.PYSPARK_PYTHON={python}",
        f"--py-files {artifact_uri(wheel_key())}",
    ]
    if step.needs_connection:
        parts.append(f"--jars {artifact_uri(jdbc_jar_key())}")
    return " ".join(parts)


def _job_state(workflow: Workflow, step: Step, following: str | None) -> dict[str, Any]:
    role = "${EmrJdbcJobRoleArn}" if step.needs_connection else "${EmrJobRoleArn}"
    state: dict[str, Any] = {
        "Type": "Task",
        "Comment": step.description,
        "Resource": "arn:aws:states:::emr-serverless:startJobRun.sync",
        "Parameters": {
            "ApplicationId": "${EmrApplicationId}",
            "ExecutionRoleArn": role,
            "Name.$": f"States.Format('{step.name}-{{}}', $.business_date)",
            "JobDriver": {
                "SparkSubmit": {
                    "EntryPoint": artifact_uri(step.script or ""),
                    "EntryPointArguments.$": entry_point_arguments(workflow, step),
                    "SparkSubmitParameters": spark_submit_parameters(workflow, step),
                }
            },
            "ConfigurationOverrides": {
                "MonitoringConfiguration": {
                    "S3MonitoringConfiguration": {"LogUri": "s3://${LakeBucket}/_control/emr-logs/"}
                }
            },
        },
        "ResultPath": None,
    }
    return _with_error_handling(state, following)


def _crawler_state(step: Step, following: str | None) -> dict[str, Any]:
    """Start every crawler of the step in parallel; a running crawler is not an error."""
    branches = []
    for crawler in step.crawlers:
        name = logical("Start", crawler)
        task = _with_error_handling(
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler",
                "Parameters": {"Name": "${SystemName}-" + crawler},
                "ResultPath": None,
            },
            None,
            catch_to=None,
        )
        task["Catch"] = [
            {
                "ErrorEquals": ["Glue.CrawlerRunningException"],
                "ResultPath": None,
                "Next": logical("Running", crawler),
            }
        ]
        branches.append(
            {
                "StartAt": name,
                "States": {
                    name: task,
                    logical("Running", crawler): {
                        "Type": "Pass",
                        "Comment": "Already crawling: the running crawl picks up the new data.",
                        "End": True,
                    },
                },
            }
        )
    state: dict[str, Any] = {
        "Type": "Parallel",
        "Comment": step.description,
        "Branches": branches,
        "ResultPath": None,
    }
    return _with_error_handling(state, following, retry=False)


def _with_error_handling(
    state: dict[str, Any],
    following: str | None,
    *,
    catch_to: str | None = FAILED,
    retry: bool = True,
) -> dict[str, Any]:
    if retry:
        state["Retry"] = [dict(_RETRY_TRANSIENT)]
        if state.get("Resource", "").startswith("arn:aws:states:::aws-sdk:glue"):
            state["Retry"] = [
                {
                    "ErrorEquals": ["Glue.OperationTimeoutException", "Glue.ThrottlingException"],
                    "IntervalSeconds": 5,
                    "BackoffRate": 2.0,
                    "MaxAttempts": 3,
                    "JitterStrategy": "FULL",
                }
            ]
    if catch_to:
        state["Catch"] = [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": catch_to}
        ]
    if following is None:
        state["End"] = True
    else:
        state["Next"] = following
    return state


def state_machine_definition(workflow: Workflow) -> dict[str, Any]:
    """The ASL of the EMR variant, steps in ``workflow.ordered()`` order."""
    ordered = workflow.ordered()
    states: dict[str, Any] = {}
    for index, step in enumerate(ordered):
        following = ordered[index + 1].name if index + 1 < len(ordered) else None
        if step.kind == "job":
            states[step.name] = _job_state(workflow, step, following)
        else:
            states[step.name] = _crawler_state(step, following)
    first = ordered[0].name
    states[DATES] = {
        "Type": "Choice",
        "Comment": "A run covers business_date..end_date; without end_date, one date.",
        "Choices": [{"Variable": "$.end_date", "IsPresent": True, "Next": first}],
        "Default": SINGLE_DATE,
    }
    states[SINGLE_DATE] = {
        "Type": "Pass",
        "Parameters": {"business_date.$": "$.business_date", "end_date.$": "$.business_date"},
        "Next": first,
    }
    states[FAILED] = {
        "Type": "Fail",
        "Comment": "A step failed after its retries; $.error has the step's error and cause.",
        "ErrorPath": "$.error.Error",
        "CausePath": "$.error.Cause",
    }
    return {
        "Comment": (
            f"{workflow.description} EMR Serverless variant of workflows/daily.toml, "
            "generated by `python -m retail_lake.infra --write`; input: "
            '{"business_date": "YYYY-MM-DD", "end_date": "YYYY-MM-DD" (optional)}.'
        ),
        "StartAt": DATES,
        "States": states,
    }


def definition_substitutions(definition: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation values for every placeholder of the definition."""
    values: dict[str, Any] = {
        "EmrApplicationId": {"Ref": "EmrApplication"},
        "EmrJobRoleArn": {"Fn::GetAtt": ["EmrJobRole", "Arn"]},
        "EmrJdbcJobRoleArn": {"Fn::GetAtt": ["EmrJdbcJobRole", "Arn"]},
        "AwsRegion": {"Ref": "AWS::Region"},
    }
    out = {}
    for key in sorted(placeholders(json.dumps(definition))):
        out[key] = values.get(key, {"Ref": key})
    return out


def render_asl(definition: dict[str, Any]) -> str:
    return json.dumps(definition, indent=2) + "\n"
