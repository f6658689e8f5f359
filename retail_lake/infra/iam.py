"""IAM for the compute of the daily workflow: job roles, crawler role, state machine role.

Least privilege by construction: every statement names the lake zones, tables,
catalog objects and workgroup that the role touches; the only ``*`` resources are
actions that AWS does not scope to a resource (EC2 describe calls for the JDBC
network interfaces, CloudWatch metrics and Step Functions log delivery), each
commented where it is emitted and guarded by a condition where AWS offers one.
"""

from __future__ import annotations

from typing import Any

from retail_lake.infra._common import JOB_ZONES, READ_ONLY_ZONES, arn, artifact_key, statement
from retail_lake.metrics._port import NAMESPACE as METRICS_NAMESPACE

LAKE_BUCKET = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${LakeBucket}"}


def lake_objects(zones: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::${{LakeBucket}}/{z}/*"} for z in zones]


def lake_statements(read_zones: tuple[str, ...], write_zones: tuple[str, ...]) -> list[dict]:
    """List the bucket only under the zones, read ``read_zones``, read/write ``write_zones``."""
    zones = read_zones + write_zones
    prefixes = sorted({f"{z}/*" for z in zones} | {f"{z}/" for z in zones} | set(zones))
    out = [
        statement(
            "ListLakeZones",
            ["s3:ListBucket"],
            LAKE_BUCKET,
            Condition={"StringLike": {"s3:prefix": prefixes}},
        ),
        statement("LakeBucketLocation", ["s3:GetBucketLocation"], LAKE_BUCKET),
    ]
    if read_zones:
        out.append(statement("ReadLakeZones", ["s3:GetObject"], lake_objects(read_zones)))
    if write_zones:
        out.append(
            statement(
                "WriteLakeZones",
                [
                    "s3:AbortMultipartUpload",
                    "s3:DeleteObject",
                    "s3:GetObject",
                    "s3:ListMultipartUploadParts",
                    "s3:PutObject",
                ],
                lake_objects(write_zones),
            )
        )
    return out


def artifact_statement() -> dict:
    return statement(
        "ReadArtifacts",
        ["s3:GetObject"],
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ArtifactBucket}/" + artifact_key("*")},
    )


def catalog_statement(write: bool) -> dict:
    actions = [
        "glue:GetDatabase",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:BatchGetPartition",
        "glue:GetTable",
        "glue:GetTables",
    ]
    if write:
        actions += [
            "glue:BatchCreatePartition",
            "glue:BatchDeletePartition",
            "glue:CreateDatabase",
            "glue:CreatePartition",
            "glue:CreateTable",
            "glue:DeletePartition",
            "glue:DeleteTable",
            "glue:UpdatePartition",
            "glue:UpdateTable",
        ]
    return statement(
        "LakeCatalog",
        actions,
        [
            arn("glue", "catalog"),
            arn("glue", "database/${GlueDatabase}"),
            arn("glue", "table/${GlueDatabase}/*"),
        ],
    )


def tracker_statements() -> list[dict]:
    """Jobs record runs and commit watermarks in the tracker; they only read contracts."""
    return [
        statement(
            "Tracker",
            [
                "dynamodb:BatchWriteItem",
                "dynamodb:DescribeTable",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ],
            arn("dynamodb", "table/${TrackerTable}"),
        ),
        statement(
            "ContractMetadata",
            ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query"],
            arn("dynamodb", "table/${MetadataTable}"),
        ),
    ]


def athena_statement() -> dict:
    return statement(
        "AthenaViews",
        [
            "athena:GetQueryExecution",
            "athena:GetQueryResults",
            "athena:GetWorkGroup",
            "athena:StartQueryExecution",
            "athena:StopQueryExecution",
        ],
        arn("athena", "workgroup/${AthenaWorkgroup}"),
    )


def jdbc_statements(glue_network: bool) -> list[dict]:
    """The database secret, the Glue connection and (Glue only) its network interfaces."""
    out = [
        statement(
            "DatabaseSecret",
            ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            {"Ref": "DbSecret"},
        ),
        statement(
            "JdbcConnection",
            ["glue:GetConnection"],
            [arn("glue", "catalog"), arn("glue", "connection/${GlueConnection}")],
        ),
    ]
    if glue_network:
        # Glue attaches an ENI in the connection's subnet. The EC2 Describe* calls
        # have no resource-level permissions, so they need "*"; creating and
        # deleting ENIs is limited to the connection's subnet and security group.
        out += [
            statement(
                "DescribeNetwork",
                [
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeRouteTables",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcAttribute",
                    "ec2:DescribeVpcEndpoints",
                ],
                "*",
            ),
            statement(
                "ConnectionNetworkInterfaces",
                ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
                [
                    arn("ec2", "network-interface/*"),
                    arn("ec2", "subnet/${SubnetId}"),
                    arn("ec2", "security-group/${SecurityGroupId}"),
                ],
            ),
            statement(
                "TagNetworkInterfaces",
                ["ec2:CreateTags", "ec2:DeleteTags"],
                arn("ec2", "network-interface/*"),
                Condition={
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["aws-glue-service-resource"]}
                },
            ),
        ]
    return out


def job_policy(platform: str, jdbc: bool) -> dict[str, Any]:
    """The policy document of a Glue (``glue``) or EMR Serverless (``emr``) job role."""
    statements = [
        *lake_statements(READ_ONLY_ZONES, JOB_ZONES),
        artifact_statement(),
        catalog_statement(write=True),
        *tracker_statements(),
        athena_statement(),
        # A failing step names itself, its dates and the cause in one e-mail.
        statement(
            "SendFailureAlert",
            ["ses:SendEmail", "ses:SendRawEmail"],
            arn("ses", "identity/${AlertSender}"),
        ),
        # Validate publishes its quality-gate figures; PutMetricData has no
        # resource-level permissions, so the condition keeps the role to that namespace.
        statement(
            "DataQualityMetrics",
            ["cloudwatch:PutMetricData"],
            "*",
            Condition={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}},
        ),
    ]
    if platform == "glue":
        statements += [
            statement(
                "WorkflowRunProperties",
                ["glue:GetWorkflowRunProperties"],
                arn("glue", "workflow/${SystemName}-daily"),
            ),
            statement(
                "JobLogs",
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [
                    arn("logs", "log-group:/aws-glue/*"),
                    arn("logs", "log-group:/aws-glue/*:log-stream:*"),
                ],
            ),
            # PutMetricData has no resource-level permissions; the condition keeps
            # the role to Glue's own namespace.
            statement(
                "JobMetrics",
                ["cloudwatch:PutMetricData"],
                "*",
                Condition={"StringEquals": {"cloudwatch:namespace": "Glue"}},
            ),
        ]
    if jdbc:
        statements += jdbc_statements(glue_network=platform == "glue")
    return {"Version": "2012-10-17", "Statement": statements}


def crawler_policy(crawler_arns: list[Any]) -> dict[str, Any]:
    """Crawlers read landing/ and raw/ and write the tables they discover."""
    read = ("landing", "raw")
    prefixes = sorted({f"{z}/*" for z in read} | {f"{z}/" for z in read} | set(read))
    return {
        "Version": "2012-10-17",
        "Statement": [
            statement(
                "ListCrawledZones",
                ["s3:ListBucket"],
                LAKE_BUCKET,
                Condition={"StringLike": {"s3:prefix": prefixes}},
            ),
            statement("ReadCrawledZones", ["s3:GetObject"], lake_objects(read)),
            catalog_statement(write=True),
            statement("CrawlerSelf", ["glue:GetCrawler"], crawler_arns),
            statement(
                "CrawlerLogs",
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [
                    arn("logs", "log-group:/aws-glue/crawlers"),
                    arn("logs", "log-group:/aws-glue/crawlers:log-stream:*"),
                ],
            ),
        ],
    }


# Services documented to send aws:SourceAccount when they assume a role; for the
# others (Glue) the condition would make the role unusable.
_SOURCE_ACCOUNT_AWARE = {"states.amazonaws.com", "emr-serverless.amazonaws.com"}


def assume(service: str) -> dict[str, Any]:
    """Trust policy for one service principal (confused-deputy guard where supported)."""
    body: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if service in _SOURCE_ACCOUNT_AWARE:
        body["Condition"] = {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    return {"Version": "2012-10-17", "Statement": [body]}
