"""Firehose data-transformation Lambda: DynamoDB change records → ``order_changes`` NDJSON.

Every record comes back: ``Ok`` with one NDJSON line, or ``ProcessingFailed`` with
its original data (Firehose writes those under its error prefix). INSERT, MODIFY
and REMOVE are all handled; see :mod:`retail_lake.orders.changes`.
"""

from __future__ import annotations

from typing import Any

from retail_lake.orders import transform_firehose_event


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return transform_firehose_event(event)
