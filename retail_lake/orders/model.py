"""The normalized order: the contract's ``orders`` columns, and how it maps to DynamoDB.

An order of a batch file nests fields under ``contact-info`` / ``order-info`` with mixed
spellings (``OrderId``, ``item-id``). Everything after validation speaks only the
contract's snake_case column names, so the DynamoDB item, the stream images and
the Athena views all use the same names as ``datasets.toml``.
"""

from __future__ import annotations

from dataclasses import field, make_dataclass
from decimal import Decimal
from typing import Any

from retail_lake.contracts import dataset

ORDERS_KEY = "order_id"
"""The partition key of the DynamoDB ``orders`` table (the contract's key)."""


_PYTHON_TYPES: dict[str, type] = {"string": str, "int": int, "decimal": Decimal, "date": str}
"""How each contract type of ``orders`` is held in Python (dates stay ISO text)."""


class _OrderMethods:
    """Behaviour of :class:`Order`; its fields come from the ``orders`` contract."""

    def to_plain(self) -> dict[str, Any]:
        """JSON-safe values, contract column order, absent optional fields left out.

        Leaving ``None`` out (rather than storing a DynamoDB NULL) keeps the item,
        the stream images and this dict identical whichever way an order travels.
        """
        out: dict[str, Any] = {}
        for name in order_columns():
            value = getattr(self, name)
            if value is None:
                continue
            out[name] = plain_number(value) if isinstance(value, Decimal) else value
        return out

    def to_dynamodb_item(self) -> dict[str, dict[str, Any]]:
        """The item in DynamoDB's typed JSON (``{"S": ...}``), as ``PutItem`` takes it."""
        from boto3.dynamodb.types import TypeSerializer

        serializer = TypeSerializer()
        return {
            name: serializer.serialize(_dynamo_value(value))
            for name, value in self.to_plain().items()
        }

    @classmethod
    def from_plain(cls, values: dict[str, Any]) -> Any:
        """Inverse of :meth:`to_plain` (used by the local store)."""
        typed = {}
        for column in dataset("orders").columns:
            value = values.get(column.name)
            python_type = _PYTHON_TYPES[column.type.name]
            typed[column.name] = None if value is None else python_type(str(value))
        return cls(**typed)


def _order_class() -> type:
    """One valid order: exactly the ``orders`` contract's columns as keyword fields,
    required columns without a default, optional ones defaulting to None."""
    ds = dataset("orders")
    fields = [
        (c.name, _PYTHON_TYPES[c.type.name])
        if c.name in ds.required
        else (c.name, _PYTHON_TYPES[c.type.name] | None, field(default=None))
        for c in ds.columns
    ]
    return make_dataclass("Order", fields, bases=(_OrderMethods,), frozen=True, kw_only=True)


Order = _order_class()


def order_columns() -> list[str]:
    """Column names of the ``orders`` contract; the dataclass must carry exactly these."""
    return dataset("orders").column_names


def plain_number(value: Decimal) -> int | float:
    """Decimal → int when integral, else float: what JSON readers and Athena expect."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _dynamo_value(value: Any) -> Any:
    # boto3 refuses floats (precision); go through str so 19.99 stays 19.99.
    if isinstance(value, float):
        return Decimal(str(value))
    return value
