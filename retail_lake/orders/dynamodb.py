"""Writing orders to the DynamoDB ``orders`` table, with backoff on throttling.

The state machine retries its own ``putItem``; this writer is what Python code
(the DLQ redrive on AWS) uses. botocore's built-in retries are switched off on the
client it builds, so that exactly one policy — this one — decides how long to wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from retail_lake.orders.model import Order

THROTTLING_ERRORS: frozenset[str] = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)


class OrderWriteError(RuntimeError):
    """An order could not be written (throttled past the last attempt, or refused)."""


class DynamoOrderWriter:
    """``put(order)`` into the table, retrying throttling with capped exponential backoff.

    The wait before retry ``n`` (1-based) is ``jitter() * min(max_delay, base_delay * 2**(n-1))``
    ("full jitter"), so that many writers throttled together do not retry in step.
    """

    def __init__(
        self,
        table_name: str,
        boto3_session: Any = None,
        *,
        client: Any = None,
        max_attempts: int = 8,
        base_delay: float = 0.05,
        max_delay: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.table_name = table_name
        self.client = client or _client(boto3_session)
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep
        self._jitter = jitter

    def put(self, order: Order) -> int:
        """Write (create or replace) the order; returns the number of attempts it took."""
        item = order.to_dynamodb_item()
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.client.put_item(TableName=self.table_name, Item=item)
                return attempt
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in THROTTLING_ERRORS:
                    raise OrderWriteError(f"order {order.order_id}: {code or exc}") from exc
                if attempt == self.max_attempts:
                    raise OrderWriteError(
                        f"order {order.order_id}: still throttled after {attempt} attempts"
                    ) from exc
                self._sleep(self.backoff(attempt))
        raise AssertionError("unreachable")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt``."""
        return self._jitter() * min(self.max_delay, self.base_delay * 2 ** (attempt - 1))


def _client(boto3_session: Any) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3_session or boto3.Session()
    return session.client("dynamodb", config=Config(retries={"total_max_attempts": 1}))
