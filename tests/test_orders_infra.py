"""The state machine definition and the CloudFormation of the order channels."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import decode_str

from retail_lake.orders import asl
from retail_lake.orders.batch import DEFAULT_MAX_ORDERS
from tests.orders_support import REPO, b64, seed_order, unb64

MAX_MAP_CONCURRENCY = 40


@pytest.fixture(scope="module")
def definition():
    return asl.load_definition()


@pytest.fixture(scope="module")
def template():
    parsed, matches = decode_str(asl.TEMPLATE_FILE.read_text("utf-8"))
    assert not matches, matches
    return parsed


def tasks(definition):
    return {n: s for n, s in asl.iter_states(definition["States"]) if s["Type"] == "Task"}


def test_every_task_has_retry_and_catch(definition):
    found = tasks(definition)
    assert set(found) == {
        "ReadBatch",
        "InspectBatch",
        "ValidateOrder",
        "PutOrder",
        "DeadLetterOrder",
        "RejectBatch",
        "RecordLineage",
        "RecordRejectLineage",
    }
    for name, state in found.items():
        assert state.get("Retry"), f"{name} has no Retry"
        assert state.get("Catch"), f"{name} has no Catch"
        for retrier in state["Retry"]:
            assert 1 <= retrier["MaxAttempts"] <= 10 and retrier["BackoffRate"] >= 1.5, name


def test_map_concurrency_is_bounded(definition):
    maps = [s for _, s in asl.iter_states(definition["States"]) if s["Type"] == "Map"]
    assert len(maps) == 1
    assert 1 <= maps[0]["MaxConcurrency"] <= MAX_MAP_CONCURRENCY


def test_put_order_retries_throttling_and_failures_reach_the_dead_letter_queue(definition):
    states = dict(asl.iter_states(definition["States"]))
    throttles = {e for r in states["PutOrder"]["Retry"] for e in r["ErrorEquals"]}
    assert {
        "DynamoDB.ProvisionedThroughputExceededException",
        "DynamoDB.ThrottlingException",
    } <= throttles
    for name in ("ValidateOrder", "PutOrder"):
        assert {c["Next"] for c in states[name]["Catch"]} == {"DeadLetterOrder"}
        assert any("States.ALL" in c["ErrorEquals"] for c in states[name]["Catch"])
    for name in ("ReadBatch", "InspectBatch"):
        assert {c["Next"] for c in states[name]["Catch"]} == {"RejectBatch"}
    body = states["DeadLetterOrder"]["Parameters"]["MessageBody"]
    assert body["order.$"] == "$.order" and body["cause.$"] == "$.error.Cause"
    # InvalidOrder must not be retried: only Lambda service errors are
    for retrier in states["ValidateOrder"]["Retry"]:
        assert all(e.startswith("Lambda.") for e in retrier["ErrorEquals"])


def test_read_uses_get_object_and_string_to_json(definition):
    read = definition["States"]["ReadBatch"]
    assert read["Resource"] == "arn:aws:states:::aws-sdk:s3:getObject"
    assert read["ResultSelector"] == {"document.$": "States.StringToJson($.Body)"}


def test_every_transition_targets_an_existing_state(definition):
    def check(states):
        for name, state in states.items():
            targets = [state.get("Next"), *[c["Next"] for c in state.get("Catch", [])]]
            for target in filter(None, targets):
                assert target in states, f"{name} -> {target}"
            if "ItemProcessor" in state:
                check(state["ItemProcessor"]["States"])
                assert state["ItemProcessor"]["StartAt"] in state["ItemProcessor"]["States"]

    check(definition["States"])
    assert definition["StartAt"] in definition["States"]


def test_task_resources_and_placeholders_are_defined_by_the_template(definition, template):
    machine = template["Resources"]["OrderEventsStateMachine"]["Properties"]
    substitutions = machine["DefinitionSubstitutions"]
    assert asl.placeholders(definition) == set(substitutions)
    resources = template["Resources"]
    for ref in substitutions.values():
        target = ref.get("Ref") or ref["Fn::GetAtt"][0]
        assert target in resources
    assert substitutions["ValidateOrderFunctionArn"] == {
        "Fn::GetAtt": ["ValidateOrderFunction", "Arn"]
    }
    assert substitutions["OrdersTableName"] == {"Ref": "OrdersTable"}
    assert substitutions["DeadLetterQueueUrl"] == {"Ref": "DeadLetterQueue"}
    # every service integration the tasks use is allowed by the state machine role
    statements = resources["OrderEventsStateMachineRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    allowed = {s["Action"] for s in statements}
    needed = {
        "arn:aws:states:::aws-sdk:s3:getObject": "s3:GetObject",
        "arn:aws:states:::lambda:invoke": "lambda:InvokeFunction",
        "arn:aws:states:::dynamodb:putItem": "dynamodb:PutItem",
        "arn:aws:states:::sqs:sendMessage": "sqs:SendMessage",
    }
    for state in tasks(definition).values():
        assert needed[state["Resource"]] in allowed


def test_template_embeds_the_asl_file_unchanged(definition, template):
    assert asl.is_current(), "run: python -m retail_lake.orders.asl --write"
    embedded = template["Resources"]["OrderEventsStateMachine"]["Properties"]["Definition"]
    assert json.loads(json.dumps(embedded)) == definition


def test_template_channel_resources(template):
    res = template["Resources"]
    table = res["OrdersTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["KeySchema"] == [{"AttributeName": "order_id", "KeyType": "HASH"}]
    assert res["DeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    for name in ("ValidateOrderFunction", "OrderStreamTransformFunction"):
        assert res[name]["Properties"]["Runtime"] == "python3.12"
    s3 = res["OrderChangesDeliveryStream"]["Properties"]["ExtendedS3DestinationConfiguration"]
    assert s3["Prefix"] == {"Fn::Sub": "${LakePrefix}raw/order_changes/!{timestamp:yyyy/MM/dd}/"}
    lambda_arn = s3["ProcessingConfiguration"]["Processors"][0]["Parameters"][0]
    assert lambda_arn["ParameterValue"] == {"Fn::GetAtt": ["OrderStreamTransformFunction", "Arn"]}
    pattern = res["OrderEventsRule"]["Properties"]["EventPattern"]
    assert pattern["detail-type"] == ["Object Created"]
    lineage = {
        "RETAIL_LAKE_LINEAGE": {"Ref": "Lineage"},
        "RETAIL_LAKE_LAKE": {"Fn::Sub": "s3://${LakeBucketName}/${LakePrefix}"},
        "RETAIL_LAKE_REGION": {"Ref": "AWS::Region"},
        "RETAIL_LAKE_ORDERS_TABLE": {"Ref": "OrdersTableName"},
    }
    assert res["ValidateOrderFunction"]["Properties"]["Environment"]["Variables"] == {
        "MAX_BATCH_ORDERS": {"Ref": "MaxBatchOrders"},
        "RETAIL_LAKE_ORDERS_DLQ_URL": {"Ref": "DeadLetterQueue"},
        **lineage,
    }
    transform = res["OrderStreamTransformFunction"]["Properties"]
    assert transform["Environment"]["Variables"] == lineage
    assert template["Parameters"]["Lineage"]["Default"] == "lake"
    assert template["Parameters"]["MaxBatchOrders"]["Default"] == DEFAULT_MAX_ORDERS


def statements(document: dict) -> list[dict]:
    """A policy's statements, both branches of a conditional (``Fn::If``) one included."""
    out = []
    for statement in document["Statement"]:
        branches = statement["Fn::If"][1:] if "Fn::If" in statement else [statement]
        out += [b for b in branches if isinstance(b, dict) and "Effect" in b]
    return out


def test_iam_policies_have_no_wildcard_actions_or_resources(template):
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in statements(policy["PolicyDocument"]):
                actions = statement["Action"]
                for action in [actions] if isinstance(actions, str) else actions:
                    assert "*" not in action, f"{name}: {action}"
                resources = statement["Resource"]
                for res in [resources] if not isinstance(resources, list) else resources:
                    assert res != "*", f"{name}: bare * resource"


def test_lambdas_may_write_only_their_lineage_events(template):
    """The Lambdas write nothing but lineage: with ``lake``, new objects under the lake's
    ``_control/lineage/``; with ``datazone:<id>``, lineage events of that domain."""
    res = template["Resources"]
    conditions = template["Conditions"]
    assert conditions["LineageToLake"] == {"Fn::Equals": [{"Ref": "Lineage"}, "lake"]}
    for role in ("ValidateOrderRole", "OrderStreamTransformRole"):
        (policy,) = res[role]["Properties"]["Policies"]
        document = policy["PolicyDocument"]
        guarded = {s["Fn::If"][0]: s["Fn::If"][1] for s in document["Statement"] if "Fn::If" in s}
        assert set(guarded) == {"LineageToLake", "LineageToDataZone"}
        lake = guarded["LineageToLake"]
        assert lake["Action"] == ["s3:PutObject"]
        assert lake["Resource"] == {
            "Fn::Sub": "arn:${AWS::Partition}:s3:::${LakeBucketName}/${LakePrefix}_control/lineage/*"
        }
        assert guarded["LineageToDataZone"]["Action"] == ["datazone:PostLineageEvent"]
        actions = {a for s in statements(document) for a in s["Action"]}
        assert actions == {
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "s3:PutObject",
            "datazone:PostLineageEvent",
        }


def test_the_root_stack_hands_its_lineage_setting_to_the_orders_stack():
    root, matches = decode_str((REPO / "cloudformation" / "retail_lake.yaml").read_text("utf-8"))
    assert not matches, matches
    orders = root["Resources"]["OrdersStack"]["Properties"]["Parameters"]
    assert orders["Lineage"] == {"Ref": "Lineage"}
    assert root["Parameters"]["Lineage"]["Default"] == "lake"
    assert orders["LineageLayerArn"] == {"Ref": "LineageLayerArn"}
    assert root["Parameters"]["LineageLayerArn"]["Default"] == ""
    assert orders["LineageLayerKey"] == {"Fn::Sub": "${ArtifactPrefix}layers/openlineage.zip"}


def test_the_lambdas_get_the_built_lineage_layer_unless_another_is_given(template):
    assert template["Conditions"]["UseBuiltLineageLayer"] == {
        "Fn::Equals": [{"Ref": "LineageLayerArn"}, ""]
    }
    layer = template["Resources"]["LineageLayer"]
    assert layer["Type"] == "AWS::Lambda::LayerVersion"
    assert layer["Condition"] == "UseBuiltLineageLayer"
    assert layer["Properties"]["Content"] == {
        "S3Bucket": {"Ref": "ArtifactBucketName"},
        "S3Key": {"Ref": "LineageLayerKey"},
    }
    for name in ("ValidateOrderFunction", "OrderStreamTransformFunction"):
        props = template["Resources"][name]["Properties"]
        assert props["Layers"] == [
            {
                "Fn::If": [
                    "UseBuiltLineageLayer",
                    {"Ref": "LineageLayer"},
                    {"Ref": "LineageLayerArn"},
                ]
            }
        ]
        assert props["Runtime"] in layer["Properties"]["CompatibleRuntimes"]


# Runs a handler file in a fresh interpreter, as the Lambda runtime loads it, on the
# events read from stdin; prints each result, or the error class name and message.
_RUN_HANDLER = """
import json, runpy, sys
handler = runpy.run_path(sys.argv[1])["handler"]
for event in json.load(sys.stdin):
    try:
        print(json.dumps({"result": handler(event, None)}))
    except Exception as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""


def run_handler_file(name: str, events: list[dict]) -> list[dict]:
    path = REPO / "lambdas" / name / "handler.py"
    done = subprocess.run(
        [sys.executable, "-c", _RUN_HANDLER, str(path)],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_validate_lambda_file_inspects_batches_and_raises_named_errors():
    order = seed_order("O-1")
    inspected, valid, invalid, bad_batch = run_handler_file(
        "validate_order",
        [
            {"batch": {"orders": [order, order]}},
            {"order": order, "index": 0, "duplicates": []},
            {"order": seed_order("O-2", qty=0), "index": 0, "duplicates": []},
            {"batch": {"no_orders": []}},
        ],
    )
    assert inspected["result"]["count"] == 2
    assert inspected["result"]["duplicates"] == [{"index": 1, "kind": "identical"}]
    assert valid["result"]["order"]["order_id"] == "O-1"
    assert valid["result"]["item"]["order_id"] == {"S": "O-1"}
    assert valid["result"]["item"]["qty"] == {"N": "2"}
    assert invalid["error"] == "InvalidOrder"
    assert invalid["message"].startswith("bad_qty: ")
    assert bad_batch["error"] == "InvalidBatch"
    assert bad_batch["message"].startswith("missing_orders: ")


def test_transform_lambda_file_turns_a_stream_record_into_a_change_line():
    image = {"order_id": {"S": "O-1"}, "item_id": {"S": "P-0001"}, "qty": {"N": "3"}}
    record = {
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "ApproximateCreationDateTime": 1767607200,
            "Keys": {"order_id": {"S": "O-1"}},
            "NewImage": image,
            "SequenceNumber": "111100000000012345678901",
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    event = {
        "records": [{"recordId": "r0", "data": b64(record)}, {"recordId": "r1", "data": b64("x")}]
    }
    (out,) = run_handler_file("order_stream_transform", [event])
    ok, failed = out["result"]["records"]
    assert (ok["recordId"], ok["result"]) == ("r0", "Ok")
    line = json.loads(unb64(ok["data"]))
    assert line["op"] == "INSERT" and line["order_id"] == "O-1"
    assert line["sequence_number"] == "111100000000012345678901"
    assert json.loads(line["new_image"]) == {"order_id": "O-1", "item_id": "P-0001", "qty": 3}
    assert line["old_image"] is None
    assert (failed["recordId"], failed["result"]) == ("r1", "ProcessingFailed")
    assert failed["data"] == b64("x")


def test_cfn_lint_passes_without_warnings():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(asl.TEMPLATE_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
