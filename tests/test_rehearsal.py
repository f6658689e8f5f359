"""The deployment rehearsal: what AWS runs, run the way Glue 5.0 and EMR Serverless run it.

Two deployments, one per platform, together covering both sources: Glue reading
MySQL (MariaDB here) through the template's Glue connection and secret, and EMR
Serverless reading landing files. Each is deployed by ``retail-lake deploy`` onto
moto in server mode; its Lambdas run from their uploaded packages; its jobs run
from their uploaded scripts in environments that mirror the platforms, with the
wheel as the only copy of the library. The local runner fed the same input is the
reference every curated table must equal. See "What runs on AWS, and how it is
rehearsed here" in the README.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import uuid

import pyarrow.csv as pacsv
import pymysql
import pytest
from typer.testing import CliRunner

from retail_lake.cli import app
from retail_lake.config import build_settings
from retail_lake.generator import generate
from retail_lake.generator.mysql import load_mysql
from retail_lake.infra.emr_image import dockerfile_modules
from retail_lake.pipeline import run_pipeline
from retail_lake.storage import layout
from retail_lake.workflow import daily
from tests.fixtures_mariadb import Database
from tests.rehearsal import environments
from tests.rehearsal.deployment import deploy_played
from tests.rehearsal.glue_service import additional_python_modules
from tests.rehearsal.lake_compare import curated_differences
from tests.rehearsal.scenario import Rehearsal, copy_landing

pytestmark = [pytest.mark.rehearsal, pytest.mark.spark]

START = dt.date(2026, 3, 2)  # a Monday
DAYS = [START, START + dt.timedelta(days=1), START + dt.timedelta(days=2)]
# platform, source, and whether an operator's two-day backfill follows day one. The
# backfill is rehearsed once: its path through the jobs is the same on both platforms,
# and the EMR state machine gets end_date from every start, the check's included.
SCENARIOS = {"glue-mysql": ("glue", "mysql", True), "emr-files": ("emr", "files", False)}
STACK_NAME = "retail-lake"
EMR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/retail-lake-emr:7.8.0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory):
    from retail_lake.deploy import build_wheel

    return build_wheel(tmp_path_factory.mktemp("rehearsal-wheel"))


@pytest.fixture(scope="module")
def rehearsal_database(mariadb):
    """A private database on the session's MariaDB server for the MySQL-sourced deployment."""
    name = f"rehearsal_{uuid.uuid4().hex[:8]}"
    root = pymysql.connect(unix_socket=str(mariadb.socket_path), user="root", autocommit=True)
    with root, root.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        for host in ("127.0.0.1", "localhost"):
            cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@'{host}'", (mariadb.user,))
    return Database(mariadb, name)


def _franchise_stores(generated, day: dt.date) -> str:
    table = pacsv.read_csv(generated / layout.landing_retail(day, "store"))
    rows = table.to_pylist()
    return ",".join(str(r["store_num"]) for r in rows if int(r["frnchs_flg"]) == 1)


@pytest.fixture(scope="module", params=list(SCENARIOS))
def rehearsed(request, tmp_path_factory, built_wheel, spark):
    platform, source, backfill = SCENARIOS[request.param]
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    aws_environment = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "rehearsal",
        "AWS_SECRET_ACCESS_KEY": "rehearsal",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    patch = pytest.MonkeyPatch()
    for key, value in aws_environment.items():
        patch.setenv(key, value)
    patch.delenv("AWS_SESSION_TOKEN", raising=False)
    try:
        import boto3

        session = boto3.Session(region_name="us-east-1")
        root = tmp_path_factory.mktemp(f"rehearsal-{request.param}")
        generated = root / "generated"
        generate(generated, START, len(DAYS), stores=4, products=6, seed=19, anomaly_rate=0.05)
        local_lake = root / "local-lake"
        local = {"lake": str(local_lake), "source": source}
        parameters = {
            "Source": source,
            "FranchiseStores": _franchise_stores(generated, START),
            "EmrImageUri": EMR_IMAGE if platform == "emr" else "",
        }
        database = None
        if source == "mysql":
            database = request.getfixturevalue("rehearsal_database")
            server_ = database.server
            parameters.update(
                {
                    "JdbcUrl": database.jdbc_url,
                    "DbUser": server_.user,
                    "SubnetId": "subnet-0abc",
                    "SecurityGroupId": "sg-0abc",
                    "AvailabilityZone": "us-east-1a",
                }
            )
            local.update(
                jdbc_url=database.jdbc_url, db_user=server_.user, db_password=server_.password
            )
            load_mysql(generated, database.url, dates=[DAYS[0]])
        deployed = deploy_played(
            session, platform=platform, wheel=built_wheel, parameters=parameters
        )
        if database is not None:
            # The operator's step of the first-deploy checklist: the real password.
            session.client("secretsmanager").put_secret_value(
                SecretId=deployed.root.physical_id("DbSecret"),
                SecretString=json.dumps(
                    {"username": database.server.user, "password": database.server.password}
                ),
            )
        rehearsal = Rehearsal(
            session=session,
            deployed=deployed,
            platform=platform,
            source=source,
            aws_environment=aws_environment,
            lake_dir=root / "rehearsed-lake",
            generated=generated,
            workdir=root / "work",
        )
        job = f"{STACK_NAME}-extract"
        if platform == "glue":
            rehearsal.glue_python = environments.glue_environment(
                additional_python_modules(session, job)
            )
        rehearsal.emr_python = environments.emr_environment(dockerfile_modules(daily()))
        rehearsal.lambda_python = rehearsal.emr_python

        # Day one: its files land, the schedule fires, the check starts the run.
        rehearsal.land(DAYS[0])
        rule = "MysqlRunRule" if source == "mysql" else "FirstCheckRule"
        fires = dt.datetime.combine(DAYS[1], dt.time(3, 0), dt.UTC)
        rehearsal.scheduled_check(rule, fires)
        rehearsal.scheduled_check("SecondCheckRule", fires + dt.timedelta(minutes=30))
        rehearsal.play_started_runs()
        copy_landing(rehearsal, DAYS[0], local_lake)
        settings = build_settings(local, env={})
        run_pipeline(settings, DAYS[0], spark=spark)

        # Days two and three: a backfill started by the operator, one run for the range.
        if not backfill:
            yield rehearsal, local_lake
            return
        if database is not None:
            load_mysql(generated, database.url, dates=DAYS[1:], replace=False)
        for day in DAYS[1:]:
            rehearsal.land(day)
        outputs = deployed.outputs
        started = CliRunner().invoke(
            app,
            [
                "run",
                "--platform",
                platform,
                "--lake",
                f"s3://{deployed.lake_bucket}",
                "--start-date",
                DAYS[1].isoformat(),
                "--end-date",
                DAYS[-1].isoformat(),
            ],
            env={
                "RETAIL_LAKE_WORKFLOW_NAME": outputs.get("WorkflowName", ""),
                "RETAIL_LAKE_EMR_STATE_MACHINE_ARN": outputs.get("StateMachineArn", ""),
                "RETAIL_LAKE_REGION": "us-east-1",
            },
        )
        assert started.exit_code == 0, started.output
        rehearsal.play_started_runs()
        for day in DAYS[1:]:
            copy_landing(rehearsal, day, local_lake)
        run_pipeline(settings, DAYS[1], DAYS[-1], spark=spark)
        yield rehearsal, local_lake
    finally:
        patch.undo()
        server.stop()


def test_day_one_is_started_once_by_the_schedule(rehearsed):
    rehearsal, _ = rehearsed
    actions = [r["action"] for r in rehearsal.check_results]
    assert actions == ["started", "already_started"], rehearsal.check_results


def test_every_job_of_every_run_succeeded(rehearsed):
    rehearsal, _ = rehearsed
    backfill = SCENARIOS[f"{rehearsal.platform}-{rehearsal.source}"][2]
    assert len(rehearsal.runs) == (2 if backfill else 1), "day one, then the backfill"
    for run in rehearsal.runs:
        for job in run.jobs:
            assert job.state == "SUCCEEDED", f"{job.name} failed:\n{job.tail()}"
        # Glue names a run by its job (<stack>-<step>), EMR by step and date.
        steps = [s.name for s in daily().ordered() if s.kind == "job"]
        ran = [next(s for s in steps if s in job.name.split("-")) for job in run.jobs]
        assert ran == steps


def test_each_start_is_one_run_over_its_dates(rehearsed):
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


def test_curated_tables_equal_the_local_runner(rehearsed):
    rehearsal, local_lake = rehearsed
    differences, compared = curated_differences(rehearsal.lake_dir, local_lake)
    assert compared, "no curated table was written"
    assert not differences, differences


def test_jobs_registered_the_tables_in_the_glue_catalog(rehearsed):
    rehearsal, _ = rehearsed
    database = rehearsal.deployed.root.physical_id("GlueDatabase")
    tables = rehearsal.session.client("glue").get_tables(DatabaseName=database)["TableList"]
    names = {t["Name"] for t in tables}
    assert {"weekly_sales_inventory", "daily_store_sales"} <= names, names


def test_runs_used_the_environment_the_deployment_selects(rehearsed):
    rehearsal, _ = rehearsed
    if rehearsal.platform == "emr":
        assert {r.python for r in rehearsal.runs} == {"/usr/bin/python3.11"}
    else:
        wanted = additional_python_modules(rehearsal.session, f"{STACK_NAME}-extract")
        assert wanted, "the Glue jobs install their modules with --additional-python-modules"
        diff = environments.environment_diff(rehearsal.glue_python, wanted)
        assert diff.matches, diff
        assert "retail-lake" not in environments.installed_distributions(rehearsal.glue_python)
