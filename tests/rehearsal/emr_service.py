"""Plays Step Functions and EMR Serverless for one execution of the daily state machine.

The definition is the one created on moto from the template (substitutions
applied). Each ``emr-serverless:startJobRun.sync`` task becomes a ``spark-submit``
of its ``EntryPoint`` with its ``EntryPointArguments`` and ``SparkSubmitParameters``
as EMR Serverless reads them: ``--py-files``/``--jars`` from S3, ``spark.emr-serverless.driverEnv.*``
and ``spark.executorEnv.*`` as the driver's and executors' environment. The
interpreter those settings select must be the environment's own (same version),
because that is the Python the deployed image provides.
"""

from __future__ import annotations

import json
import shlex
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from tests.rehearsal import states as asl
from tests.rehearsal.glue_service import crawl
from tests.rehearsal.launch import JobRunResult, download, spark_submit

EMR_JOB_RUN = "arn:aws:states:::emr-serverless:startJobRun.sync"
START_CRAWLER = "arn:aws:states:::aws-sdk:glue:startCrawler"
_DRIVER_ENV = "spark.emr-serverless.driverEnv."
_EXECUTOR_ENV = "spark.executorEnv."


@dataclass
class ExecutionResult:
    state_machine: str
    status: str = "RUNNING"  # SUCCEEDED or FAILED
    jobs: list[JobRunResult] = field(default_factory=list)
    crawlers: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    python: str | None = None


class EmrPlayer:
    def __init__(self, session, python: Path, workdir: Path, environment: dict[str, str]):
        self.session = session
        self.python = python
        self.workdir = workdir
        self.environment = environment

    def run_execution(self, state_machine_arn: str, execution_input: dict) -> ExecutionResult:
        sfn = self.session.client("stepfunctions")
        definition = json.loads(
            sfn.describe_state_machine(stateMachineArn=state_machine_arn)["definition"]
        )
        result = ExecutionResult(state_machine_arn)
        self._walk(definition, dict(execution_input), result)
        return result

    def _walk(self, machine: dict[str, Any], data: Any, result: ExecutionResult) -> Any:
        name = machine["StartAt"]
        while True:
            state = machine["States"][name]
            kind = state["Type"]
            if kind == "Choice":
                name = asl.choose(state, data)
                continue
            if kind == "Fail":
                result.status = "FAILED"
                result.error = data.get("error") if isinstance(data, dict) else None
                return data
            if kind == "Pass":
                if "Parameters" in state:
                    data = asl.parameters(state["Parameters"], data)
            elif kind == "Parallel":
                for branch in state["Branches"]:
                    self._walk(branch, data, result)
                    if result.status == "FAILED":
                        return data
            elif kind == "Task":
                failure = self._task(state, data, result)
                if failure is not None:
                    catch = next(
                        (
                            c
                            for c in state.get("Catch", [])
                            if failure["Error"] in c["ErrorEquals"]
                            or "States.ALL" in c["ErrorEquals"]
                        ),
                        None,
                    )
                    if catch is None:
                        result.status = "FAILED"
                        result.error = failure
                        return data
                    data = asl.with_result(data, catch.get("ResultPath", "$"), failure)
                    name = catch["Next"]
                    continue
            else:
                raise asl.StatesError(f"state type {kind} not emulated")
            if state.get("End"):
                result.status = result.status if result.status == "FAILED" else "SUCCEEDED"
                return data
            name = state["Next"]

    def _task(self, state: dict[str, Any], data: Any, result: ExecutionResult) -> dict | None:
        params = asl.parameters(state.get("Parameters", {}), data)
        if state["Resource"] == START_CRAWLER:
            try:
                crawl(self.session.client("glue"), params["Name"])
            except ClientError as exc:  # an aws-sdk task fails with the service's error name
                code = exc.response["Error"]["Code"]
                return {"Error": f"Glue.{code}", "Cause": str(exc)}
            result.crawlers.append(params["Name"])
            return None
        if state["Resource"] != EMR_JOB_RUN:
            raise asl.StatesError(f"task resource {state['Resource']} not emulated")
        job = self.run_job(params, result)
        result.jobs.append(job)
        if job.state == "SUCCEEDED":
            return None
        return {
            "Error": "States.TaskFailed",
            "Cause": f"EMR Serverless job run {params['Name']} failed: {job.tail(5)}",
        }

    def run_job(self, params: dict[str, Any], result: ExecutionResult) -> JobRunResult:
        submit = params["JobDriver"]["SparkSubmit"]
        run_id = uuid.uuid4().hex[:16]
        folder = self.workdir / params["Name"] / run_id
        script = download(self.session, submit["EntryPoint"], folder)
        conf, env, py_files, jars = {}, {}, [], []
        tokens = shlex.split(submit.get("SparkSubmitParameters", ""))
        while tokens:
            option = tokens.pop(0)
            value = tokens.pop(0)
            if option == "--conf":
                key, _, setting = value.partition("=")
                if key.startswith(_DRIVER_ENV):
                    env[key.removeprefix(_DRIVER_ENV)] = setting
                elif key.startswith(_EXECUTOR_ENV):
                    env[key.removeprefix(_EXECUTOR_ENV)] = setting
                else:
                    conf[key] = setting
            elif option == "--py-files":
                py_files += [download(self.session, u, folder) for u in value.split(",")]
            elif option == "--jars":
                jars += [download(self.session, u, folder) for u in value.split(",")]
            else:
                raise asl.StatesError(f"SparkSubmitParameters option {option} not emulated")
        selected = env.pop("PYSPARK_PYTHON", None)
        driver = env.pop("PYSPARK_DRIVER_PYTHON", selected)
        if selected is None or driver != selected:
            raise asl.StatesError(f"the job selects no single Python: {selected} / {driver}")
        interpreter = self.python.parent / Path(selected).name
        if not interpreter.exists():
            raise asl.StatesError(
                f"the deployed configuration selects {selected}, which the image does not have"
            )
        result.python = selected
        return spark_submit(
            interpreter,
            script,
            list(submit.get("EntryPointArguments", [])),
            name=params["Name"],
            run_id=run_id,
            py_files=py_files,
            jars=jars,
            conf=conf,
            environment={**self.environment, **env},
            workdir=folder,
        )
