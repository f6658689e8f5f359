"""Failure alerts on moto: the root stack and its nested stacks, created from the
templates' resolved properties (events put_rule/put_targets, sns create_topic/subscribe,
cloudwatch put_metric_alarm, by the rehearsal's creators), then checked against real
Glue and Step Functions events.

moto 5.2 answers ``events.test_event_pattern`` with an empty response, so a pattern is
matched with moto's own matcher (the one ``put_events`` routes by) on the pattern the
rule was stored with (``describe_rule``).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from moto.events.models import EventPattern

from retail_lake.infra import alerts
from tests.infra_support import REPO, load
from tests.rehearsal.aws_side import create_stack
from tests.rehearsal.cfn import ACCOUNT, REGION, Stack

STACK = "rl"
PARAMETERS = {
    "ArtifactBucket": "rl-artifacts",
    "ArtifactPrefix": "v1/",
    "AccessLogBucket": "rl-logs",
    "LakeBucketName": "rl-lake",
    "AlertSender": "alerts@example.org",
    "AlertRecipients": "ops@example.org,data@example.org",
}

# Real event shapes (EventBridge "Glue Job State Change" and "Step Functions
# Execution Status Change"), the names filled in per test.
GLUE_FAILED = {
    "version": "0",
    "id": "abcdef01-1234-5678-9abc-def012345678",
    "detail-type": "Glue Job State Change",
    "source": "aws.glue",
    "account": ACCOUNT,
    "time": "2026-03-03T03:12:21Z",
    "region": REGION,
    "resources": [],
    "detail": {
        "jobName": "rl-validate",
        "severity": "ERROR",
        "state": "FAILED",
        "jobRunId": "jr_0123456789abcdef",
        "message": "An error occurred while calling o112.save. Access Denied (Service: S3)",
    },
}
EXECUTION_FAILED = {
    "version": "0",
    "id": "315c1398-40ff-a850-213b-158f73e60175",
    "detail-type": "Step Functions Execution Status Change",
    "source": "aws.states",
    "account": ACCOUNT,
    "time": "2026-03-03T03:42:21Z",
    "region": REGION,
    "resources": [],
    "detail": {
        "executionArn": "",
        "stateMachineArn": "",
        "name": "daily-2026-03-02",
        "status": "FAILED",
        "startDate": 1772508146847,
        "stopDate": 1772509341881,
        "input": "{}",
        "inputDetails": {"included": True},
        "output": None,
        "outputDetails": None,
        "error": "States.TaskFailed",
        "cause": "validate: job run failed",
    },
}

CRAWLER_FAILED = {
    "version": "0",
    "id": "f7965b59-470f-2e06-bb89-a8cebaabefac",
    "detail-type": "Glue Crawler State Change",
    "source": "aws.glue",
    "account": ACCOUNT,
    "time": "2026-03-03T03:20:08Z",
    "region": REGION,
    "resources": [],
    "detail": {
        "crawlerName": "rl-raw-retail",
        "errorMessage": "Internal Service Exception",
        "accountId": ACCOUNT,
        "cloudWatchLogLink": "https://console.aws.amazon.com/cloudwatch/home?region="
        f"{REGION}#logEventViewer:group=/aws-glue/crawlers;stream=rl-raw-retail",
        "state": "Failed",
        "message": "Crawler Failed",
    },
}


def _stack(platform: str, **extra: str) -> Stack:
    def nested(logical: str, parameters: dict[str, str]) -> Stack:
        url = root.value(root.template["Resources"][logical]["Properties"]["TemplateURL"])
        path = REPO / "cloudformation" / Path(url).name
        return Stack(f"{STACK}-{logical}", load(path), parameters)

    values = {**PARAMETERS, "ComputePlatform": platform, **extra}
    if platform == "emr":
        values["EmrImageUri"] = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/rl-emr:7.8.0"
    root = Stack(STACK, load(REPO / "cloudformation" / "retail_lake.yaml"), values, nested)
    return root


@pytest.fixture
def glue(aws):
    stack = _stack("glue")
    created = create_stack(aws, stack)
    return aws, stack, created


def _with(event: dict, **detail) -> dict:
    out = copy.deepcopy(event)
    out["detail"].update(detail)
    return out


def _matches(session, rule: str, event: dict) -> bool:
    pattern = session.client("events").describe_rule(Name=rule)["EventPattern"]
    return EventPattern.load(pattern).matches_event(event)


def _target(session, rule: str) -> dict:
    (target,) = session.client("events").list_targets_by_rule(Rule=rule)["Targets"]
    return target


def _render(transformer: dict, event: dict) -> str:
    """What EventBridge sends for a plain-text input template: each ``<name>`` replaced
    by the value at its ``$.a.b`` path in the event."""
    values = {}
    for name, path in transformer["InputPathsMap"].items():
        node = event
        for key in path.removeprefix("$.").split("."):
            node = node[key]
        values[name] = node
    template = transformer["InputTemplate"]
    assert set(re.findall(r"<([A-Za-z0-9]+)>", template)) == set(values)
    return re.sub(r"<([A-Za-z0-9]+)>", lambda m: str(values[m.group(1)]), template)


def _topic_arn(session) -> str:
    (topic,) = [
        t["TopicArn"]
        for t in session.client("sns").list_topics()["Topics"]
        if t["TopicArn"].endswith(f":{STACK}-alerts")
    ]
    return topic


def test_new_types_are_created_on_moto(glue):
    _, _, created = glue
    assert created["AWS::SNS::Topic"] == [alerts.TOPIC]
    assert created["AWS::SNS::Subscription"] == ["AlertEmailSubscription"]
    rules = {alerts.GLUE_RULE, alerts.EXECUTION_RULE, alerts.CRAWLER_RULE}
    assert rules <= set(created["AWS::Events::Rule"])
    assert sorted(created["AWS::CloudWatch::Alarm"]) == sorted(
        alerts.alarm_id(q) for q in alerts.DEAD_LETTER_QUEUES
    )


def test_glue_rule_matches_a_failed_job_of_the_workflow_and_not_a_success(glue):
    session, _, _ = glue
    rule = f"{STACK}-glue-job-failed"
    for state in ("FAILED", "TIMEOUT", "STOPPED", "ERROR"):
        assert _matches(session, rule, _with(GLUE_FAILED, state=state)), state
    for job in ("extract", "validate", "aggregate", "catalog"):
        assert _matches(session, rule, _with(GLUE_FAILED, jobName=f"{STACK}-{job}")), job
    succeeded = _with(GLUE_FAILED, state="SUCCEEDED", severity="INFO", message="Job run succeeded")
    assert not _matches(session, rule, succeeded)
    assert not _matches(session, rule, _with(GLUE_FAILED, state="RUNNING"))
    assert not _matches(session, rule, _with(GLUE_FAILED, jobName="someone-elses-job"))
    execution = _with(EXECUTION_FAILED, stateMachineArn="x")
    assert not _matches(session, rule, execution)


def test_glue_alert_names_the_job_the_state_and_the_error(glue):
    session, _, _ = glue
    target = _target(session, f"{STACK}-glue-job-failed")
    assert target["Arn"] == _topic_arn(session)
    assert _render(target["InputTransformer"], GLUE_FAILED) == (
        "[rl] Glue job rl-validate ended FAILED (run jr_0123456789abcdef): "
        "An error occurred while calling o112.save. Access Denied (Service: S3)"
    )


def test_execution_rule_matches_failed_executions_of_both_state_machines(aws):
    stack = _stack("emr")
    create_stack(aws, stack)
    machines = aws.client("stepfunctions").list_state_machines()["stateMachines"]
    arns = {m["name"]: m["stateMachineArn"] for m in machines}
    daily = arns[f"{STACK}-daily"]
    orders = stack.child("OrdersStack").outputs()["OrderEventsStateMachineArn"]
    assert orders in arns.values()
    rule = f"{STACK}-execution-failed"
    for arn in (daily, orders):
        failed = _with(EXECUTION_FAILED, stateMachineArn=arn, executionArn=arn + ":x")
        for status in ("FAILED", "TIMED_OUT", "ABORTED"):
            assert _matches(aws, rule, _with(failed, status=status)), (arn, status)
        assert not _matches(aws, rule, _with(failed, status="SUCCEEDED", error=None, cause=None))
        assert not _matches(aws, rule, _with(failed, status="RUNNING"))
    other = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:someone-else"
    assert not _matches(aws, rule, _with(EXECUTION_FAILED, stateMachineArn=other))
    assert not _matches(aws, rule, GLUE_FAILED)
    # no Glue jobs on EMR, so no Glue rule
    rules = [r["Name"] for r in aws.client("events").list_rules()["Rules"]]
    assert f"{STACK}-glue-job-failed" not in rules

    target = _target(aws, rule)
    assert target["Arn"] == _topic_arn(aws)
    event = _with(EXECUTION_FAILED, stateMachineArn=daily)
    assert _render(target["InputTransformer"], event) == (
        f"[rl] state machine {daily} execution daily-2026-03-02 ended FAILED: "
        "States.TaskFailed validate: job run failed"
    )


@pytest.mark.parametrize("platform", ["glue", "emr"])
def test_crawler_rule_matches_a_failed_crawler_of_this_stack_only(aws, platform):
    create_stack(aws, _stack(platform))
    rule = f"{STACK}-crawler-failed"
    crawlers = [c["Name"] for c in aws.client("glue").get_crawlers()["Crawlers"]]
    assert crawlers and all(name.startswith(f"{STACK}-") for name in crawlers)
    for name in crawlers:
        assert _matches(aws, rule, _with(CRAWLER_FAILED, crawlerName=name)), name
    for state in ("Started", "Succeeded"):
        assert not _matches(aws, rule, _with(CRAWLER_FAILED, state=state, message=state))
    assert not _matches(aws, rule, _with(CRAWLER_FAILED, crawlerName="other-raw-retail"))
    assert not _matches(aws, rule, GLUE_FAILED)


def test_crawler_failure_reaches_the_topic_with_the_crawler_and_its_error(glue):
    session, _, _ = glue
    rule = f"{STACK}-crawler-failed"
    target = _target(session, rule)
    topic = _topic_arn(session)
    assert target["Arn"] == topic
    message = (
        "[rl] Glue crawler rl-raw-retail ended Failed: Internal Service Exception (log: "
        + CRAWLER_FAILED["detail"]["cloudWatchLogLink"]
        + ")"
    )
    assert _render(target["InputTransformer"], CRAWLER_FAILED) == message

    # moto 5 does not route put_events to an SNS target (NotImplementedError), so
    # delivery is checked as above: the pattern matches, the one target is the topic
    # with this message, and the topic policy lets this rule publish (test below).


def test_every_dead_letter_queue_has_an_alarm_that_publishes_to_the_topic(glue):
    session, _, _ = glue
    queues = {url.rsplit("/", 1)[-1] for url in session.client("sqs").list_queues()["QueueUrls"]}
    templates = [load(REPO / "cloudformation" / n) for n in ("retail_lake.yaml", "orders.yaml")]
    defined = sum(
        r["Type"] == "AWS::SQS::Queue" for t in templates for r in t["Resources"].values()
    )
    assert len(queues) == defined == 2  # both are dead-letter queues
    alarms = session.client("cloudwatch").describe_alarms()["MetricAlarms"]
    named = {}
    for alarm in alarms:
        assert (alarm["Namespace"], alarm["MetricName"]) == (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
        )
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["AlarmActions"] == [_topic_arn(session)]
        (dimension,) = alarm["Dimensions"]
        assert dimension["Name"] == "QueueName"
        named[dimension["Value"]] = alarm["AlarmName"]
    assert set(named) == queues
    assert named == {
        f"{STACK}-eventsdeadletterqueue-rehearsal": f"{STACK}-events-dead-letters",
        f"{STACK}-ordersstack-deadletterqueue-rehearsal": f"{STACK}-orders-dead-letters",
    }


@pytest.mark.parametrize(
    "extra,address",
    [({}, "ops@example.org"), ({"AlertEmail": "oncall@example.org"}, "oncall@example.org")],
)
def test_topic_is_encrypted_and_mails_the_operator(aws, extra, address):
    stack = _stack("glue", **extra)
    create_stack(aws, stack)
    sns = aws.client("sns")
    topic = _topic_arn(aws)
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", address)]
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    nested = stack.child("DailyWorkflowStack")
    assert attributes["KmsMasterKeyId"] == nested.ref(alerts.KEY)


def test_topic_and_key_let_exactly_the_rules_and_alarms_publish(glue):
    session, stack, _ = glue
    nested = stack.child("DailyWorkflowStack")
    (policy,) = nested.resources("AWS::SNS::TopicPolicy").values()
    topic = _topic_arn(session)
    assert policy["Topics"] == [topic]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    rules = session.client("events").list_rules(NamePrefix=f"{STACK}-")["Rules"]
    rule_arns = sorted(r["Arn"] for r in rules if r["Name"].endswith("-failed"))
    alarms = session.client("cloudwatch").describe_alarms()["MetricAlarms"]
    for sid, service, arns in (
        ("FailureRules", "events.amazonaws.com", rule_arns),
        ("DeadLetterAlarms", "cloudwatch.amazonaws.com", sorted(a["AlarmArn"] for a in alarms)),
    ):
        statement = statements[sid]
        assert statement["Principal"] == {"Service": service}
        assert (statement["Action"], statement["Resource"]) == ("sns:Publish", topic)
        assert sorted(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == arns
    assert len(rule_arns) == 3
    (key,) = nested.resources("AWS::KMS::Key").values()
    assert key["EnableKeyRotation"] is True
    publishers = [s for s in key["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    assert publishers == [
        {
            "Sid": "AlertPublishersEncrypt",
            "Effect": "Allow",
            "Principal": {"Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
    ]
    json.dumps(policy)  # fully resolved: nothing left for CloudFormation
