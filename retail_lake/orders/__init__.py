"""The order-event channel and order change capture (docs/design.md, Order-event channel).

Order batches are validated order by order, good orders go to the ``orders`` table
(DynamoDB on AWS, SQLite locally), rejects to a dead-letter queue (SQS / JSON
lines), and every change of the table becomes an NDJSON line under
``raw/order_changes/``. The Lambda handlers and the local channel call the same
functions; see :mod:`retail_lake.orders.local` for the step order.
"""

from __future__ import annotations

from retail_lake.orders.batch import (
    BATCH_REASONS,
    DEFAULT_MAX_ORDERS,
    BatchPlan,
    InvalidBatchError,
    decode_document,
    inspect_batch,
    parse_batch,
)
from retail_lake.orders.changes import (
    ChangeRecord,
    ChangeRecordError,
    decode_stream_record,
    transform_firehose_event,
)
from retail_lake.orders.dead_letters import (
    DeadLetter,
    DeadLetterQueue,
    JsonLinesDeadLetters,
    SqsDeadLetters,
)
from retail_lake.orders.dynamodb import DynamoOrderWriter, OrderWriteError
from retail_lake.orders.events import inspect_batch_event, validate_order_event
from retail_lake.orders.local import IngestSummary, delete_order, ingest_file, redrive_local
from retail_lake.orders.local_store import LocalOrderStore
from retail_lake.orders.model import Order
from retail_lake.orders.redrive import RedriveSummary, redrive
from retail_lake.orders.validation import REASONS, InvalidOrderError, validate_order

__all__ = [
    "BATCH_REASONS",
    "DEFAULT_MAX_ORDERS",
    "REASONS",
    "BatchPlan",
    "ChangeRecord",
    "ChangeRecordError",
    "DeadLetter",
    "DeadLetterQueue",
    "DynamoOrderWriter",
    "IngestSummary",
    "InvalidBatchError",
    "InvalidOrderError",
    "JsonLinesDeadLetters",
    "LocalOrderStore",
    "Order",
    "OrderWriteError",
    "RedriveSummary",
    "SqsDeadLetters",
    "decode_document",
    "decode_stream_record",
    "delete_order",
    "ingest_file",
    "inspect_batch",
    "inspect_batch_event",
    "parse_batch",
    "redrive",
    "redrive_local",
    "transform_firehose_event",
    "validate_order",
    "validate_order_event",
]
