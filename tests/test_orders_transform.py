"""The Firehose transform Lambda on real-shaped records: INSERT, MODIFY, REMOVE, malformed."""

from __future__ import annotations

import json

import pytest

from retail_lake.contracts import dataset
from retail_lake.orders import ChangeRecordError, decode_stream_record
from tests.orders_support import b64, load_lambda, unb64

transform = load_lambda("order_stream_transform")

NEW = {
    "order_id": {"S": "O-1"},
    "item_id": {"S": "P-0001"},
    "qty": {"N": "3"},
    "price": {"N": "19.99"},
    "contact_name": {"S": "Ana Diaz"},
}
OLD = {**NEW, "qty": {"N": "2"}}


def kinesis_ddb(op: str, new=None, old=None, millis=1767607200123) -> dict:
    """A Kinesis Data Streams for DynamoDB record (no SequenceNumber, ms timestamps)."""
    change = {
        "ApproximateCreationDateTime": millis,
        "ApproximateCreationDateTimePrecision": "MILLISECOND",
        "Keys": {"order_id": {"S": "O-1"}},
        "SizeBytes": 120,
    }
    if new is not None:
        change["NewImage"] = new
    if old is not None:
        change["OldImage"] = old
    return {
        "awsRegion": "us-east-1",
        "eventID": "8a1b2c3d-0000-4000-8000-000000000001",
        "eventName": op,
        "userIdentity": None,
        "recordFormat": "application/json",
        "tableName": "orders",
        "dynamodb": change,
        "eventSource": "aws:dynamodb",
    }


def stream_record(op: str, new=None, old=None) -> dict:
    """A plain DynamoDB Streams record (as an EventBridge Pipe forwards it)."""
    change = {
        "ApproximateCreationDateTime": 1767607200,
        "Keys": {"order_id": {"S": "O-1"}},
        "SequenceNumber": "111100000000012345678901",
        "SizeBytes": 120,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        change["NewImage"] = new
    if old is not None:
        change["OldImage"] = old
    return {
        "eventID": "c4ca4238a0b923820dcc509a6f75849b",
        "eventName": op,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-05T00:00:00.000",
    }


def firehose_event(*datas: str) -> dict:
    return {
        "invocationId": "invocation-1",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/order-changes",
        "sourceKinesisStreamArn": "arn:aws:kinesis:us-east-1:123456789012:stream/order-changes",
        "region": "us-east-1",
        "records": [
            {
                "recordId": f"r{i}",
                "approximateArrivalTimestamp": 1767607200500,
                "data": data,
                "kinesisRecordMetadata": {
                    "sequenceNumber": f"4960000000000000000000000000000000000000000000000000000{i}",
                    "subsequenceNumber": 0,
                    "partitionKey": "E4A3C0F5",
                    "shardId": "shardId-000000000000",
                    "approximateArrivalTimestamp": 1767607200500,
                },
            }
            for i, data in enumerate(datas)
        ],
    }


def lines(result: dict) -> list[dict]:
    return [json.loads(unb64(r["data"])) for r in result["records"] if r["result"] == "Ok"]


def test_insert_modify_remove_from_kinesis_shaped_records():
    event = firehose_event(
        b64(kinesis_ddb("INSERT", new=OLD)),
        b64(kinesis_ddb("MODIFY", new=NEW, old=OLD, millis=1767607201000)),
        b64(kinesis_ddb("REMOVE", old=NEW, millis=1767607202000)),
    )
    result = transform.handler(event, None)
    assert [(r["recordId"], r["result"]) for r in result["records"]] == [
        ("r0", "Ok"),
        ("r1", "Ok"),
        ("r2", "Ok"),
    ]
    for r in result["records"]:
        text = unb64(r["data"])
        assert text.endswith("\n") and text.count("\n") == 1  # one NDJSON line each
    insert, modify, remove = lines(result)
    assert list(insert) == dataset("order_changes").column_names
    assert insert == {
        "op": "INSERT",
        "order_id": "O-1",
        "event_time": "2026-01-05T10:00:00.123Z",
        "sequence_number": "49600000000000000000000000000000000000000000000000000000",
        "new_image": json.dumps(
            {
                "contact_name": "Ana Diaz",
                "item_id": "P-0001",
                "order_id": "O-1",
                "price": 19.99,
                "qty": 2,
            },
            sort_keys=True,
            separators=(",", ":"),
        ),
        "old_image": None,
    }
    assert json.loads(modify["new_image"])["qty"] == 3
    assert json.loads(modify["old_image"])["qty"] == 2
    assert modify["event_time"] == "2026-01-05T10:00:01.000Z"
    assert remove["op"] == "REMOVE"
    assert remove["new_image"] is None
    assert json.loads(remove["old_image"]) == {
        "contact_name": "Ana Diaz",
        "item_id": "P-0001",
        "order_id": "O-1",
        "price": 19.99,
        "qty": 3,
    }


def test_plain_stream_records_keep_their_own_sequence_number():
    event = firehose_event(
        b64(stream_record("INSERT", new=NEW)),
        b64(stream_record("REMOVE", old=NEW)),
    )
    insert, remove = lines(transform.handler(event, None))
    assert insert["sequence_number"] == "111100000000012345678901"
    assert insert["event_time"] == "2026-01-05T10:00:00.000Z"
    assert remove["op"] == "REMOVE" and remove["order_id"] == "O-1"


def test_malformed_records_fail_alone_and_keep_their_data():
    bad = [
        "not base64!!",
        b64(b"not json"),
        b64([1, 2]),
        b64({**kinesis_ddb("INSERT", new=NEW), "eventName": "UPSERT"}),
        b64(kinesis_ddb("INSERT")),  # no NewImage
        b64({**kinesis_ddb("INSERT", new=NEW), "dynamodb": {"NewImage": NEW}}),  # no time
        b64({**kinesis_ddb("MODIFY", new={"qty": {"Q": "1"}})}),  # not typed JSON
        b64(
            {
                **kinesis_ddb("INSERT", new={"qty": {"N": "1"}}),
                "dynamodb": {"ApproximateCreationDateTime": 1, "NewImage": {"qty": {"N": "1"}}},
            }
        ),  # no key
    ]
    good = b64(kinesis_ddb("INSERT", new=NEW))
    event = firehose_event(good, *bad, good)
    result = transform.handler(event, None)
    results = [r["result"] for r in result["records"]]
    assert results == ["Ok"] + ["ProcessingFailed"] * len(bad) + ["Ok"]
    assert [r["recordId"] for r in result["records"]] == [f"r{i}" for i in range(len(bad) + 2)]
    for record, original in zip(result["records"][1:-1], bad, strict=True):
        assert record["data"] == original


def test_numbers_sets_and_nested_values_become_plain_json():
    image = {
        "order_id": {"S": "O-9"},
        "qty": {"N": "10"},
        "ratio": {"N": "0.5"},
        "tags": {"SS": ["b", "a"]},
        "meta": {"M": {"n": {"N": "1"}, "ok": {"BOOL": True}, "none": {"NULL": True}}},
        "blob": {"B": "aGk="},
    }
    change = decode_stream_record(kinesis_ddb("INSERT", new=image))
    assert change.new_image == {
        "order_id": "O-9",
        "qty": 10,
        "ratio": 0.5,
        "tags": ["a", "b"],
        "meta": {"n": 1, "ok": True, "none": None},
        "blob": "aGk=",
    }


def test_remove_ignores_a_stray_new_image_and_needs_a_key():
    record = kinesis_ddb("REMOVE", new=NEW, old=OLD)
    assert decode_stream_record(record).new_image is None
    with pytest.raises(ChangeRecordError, match="no order_id"):
        decode_stream_record(
            {"eventName": "REMOVE", "dynamodb": {"ApproximateCreationDateTime": 1}}
        )


def test_empty_event_gives_empty_records():
    assert transform.handler({"records": []}, None) == {"records": []}
