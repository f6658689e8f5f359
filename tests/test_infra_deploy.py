"""deploy against moto: the bootstrap stack and every upload are real (moto S3 and
CloudFormation); the root stack's create/update call is captured with botocore's
Stubber, because moto's CloudFormation cannot create its nested stacks (Glue jobs,
workflows, EMR Serverless, Athena, SES resources are not implemented there)."""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from retail_lake import deploy
from retail_lake.contracts import contracts
from retail_lake.contracts.publish import check_published
from retail_lake.tracker import DynamoDBTracker, create_dynamodb_tables
from tests.infra_support import REPO, built_layer, built_wheel  # noqa: F401

STACK = "rl-test"
BUCKET = "rl-artifacts"
OUTPUTS = {  # what the root stack outputs and deploy publishes the contracts with
    "Lake": "s3://lake",
    "TrackerTableName": "rl_tracker",
    "MetadataTableName": "rl_contracts",
}
ACCOUNT = "123456789012"  # moto's account


def _expected_relative_keys() -> set[str]:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    views = {f"sql/views/{p.name}" for p in (REPO / "retail_lake/sql/views").glob("*.sql")}
    return {
        "glue_jobs/extract.py",
        "glue_jobs/validate.py",
        "glue_jobs/aggregate.py",
        "glue_jobs/catalog.py",
        f"dist/retail_lake-{version}-py3-none-any.whl",
        "lambdas/file_arrived.zip",
        "lambdas/check_completeness.zip",
        "lambdas/validate_order.zip",
        "lambdas/order_stream_transform.zip",
        "layers/openlineage.zip",
        "cloudformation/retail_lake.yaml",
        "cloudformation/daily_workflow.yaml",
        "cloudformation/orders.yaml",
        "jars/mariadb-java-client.jar",
        *views,
    }


def _missing(stubber: Stubber, stack: str) -> None:
    stubber.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message=f"Stack with id {stack} does not exist",
        expected_params={"StackName": stack},
    )


def _described(
    stack: str,
    status: str,
    parameters: dict[str, str] | None = None,
    outputs: dict[str, str] = OUTPUTS,
) -> dict:
    return {
        "Stacks": [
            {
                "StackName": stack,
                "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{stack}/1",
                "CreationTime": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                "StackStatus": status,
                "Parameters": [
                    {"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()
                ],
                "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
            }
        ]
    }


def _capture(client, operation: str) -> list[dict]:
    """Record the parameters of every ``operation`` call as botocore builds them."""
    seen: list[dict] = []
    client.meta.events.register(
        f"provide-client-params.cloudformation.{operation}",
        lambda params, **_: seen.append(dict(params)),
    )
    return seen


def _tables(aws) -> DynamoDBTracker:
    """The stack's tracker and metadata tables in moto (the stubbed stack cannot create them)."""
    create_dynamodb_tables(OUTPUTS["TrackerTableName"], OUTPUTS["MetadataTableName"], aws)
    return DynamoDBTracker(OUTPUTS["TrackerTableName"], OUTPUTS["MetadataTableName"], aws)


def _objects(aws) -> dict[str, bytes]:
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    return {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys}


def test_deploy_creates_bootstrap_uploads_artifacts_and_creates_the_stack(
    aws,
    built_wheel,  # noqa: F811
    built_layer,  # noqa: F811
):
    tracker = _tables(aws)
    root = aws.client("cloudformation")
    created = _capture(root, "CreateStack")
    with Stubber(root) as stub:
        _missing(stub, STACK)  # deploy: is there a stack?
        _missing(stub, STACK)  # create_or_update: is there a stack?
        stub.add_response("create_stack", {"StackId": "id"})
        stub.add_response("describe_stacks", _described(STACK, "CREATE_COMPLETE"))  # waiter
        stub.add_response("describe_stacks", _described(STACK, "CREATE_COMPLETE"))  # outputs
        result = deploy.deploy(
            STACK,
            BUCKET,
            "emr",
            aws,
            wheel=built_wheel,
            alert_sender="alerts@example.org",
            alert_recipients=["a@example.org", "b@example.org"],
            parameters={"Source": "mysql"},
            root_cloudformation=root,
        )
        stub.assert_no_pending_responses()

    # the bootstrap stack really exists in moto, with the bucket deploy uploads to
    bootstrap = aws.client("cloudformation").describe_stacks(StackName=f"{STACK}-bootstrap")
    assert bootstrap["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    encryption = aws.client("s3").get_bucket_encryption(Bucket=BUCKET)
    assert (
        encryption["ServerSideEncryptionConfiguration"]["Rules"][0][
            "ApplyServerSideEncryptionByDefault"
        ]["SSEAlgorithm"]
        == "AES256"
    )

    # exactly the expected artifacts, under one versioned prefix
    objects = _objects(aws)
    prefixes = {re.match(r"retail-lake/[^/]+/", k).group(0) for k in objects}
    assert len(prefixes) == 1
    (prefix,) = prefixes
    assert re.fullmatch(r"retail-lake/0\.1\.0-[0-9a-f]{12}/", prefix)
    assert {k[len(prefix) :] for k in objects} == _expected_relative_keys()
    assert result.prefix == prefix and sorted(result.uploaded) == sorted(objects)
    for script in ("extract", "validate", "aggregate", "catalog"):
        assert (
            objects[f"{prefix}glue_jobs/{script}.py"]
            == (REPO / f"glue_jobs/{script}.py").read_bytes()
        )
    assert objects[f"{prefix}dist/{built_wheel.name}"] == built_wheel.read_bytes()
    jar = objects[f"{prefix}jars/mariadb-java-client.jar"]
    assert jar == Path("/usr/share/java/mariadb-java-client.jar").read_bytes()
    assert (
        objects[f"{prefix}cloudformation/daily_workflow.yaml"]
        == (REPO / "cloudformation/daily_workflow.yaml").read_bytes()
    )
    with zipfile.ZipFile(io.BytesIO(objects[f"{prefix}lambdas/check_completeness.zip"])) as z:
        assert z.read("handler.py") == (REPO / "lambdas/check_completeness/handler.py").read_bytes()
        assert "retail_lake/completeness/__init__.py" in z.namelist()
    # the order Lambdas' layer: deploy's (cached) build, openlineage under python/
    layer = objects[f"{prefix}layers/openlineage.zip"]
    assert layer == built_layer.read_bytes()
    with zipfile.ZipFile(io.BytesIO(layer)) as z:
        assert "python/openlineage/client/__init__.py" in z.namelist()
    with zipfile.ZipFile(io.BytesIO(objects[f"{prefix}dist/{built_wheel.name}"])) as z:
        assert "retail_lake/sql/views/v_weekly_store_performance.sql" in z.namelist()

    # the CloudFormation call carries the expected parameters
    (call,) = created
    assert call["StackName"] == STACK
    assert call["TemplateURL"] == (
        f"https://{BUCKET}.s3.us-east-1.amazonaws.com/{prefix}cloudformation/retail_lake.yaml"
    )
    assert {p["ParameterKey"]: p["ParameterValue"] for p in call["Parameters"]} == {
        "ComputePlatform": "emr",
        "ArtifactBucket": BUCKET,
        "ArtifactPrefix": prefix,
        "AccessLogBucket": f"{BUCKET}-logs",
        "LakeBucketName": f"{STACK}-lake-{ACCOUNT}",
        "AlertSender": "alerts@example.org",
        "AlertRecipients": "a@example.org,b@example.org",
        "Source": "mysql",
    }
    assert call["Capabilities"] == ["CAPABILITY_IAM"]
    assert result.action == "create" and result.outputs == OUTPUTS

    # the contracts are published to the stack's metadata table: jobs can run
    assert (result.contracts, result.contracts_version) == ("published", contracts().version)
    published = tracker.get_contract()
    assert (published.version, published.content_hash) == (
        contracts().version,
        contracts().content_hash,
    )
    assert check_published(tracker, strict=True) == published


def test_redeploy_updates_keeping_previous_parameters_and_the_same_prefix(aws, built_wheel):  # noqa: F811
    previous = {
        "ComputePlatform": "emr",
        "ArtifactBucket": BUCKET,
        "ArtifactPrefix": "retail-lake/old/",
        "AccessLogBucket": f"{BUCKET}-logs",
        "LakeBucketName": "my-lake",
        "AlertSender": "alerts@example.org",
        "AlertRecipients": "a@example.org",
    }
    tracker = _tables(aws)
    prefixes, published = [], []
    for _ in range(2):
        root = aws.client("cloudformation")
        updated = _capture(root, "UpdateStack")
        with Stubber(root) as stub:
            stub.add_response("describe_stacks", _described(STACK, "CREATE_COMPLETE", previous))
            stub.add_response("describe_stacks", _described(STACK, "CREATE_COMPLETE", previous))
            stub.add_response("update_stack", {"StackId": "id"})
            stub.add_response("describe_stacks", _described(STACK, "UPDATE_COMPLETE"))
            stub.add_response("describe_stacks", _described(STACK, "UPDATE_COMPLETE"))
            result = deploy.deploy(
                STACK, BUCKET, "glue", aws, wheel=built_wheel, root_cloudformation=root
            )
        (call,) = updated
        given = {p["ParameterKey"]: p for p in call["Parameters"]}
        assert given["ComputePlatform"]["ParameterValue"] == "glue"
        assert given["ArtifactPrefix"]["ParameterValue"] == result.prefix
        for kept in ("LakeBucketName", "AlertSender", "AlertRecipients"):
            assert given[kept] == {"ParameterKey": kept, "UsePreviousValue": True}
        prefixes.append(result.prefix)
        published.append((result.contracts, tracker.get_contract().published_at))
    assert prefixes[0] == prefixes[1], "an unchanged tree must reuse its prefix"
    assert result.action == "update"
    # idempotent: the second deploy finds the same version published and writes nothing
    assert [action for action, _ in published] == ["published", "unchanged"]
    assert published[0][1] == published[1][1]


def test_deploy_replaces_an_older_published_contract_version(aws, built_wheel):  # noqa: F811
    tracker = _tables(aws)
    tracker.put_contract("0.9.0", "old-hash", {"version": "0.9.0"})
    root = aws.client("cloudformation")
    with Stubber(root) as stub:
        for _ in range(2):  # deploy, then create_or_update: is there a stack?
            stub.add_response("describe_stacks", _described(STACK, "UPDATE_COMPLETE", {"A": "b"}))
        stub.add_client_error("update_stack", service_message="No updates are to be performed.")
        stub.add_response("describe_stacks", _described(STACK, "UPDATE_COMPLETE"))
        result = deploy.deploy(
            STACK, BUCKET, "glue", aws, wheel=built_wheel, root_cloudformation=root
        )
    assert (result.action, result.contracts) == ("unchanged", "published")
    assert tracker.get_contract().version == contracts().version


def test_deploy_names_a_missing_table_output(aws):
    with pytest.raises(deploy.DeployError, match="MetadataTableName"):
        deploy.publish_contracts({"Lake": "s3://lake", "TrackerTableName": "t"}, aws)


def test_deploy_rejects_an_unknown_platform(aws):
    with pytest.raises(deploy.DeployError, match="glue or emr"):
        deploy.deploy(STACK, BUCKET, "local", aws)


def test_failed_creation_is_reported_with_the_way_out(aws):
    root = aws.client("cloudformation")
    with Stubber(root) as stub:
        stub.add_response("describe_stacks", _described(STACK, "ROLLBACK_COMPLETE"))
        with pytest.raises(deploy.DeployError, match="delete it and deploy again"):
            deploy.create_or_update(root, STACK, {}, template_url="https://x/y.yaml")


def test_missing_stack_error_is_not_swallowed(aws):
    root = aws.client("cloudformation")
    with Stubber(root) as stub:
        stub.add_client_error("describe_stacks", service_error_code="AccessDenied")
        with pytest.raises(ClientError):
            deploy.create_or_update(root, STACK, {}, template_url="https://x/y.yaml")


def test_deploy_parameters_from_the_command_line():
    from retail_lake.artifacts import parse_parameters

    assert parse_parameters(["Source=mysql", "JdbcUrl=jdbc:mysql://h:3306/r?a=b"]) == {
        "Source": "mysql",
        "JdbcUrl": "jdbc:mysql://h:3306/r?a=b",
    }
    with pytest.raises(deploy.DeployError, match="KEY=VALUE"):
        parse_parameters(["Source"])


def test_deploy_without_a_jdbc_driver_says_where_to_get_one(monkeypatch, tmp_path):
    from retail_lake.artifacts import jdbc_jar

    monkeypatch.setenv("RETAIL_LAKE_JDBC_JAR", str(tmp_path / "absent.jar"))
    with pytest.raises(deploy.DeployError, match="libmariadb-java"):
        jdbc_jar()
