"""The cores of the validate Lambda, shared with the local channel.

``lambdas/validate_order/handler.py`` only turns the library errors into the error
names the state machine catches (``InvalidOrder``, ``InvalidBatch``); the local
ingest calls these same functions in the same order, so both paths accept and
reject exactly the same orders.
"""

from __future__ import annotations

from typing import Any

from retail_lake.orders.batch import DEFAULT_MAX_ORDERS, inspect_batch
from retail_lake.orders.validation import (
    DuplicateKind,
    InvalidOrderError,
    duplicate_error,
    validate_order,
)


def inspect_batch_event(
    event: dict[str, Any], max_orders: int = DEFAULT_MAX_ORDERS
) -> dict[str, Any]:
    """``{"batch": <parsed file>}`` → ``{"orders", "count", "duplicates"}`` for the Map state."""
    return inspect_batch(event.get("batch"), max_orders).to_event()


def validate_order_event(event: dict[str, Any]) -> dict[str, Any]:
    """One Map iteration: ``{"order", "index", "duplicates"}`` → normalized order + item.

    Returns ``{"order": <contract columns>, "item": <DynamoDB typed item>}``: the
    ``putItem`` task takes ``item`` as is, so no type mapping lives in the ASL.
    A bare order as found in a batch file (no ``"order"`` key) is accepted too, without the duplicate check.
    Raises :class:`InvalidOrderError`.
    """
    wrapped = "order" in event or "index" in event
    raw = event.get("order") if wrapped else event
    order = validate_order(raw)
    kind = _duplicate_kind(event.get("duplicates") or [], event.get("index"))
    if kind is not None:
        raise duplicate_error(order.order_id, kind)
    return {"order": order.to_plain(), "item": order.to_dynamodb_item()}


def _duplicate_kind(duplicates: list[dict[str, Any]], index: Any) -> DuplicateKind | None:
    for entry in duplicates:
        if entry.get("index") == index:
            return entry.get("kind", "conflicting")
    return None


__all__ = ["InvalidOrderError", "inspect_batch_event", "validate_order_event"]
