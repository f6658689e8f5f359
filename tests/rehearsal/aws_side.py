"""Create the AWS-API side of the deployed stacks on moto, from the templates.

Each supported resource type becomes the API call CloudFormation would make, with
the template's resolved properties. Types that matter only to AWS's control plane
or that moto cannot run (IAM roles and policies, log groups, Lambda functions and
the order Lambdas' layer version, the EMR Serverless application, the security
configuration, bucket and topic policies, KMS keys) are listed in :data:`NOT_CREATED`: the rehearsal plays their part itself
(it invokes the Lambdas' handlers, it plays Glue and EMR) or they stay unproven
without an AWS account (see the README).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.rehearsal.cfn import Stack

NOT_CREATED = {
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::Logs::LogGroup",
    "AWS::Logs::LogStream",
    "AWS::Glue::Classifier",
    "AWS::Kinesis::Stream",
    "AWS::Lambda::Function",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::Lambda::EventSourceMapping",
    "AWS::EMRServerless::Application",
    "AWS::Glue::SecurityConfiguration",
    "AWS::S3::BucketPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::CloudFormation::Stack",
    "AWS::KinesisFirehose::DeliveryStream",
    "AWS::SNS::TopicPolicy",
    "AWS::KMS::Key",
}


def _pick(props: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: props[k] for k in keys if k in props}


def _bucket(session, props: dict[str, Any], physical: str) -> None:
    session.client("s3").create_bucket(Bucket=physical)


def _table(session, props: dict[str, Any], physical: str) -> None:
    args = _pick(
        props,
        "TableName",
        "KeySchema",
        "AttributeDefinitions",
        "BillingMode",
        "GlobalSecondaryIndexes",
        "StreamSpecification",
    )
    args.setdefault("BillingMode", "PAY_PER_REQUEST")
    if "StreamSpecification" in args:  # CloudFormation's form has no StreamEnabled
        args["StreamSpecification"] = {"StreamEnabled": True, **args["StreamSpecification"]}
    client = session.client("dynamodb")
    client.create_table(**args)
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=props["TableName"], TimeToLiveSpecification=ttl)


def _database(session, props: dict[str, Any], physical: str) -> None:
    session.client("glue").create_database(DatabaseInput=props["DatabaseInput"])


def _connection(session, props: dict[str, Any], physical: str) -> None:
    session.client("glue").create_connection(ConnectionInput=props["ConnectionInput"])


def _secret(session, props: dict[str, Any], physical: str) -> None:
    generate = props.get("GenerateSecretString", {})
    value = json.loads(generate.get("SecretStringTemplate") or "{}")
    if "GenerateStringKey" in generate:
        value[generate["GenerateStringKey"]] = "generated-by-secrets-manager"
    session.client("secretsmanager").create_secret(
        Name=props["Name"], SecretString=props.get("SecretString") or json.dumps(value)
    )


def _queue(session, props: dict[str, Any], physical: str) -> None:
    session.client("sqs").create_queue(QueueName=physical.rsplit("/", 1)[-1])


def _workgroup(session, props: dict[str, Any], physical: str) -> None:
    configuration = dict(props.get("WorkGroupConfiguration", {}))
    if "BytesScannedCutoffPerQuery" in configuration:  # a parameter: CloudFormation converts
        configuration["BytesScannedCutoffPerQuery"] = int(
            configuration["BytesScannedCutoffPerQuery"]
        )
    session.client("athena").create_work_group(Name=props["Name"], Configuration=configuration)


def _identity(session, props: dict[str, Any], physical: str) -> None:
    session.client("ses").verify_email_identity(EmailAddress=props["EmailIdentity"])


def _job(session, props: dict[str, Any], physical: str) -> None:
    args = _pick(
        props,
        "Name",
        "Description",
        "Role",
        "Command",
        "DefaultArguments",
        "GlueVersion",
        "WorkerType",
        "NumberOfWorkers",
        "Timeout",
        "MaxRetries",
        "ExecutionProperty",
        "Connections",
        "SecurityConfiguration",
    )
    session.client("glue").create_job(**args)


def _workflow(session, props: dict[str, Any], physical: str) -> None:
    session.client("glue").create_workflow(
        **_pick(props, "Name", "Description", "DefaultRunProperties", "MaxConcurrentRuns")
    )


def _trigger(session, props: dict[str, Any], physical: str) -> None:
    args = _pick(
        props, "Name", "Description", "Type", "WorkflowName", "Actions", "Predicate", "Schedule"
    )
    session.client("glue").create_trigger(**args, StartOnCreation=False)


def _crawler(session, props: dict[str, Any], physical: str) -> None:
    args = _pick(props, "Name", "Role", "DatabaseName", "Targets", "Description", "TablePrefix")
    session.client("glue").create_crawler(**args)


def _state_machine(session, props: dict[str, Any], physical: str) -> None:
    definition = json.dumps(props["Definition"])
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    session.client("stepfunctions").create_state_machine(
        name=physical.rsplit(":", 1)[-1],
        definition=definition,
        roleArn=props["RoleArn"],
        type=props.get("StateMachineType", "STANDARD"),
    )


def _topic(session, props: dict[str, Any], physical: str) -> None:
    attributes = _pick(props, "DisplayName", "KmsMasterKeyId")
    session.client("sns").create_topic(Name=physical.rsplit(":", 1)[-1], Attributes=attributes)


def _subscription(session, props: dict[str, Any], physical: str) -> None:
    session.client("sns").subscribe(**_pick(props, "TopicArn", "Protocol", "Endpoint"))


def _rule(session, props: dict[str, Any], physical: str) -> None:
    """``put_rule`` and ``put_targets``, as CloudFormation does for one rule."""
    args = _pick(props, "Description", "State", "ScheduleExpression", "RoleArn", "EventBusName")
    pattern = props.get("EventPattern")
    if pattern is not None:
        args["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
    client = session.client("events")
    client.put_rule(Name=physical, **args)
    keys = ("Id", "Arn", "RoleArn", "Input", "InputPath", "InputTransformer")
    targets = [_pick(t, *keys, "RetryPolicy", "DeadLetterConfig") for t in props.get("Targets", [])]
    if targets:
        client.put_targets(Rule=physical, Targets=targets)


def _alarm(session, props: dict[str, Any], physical: str) -> None:
    args = _pick(
        props,
        "AlarmDescription",
        "Namespace",
        "MetricName",
        "Dimensions",
        "Statistic",
        "ComparisonOperator",
        "TreatMissingData",
        "AlarmActions",
        "OKActions",
    )
    numbers = {"Period": int, "EvaluationPeriods": int, "Threshold": float}
    args.update({k: cast(props[k]) for k, cast in numbers.items() if k in props})
    session.client("cloudwatch").put_metric_alarm(AlarmName=physical, **args)


CREATORS: dict[str, Callable[[Any, dict[str, Any], str], None]] = {
    "AWS::S3::Bucket": _bucket,
    "AWS::DynamoDB::Table": _table,
    "AWS::Glue::Database": _database,
    "AWS::Glue::Connection": _connection,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::SQS::Queue": _queue,
    "AWS::Athena::WorkGroup": _workgroup,
    "AWS::SES::EmailIdentity": _identity,
    "AWS::Glue::Job": _job,
    "AWS::Glue::Workflow": _workflow,
    "AWS::Glue::Trigger": _trigger,
    "AWS::Glue::Crawler": _crawler,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::Subscription": _subscription,
    "AWS::Events::Rule": _rule,
    "AWS::CloudWatch::Alarm": _alarm,
}

# Dependencies first: jobs before the triggers that name them, and so on.
ORDER = list(CREATORS)


def create_stack(session, stack: Stack) -> dict[str, list[str]]:
    """Create every supported resource of ``stack`` (and of its nested stacks) on moto.

    Returns resource type -> logical ids created, and ``skipped`` -> the types not
    created; an unknown type fails, so a new resource in a template cannot slip past.
    """
    created: dict[str, list[str]] = {}
    resources = stack.template.get("Resources", {})
    unknown = {r["Type"] for r in resources.values()} - set(CREATORS) - NOT_CREATED
    if unknown:
        raise NotImplementedError(f"{stack.name}: no rehearsal for resource types {unknown}")
    for resource_type in ORDER:
        for logical, props in stack.resources(resource_type).items():
            CREATORS[resource_type](session, props, stack.physical_id(logical))
            created.setdefault(resource_type, []).append(logical)
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::CloudFormation::Stack":
            for kind, ids in create_stack(session, stack.child(logical)).items():
                created.setdefault(kind, []).extend(ids)
    return created
