"""The local ``orders`` table: SQLite under ``_control/``, with a change stream.

It plays DynamoDB *and* its stream → Firehose path: every put or delete that
changes an item produces a DynamoDB-shaped change record (Kinesis-format, as
``cloudformation/orders.yaml`` configures), which :meth:`LocalOrderStore.flush`
runs through the very transform the Firehose Lambda uses and writes as one NDJSON
file under ``raw/order_changes/<YYYY>/<MM>/<DD>/``.

Like DynamoDB Streams, a put that changes nothing emits no record. Changes are
kept in an outbox table committed together with the item, and removed only
after their file is written: a crash can repeat a change line, never lose one
(the views take the latest change per order, so a repeat is harmless).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retail_lake.orders.changes import firehose_record, transform_firehose_event
from retail_lake.orders.model import ORDERS_KEY, Order
from retail_lake.storage import layout, open_storage

ORDERS_DB = f"{layout.CONTROL}/orders.sqlite"
"""Lake-relative path of the local orders table."""

Clock = Callable[[], dt.datetime]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, item TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sequence (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
INSERT OR IGNORE INTO sequence (id, last) VALUES (1, 0);
"""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LocalOrderStore:
    """``put(order)`` / ``delete(order_id)`` / ``get(order_id)`` / ``flush()`` on a local lake."""

    def __init__(self, lake_root: str, *, clock: Clock = _utc_now, table_name: str = "orders"):
        if lake_root.startswith("s3://"):
            raise ValueError("the local orders store needs a local lake directory, not S3")
        self._storage = open_storage(lake_root)
        path = Path(self._storage.uri(ORDERS_DB))
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.executescript(_SCHEMA)
        self._clock = clock
        self._table = table_name

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> LocalOrderStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, order_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT item FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM orders").fetchone()[0]

    def put(self, order: Order) -> str | None:
        """Create or replace; returns the change (``INSERT``/``MODIFY``) or None if unchanged."""
        item = order.to_plain()
        with self._db:
            old = self.get(order.order_id)
            if old == item:
                return None
            self._db.execute(
                "INSERT INTO orders (order_id, item) VALUES (?, ?) "
                "ON CONFLICT(order_id) DO UPDATE SET item = excluded.item",
                (order.order_id, json.dumps(item)),
            )
            op = "INSERT" if old is None else "MODIFY"
            self._emit(op, order.order_id, new=order.to_dynamodb_item(), old=_typed(old))
        return op

    def delete(self, order_id: str) -> bool:
        """Remove the order; True if it existed (only then is a REMOVE emitted)."""
        with self._db:
            old = self.get(order_id)
            if old is None:
                return False
            self._db.execute("DELETE FROM orders WHERE order_id = ?", (order_id,))
            self._emit("REMOVE", order_id, new=None, old=_typed(old))
        return True

    def pending(self) -> int:
        return self._db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def flush(self) -> str | None:
        """Write pending changes as one NDJSON file (what Firehose does per buffer).

        Returns the lake-relative path written, or None when nothing was pending.
        """
        rows = self._db.execute("SELECT seq, record FROM outbox ORDER BY seq").fetchall()
        if not rows:
            return None
        records = [json.loads(record) for _, record in rows]
        result = transform_firehose_event({"records": records})
        failed = [r["recordId"] for r in result["records"] if r["result"] != "Ok"]
        if failed:  # our own records: failing here is a bug, not bad input
            raise RuntimeError(f"local change records failed the transform: {failed}")
        body = b"".join(base64.b64decode(r["data"]) for r in result["records"])
        now = self._clock().astimezone(dt.UTC)
        name = f"orders-local-{now:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4().hex[:12]}.json"
        rel = f"{layout.order_changes_dir()}/{now:%Y/%m/%d}/{name}"
        self._storage.write_bytes(rel, body)
        with self._db:
            self._db.execute("DELETE FROM outbox WHERE seq <= ?", (rows[-1][0],))
        return rel

    def _emit(self, op: str, order_id: str, new: dict | None, old: dict | None) -> None:
        seq = self._next_sequence()
        millis = int(self._clock().timestamp() * 1000)
        keys = {ORDERS_KEY: {"S": order_id}}
        change: dict[str, Any] = {
            "ApproximateCreationDateTime": millis,
            "ApproximateCreationDateTimePrecision": "MILLISECOND",
            "Keys": keys,
            "SizeBytes": len(json.dumps(new or old)),
        }
        if new is not None:
            change["NewImage"] = new
        if old is not None:
            change["OldImage"] = old
        payload = {
            "awsRegion": "local",
            "eventID": str(uuid.uuid4()),
            "eventName": op,
            "eventSource": "aws:dynamodb",
            "recordFormat": "application/json",
            "tableName": self._table,
            "userIdentity": None,
            "dynamodb": change,
        }
        record = firehose_record(payload["eventID"], payload, f"{seq:021d}")
        self._db.execute("INSERT INTO outbox (record) VALUES (?)", (json.dumps(record),))

    def _next_sequence(self) -> int:
        self._db.execute("UPDATE sequence SET last = last + 1 WHERE id = 1")
        return self._db.execute("SELECT last FROM sequence WHERE id = 1").fetchone()[0]


def _typed(item: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if item is None else Order.from_plain(item).to_dynamodb_item()
