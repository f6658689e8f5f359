"""What every rehearsed deployment must show; each test module runs them on its own story.

A test module defines the module-scoped fixture ``rehearsed`` (``(Rehearsal, local
lake)`` from :func:`tests.rehearsal.story.first_week`) and a ``Test...`` class that
inherits :class:`RehearsalChecks`.
"""

from __future__ import annotations

import json

from retail_lake.runner.workflow import daily
from tests.rehearsal import environments
from tests.rehearsal.glue_service import additional_python_modules
from tests.rehearsal.lake_compare import curated_differences
from tests.rehearsal.story import DAYS, STACK_NAME


class RehearsalChecks:
    backfill: bool = False

    def test_day_one_is_started_once_by_the_schedule(self, rehearsed):
        rehearsal, _ = rehearsed
        actions = [r["action"] for r in rehearsal.check_results]
        assert actions == ["started", "already_started"], rehearsal.check_results

    def test_every_job_of_every_run_succeeded(self, rehearsed):
        rehearsal, _ = rehearsed
        assert len(rehearsal.runs) == (2 if self.backfill else 1), "day one, then the backfill"
        for run in rehearsal.runs:
            for job in run.jobs:
                assert job.state == "SUCCEEDED", f"{job.name} failed:\n{job.tail()}"
            # Glue names a run by its job (<stack>-<step>), EMR by step and date.
            steps = [s.name for s in daily().ordered() if s.kind == "job"]
            ran = [next(s for s in steps if s in job.name.split("-")) for job in run.jobs]
            assert ran == steps

    def test_each_start_is_one_run_over_its_dates(self, rehearsed):
        """Day one is one single-date run; the backfill one run over days two and three."""
        rehearsal, _ = rehearsed
        session = rehearsal.session
        if rehearsal.platform == "glue":
            name = rehearsal.deployed.outputs["WorkflowName"]
            runs = session.client("glue").get_workflow_runs(Name=name)["Runs"]
            dates = [r.get("WorkflowRunProperties", {}) for r in runs]
        else:
            sfn = session.client("stepfunctions")
            arn = rehearsal.deployed.outputs["StateMachineArn"]
            dates = [
                json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])
                for e in sfn.list_executions(stateMachineArn=arn)["executions"]
            ]
        spans = sorted((d["business_date"], d["end_date"]) for d in dates)
        expected = [(str(DAYS[0]), str(DAYS[0])), (str(DAYS[1]), str(DAYS[-1]))]
        assert spans == expected[: len(rehearsal.runs)]

    def test_curated_tables_equal_the_local_runner(self, rehearsed):
        rehearsal, local_lake = rehearsed
        differences, compared = curated_differences(rehearsal.lake_dir, local_lake)
        assert compared, "no curated table was written"
        assert not differences, differences

    def test_jobs_registered_the_tables_in_the_glue_catalog(self, rehearsed):
        rehearsal, _ = rehearsed
        database = rehearsal.deployed.root.physical_id("GlueDatabase")
        tables = rehearsal.session.client("glue").get_tables(DatabaseName=database)["TableList"]
        names = {t["Name"] for t in tables}
        assert {"weekly_sales_inventory", "daily_store_sales"} <= names, names

    def test_runs_used_the_environment_the_deployment_selects(self, rehearsed):
        rehearsal, _ = rehearsed
        if rehearsal.platform == "emr":
            assert {r.python for r in rehearsal.runs} == {"/usr/bin/python3.11"}
        else:
            wanted = additional_python_modules(rehearsal.session, f"{STACK_NAME}-extract")
            assert wanted, "the Glue jobs install their modules with --additional-python-modules"
            diff = environments.environment_diff(rehearsal.glue_python, wanted)
            assert diff.matches, diff
            assert "retail-lake" not in environments.installed_distributions(rehearsal.glue_python)
