"""Plays AWS Glue for a workflow run: its triggers, its jobs, the arguments Glue adds.

Everything comes from the Glue API on moto, as created from the template: the
workflow's ON_DEMAND trigger fires when the run starts, each CONDITIONAL trigger
when its predicate holds, and each job runs its uploaded script with its
``DefaultArguments`` plus what Glue itself adds to every run (``--JOB_NAME``,
``--JOB_ID``, ``--JOB_RUN_ID``, ``--WORKFLOW_NAME``, ``--WORKFLOW_RUN_ID``,
``--job-bookmark-option``, ``--TempDir``). ``--extra-py-files`` become the
process's Python path (zip import), ``--extra-jars`` its jars; the environment must
already hold exactly ``--additional-python-modules`` on top of Glue's own modules.
Crawlers are started through the API and taken as succeeded: they cannot crawl here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.rehearsal.launch import JobRunResult, download, spark_submit

# What Glue adds to every job run's arguments when the job does not set it itself.
GLUE_ADDED_DEFAULTS = {"--job-bookmark-option": "job-bookmark-disable"}


class WorkflowRunError(RuntimeError):
    """A rehearsed workflow run could not start or a job failed (the message says which)."""


@dataclass
class WorkflowRunResult:
    workflow: str
    run_id: str
    jobs: list[JobRunResult] = field(default_factory=list)
    crawlers: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return all(j.state == "SUCCEEDED" for j in self.jobs)


class GluePlayer:
    def __init__(
        self,
        session,
        python: Path,
        workdir: Path,
        environment: dict[str, str],
        finished: set[str] | None = None,
    ):
        self.session = session
        # moto keeps every workflow run RUNNING; the player knows which ones ended.
        self.finished = finished if finished is not None else set()
        self.glue = session.client("glue")
        self.python = python
        self.workdir = workdir
        self.environment = environment

    def _triggers(self, workflow: str) -> list[dict[str, Any]]:
        names = self.glue.list_triggers()["TriggerNames"]
        triggers = [self.glue.get_trigger(Name=n)["Trigger"] for n in names]
        return [t for t in triggers if t.get("WorkflowName") == workflow]

    def run_workflow(self, workflow: str, run_id: str) -> WorkflowRunResult:
        runs = self.glue.get_workflow_runs(Name=workflow)["Runs"]
        others = [
            r
            for r in runs
            if r["Status"] == "RUNNING" and r["WorkflowRunId"] not in {run_id, *self.finished}
        ]
        limit = self.glue.get_workflow(Name=workflow)["Workflow"].get("MaxConcurrentRuns")
        if limit and len(others) >= limit:
            raise WorkflowRunError(f"{workflow}: ConcurrentRunsExceededException")
        triggers = self._triggers(workflow)
        result = WorkflowRunResult(workflow, run_id)
        states: dict[tuple[str, str], str] = {}
        fired = {t["Name"] for t in triggers if t["Type"] == "ON_DEMAND"}
        queue = [a for t in triggers if t["Name"] in fired for a in t["Actions"]]
        if not queue:
            raise WorkflowRunError(f"{workflow}: no ON_DEMAND trigger with actions")
        while queue:
            action = queue.pop(0)
            if "JobName" in action:
                job = self.run_job(action["JobName"], workflow, run_id, action.get("Arguments"))
                result.jobs.append(job)
                states[("job", action["JobName"])] = job.state
                if job.state != "SUCCEEDED":
                    break  # no trigger waits for a failure: the workflow run ends here
            else:
                crawl(self.glue, action["CrawlerName"])
                result.crawlers.append(action["CrawlerName"])
                states[("crawler", action["CrawlerName"])] = "SUCCEEDED"
            for trigger in triggers:
                if trigger["Name"] not in fired and _holds(trigger.get("Predicate"), states):
                    fired.add(trigger["Name"])
                    queue.extend(trigger["Actions"])
        self.finished.add(run_id)
        return result

    def run_job(
        self, name: str, workflow: str, run_id: str, arguments: dict[str, str] | None
    ) -> JobRunResult:
        job = self.glue.get_job(JobName=name)["Job"]
        if job.get("GlueVersion") != "5.0":
            raise WorkflowRunError(f"{name}: GlueVersion {job.get('GlueVersion')}, expected 5.0")
        args = {**GLUE_ADDED_DEFAULTS, **job.get("DefaultArguments", {}), **(arguments or {})}
        job_run_id = "jr_" + uuid.uuid4().hex
        args.update(
            {
                "--JOB_ID": "j_" + uuid.uuid4().hex,
                "--JOB_RUN_ID": job_run_id,
                "--JOB_NAME": name,
                "--WORKFLOW_NAME": workflow,
                "--WORKFLOW_RUN_ID": run_id,
            }
        )
        args.setdefault(
            "--TempDir", f"s3://aws-glue-assets-123456789012-us-east-1/temporary/{name}"
        )
        folder = self.workdir / name / job_run_id
        script = download(self.session, job["Command"]["ScriptLocation"], folder)
        py_files = [download(self.session, u, folder) for u in _listed(args, "--extra-py-files")]
        jars = [download(self.session, u, folder) for u in _listed(args, "--extra-jars")]
        argv = [item for pair in args.items() for item in pair]
        return spark_submit(
            self.python,
            script,
            argv,
            name=name,
            run_id=job_run_id,
            py_files=py_files,
            jars=jars,
            environment=self.environment,
            workdir=folder,
        )


def crawl(glue, name: str) -> None:
    """Start a crawler through the API; it cannot crawl here, so its run ends at once."""
    glue.start_crawler(Name=name)
    glue.stop_crawler(Name=name)


def additional_python_modules(session, job_name: str) -> list[str]:
    """The ``--additional-python-modules`` of a job, as the environment must hold them."""
    job = session.client("glue").get_job(JobName=job_name)["Job"]
    return _listed(job.get("DefaultArguments", {}), "--additional-python-modules")


def _listed(args: dict[str, str], key: str) -> list[str]:
    return [item.strip() for item in args.get(key, "").split(",") if item.strip()]


def _holds(predicate: dict[str, Any] | None, states: dict[tuple[str, str], str]) -> bool:
    if not predicate:
        return False
    results = []
    for condition in predicate.get("Conditions", []):
        if "JobName" in condition:
            actual = states.get(("job", condition["JobName"]))
            results.append(actual == condition["State"])
        else:
            actual = states.get(("crawler", condition["CrawlerName"]))
            results.append(actual == condition["CrawlState"])
    if predicate.get("Logical", "AND") == "ANY":
        return any(results)
    return bool(results) and all(results)
