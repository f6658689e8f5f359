"""The Glue variant of the daily workflow: jobs, the workflow, its triggers.

One ``AWS::Glue::Job`` per job step and one trigger per step: the steps without
predecessors hang off an ON_DEMAND start trigger (``glue:StartWorkflowRun`` fires
it, which is what the completeness check calls), every other step off a
CONDITIONAL trigger that waits for all its predecessors to reach SUCCEEDED.
Arguments are the definition's, so a Glue job gets exactly what the local runner
and the EMR job runs get, plus the Glue-only plumbing below.
"""

from __future__ import annotations

from typing import Any

from retail_lake.infra._common import (
    artifact_uri,
    jdbc_jar_key,
    job_modules,
    logical,
    sub,
    wheel_key,
)
from retail_lake.runner.workflow import Step, Workflow

IS_GLUE = "IsGlue"
HAS_CONNECTION = "HasJdbcConnection"
WORKFLOW_ID = "DailyWorkflow"
JOB_ROLE = "GlueJobRole"
JDBC_JOB_ROLE = "GlueJdbcJobRole"


def job_name(step: Step) -> str:
    return "${SystemName}-" + step.name


def crawler_name(crawler: str) -> str:
    return "${SystemName}-" + crawler


def workflow_name() -> str:
    return "${SystemName}-daily"


def job_logical_id(step: Step) -> str:
    return logical("Job", step.name)


def glue_arguments(workflow: Workflow, step: Step) -> dict[str, str]:
    """``DefaultArguments`` of a job step as ``Fn::Sub`` bodies (``--name`` keys).

    The definition's arguments come first and unchanged; the rest is how Glue runs
    the library: the wheel, the pinned third-party modules, the JDBC driver for the
    steps that read the database, no job bookmarks (watermarks live in the
    tracker), metrics and continuous logs.
    """
    modules = job_modules(workflow.compute)
    args = {f"--{k}": v for k, v in workflow.job_arguments(step).items()}
    args.update(
        {
            "--platform": "glue",
            "--extra-py-files": artifact_uri(wheel_key()),
            "--job-bookmark-option": "job-bookmark-disable",
            "--job-language": "python",
            "--enable-metrics": "true",
            "--enable-continuous-cloudwatch-log": "true",
            "--enable-glue-datacatalog": "true",
            "--TempDir": "s3://${LakeBucket}/_control/glue-temp/",
        }
    )
    if modules:
        args["--additional-python-modules"] = ",".join(modules)
    if step.needs_connection:
        args["--extra-jars"] = artifact_uri(jdbc_jar_key())
    return args


def job_resource(workflow: Workflow, step: Step) -> dict[str, Any]:
    compute = workflow.compute
    props: dict[str, Any] = {
        "Name": sub(job_name(step)),
        "Description": step.description,
        "Role": {"Fn::GetAtt": [JDBC_JOB_ROLE if step.needs_connection else JOB_ROLE, "Arn"]},
        "GlueVersion": str(compute.get("glue_version", "5.0")),
        "Command": {
            "Name": "glueetl",
            "PythonVersion": "3",
            "ScriptLocation": sub(artifact_uri(step.script or "")),
        },
        "WorkerType": compute.get("worker_type", "G.1X"),
        "NumberOfWorkers": int(compute.get("workers", 2)),  # type: ignore[arg-type]
        "Timeout": int(compute.get("timeout_minutes", 60)),  # type: ignore[arg-type]
        "MaxRetries": 0,
        "ExecutionProperty": {"MaxConcurrentRuns": 1},
        "SecurityConfiguration": {"Ref": "GlueSecurityConfiguration"},
        "DefaultArguments": {k: sub(v) for k, v in glue_arguments(workflow, step).items()},
    }
    if step.needs_connection:
        props["Connections"] = {
            "Fn::If": [
                HAS_CONNECTION,
                {"Connections": [{"Ref": "GlueConnection"}]},
                {"Ref": "AWS::NoValue"},
            ]
        }
    return {"Type": "AWS::Glue::Job", "Condition": IS_GLUE, "Properties": props}


def _conditions(workflow: Workflow, step: Step) -> list[dict[str, Any]]:
    out = []
    for name in step.after:
        before = workflow.step(name)
        if before.kind == "job":
            out.append(
                {
                    "LogicalOperator": "EQUALS",
                    "JobName": {"Ref": job_logical_id(before)},
                    "State": "SUCCEEDED",
                }
            )
        else:
            out += [
                {
                    "LogicalOperator": "EQUALS",
                    "CrawlerName": sub(crawler_name(c)),
                    "CrawlState": "SUCCEEDED",
                }
                for c in before.crawlers
            ]
    return out


def _actions(step: Step) -> list[dict[str, Any]]:
    if step.kind == "job":
        return [{"JobName": {"Ref": job_logical_id(step)}}]
    return [{"CrawlerName": sub(crawler_name(c))} for c in step.crawlers]


def trigger_resources(workflow: Workflow, crawler_ids: dict[str, str]) -> dict[str, Any]:
    """The start trigger and one conditional trigger per step with predecessors."""
    resources: dict[str, Any] = {}
    roots = [s for s in workflow.ordered() if not s.after]
    resources["TriggerStart"] = {
        "Type": "AWS::Glue::Trigger",
        "Condition": IS_GLUE,
        "Properties": {
            "Name": sub(workflow_name() + "-start"),
            "Description": "Started by glue:StartWorkflowRun (the completeness check).",
            "Type": "ON_DEMAND",
            "WorkflowName": {"Ref": WORKFLOW_ID},
            "Actions": [a for s in roots for a in _actions(s)],
        },
    }
    for step in workflow.ordered():
        if not step.after:
            continue
        depends = [crawler_ids[c] for c in step.crawlers if c in crawler_ids]
        resource: dict[str, Any] = {
            "Type": "AWS::Glue::Trigger",
            "Condition": IS_GLUE,
            "Properties": {
                "Name": sub(f"{workflow_name()}-{step.name}"),
                "Description": f"Runs {step.name} when {', '.join(step.after)} succeeded.",
                "Type": "CONDITIONAL",
                "StartOnCreation": True,
                "WorkflowName": {"Ref": WORKFLOW_ID},
                "Predicate": {"Logical": "AND", "Conditions": _conditions(workflow, step)},
                "Actions": _actions(step),
            },
        }
        if depends:
            resource["DependsOn"] = depends
        resources[logical("Trigger", step.name)] = resource
    return resources


def glue_resources(workflow: Workflow, crawler_ids: dict[str, str]) -> dict[str, Any]:
    """Workflow, jobs and triggers (all under the ``IsGlue`` condition)."""
    resources: dict[str, Any] = {
        WORKFLOW_ID: {
            "Type": "AWS::Glue::Workflow",
            "Condition": IS_GLUE,
            "Properties": {
                "Name": sub(workflow_name()),
                "Description": workflow.description,
                "MaxConcurrentRuns": 1,
                "DefaultRunProperties": {"definition": workflow.name},
            },
        }
    }
    for step in workflow.ordered():
        if step.kind == "job":
            resources[job_logical_id(step)] = job_resource(workflow, step)
    resources.update(trigger_resources(workflow, crawler_ids))
    return resources
