"""Failure alerts: what goes wrong unattended reaches the operators by e-mail.

One SNS topic, subscribed by e-mail (``AlertEmail``), receives:

* **a Glue job of the daily workflow that ends** ``FAILED``, ``TIMEOUT``, ``STOPPED``
  or ``ERROR`` (EventBridge ``Glue Job State Change``; Glue variant only);
* **an execution of a state machine that ends** ``FAILED``, ``TIMED_OUT`` or
  ``ABORTED`` (``Step Functions Execution Status Change``): the daily state machine
  of the EMR variant and the order-events state machine of the orders stack;
* **a crawler of this stack that ends** ``Failed`` (EventBridge ``Glue Crawler State
  Change``, matched on the stack's crawler names; both variants run the crawlers): a
  failed crawl leaves the landing/raw tables without their new partitions, and no job
  or execution fails with it;
* **a message waiting in a dead-letter queue** (one CloudWatch alarm per queue on
  ``ApproximateNumberOfMessagesVisible > 0``): an EventBridge delivery, a Lambda
  invocation or an order that failed after its retries.

The rules' input transformers turn the event into one line naming what failed, the
state it ended in and the error. The topic is encrypted with its own KMS key:
EventBridge and CloudWatch cannot publish to a topic under the AWS-managed SNS key.
:func:`attach` adds all of it to the generated nested stack (``template.py``).
"""

from __future__ import annotations

from typing import Any

from retail_lake import crawlers as crawler_defs
from retail_lake.infra._common import arn
from retail_lake.infra.glue import IS_GLUE, crawler_name, job_name
from retail_lake.runner.workflow import Workflow

TOPIC = "AlertTopic"
KEY = "AlertKey"
GLUE_RULE = "GlueJobFailedRule"
EXECUTION_RULE = "ExecutionFailedRule"
CRAWLER_RULE = "CrawlerFailedRule"
ALERT_EMAIL = "AlertEmail"
ORDER_STATE_MACHINE = "OrderEventsStateMachine"

GLUE_STATES = ("FAILED", "TIMEOUT", "STOPPED", "ERROR")
EXECUTION_STATES = ("FAILED", "TIMED_OUT", "ABORTED")
CRAWLER_STATES = ("Failed",)
"""Crawler events spell states in title case (``Started``, ``Succeeded``, ``Failed``)."""

# Nested-stack parameter naming the queue -> (alarm name suffix, what lands there).
DEAD_LETTER_QUEUES = {
    "EventsDeadLetterQueue": (
        "events-dead-letters",
        "EventBridge deliveries and asynchronous Lambda invocations (file_arrived, "
        "check_completeness) that failed after their retries",
    ),
    "OrdersDeadLetterQueue": (
        "orders-dead-letters",
        "order batches and orders the order-events state machine could not store",
    ),
}

PARAMETERS: dict[str, dict[str, Any]] = {
    "AlertSender": {
        "Type": "String",
        "Description": "Verified SES sender of the alert a failing job sends itself.",
    },
    "AlertRecipients": {
        "Type": "String",
        "Description": "Comma-separated recipients of that alert (step, dates, cause).",
    },
    ALERT_EMAIL: {
        "Type": "String",
        "Description": "Address subscribed by e-mail to the failure alerts topic.",
        "AllowedPattern": "^[^@\\s]+@[^@\\s]+$",
    },
    **{
        name: {"Type": "String", "Description": f"Name of the queue of {what}."}
        for name, (_, what) in DEAD_LETTER_QUEUES.items()
    },
    ORDER_STATE_MACHINE: {
        "Type": "String",
        "Description": "ARN of the order-events state machine (orders stack).",
    },
}

OUTPUTS = {
    "AlertTopicArn": {
        "Description": "SNS topic of the failure alerts (subscribe more addresses here).",
        "Value": {"Ref": TOPIC},
    }
}


def alarm_id(queue_parameter: str) -> str:
    return queue_parameter + "Alarm"


def _key() -> dict[str, Any]:
    return {
        "Type": "AWS::KMS::Key",
        "Properties": {
            "Description": {"Fn::Sub": "${SystemName} failure alerts topic"},
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AccountAdministersTheKey",
                        "Effect": "Allow",
                        "Principal": {"AWS": arn("iam", "root", region=False)},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        "Sid": "AlertPublishersEncrypt",
                        "Effect": "Allow",
                        "Principal": {
                            "Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
                        },
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                        "Resource": "*",
                    },
                ],
            },
        },
    }


def _topic_policy() -> dict[str, Any]:
    def publish(sid: str, service: str, sources: list[Any]) -> dict[str, Any]:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sns:Publish",
            "Resource": {"Ref": TOPIC},
            "Condition": {"ArnEquals": {"aws:SourceArn": sources}},
        }

    rules = [
        {"Fn::If": [IS_GLUE, {"Fn::GetAtt": [GLUE_RULE, "Arn"]}, {"Ref": "AWS::NoValue"}]},
        {"Fn::GetAtt": [EXECUTION_RULE, "Arn"]},
        {"Fn::GetAtt": [CRAWLER_RULE, "Arn"]},
    ]
    alarms = [{"Fn::GetAtt": [alarm_id(q), "Arn"]} for q in DEAD_LETTER_QUEUES]
    return {
        "Type": "AWS::SNS::TopicPolicy",
        "Properties": {
            "Topics": [{"Ref": TOPIC}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    publish("FailureRules", "events.amazonaws.com", rules),
                    publish("DeadLetterAlarms", "cloudwatch.amazonaws.com", alarms),
                ],
            },
        },
    }


def _rule(name: str, description: str, pattern: dict, paths: dict, message: str) -> dict:
    """A rule whose one target mails ``message`` (``<var>`` filled from ``paths``)."""
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "Name": {"Fn::Sub": "${SystemName}-" + name},
            "Description": description,
            "State": "ENABLED",
            "EventPattern": pattern,
            "Targets": [
                {
                    "Id": "alert-topic",
                    "Arn": {"Ref": TOPIC},
                    "InputTransformer": {
                        "InputPathsMap": paths,
                        "InputTemplate": {"Fn::Sub": "[${SystemName}] " + message},
                    },
                }
            ],
        },
    }


def glue_rule(workflow: Workflow) -> dict[str, Any]:
    jobs = [{"Fn::Sub": job_name(s)} for s in workflow.ordered() if s.kind == "job"]
    rule = _rule(
        "glue-job-failed",
        "A job of the daily Glue workflow failed, timed out or was stopped.",
        {
            "source": ["aws.glue"],
            "detail-type": ["Glue Job State Change"],
            "detail": {"jobName": jobs, "state": list(GLUE_STATES)},
        },
        {
            "job": "$.detail.jobName",
            "state": "$.detail.state",
            "run": "$.detail.jobRunId",
            "message": "$.detail.message",
        },
        "Glue job <job> ended <state> (run <run>): <message>",
    )
    return {"Type": rule["Type"], "Condition": IS_GLUE, "Properties": rule["Properties"]}


def execution_rule() -> dict[str, Any]:
    daily = arn("states", "stateMachine:${SystemName}-daily")  # the EMR variant's
    return _rule(
        "execution-failed",
        "An execution of the daily (EMR) or the order-events state machine failed, "
        "timed out or was aborted.",
        {
            "source": ["aws.states"],
            "detail-type": ["Step Functions Execution Status Change"],
            "detail": {
                "stateMachineArn": [daily, {"Ref": ORDER_STATE_MACHINE}],
                "status": list(EXECUTION_STATES),
            },
        },
        {
            "machine": "$.detail.stateMachineArn",
            "execution": "$.detail.name",
            "status": "$.detail.status",
            "error": "$.detail.error",
            "cause": "$.detail.cause",
        },
        "state machine <machine> execution <execution> ended <status>: <error> <cause>",
    )


def crawler_rule() -> dict[str, Any]:
    """Failed runs of this stack's crawlers only: the pattern lists their names, so
    another stack's crawlers in the account never mail this topic."""
    names = [{"Fn::Sub": crawler_name(c.name)} for c in crawler_defs.load_crawlers()]
    return _rule(
        "crawler-failed",
        "A crawler of the daily workflow failed.",
        {
            "source": ["aws.glue"],
            "detail-type": ["Glue Crawler State Change"],
            "detail": {"crawlerName": names, "state": list(CRAWLER_STATES)},
        },
        {
            "crawler": "$.detail.crawlerName",
            "state": "$.detail.state",
            "error": "$.detail.errorMessage",
            "logs": "$.detail.cloudWatchLogLink",
        },
        "Glue crawler <crawler> ended <state>: <error> (log: <logs>)",
    )


def dead_letter_alarm(queue_parameter: str) -> dict[str, Any]:
    suffix, what = DEAD_LETTER_QUEUES[queue_parameter]
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": {"Fn::Sub": "${SystemName}-" + suffix},
            "AlarmDescription": f"Messages wait in the dead-letter queue of {what}.",
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Ref": queue_parameter}}],
            "Statistic": "Maximum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": TOPIC}],
        },
    }


def alert_resources(workflow: Workflow) -> dict[str, Any]:
    resources: dict[str, Any] = {
        KEY: _key(),
        TOPIC: {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": {"Fn::Sub": "${SystemName}-alerts"},
                "DisplayName": "retail-lake alerts",
                "KmsMasterKeyId": {"Ref": KEY},
            },
        },
        "AlertTopicPolicy": _topic_policy(),
        "AlertEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": TOPIC},
                "Protocol": "email",
                "Endpoint": {"Ref": ALERT_EMAIL},
            },
        },
        GLUE_RULE: glue_rule(workflow),
        EXECUTION_RULE: execution_rule(),
        CRAWLER_RULE: crawler_rule(),
    }
    resources.update({alarm_id(q): dead_letter_alarm(q) for q in DEAD_LETTER_QUEUES})
    return resources


def attach(workflow: Workflow, template: dict[str, Any]) -> dict[str, Any]:
    """``template`` with the alert parameters, resources and outputs added."""
    template["Description"] += (
        " Failure alerts by e-mail (SNS) for jobs, crawlers, executions, dead letters."
    )
    template["Parameters"] = {**template["Parameters"], **PARAMETERS}
    template["Resources"].update(alert_resources(workflow))
    template["Outputs"].update(OUTPUTS)
    return template
