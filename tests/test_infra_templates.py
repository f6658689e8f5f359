"""The CloudFormation templates: references resolve, cfn-lint and checkov are clean,
IAM is least privilege, storage is encrypted and TLS-only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from retail_lake import deploy, infra
from tests.infra_support import (  # noqa: F401
    ALL_TEMPLATES,
    REPO,
    built_layer,
    built_wheel,
    load,
)

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
ARTIFACT = "${ArtifactPrefix}"
# Data services: no wildcard action on them, ever.
DATA_SERVICES = ("s3", "dynamodb", "glue", "sqs", "secretsmanager", "athena", "ses", "states")


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    return {p.name: load(p) for p in ALL_TEMPLATES}


@pytest.fixture(scope="module")
def artifacts(built_wheel, built_layer) -> dict[str, bytes]:  # noqa: F811
    return deploy.collect_artifacts(built_wheel, built_layer)


def _walk(node: Any):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _strings(node: Any) -> list[str]:
    out = []
    for item in _walk(node):
        if isinstance(item, str):
            out.append(item)
    return out


def _artifact_refs(template: dict[str, Any]) -> set[str]:
    """Every artifact key (relative to the prefix) a template or its ASL mentions."""
    refs = set()
    for text in _strings(template):
        for piece in text.replace(",", " ").split():
            if ARTIFACT in piece and not piece.endswith("*"):
                refs.add(piece.split(ARTIFACT, 1)[1])
    return refs


def test_every_referenced_artifact_exists_or_is_produced_by_deploy(templates, artifacts):
    refs = set().union(*(_artifact_refs(t) for t in templates.values()))
    assert refs, "templates reference no artifacts?"
    missing = refs - set(artifacts)
    assert not missing, f"referenced but not uploaded by deploy: {sorted(missing)}"
    for key in refs:
        if key.startswith(("glue_jobs/", "cloudformation/", "sql/")):
            assert (REPO / key).exists() or (REPO / "retail_lake" / key).exists(), key
    # every key the nested stacks' code keys are built from
    root = templates["retail_lake.yaml"]["Resources"]
    orders = root["OrdersStack"]["Properties"]["Parameters"]
    for name in ("ValidateOrderCodeKey", "OrderStreamTransformCodeKey", "LineageLayerKey"):
        assert orders[name]["Fn::Sub"].split(ARTIFACT, 1)[1] in artifacts


def test_lambda_handlers_exist_in_their_zips(templates, artifacts):
    functions = [
        (name, r)
        for t in templates.values()
        for name, r in t["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function"
    ]
    assert len(functions) == 4
    for name, resource in functions:
        props = resource["Properties"]
        assert props["Runtime"] in ("python3.12", "python3.13"), name
        module, func = props["Handler"].split(".")
        key = props["Code"]["S3Key"]
        if "Fn::Sub" in key:
            key = key["Fn::Sub"].split(ARTIFACT, 1)[1]
        else:  # orders.yaml takes the key as a parameter; the root passes it
            key = {
                "ValidateOrderFunction": "lambdas/validate_order.zip",
                "OrderStreamTransformFunction": "lambdas/order_stream_transform.zip",
            }[name]
        with zipfile.ZipFile(__import__("io").BytesIO(artifacts[key])) as archive:
            names = set(archive.namelist())
            assert f"{module}.py" in names and "retail_lake/__init__.py" in names
            source = archive.read(f"{module}.py").decode()
        assert f"def {func}(" in source, f"{name}: no {func} in {module}.py"


def test_handlers_import_from_their_zip(tmp_path, artifacts):
    """The zip alone (plus installed third-party modules) is importable: nothing from the repo."""
    for name in infra.LAMBDAS:
        target = tmp_path / name
        with zipfile.ZipFile(__import__("io").BytesIO(artifacts[infra.lambda_key(name)])) as z:
            z.extractall(target)
        code = (
            f"import sys; sys.path.insert(0, {str(target)!r}); import handler, retail_lake; "
            "assert callable(handler.handler); print(handler.__file__, retail_lake.__file__)"
        )
        done = subprocess.run(
            [sys.executable, "-I", "-c", code],
            cwd=target,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        handler_file, package_file = done.stdout.split()
        assert handler_file.startswith(str(target)) and package_file.startswith(str(target))


def test_nested_stack_parameters_are_passed(templates):
    root = templates["retail_lake.yaml"]["Resources"]
    for resource, child in (
        ("DailyWorkflowStack", "daily_workflow.yaml"),
        ("OrdersStack", "orders.yaml"),
    ):
        passed = set(root[resource]["Properties"]["Parameters"])
        params = templates[child]["Parameters"]
        required = {k for k, v in params.items() if "Default" not in v}
        assert required <= passed, f"{child}: {sorted(required - passed)}"
        assert passed <= set(params), f"{child}: {sorted(passed - set(params))}"
        url = root[resource]["Properties"]["TemplateURL"]["Fn::Sub"]
        assert url.endswith(f"{ARTIFACT}cloudformation/{child}")


def _policies(templates):
    for tname, template in templates.items():
        for rname, resource in template["Resources"].items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::IAM::Role":
                for policy in props.get("Policies", []):
                    yield tname, rname, policy["PolicyDocument"]


def _statements(document):
    for statement in document["Statement"]:
        if "Fn::If" in statement:  # conditional statement: both branches
            yield from (s for s in statement["Fn::If"][1:] if isinstance(s, dict) and "Effect" in s)
        else:
            yield statement


def test_iam_least_privilege(templates):
    seen = 0
    for tname, rname, document in _policies(templates):
        for statement in _statements(document):
            seen += 1
            where = f"{tname}:{rname}:{statement.get('Sid')}"
            assert statement["Effect"] == "Allow", where
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            for action in actions:
                _service, verb = action.split(":", 1)
                assert "*" not in verb, f"{where}: wildcard action {action}"
            resources = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            if "*" in resources:
                services = {a.split(":", 1)[0] for a in actions}
                assert not services & set(DATA_SERVICES), f"{where}: '*' resource on {services}"
            for res in resources:
                text = json.dumps(res)
                if ":s3:::" in text and "/" in text:  # object ARNs name a zone or prefix
                    assert text.count("/") >= 1 and not text.rstrip('"}').endswith("}/*"), where
    assert seen > 30


def test_job_roles_write_only_their_zones(templates):
    """Jobs never write landing/; crawlers never write the lake."""
    resources = templates["daily_workflow.yaml"]["Resources"]
    for name in (
        "GlueJobRole",
        "GlueJdbcJobRole",
        "EmrJobRole",
        "EmrJdbcJobRole",
        "GlueCrawlerRole",
    ):
        document = resources[name]["Properties"]["Policies"][0]["PolicyDocument"]
        for statement in document["Statement"]:
            if {"s3:PutObject", "s3:DeleteObject"} & set(statement["Action"]):
                zones = json.dumps(statement["Resource"])
                assert "landing/" not in zones, name
                assert name != "GlueCrawlerRole"
    # only the JDBC roles may read the database secret
    for name, resource in resources.items():
        if resource["Type"] == "AWS::IAM::Role":
            text = json.dumps(resource)
            assert ("secretsmanager:GetSecretValue" in text) == ("Jdbc" in name), name


def test_storage_is_encrypted_tls_only_and_private(templates):
    buckets = 0
    for template in templates.values():
        resources = template["Resources"]
        for name, resource in resources.items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::S3::Bucket":
                buckets += 1
                assert props["BucketEncryption"], name
                assert all(props["PublicAccessBlockConfiguration"].values()), name
                policies = [
                    r["Properties"]["PolicyDocument"]
                    for r in resources.values()
                    if r["Type"] == "AWS::S3::BucketPolicy"
                    and json.dumps(r["Properties"]["Bucket"]) == json.dumps({"Ref": name})
                ]
                assert any(
                    s["Effect"] == "Deny"
                    and s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"
                    for p in policies
                    for s in p["Statement"]
                ), f"{name} is not TLS-only"
            if resource["Type"] == "AWS::DynamoDB::Table":
                assert props["BillingMode"] == "PAY_PER_REQUEST", name
                assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
                assert props["SSESpecification"]["SSEEnabled"] is True, name
            if resource["Type"] == "AWS::SQS::Queue":
                assert props.get("SqsManagedSseEnabled") or props.get("KmsMasterKeyId"), name
    assert buckets == 3
    lake = templates["retail_lake.yaml"]["Resources"]["LakeBucket"]["Properties"]
    assert lake["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"]
    workgroup = templates["retail_lake.yaml"]["Resources"]["AthenaWorkgroup"]["Properties"]
    config = workgroup["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["BytesScannedCutoffPerQuery"] == {"Ref": "AthenaBytesScannedCutoff"}
    assert "OutputLocation" in config["ResultConfiguration"]


def test_database_credentials_come_only_from_secrets_manager(templates):
    for template in templates.values():
        for text in _strings(template):
            assert "password=" not in text.lower(), text
    connection = templates["retail_lake.yaml"]["Resources"]["GlueConnection"]["Properties"]
    props = connection["ConnectionInput"]["ConnectionProperties"]
    assert props["SECRET_ID"] == {"Ref": "DbSecret"} and "PASSWORD" not in props
    assert props["JDBC_ENFORCE_SSL"] == "true"


@pytest.mark.parametrize("path", ALL_TEMPLATES, ids=lambda p: p.name)
def test_cfn_lint_passes_without_warnings(path: Path):
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run([str(cfn_lint), str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_cfn_lint_suppressions_have_reasons():
    for path in ALL_TEMPLATES:
        text = path.read_text("utf-8")
        assert "cfn-lint" not in text or "ignore_checks" in text
        for index, line in enumerate(text.splitlines()):
            if line.strip() == "ignore_checks:":
                before = text.splitlines()[index + 1 : index + 6]
                assert any(x.strip().startswith("#") for x in before), f"{path.name}: no reason"


def test_checkov_suppressions_have_reasons(templates):
    count = 0
    for tname, template in templates.items():
        for name, resource in template["Resources"].items():
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                count += 1
                assert skip["id"].startswith("CKV_"), (tname, name)
                assert len(skip.get("comment", "")) > 30, (
                    f"{tname}:{name}:{skip['id']} has no reason"
                )
    assert count > 0


def test_checkov_reports_no_failed_checks():
    checkov = str(CHECKOV) if CHECKOV.exists() else shutil.which("checkov")
    assert checkov, "checkov is not installed: `make test` creates .venv-checkov"
    done = subprocess.run(
        [
            checkov,
            "--directory",
            str(REPO / "cloudformation"),
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--quiet",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    report = json.loads(done.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [
        (c["check_id"], c["resource"], c["file_path"])
        for r in reports
        for c in r["results"]["failed_checks"]
    ]
    assert not failed, failed
    assert sum(r["summary"]["passed"] for r in reports) > 100
    assert all(r["summary"]["parsing_errors"] == 0 for r in reports)
