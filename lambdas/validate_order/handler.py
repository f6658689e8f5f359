"""Validate Lambda of the order-event state machine (``workflows/order_events.asl.json``).

Two calls, told apart by the event:

* ``{"batch": <parsed file>}`` (state *InspectBatch*) → the orders to map over and
  their duplicate positions, or error ``InvalidBatch``;
* ``{"order", "index", "duplicates", "source"}`` (state *ValidateOrder*, once per
  Map iteration) → ``{"order": <normalized>, "item": <DynamoDB item>}``, or error
  ``InvalidOrder`` whose message is ``"<reason>: <detail>"``.

* ``{"lineage": "COMPLETE" | "FAIL", "run", "source", ...}`` (states *RecordLineage*
  and *RecordRejectLineage*) → the batch run's last OpenLineage event.

The error names are the contract with the state machine's Catch; the rules live
in :mod:`retail_lake.orders`. ``MAX_BATCH_ORDERS`` sets the batch size limit;
``RETAIL_LAKE_LINEAGE`` and ``RETAIL_LAKE_LAKE`` where lineage goes (the batch's
START is sent from the *InspectBatch* call). Lineage never fails a call: an event
that cannot be sent is logged.
"""

from __future__ import annotations

import os
from typing import Any

from retail_lake.orders import (
    DEFAULT_MAX_ORDERS,
    InvalidBatchError,
    InvalidOrderError,
    inspect_batch_event,
    validate_order_event,
)
from retail_lake.orders.lineage import batch_finished, batch_started, lambda_order_lineage


class InvalidOrder(Exception):  # named for the Step Functions Catch
    """An order broke a validation rule."""


class InvalidBatch(Exception):  # named for the Step Functions Catch
    """The batch file is not a usable list of orders."""


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    if "lineage" in event and "batch" not in event:
        return batch_finished(event, lambda_order_lineage(os.environ, context))
    try:
        if "batch" in event:
            batch_started(event, lambda_order_lineage(os.environ, context))
            max_orders = int(os.environ.get("MAX_BATCH_ORDERS", DEFAULT_MAX_ORDERS))
            return inspect_batch_event(event, max_orders)
        return validate_order_event(event)
    except InvalidOrderError as exc:
        raise InvalidOrder(str(exc)) from None
    except InvalidBatchError as exc:
        raise InvalidBatch(str(exc)) from None
