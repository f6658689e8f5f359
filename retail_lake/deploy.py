"""``retail-lake deploy``: build, upload and create or update the CloudFormation stacks.

Order matters and is why this is code rather than one ``aws cloudformation deploy``:

1. the bootstrap stack (``<stack>-bootstrap``: artifacts bucket + access-log bucket)
   must exist before anything can be uploaded to it;
2. the artifacts (among them the order Lambdas' openlineage layer zip, built with
   pip for the Lambda platform) go under a versioned prefix ``retail-lake/<version>-<hash>/``
   whose hash covers every uploaded file except the wheel (whose zip timestamps
   change on every build) plus ``pyproject.toml``, so an unchanged tree reuses the
   prefix and a changed one never overwrites what a running stack points at;
3. the root stack (``cloudformation/retail_lake.yaml``) and its nested stacks are
   read from that prefix, with ``ArtifactPrefix`` telling them where their code is;
4. the contracts are published to the metadata table the stack outputs name, since
   deployed jobs refuse to run until the code's contract version is published.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retail_lake.artifacts import (
    DeployError,
    artifact_prefix,
    build_wheel,
    check_wheel,
    collect_artifacts,
    lineage_layer,
)
from retail_lake.infra import BOOTSTRAP_TEMPLATE

log = logging.getLogger(__name__)

PLATFORMS = ("glue", "emr")
CAPABILITIES = ["CAPABILITY_IAM"]
DEFAULT_ALERT_SENDER = "retail-lake@example.com"
DEFAULT_ALERT_RECIPIENTS = ("data-team@example.com",)


@dataclass
class DeployResult:
    stack: str
    bootstrap_stack: str
    bucket: str
    prefix: str
    uploaded: list[str]
    parameters: dict[str, str]
    action: str  # "create", "update" or "unchanged"
    outputs: dict[str, str] = field(default_factory=dict)
    contracts: str = "skipped"  # "published", "unchanged" or "skipped" (wait=False)
    contracts_version: str | None = None


# ------------------------------------------------------------------ CloudFormation


def _stack(cfn: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    live = [s for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"]
    return live[0] if live else None


def _outputs(cfn: Any, name: str) -> dict[str, str]:
    stack = _stack(cfn, name) or {}
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def create_or_update(
    cfn: Any,
    name: str,
    parameters: Mapping[str, str],
    *,
    template_body: str | None = None,
    template_url: str | None = None,
    wait: bool = True,
) -> str:
    """Create the stack, or update it keeping the previous values of unnamed parameters.

    Returns ``create``, ``update`` or ``unchanged`` (CloudFormation's "No updates").
    """
    from botocore.exceptions import ClientError

    source = {"TemplateBody": template_body} if template_body else {"TemplateURL": template_url}
    existing = _stack(cfn, name)
    if existing is not None and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        raise DeployError(
            f"stack {name} is in ROLLBACK_COMPLETE (its creation failed); delete it and deploy again"
        )
    given = [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()]
    if existing is None:
        cfn.create_stack(
            StackName=name,
            Parameters=given,
            Capabilities=CAPABILITIES,
            OnFailure="ROLLBACK",
            Tags=[{"Key": "project", "Value": "retail-lake"}],
            **source,
        )
        waiter, action = "stack_create_complete", "create"
    else:
        previous = [
            {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
            for p in existing.get("Parameters", [])
            if p["ParameterKey"] not in parameters
        ]
        try:
            cfn.update_stack(
                StackName=name,
                Parameters=given + previous,
                Capabilities=CAPABILITIES,
                **source,
            )
        except ClientError as exc:
            if "No updates are to be performed" in str(exc):
                return "unchanged"
            raise
        waiter, action = "stack_update_complete", "update"
    if wait:
        try:
            cfn.get_waiter(waiter).wait(
                StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 360}
            )
        except Exception as exc:
            raise DeployError(f"{action} of stack {name} did not complete: {exc}") from exc
    return action


def upload(s3: Any, bucket: str, prefix: str, artifacts: Mapping[str, bytes]) -> list[str]:
    """Put every artifact under ``prefix`` (SSE-S3, as the bucket policy expects)."""
    keys = []
    for relative, body in sorted(artifacts.items()):
        key = prefix + relative
        s3.put_object(Bucket=bucket, Key=key, Body=body, ServerSideEncryption="AES256")
        keys.append(key)
    return keys


def template_url(bucket: str, region: str, key: str) -> str:
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


def default_lake_bucket(stack: str, account: str) -> str:
    return f"{stack.lower()}-lake-{account}"[:63]


def publish_contracts(outputs: Mapping[str, str], boto3_session: Any) -> tuple[str, str]:
    """Publish the contracts to the deployed metadata table through the tracker's AWS
    adapter; returns (``published`` or ``unchanged``, version). Idempotent."""
    from retail_lake.config import build_settings
    from retail_lake.contracts.publish import publish_if_changed
    from retail_lake.tracker import open_tracker

    missing = [k for k in ("Lake", "TrackerTableName", "MetadataTableName") if not outputs.get(k)]
    if missing:
        raise DeployError(f"the stack has no output {', '.join(missing)}: contracts not published")
    settings = build_settings(
        {
            "lake": outputs["Lake"],
            "tracker": "aws",
            "tracker_table": outputs["TrackerTableName"],
            "metadata_table": outputs["MetadataTableName"],
        },
        env={},
    )
    published, written = publish_if_changed(open_tracker(settings, boto3_session))
    return ("published" if written else "unchanged"), published.version


def deploy(
    stack: str,
    bucket: str,
    platform: str = "glue",
    boto3_session: Any = None,
    *,
    lake_bucket: str | None = None,
    alert_sender: str | None = None,
    alert_recipients: Sequence[str] | None = None,
    parameters: Mapping[str, str] | None = None,
    wheel: Path | None = None,
    wait: bool = True,
    wheel_builder: Callable[[Path], Path] = build_wheel,
    layer_builder: Callable[[], Path] = lineage_layer,
    root_cloudformation: Any = None,
) -> DeployResult:
    """Deploy retail-lake as stack ``stack`` with artifacts in bucket ``bucket``.

    ``platform`` (glue or emr) becomes ``ComputePlatform``. ``parameters`` sets any
    other root-stack parameter (``Source``, ``JdbcUrl``, ``SubnetId``, ...). On an
    update, parameters not given keep their previous values; on a create, the
    alert sender/recipients default to the Settings defaults. ``root_cloudformation``
    is the CloudFormation client for the root stack (default: the session's); tests
    pass a stubbed one because moto cannot create the nested stacks' resources.
    Once the stack is complete the contracts are published to its metadata table
    (:func:`publish_contracts`; with ``wait=False``, run ``retail-lake contracts publish``).
    ``wheel`` is a built library wheel; without it the checkout is built (an
    installation without a checkout must pass one). ``layer_builder`` gives the order
    Lambdas' openlineage layer zip (default: built with pip for the Lambda platform and
    cached, see :mod:`retail_lake.lineage_layer`); the orders stack publishes it as a
    layer version unless ``LineageLayerArn`` names another one.
    """
    if platform not in PLATFORMS:
        raise DeployError(f"--platform must be glue or emr for deploy, got {platform!r}")
    # Build before touching AWS, so a missing wheel or layer fails before any stack changes.
    with tempfile.TemporaryDirectory(prefix="retail-lake-wheel-") as tmp:
        built = check_wheel(wheel) if wheel else wheel_builder(Path(tmp))
        artifacts = collect_artifacts(built, layer_builder())
    prefix = artifact_prefix(artifacts)

    import boto3

    session = boto3_session or boto3.Session()
    cfn = session.client("cloudformation")
    s3 = session.client("s3")
    region = session.region_name or "us-east-1"

    bootstrap = f"{stack}-bootstrap"
    log.info("bootstrap stack %s (artifacts bucket %s)", bootstrap, bucket)
    create_or_update(
        cfn,
        bootstrap,
        {"ArtifactBucketName": bucket},
        template_body=BOOTSTRAP_TEMPLATE.read_text("utf-8"),
        wait=wait,
    )
    access_logs = _outputs(cfn, bootstrap).get("AccessLogBucketName", f"{bucket}-logs")

    uploaded = upload(s3, bucket, prefix, artifacts)
    log.info("uploaded %d artifacts to s3://%s/%s", len(uploaded), bucket, prefix)

    root_cfn = root_cloudformation or cfn
    existing = _stack(root_cfn, stack)
    values: dict[str, str] = {
        "ComputePlatform": platform,
        "ArtifactBucket": bucket,
        "ArtifactPrefix": prefix,
        "AccessLogBucket": access_logs,
    }
    if lake_bucket or existing is None:
        account = session.client("sts").get_caller_identity()["Account"]
        values["LakeBucketName"] = lake_bucket or default_lake_bucket(stack, account)
    if alert_sender or existing is None:
        values["AlertSender"] = alert_sender or DEFAULT_ALERT_SENDER
    if alert_recipients or existing is None:
        values["AlertRecipients"] = ",".join(alert_recipients or DEFAULT_ALERT_RECIPIENTS)
    values.update(parameters or {})

    url = template_url(bucket, region, prefix + "cloudformation/retail_lake.yaml")
    action = create_or_update(root_cfn, stack, values, template_url=url, wait=wait)
    result = DeployResult(
        stack=stack,
        bootstrap_stack=bootstrap,
        bucket=bucket,
        prefix=prefix,
        uploaded=uploaded,
        parameters=values,
        action=action,
        outputs=_outputs(root_cfn, stack) if wait else {},
    )
    if wait:
        result.contracts, result.contracts_version = publish_contracts(result.outputs, session)
    return result
