"""Shared builders for the order-channel tests: orders as batch files hold them, and Lambda loading."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def seed_order(order_id: str = "O-20260105-000001", **info: Any) -> dict[str, Any]:
    """An order exactly as the data generator writes it; ``info`` overrides order-info."""
    order = {
        "contact-info": {"name": "Ana Diaz", "email": "ana@example.com", "phone": "+1-555-0100"},
        "order-info": {
            "OrderId": order_id,
            "item-id": "P-0001",
            "qty": 2,
            "price": 19.99,
            "order-date": "2026-01-05",
        },
    }
    order["order-info"].update(info)
    return order


def with_contact(order: dict[str, Any], **contact: Any) -> dict[str, Any]:
    out = copy.deepcopy(order)
    for key, value in contact.items():
        if value is _DROP:
            out["contact-info"].pop(key, None)
        else:
            out["contact-info"][key] = value
    return out


def without_info(order: dict[str, Any], key: str) -> dict[str, Any]:
    out = copy.deepcopy(order)
    out["order-info"].pop(key)
    return out


_DROP = object()
DROP = _DROP


def load_lambda(name: str) -> ModuleType:
    """Import ``lambdas/<name>/handler.py`` under a unique module name."""
    path = REPO / "lambdas" / name / "handler.py"
    spec = importlib.util.spec_from_file_location(f"lambda_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.b64encode(raw).decode()


def unb64(text: str) -> str:
    return base64.b64decode(text).decode()
