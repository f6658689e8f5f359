"""Firehose data-transformation Lambda: DynamoDB change records → ``order_changes`` NDJSON.

Every record comes back: ``Ok`` with one NDJSON line, or ``ProcessingFailed`` with
its original data (Firehose writes those under its error prefix). INSERT, MODIFY
and REMOVE are all handled; see :mod:`retail_lake.orders.changes`. Each invocation
is one OpenLineage ``capture_changes`` run when ``RETAIL_LAKE_LINEAGE`` and
``RETAIL_LAKE_LAKE`` are set (an event that cannot be sent is logged, never raised).
"""

from __future__ import annotations

import os
from typing import Any

from retail_lake.orders.lineage import firehose_transform, lambda_order_lineage


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return firehose_transform(event, lambda_order_lineage(os.environ, context))
