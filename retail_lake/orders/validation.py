"""Validation rules of one order and of duplicates within a batch.

An order is checked rule by rule and rejected with the first reason it breaks:

============================  =====================================================
reason                        rule
============================  =====================================================
``malformed_order``           the order is an object with ``contact-info`` and
                              ``order-info`` objects
``missing_contact_name``      ``contact-info.name`` is a non-blank string
``missing_contact_email``     ``contact-info.email`` is a non-blank string
``bad_contact_email``         ... and is well formed (``local@domain.tld``)
``bad_contact_phone``         ``contact-info.phone``, when given, is a string
``missing_order_id``          ``order-info.OrderId`` is present and not blank
``bad_order_id``              ... and is a string
``missing_item_id``           ``order-info.item-id`` is present and not blank
``bad_item_id``               ... and is a string
``bad_qty``                   ``order-info.qty`` is a positive integer (JSON
                              integer; booleans, floats and strings are rejected)
``bad_price``                 ``order-info.price``, when given, is a number >= 0
                              that contract ``decimal(18,2)`` holds exactly
                              (``1200.500`` is 1200.50; ``19.999`` is rejected)
``bad_order_date``            ``order-info.order-date``, when given, is YYYY-MM-DD
``duplicate_order_id``        see :func:`find_duplicates`
============================  =====================================================

The same table, with the batch-level reasons, is in docs/design.md, Order-event channel.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from retail_lake.orders.model import Order

REASONS: tuple[str, ...] = (
    "malformed_order",
    "missing_contact_name",
    "missing_contact_email",
    "bad_contact_email",
    "bad_contact_phone",
    "missing_order_id",
    "bad_order_id",
    "missing_item_id",
    "bad_item_id",
    "bad_qty",
    "bad_price",
    "bad_order_date",
    "duplicate_order_id",
)

# Deliberately simple: one @, no spaces, a dot in the domain. Full RFC 5322 would
# accept addresses no mail system delivers to and is not what "well formed" means here.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class InvalidOrderError(ValueError):
    """An order broke a rule; ``reason`` is one of :data:`REASONS`.

    ``str(error)`` is ``"<reason>: <detail>"``: that is what the Lambda error's
    message carries into the Step Functions Catch and on to the dead-letter queue.
    """

    def __init__(self, reason: str, detail: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown order reject reason {reason!r}")
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def validate_order(raw: Any) -> Order:
    """Check one order of a batch file and return it normalized, or raise :class:`InvalidOrderError`."""
    if not isinstance(raw, dict):
        raise InvalidOrderError("malformed_order", f"an order must be an object, got {_kind(raw)}")
    contact, info = raw.get("contact-info"), raw.get("order-info")
    for section, value in (("contact-info", contact), ("order-info", info)):
        if not isinstance(value, dict):
            raise InvalidOrderError("malformed_order", f"{section} must be an object")
    assert isinstance(contact, dict) and isinstance(info, dict)

    name = _text(contact.get("name"))
    if not name:
        raise InvalidOrderError("missing_contact_name", "contact-info.name is missing or blank")
    email = _text(contact.get("email"))
    if not email:
        raise InvalidOrderError("missing_contact_email", "contact-info.email is missing or blank")
    if not _EMAIL.match(email):
        raise InvalidOrderError("bad_contact_email", f"not a well-formed email: {email!r}")
    phone = contact.get("phone")
    if phone is not None and not isinstance(phone, str):
        raise InvalidOrderError("bad_contact_phone", f"phone must be a string, got {_kind(phone)}")

    order_id = _identifier(info, "OrderId", "order_id")
    item_id = _identifier(info, "item-id", "item_id")
    qty = info.get("qty")
    if type(qty) is not int or qty <= 0:  # type() so that True/False are refused
        raise InvalidOrderError("bad_qty", f"qty must be a positive integer, got {qty!r}")
    return Order(
        order_id=order_id,
        item_id=item_id,
        qty=qty,
        contact_name=name,
        contact_email=email,
        price=_price(info.get("price")),
        order_date=_order_date(info.get("order-date")),
        contact_phone=phone.strip() or None if isinstance(phone, str) else None,
    )


DuplicateKind = Literal["identical", "conflicting"]


@dataclass(frozen=True)
class BatchCheck:
    """Per-position outcome of a batch: the valid orders and which are duplicates."""

    valid: dict[int, Order]
    invalid: dict[int, InvalidOrderError]
    duplicates: dict[int, DuplicateKind]


def find_duplicates(orders: list[Any]) -> BatchCheck:
    """Validate every order, then apply the duplicate rule to the valid ones.

    Same rule as the validation rule ``duplicate_key``: among orders that passed the other
    rules, when one ``OrderId`` appears more than once in a batch, the first copy is
    kept if all copies are identical (after normalization) and the later copies are
    rejected; if the copies differ, *all* of them are rejected, because the batch
    does not say which version is right. Orders that broke another rule do not
    count as copies.
    """
    valid: dict[int, Order] = {}
    invalid: dict[int, InvalidOrderError] = {}
    for index, raw in enumerate(orders):
        try:
            valid[index] = validate_order(raw)
        except InvalidOrderError as exc:
            invalid[index] = exc
    by_id: dict[str, list[int]] = {}
    for index, order in valid.items():
        by_id.setdefault(order.order_id, []).append(index)
    duplicates: dict[int, DuplicateKind] = {}
    for indexes in by_id.values():
        if len(indexes) < 2:
            continue
        first = valid[indexes[0]]
        if all(valid[i] == first for i in indexes[1:]):
            duplicates.update({i: "identical" for i in indexes[1:]})
        else:
            duplicates.update({i: "conflicting" for i in indexes})
    return BatchCheck(valid, invalid, duplicates)


def duplicate_error(order_id: str, kind: DuplicateKind) -> InvalidOrderError:
    if kind == "identical":
        detail = f"OrderId {order_id!r} repeats an identical earlier order of the batch"
    else:
        detail = f"OrderId {order_id!r} appears in the batch with different contents"
    return InvalidOrderError("duplicate_order_id", detail)


def _identifier(info: dict[str, Any], field: str, column: str) -> str:
    value = info.get(field)
    missing, bad = f"missing_{column}", f"bad_{column}"
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidOrderError(missing, f"order-info.{field} is missing or blank")
    if not isinstance(value, str):
        raise InvalidOrderError(bad, f"order-info.{field} must be a string, got {_kind(value)}")
    return value.strip()


def _price(value: Any) -> Decimal | None:
    if value is None:
        return None
    if type(value) not in (int, float) or (isinstance(value, float) and not math.isfinite(value)):
        raise InvalidOrderError("bad_price", f"price must be a number, got {value!r}")
    price = Decimal(str(value))
    if price < 0:
        raise InvalidOrderError("bad_price", f"price must not be negative, got {value!r}")
    if price != price.quantize(Decimal("0.01")):
        raise InvalidOrderError("bad_price", f"price would lose digits past 2 decimals: {value!r}")
    return price


def _order_date(value: Any) -> str | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str) or not _DATE.match(value):
            raise ValueError
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidOrderError(
            "bad_order_date", f"order-date must be YYYY-MM-DD, got {value!r}"
        ) from None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _kind(value: Any) -> str:
    return type(value).__name__ if value is not None else "null"


def canonical(value: Any) -> str:
    """A stable JSON spelling, for comparing and storing originals."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
