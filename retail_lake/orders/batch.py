"""Order batch files: parsing, size limit and the per-position plan for the Map state.

On AWS the state machine reads the object (``s3:getObject``) and parses it with
``States.StringToJson``; the validate Lambda then inspects the parsed document
(:func:`inspect_batch`). Locally :func:`parse_batch` does both. Either way a batch
that cannot be read as orders is rejected as a whole with one of
:data:`BATCH_REASONS`; it never partly succeeds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from retail_lake.orders.validation import DuplicateKind, find_duplicates

DEFAULT_MAX_ORDERS = 500
"""Orders per batch file. Step Functions passes the parsed batch between states, and a
state's input/output is capped at 256 KiB: 500 orders as the generator writes them (~250 bytes each)
stay well inside it. ``workflows/order_events.asl.json`` needs no copy of this
number; the validate Lambda reads it from ``MAX_BATCH_ORDERS``."""

BATCH_REASONS: tuple[str, ...] = ("malformed_json", "missing_orders", "too_many_orders")


class InvalidBatchError(ValueError):
    """The file is not a usable order batch; ``str()`` is ``"<reason>: <detail>"``."""

    def __init__(self, reason: str, detail: str) -> None:
        if reason not in BATCH_REASONS:
            raise ValueError(f"unknown batch reject reason {reason!r}")
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class BatchPlan:
    """The orders to map over and, by position, the ones that are duplicates."""

    orders: list[Any]
    duplicates: dict[int, DuplicateKind]

    def to_event(self) -> dict[str, Any]:
        """The JSON the Map state iterates: positions as a list (ASL has no int keys)."""
        return {
            "orders": self.orders,
            "count": len(self.orders),
            "duplicates": [{"index": i, "kind": k} for i, k in sorted(self.duplicates.items())],
        }


def decode_document(data: bytes | str) -> Any:
    """Bytes of a batch file → JSON value (what ``States.StringToJson`` does on AWS)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise InvalidBatchError("malformed_json", f"not UTF-8: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise InvalidBatchError(
            "malformed_json", f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def inspect_batch(document: Any, max_orders: int = DEFAULT_MAX_ORDERS) -> BatchPlan:
    """Check the batch's shape and size and find its duplicate ``OrderId``s."""
    if not isinstance(document, dict) or "orders" not in document:
        raise InvalidBatchError(
            "missing_orders", 'the batch must be an object with an "orders" list'
        )
    orders = document["orders"]
    if not isinstance(orders, list):
        raise InvalidBatchError("missing_orders", '"orders" must be a list')
    if len(orders) > max_orders:
        raise InvalidBatchError(
            "too_many_orders", f"{len(orders)} orders, at most {max_orders} per file"
        )
    return BatchPlan(orders=orders, duplicates=find_duplicates(orders).duplicates)


def parse_batch(data: bytes | str, max_orders: int = DEFAULT_MAX_ORDERS) -> BatchPlan:
    """Decode and inspect a batch file in one step (the local path)."""
    return inspect_batch(decode_document(data), max_orders)
