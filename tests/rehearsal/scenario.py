"""One rehearsed deployment: land files, deliver the events, play the started runs.

:func:`tests.rehearsal.story.first_week` drives it; this holds what a deployment
needs to do so: the landing files a source delivers, the Lambdas invoked with the
template's events, and the platform player for the runs the starters began.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retail_lake.completeness import parse_landing_key
from retail_lake.contracts import RETAIL_TABLES
from tests.rehearsal import lambdas
from tests.rehearsal.deployment import Deployed
from tests.rehearsal.emr_service import EmrPlayer, ExecutionResult
from tests.rehearsal.glue_service import GluePlayer, WorkflowRunResult


@dataclass
class Rehearsal:
    session: Any
    deployed: Deployed
    platform: str
    source: str
    aws_environment: dict[str, str]
    lake_dir: Path  # where the jobs' Spark reads and writes (the one explicit switch)
    generated: Path  # the generator's landing files
    workdir: Path
    glue_python: Path | None = None
    emr_python: Path | None = None
    lambda_python: Path | None = None
    runs: list[WorkflowRunResult | ExecutionResult] = field(default_factory=list)
    check_results: list[dict[str, Any]] = field(default_factory=list)
    played_runs: set[str] = field(default_factory=set)  # workflow run ids, execution ARNs

    # ------------------------------------------------------------ files and events
    def landing_files(self, day: dt.date) -> list[str]:
        """Landing keys of ``day`` that reach the lake as files under this source."""
        keys = []
        for path in sorted((self.generated / "landing").rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(self.generated).as_posix()
            parsed = parse_landing_key(rel)
            if parsed is None or parsed.business_date != day:
                continue
            if self.source == "mysql" and parsed.dataset in RETAIL_TABLES:
                continue  # those rows come from the database
            keys.append(rel)
        return keys

    def land(self, day: dt.date) -> list[dict[str, Any]]:
        """Upload ``day``'s files to the lake bucket and deliver each S3 event to file_arrived."""
        s3 = self.session.client("s3")
        code, environment = self.deployed.function("FileArrivedFunction")
        results = []
        for rel in self.landing_files(day):
            data = (self.generated / rel).read_bytes()
            s3.put_object(Bucket=self.deployed.lake_bucket, Key=rel, Body=data)
            target = self.lake_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            when = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(1, 0), dt.UTC)
            event = lambdas.s3_object_created(self.deployed.lake_bucket, rel, len(data), when)
            results.append(self._invoke(code, environment, event))
        return results

    def scheduled_check(self, rule: str, fires_at: dt.datetime) -> dict[str, Any]:
        """An EventBridge schedule of the template invoking the completeness check."""
        code, environment = self.deployed.function("CheckCompletenessFunction")
        event = lambdas.scheduled_event(fires_at, self.deployed.rule_input(rule))
        result = self._invoke(code, environment, event)
        self.check_results.append(result)
        return result

    def _invoke(self, code, environment, event) -> dict[str, Any]:
        assert self.lambda_python is not None
        return lambdas.invoke(
            self.session,
            code,
            environment,
            event,
            python=self.lambda_python,
            workdir=self.workdir / "lambdas",
            aws_environment=self.aws_environment,
        )

    # ------------------------------------------------------------ the platform
    def job_environment(self) -> dict[str, str]:
        return {**self.aws_environment, "RETAIL_LAKE_REHEARSAL_LAKE_DIR": str(self.lake_dir)}

    def play_started_runs(self) -> list[WorkflowRunResult | ExecutionResult]:
        """Play every run the starters began since the last call, in start order."""
        played = []
        if self.platform == "glue":
            assert self.glue_python is not None
            name = self.deployed.outputs["WorkflowName"]
            player = GluePlayer(
                self.session,
                self.glue_python,
                self.workdir / "glue",
                self.job_environment(),
                finished=self.played_runs,
            )
            runs = self.session.client("glue").get_workflow_runs(Name=name)["Runs"]
            for run in sorted(runs, key=lambda r: r["StartedOn"]):
                if run["Status"] == "RUNNING" and run["WorkflowRunId"] not in self.played_runs:
                    played.append(player.run_workflow(name, run["WorkflowRunId"]))
        else:
            assert self.emr_python is not None
            arn = self.deployed.outputs["StateMachineArn"]
            player = EmrPlayer(
                self.session, self.emr_python, self.workdir / "emr", self.job_environment()
            )
            sfn = self.session.client("stepfunctions")
            executions = sfn.list_executions(stateMachineArn=arn)["executions"]
            for execution in sorted(executions, key=lambda e: e["startDate"]):
                if execution["executionArn"] in self.played_runs:
                    continue
                self.played_runs.add(execution["executionArn"])
                described = sfn.describe_execution(executionArn=execution["executionArn"])
                played.append(player.run_execution(arn, json.loads(described["input"])))
        self.runs.extend(played)
        return played


def copy_landing(rehearsal: Rehearsal, day: dt.date, local_lake: Path) -> None:
    """Give the local reference lake the same files of ``day`` (the local runner reads landing/)."""
    for rel in rehearsal.landing_files(day):
        target = local_lake / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rehearsal.generated / rel, target)
