"""One definition, three runners: the generated Glue and EMR artifacts match daily.toml
and the local runner, and the checked-in files have not drifted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest

from retail_lake import infra
from retail_lake.config import Settings, build_settings
from retail_lake.infra import emr, glue
from retail_lake.jobs.entry import OPTIONAL, REQUIRED
from retail_lake.runner import local
from retail_lake.runner.workflow import daily
from tests.infra_support import load

PLUMBING = {
    "--platform",
    "--extra-py-files",
    "--extra-jars",
    "--additional-python-modules",
    "--job-bookmark-option",
    "--job-language",
    "--enable-metrics",
    "--enable-continuous-cloudwatch-log",
    "--enable-glue-datacatalog",
    "--TempDir",
}


@pytest.fixture(scope="module")
def template():
    return load(infra.WORKFLOW_TEMPLATE)


@pytest.fixture(scope="module")
def asl():
    return json.loads(infra.EMR_ASL.read_text("utf-8"))


def _body(value):
    return value["Fn::Sub"] if isinstance(value, dict) else value


def test_checked_in_files_match_a_fresh_generation():
    assert infra.drifted() == [], "run: python -m retail_lake.infra --write"


def test_generation_follows_a_changed_definition():
    """A changed definition changes the rendering, so a stale file would be caught."""
    workflow = daily()
    step = workflow.step("validate")
    changed = dataclasses.replace(
        workflow,
        steps=tuple(
            dataclasses.replace(s, arguments={"lookback_days": "9"}) if s is step else s
            for s in workflow.steps
        ),
    )
    assert infra.drifted(changed) == [infra.WORKFLOW_TEMPLATE, infra.EMR_ASL]


def test_template_embeds_the_checked_in_asl(template, asl):
    machine = template["Resources"]["DailyStateMachine"]["Properties"]
    assert machine["Definition"] == asl
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", json.dumps(asl)))
    assert set(machine["DefinitionSubstitutions"]) == used
    for value in machine["DefinitionSubstitutions"].values():
        target = value.get("Ref") or value["Fn::GetAtt"][0]
        assert (
            target.startswith("AWS::")
            or target in template["Resources"]
            or target in (template["Parameters"])
        )


def _glue_dag(template):
    """Step -> predecessor steps, as the Glue triggers encode them."""
    resources = template["Resources"]
    by_job = {
        lid: r["Properties"]["Name"]["Fn::Sub"].split("-", 1)[1]
        for lid, r in ((k, v) for k, v in resources.items() if v["Type"] == "AWS::Glue::Job")
    }
    workflow = daily()
    by_crawler = {
        "${SystemName}-" + c: s.name
        for s in workflow.steps
        if s.kind == "crawlers"
        for c in s.crawlers
    }

    def step_of(item):
        if "JobName" in item:
            return by_job[item["JobName"]["Ref"]]
        return by_crawler[item["CrawlerName"]["Fn::Sub"]]

    dag: dict[str, set[str]] = {}
    starts = []
    for resource in resources.values():
        if resource["Type"] != "AWS::Glue::Trigger":
            continue
        props = resource["Properties"]
        assert props["WorkflowName"] == {"Ref": glue.WORKFLOW_ID}
        targets = {step_of(a) for a in props["Actions"]}
        if props["Type"] == "ON_DEMAND":
            starts.append(targets)
            for target in targets:
                dag[target] = set()
            continue
        assert props["Type"] == "CONDITIONAL" and props["StartOnCreation"] is True
        assert props["Predicate"]["Logical"] == "AND"
        conditions = props["Predicate"]["Conditions"]
        assert all(c.get("State", c.get("CrawlState")) == "SUCCEEDED" for c in conditions)
        for target in targets:
            dag[target] = {step_of(c) for c in conditions}
    assert len(starts) == 1, "exactly one on-demand start trigger"
    return dag


def _local_order(tmp_path, monkeypatch):
    """The steps the local runner executes, recorded by replacing each step's action."""
    calls: list[tuple[str, list[dt.date]]] = []
    for name in local.LOCAL_ACTIONS:
        monkeypatch.setitem(
            local.LOCAL_ACTIONS, name, lambda run, days, n=name: calls.append((n, list(days)))
        )
    settings = build_settings({"lake": str(tmp_path)}, env={})
    local.run_pipeline(settings, dt.date(2024, 1, 3), spark=object())
    return [name for name, _ in calls]


def test_local_runner_glue_triggers_and_state_machine_run_the_same_steps_in_order(
    template, asl, tmp_path, monkeypatch
):
    workflow = daily()
    local = _local_order(tmp_path, monkeypatch)
    assert local == [s.name for s in workflow.ordered()]

    dag = _glue_dag(template)
    assert dag == {s.name: set(s.after) for s in workflow.steps}
    for index, name in enumerate(local):  # the local order is an order Glue allows
        assert dag[name] <= set(local[:index])

    # The state machine first defaults end_date (Choice, then Pass), then runs the steps.
    dates = asl["States"][asl["StartAt"]]
    assert dates["Type"] == "Choice" and dates["Choices"][0]["Next"] == local[0]
    assert asl["States"][dates["Default"]]["Next"] == local[0]
    chain, state = [], local[0]
    while state:
        chain.append(state)
        state = asl["States"][state].get("Next")
    assert chain == local


def test_glue_job_arguments_are_the_definitions(template):
    workflow = daily()
    jobs = {
        r["Properties"]["Name"]["Fn::Sub"].split("-", 1)[1]: r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Glue::Job"
    }
    assert set(jobs) == {s.name for s in workflow.steps if s.kind == "job"}
    for name, props in jobs.items():
        step = workflow.step(name)
        args = {k: _body(v) for k, v in props["DefaultArguments"].items()}
        own = {k: v for k, v in args.items() if k not in PLUMBING}
        assert own == {f"--{k}": v for k, v in workflow.job_arguments(step).items()}
        assert args["--platform"] == "glue"
        assert args["--job-bookmark-option"] == "job-bookmark-disable"
        assert args["--extra-py-files"] == "s3://${ArtifactBucket}/${ArtifactPrefix}dist/" + (
            infra.wheel_name()
        )
        assert re.fullmatch(r"([\w-]+==[\w.]+,?)+", args["--additional-python-modules"])
        assert _body(props["Command"]["ScriptLocation"]) == (
            "s3://${ArtifactBucket}/${ArtifactPrefix}" + step.script
        )
        assert props["GlueVersion"] == "5.0" and props["Command"]["Name"] == "glueetl"
        assert ("Connections" in props) == step.needs_connection
        jar = "s3://${ArtifactBucket}/${ArtifactPrefix}jars/mariadb-java-client.jar"
        assert args.get("--extra-jars") == (jar if step.needs_connection else None)


def _entry_point_arguments(state):
    text = state["Parameters"]["JobDriver"]["SparkSubmit"]["EntryPointArguments.$"]
    inner = text[len("States.Array(") : -1]
    return re.findall(r"'((?:[^'\\]|\\.)*)'|(\$\.[a-z_]+)", inner)


def test_emr_job_runs_get_the_definitions_arguments(asl):
    workflow = daily()
    for step in workflow.ordered():
        state = asl["States"][step.name]
        assert state.get("Catch"), step.name
        if step.kind != "job":  # a Parallel of crawler starts: its tasks retry
            for branch in state["Branches"]:
                for inner in branch["States"].values():
                    if inner["Type"] == "Task":
                        assert inner["Resource"] == "arn:aws:states:::aws-sdk:glue:startCrawler"
                        assert inner.get("Retry") and inner.get("Catch")
            continue
        assert state.get("Retry"), step.name
        assert state["Resource"] == "arn:aws:states:::emr-serverless:startJobRun.sync"
        tokens = [literal or path for literal, path in _entry_point_arguments(state)]
        pairs = dict(zip(tokens[::2], tokens[1::2], strict=True))
        expected = {
            f"--{k}": v.replace("${AWS::Region}", "${AwsRegion}")
            for k, v in workflow.job_arguments(step).items()
        }
        dates = {"--business_date": "$.business_date", "--end_date": "$.end_date"}
        assert pairs == {**expected, "--platform": "emr", **dates}
        driver = state["Parameters"]["JobDriver"]["SparkSubmit"]
        assert driver["EntryPoint"] == "s3://${ArtifactBucket}/${ArtifactPrefix}" + step.script
        parameters = driver["SparkSubmitParameters"].split(" ")
        options = dict(zip(parameters[::2], parameters[1::2], strict=True))
        artifacts = "s3://${ArtifactBucket}/${ArtifactPrefix}"
        assert options["--py-files"] == artifacts + "dist/" + infra.wheel_name()
        assert options.get("--jars") == (
            artifacts + "jars/mariadb-java-client.jar" if step.needs_connection else None
        )
        python = [
            v for k, v in zip(parameters[::2], parameters[1::2], strict=True) if k == "--conf"
        ]
        assert python == [
            "spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON=/usr/bin/python3.11",
            "spark.emr-serverless.driverEnv.PYSPARK_PYTHON=/usr/bin/python3.11",
            "spark.executorEnv.PYSPARK_PYTHON=/usr/bin/python3.11",
        ]


def test_every_argument_is_a_job_option_and_a_setting():
    """The names the templates pass are exactly what start_job resolves into Settings."""
    settings_fields = {f.name for f in dataclasses.fields(Settings)}
    workflow = daily()
    for step in workflow.steps:
        if step.kind != "job":
            continue
        for name in workflow.job_arguments(step):
            assert name in {*REQUIRED, *OPTIONAL}, name
            assert name in settings_fields, name


def test_glue_start_trigger_is_on_demand_for_the_completeness_check(template):
    start = template["Resources"]["TriggerStart"]["Properties"]
    assert start["Type"] == "ON_DEMAND"
    assert start["Actions"] == [{"JobName": {"Ref": "JobExtract"}}]
    workflow = template["Resources"][glue.WORKFLOW_ID]
    assert workflow["Condition"] == glue.IS_GLUE
    assert template["Resources"]["DailyStateMachine"]["Condition"] == emr.IS_EMR
