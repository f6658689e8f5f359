"""The rehearsed first week of a deployment, shared by the two rehearsal test modules.

Day one is started by the completeness Lambda on its schedule (the file-driven check
with ``Source=files``, the MySQL schedule with ``Source=mysql``); where asked, days
two and three follow as an operator's backfill (``retail-lake run --platform ...
--start-date --end-date``), which must be one run. A local-runner lake fed the same
input is the reference every curated table is compared to.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from retail_lake.cli import app
from retail_lake.config import build_settings
from retail_lake.generator import generate
from retail_lake.generator.mysql import load_mysql
from retail_lake.infra.emr_image import dockerfile_modules
from retail_lake.runner.local import run_pipeline
from retail_lake.runner.workflow import daily
from retail_lake.storage import layout
from tests.fixtures_mariadb import Database
from tests.rehearsal import environments
from tests.rehearsal.deployment import deploy_played
from tests.rehearsal.glue_service import additional_python_modules
from tests.rehearsal.scenario import Rehearsal, copy_landing

START = dt.date(2026, 3, 2)  # a Monday
DAYS = [START, START + dt.timedelta(days=1), START + dt.timedelta(days=2)]
STACK_NAME = "retail-lake"
EMR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/retail-lake-emr:7.8.0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _franchise_stores(generated: Path, day: dt.date) -> str:
    rows = pacsv.read_csv(generated / layout.landing_retail(day, "store")).to_pylist()
    return ",".join(str(r["store_num"]) for r in rows if int(r["frnchs_flg"]) == 1)


@contextlib.contextmanager
def emulated_aws() -> Iterator[dict[str, str]]:
    """moto in server mode on a free loopback port; this process and its children use it."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # moto keeps its state per process, not per server: start from an empty AWS.
    reset = urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=30).close()
    environment = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "rehearsal",
        "AWS_SECRET_ACCESS_KEY": "rehearsal",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    patch = pytest.MonkeyPatch()
    for key, value in environment.items():
        patch.setenv(key, value)
    patch.delenv("AWS_SESSION_TOKEN", raising=False)
    try:
        yield environment
    finally:
        patch.undo()
        server.stop()


def first_week(
    platform: str,
    source: str,
    *,
    backfill: bool,
    root: Path,
    wheel: Path,
    spark,
    database: Database | None = None,
) -> Iterator[tuple[Rehearsal, Path]]:
    """Deploy, run day one (and the backfill), feed the local reference the same input."""
    with emulated_aws() as aws_environment:
        import boto3

        session = boto3.Session(region_name="us-east-1")
        generated = root / "generated"
        generate(generated, START, len(DAYS), stores=4, products=6, seed=19, anomaly_rate=0.05)
        local_lake = root / "local-lake"
        local = {"lake": str(local_lake), "source": source}
        parameters = {
            "Source": source,
            "FranchiseStores": _franchise_stores(generated, START),
            "EmrImageUri": EMR_IMAGE if platform == "emr" else "",
        }
        if database is not None:
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
        deployed = deploy_played(session, platform=platform, wheel=wheel, parameters=parameters)
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
        if not backfill:
            run_pipeline(settings, DAYS[0], spark=spark)
            yield rehearsal, local_lake
            return

        # Days two and three: a backfill started by the operator, one run for the range.
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
        # One local run over all three days: a range gives what its dates run one by
        # one give (the workflow reference tests hold both to the same rows).
        run_pipeline(settings, DAYS[0], DAYS[-1], spark=spark)
        yield rehearsal, local_lake
