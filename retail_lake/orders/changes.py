"""Change records: DynamoDB stream record → one NDJSON line of ``order_changes``.

The Firehose transform Lambda (``lambdas/order_stream_transform``) and the local
store both go through :func:`transform_firehose_event`, so the lake holds the same
lines whichever side wrote them. A line has exactly the contract's
``order_changes`` columns; images are JSON strings of plain values (no DynamoDB
type descriptors), Decimals become int or float.

Two record shapes are understood:

* Kinesis Data Streams for DynamoDB (what ``cloudformation/orders.yaml`` deploys):
  no ``SequenceNumber``; ``ApproximateCreationDateTime`` in milliseconds (or
  microseconds, per ``ApproximateCreationDateTimePrecision``). The Kinesis
  record's own sequence number, which Firehose passes in ``kinesisRecordMetadata``,
  orders changes of one key (same partition key → same shard).
* A plain DynamoDB Streams record (as an EventBridge Pipe forwards it):
  ``SequenceNumber`` present, ``ApproximateCreationDateTime`` in seconds.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from retail_lake.contracts import dataset
from retail_lake.orders.model import ORDERS_KEY, plain_number

OPS: tuple[str, ...] = ("INSERT", "MODIFY", "REMOVE")


class ChangeRecordError(ValueError):
    """A stream record cannot be turned into a change line (the reason is the message)."""


@dataclass(frozen=True)
class ChangeRecord:
    op: str
    order_id: str
    event_time: str
    sequence_number: str | None
    new_image: dict[str, Any] | None
    old_image: dict[str, Any] | None

    def to_line(self) -> dict[str, Any]:
        """The NDJSON object: contract columns in contract order, images JSON-encoded."""
        values = {
            "op": self.op,
            "order_id": self.order_id,
            "event_time": self.event_time,
            "sequence_number": self.sequence_number,
            "new_image": _image_json(self.new_image),
            "old_image": _image_json(self.old_image),
        }
        return {name: values[name] for name in dataset("order_changes").column_names}

    def to_ndjson(self) -> str:
        return json.dumps(self.to_line(), separators=(",", ":")) + "\n"


def decode_stream_record(record: Any, sequence_number: str | None = None) -> ChangeRecord:
    """One DynamoDB change (Kinesis-format or plain stream record) → :class:`ChangeRecord`.

    ``sequence_number`` is the Kinesis sequence number, used when the record has
    no DynamoDB ``SequenceNumber`` of its own.
    """
    if not isinstance(record, dict):
        raise ChangeRecordError("the record is not a JSON object")
    op = record.get("eventName")
    if op not in OPS:
        raise ChangeRecordError(f"unknown eventName {op!r}")
    change = record.get("dynamodb")
    if not isinstance(change, dict):
        raise ChangeRecordError("the record has no 'dynamodb' object")
    keys = _image(change.get("Keys"), "Keys")
    new_image = _image(change.get("NewImage"), "NewImage")
    old_image = _image(change.get("OldImage"), "OldImage")
    order_id = _order_id(keys, new_image, old_image)
    if op == "REMOVE":
        new_image = None  # a REMOVE has no after-image, whatever the producer sent
    elif new_image is None:
        raise ChangeRecordError(f"{op} without NewImage (stream view type must include new images)")
    return ChangeRecord(
        op=op,
        order_id=order_id,
        event_time=_event_time(change),
        sequence_number=str(change.get("SequenceNumber") or sequence_number or "") or None,
        new_image=new_image,
        old_image=old_image,
    )


def transform_firehose_event(event: dict[str, Any]) -> dict[str, Any]:
    """The Firehose data-transformation contract: every record comes back, Ok or failed.

    A record that cannot be decoded is returned as ``ProcessingFailed`` with its
    original data (Firehose then writes it under the error prefix); the rest of
    the batch is unaffected.
    """
    out = []
    for record in event.get("records", []):
        record_id = record.get("recordId")
        try:
            line = transform_record(record)
        except ChangeRecordError:
            out.append(
                {
                    "recordId": record_id,
                    "result": "ProcessingFailed",
                    "data": record.get("data", ""),
                }
            )
            continue
        data = base64.b64encode(line.encode("utf-8")).decode("ascii")
        out.append({"recordId": record_id, "result": "Ok", "data": data})
    return {"records": out}


def transform_record(record: dict[str, Any]) -> str:
    """One Firehose record → one NDJSON line (with its newline)."""
    try:
        payload = json.loads(base64.b64decode(record["data"], validate=True))
    except (KeyError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChangeRecordError(f"data is not base64-encoded JSON: {exc}") from None
    metadata = record.get("kinesisRecordMetadata") or {}
    return decode_stream_record(payload, metadata.get("sequenceNumber")).to_ndjson()


def firehose_record(
    record_id: str, payload: dict[str, Any], sequence_number: str
) -> dict[str, Any]:
    """Wrap a stream record as Firehose hands it to the Lambda from a Kinesis source."""
    return {
        "recordId": record_id,
        "data": base64.b64encode(json.dumps(payload).encode()).decode("ascii"),
        "kinesisRecordMetadata": {"sequenceNumber": sequence_number, "partitionKey": record_id},
    }


def _image(value: Any, name: str) -> dict[str, Any] | None:
    from boto3.dynamodb.types import TypeDeserializer

    if value is None:
        return None
    if not isinstance(value, dict):
        raise ChangeRecordError(f"{name} is not an object")
    deserializer = TypeDeserializer()
    try:
        return {k: _plain(deserializer.deserialize(_binary_as_text(v))) for k, v in value.items()}
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise ChangeRecordError(f"{name} is not DynamoDB-typed JSON: {exc}") from None


def _binary_as_text(typed: Any) -> Any:
    """Stream JSON carries binary as base64 text; keep it that way (TypeDeserializer wants bytes)."""
    if not isinstance(typed, dict) or len(typed) != 1:
        return typed
    ((tag, inner),) = typed.items()
    if tag == "B" and isinstance(inner, str):
        return {"S": inner}
    if tag == "BS" and isinstance(inner, list):
        return {"SS": inner}
    if tag == "M" and isinstance(inner, dict):
        return {"M": {k: _binary_as_text(v) for k, v in inner.items()}}
    if tag == "L" and isinstance(inner, list):
        return {"L": [_binary_as_text(v) for v in inner]}
    return typed


def _plain(value: Any) -> Any:
    """Deserialized DynamoDB value → JSON-safe value (sets sorted, binary base64)."""
    from boto3.dynamodb.types import Binary

    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_plain(v) for v in value), key=repr)
    if isinstance(value, Binary):
        return base64.b64encode(bytes(value.value)).decode("ascii")
    return value


def _order_id(*images: dict[str, Any] | None) -> str:
    for image in images:
        if image and image.get(ORDERS_KEY) not in (None, ""):
            return str(image[ORDERS_KEY])
    raise ChangeRecordError(f"no {ORDERS_KEY} in Keys or images")


def _event_time(change: dict[str, Any]) -> str:
    raw = change.get("ApproximateCreationDateTime")
    if type(raw) not in (int, float):
        raise ChangeRecordError(f"ApproximateCreationDateTime is not a number: {raw!r}")
    precision = change.get("ApproximateCreationDateTimePrecision")
    if precision == "MICROSECOND":
        seconds = raw / 1_000_000
    elif precision == "MILLISECOND" or raw > 100_000_000_000:  # ms epochs are 13 digits
        seconds = raw / 1000
    else:
        seconds = float(raw)
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _image_json(image: dict[str, Any] | None) -> str | None:
    if image is None:
        return None
    return json.dumps(image, sort_keys=True, separators=(",", ":"))
