"""AWS adapters of the order channel on moto: DynamoDB writes, SQS dead letters, redrive."""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from retail_lake.orders import (
    DeadLetter,
    DynamoOrderWriter,
    OrderWriteError,
    SqsDeadLetters,
    redrive,
    validate_order,
)
from retail_lake.orders.dead_letters import split_reason
from tests.orders_support import seed_order


@pytest.fixture
def table(aws):
    client = aws.client("dynamodb")
    client.create_table(
        TableName="orders",
        AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


@pytest.fixture
def queue(aws):
    url = aws.client("sqs").create_queue(QueueName="orders-dlq")["QueueUrl"]
    return SqsDeadLetters(url, boto3_session=aws)


def queued_bodies(aws, url: str) -> list[dict]:
    sqs = aws.client("sqs")
    out = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return out
        out += [json.loads(m["Body"]) for m in messages]


def test_writer_puts_the_contract_item(aws, table):
    writer = DynamoOrderWriter("orders", boto3_session=aws)
    assert writer.put(validate_order(seed_order())) == 1
    item = table.get_item(TableName="orders", Key={"order_id": {"S": "O-20260105-000001"}})["Item"]
    assert item == {
        "order_id": {"S": "O-20260105-000001"},
        "item_id": {"S": "P-0001"},
        "qty": {"N": "2"},
        "price": {"N": "19.99"},
        "order_date": {"S": "2026-01-05"},
        "contact_name": {"S": "Ana Diaz"},
        "contact_email": {"S": "ana@example.com"},
        "contact_phone": {"S": "+1-555-0100"},
    }
    writer.put(validate_order(seed_order(qty=5)))  # a later put replaces the order
    item = table.get_item(TableName="orders", Key={"order_id": {"S": "O-20260105-000001"}})["Item"]
    assert item["qty"] == {"N": "5"}


def stubbed_writer(aws, **kwargs):
    client = aws.client("dynamodb")
    sleeps: list[float] = []
    writer = DynamoOrderWriter(
        "orders", client=client, sleep=sleeps.append, jitter=lambda: 1.0, **kwargs
    )
    return writer, Stubber(client), sleeps


def test_throttling_is_retried_with_exponential_backoff(aws):
    order = validate_order(seed_order())
    writer, stub, sleeps = stubbed_writer(aws, base_delay=0.1, max_delay=0.3)
    expected = {"TableName": "orders", "Item": order.to_dynamodb_item()}
    stub.add_client_error(
        "put_item", "ProvisionedThroughputExceededException", expected_params=expected
    )
    stub.add_client_error("put_item", "ThrottlingException", expected_params=expected)
    stub.add_client_error("put_item", "ThrottlingException", expected_params=expected)
    stub.add_response("put_item", {}, expected)
    with stub:
        assert writer.put(order) == 4
    stub.assert_no_pending_responses()
    assert sleeps == pytest.approx([0.1, 0.2, 0.3])  # doubled, capped at max_delay


def test_throttling_past_the_last_attempt_fails(aws):
    writer, stub, sleeps = stubbed_writer(aws, max_attempts=2)
    stub.add_client_error("put_item", "ThrottlingException")
    stub.add_client_error("put_item", "ThrottlingException")
    with stub, pytest.raises(OrderWriteError, match="still throttled after 2 attempts"):
        writer.put(validate_order(seed_order()))
    assert len(sleeps) == 1


def test_other_errors_are_not_retried(aws):
    writer, stub, sleeps = stubbed_writer(aws)
    stub.add_client_error("put_item", "ResourceNotFoundException")
    with stub, pytest.raises(OrderWriteError, match="ResourceNotFoundException"):
        writer.put(validate_order(seed_order()))
    assert sleeps == []


def test_dead_letter_message_carries_reason_and_original(aws, queue):
    original = seed_order(qty=0)
    try:
        validate_order(original)
    except ValueError as exc:
        queue.send(DeadLetter.from_error(exc, original, "s3://lake/landing/orders/b.json"))
    (body,) = queued_bodies(aws, queue.queue_url)
    assert body["reason"] == "bad_qty"
    assert body["error"] == "InvalidOrder"
    assert body["order"] == original
    assert body["source"] == "s3://lake/landing/orders/b.json"
    assert body["detail"] == "qty must be a positive integer, got 0"


def sfn_message(error: str, cause: str, order) -> str:
    """What the DeadLetterOrder state sends (workflows/order_events.asl.json)."""
    return json.dumps(
        {
            "error": error,
            "cause": cause,
            "order": order,
            "source": "s3://lake/landing/orders/b.json",
        }
    )


def lambda_cause(message: str, error: str = "InvalidOrder") -> str:
    return json.dumps(
        {"errorMessage": message, "errorType": error, "requestId": "r", "stackTrace": []}
    )


def test_state_machine_messages_are_normalized():
    letter = DeadLetter.from_message(
        json.loads(sfn_message("InvalidOrder", lambda_cause("bad_qty: qty must be..."), {"x": 1}))
    )
    assert (letter.reason, letter.detail, letter.order) == ("bad_qty", "qty must be...", {"x": 1})
    throttled = DeadLetter.from_message(
        json.loads(
            sfn_message("DynamoDB.ProvisionedThroughputExceededException", "Rate exceeded", {})
        )
    )
    assert throttled.reason == "write_failed"
    assert "Rate exceeded" in throttled.detail
    batch = DeadLetter.from_message(
        {
            "error": "InvalidBatch",
            "cause": lambda_cause("missing_orders: no list", "InvalidBatch"),
            "order": None,
        }
    )
    assert (batch.reason, batch.order) == ("missing_orders", None)
    assert split_reason("no code here") == ("rejected", "no code here")
    # the EventBridge rule's target dead letter: the event that could not start a run
    event = {
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {"bucket": {"name": "lake"}, "object": {"key": "landing/orders/b.json"}},
    }
    started = DeadLetter.from_message(event)
    assert (started.reason, started.order) == ("start_failed", None)
    assert started.source == "s3://lake/landing/orders/b.json"


def test_redrive_writes_the_now_valid_and_keeps_the_rest(aws, table, queue):
    sqs = aws.client("sqs")
    url = queue.queue_url
    bodies = [
        # throttled past the state machine's retries: valid, must now be written
        sfn_message(
            "DynamoDB.ProvisionedThroughputExceededException", "Rate exceeded", seed_order("A")
        ),
        # rejected by an older rule, valid today
        sfn_message("InvalidOrder", lambda_cause("bad_price: ..."), seed_order("B", price=5)),
        # still invalid
        sfn_message("InvalidOrder", lambda_cause("bad_qty: ..."), seed_order("C", qty=-1)),
        # conflicting copies of one OrderId: both stay
        sfn_message("InvalidOrder", lambda_cause("duplicate_order_id: x"), seed_order("D", qty=1)),
        sfn_message("InvalidOrder", lambda_cause("duplicate_order_id: x"), seed_order("D", qty=2)),
        # identical copies: written once, both deleted
        sfn_message("InvalidOrder", lambda_cause("duplicate_order_id: x"), seed_order("E")),
        sfn_message("InvalidOrder", lambda_cause("duplicate_order_id: x"), seed_order("E")),
        # a whole rejected batch has no order to redrive
        json.dumps(
            {"error": "InvalidBatch", "cause": lambda_cause("malformed_json: x"), "order": None}
        ),
    ]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    writer = DynamoOrderWriter("orders", boto3_session=aws)
    summary = redrive(queue, writer).to_dict()
    assert summary == {
        "read": 8,
        "written": 3,
        "deleted": 4,
        "kept": 4,
        "kept_reasons": {"bad_qty": 1, "duplicate_order_id": 2, "malformed_json": 1},
    }
    stored = {i["order_id"]["S"] for i in table.scan(TableName="orders")["Items"]}
    assert stored == {"A", "B", "E"}
    left = queued_bodies(aws, url)  # released: visible again at once
    left_ids = sorted((b["order"] or {}).get("order-info", {}).get("OrderId", "-") for b in left)
    assert left_ids == ["-", "C", "D", "D"]
