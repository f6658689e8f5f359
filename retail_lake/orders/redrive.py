"""Redrive the dead-letter queue after a fix: re-validate, write the good, keep the rest.

"After a fix" means either the rules changed (a deployed fix) or the operator
corrected a letter (locally: edited the JSON-lines file; on SQS: sent a corrected
copy and deleted the bad one). Each letter's original order is validated again
with today's rules, and the duplicate rule applies among the letters being
redriven: conflicting copies of one ``OrderId`` stay queued until one is removed;
identical copies are written once and all deleted.

A letter is deleted only after its order was written, so a crash in the middle
leaves letters queued and the next redrive writes them again (writes are
idempotent puts).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from retail_lake.orders.dead_letters import DeadLetterQueue
from retail_lake.orders.dynamodb import OrderWriteError
from retail_lake.orders.model import Order
from retail_lake.orders.validation import find_duplicates


class OrderSink(Protocol):
    """Where valid orders go: the DynamoDB writer or the local store."""

    def put(self, order: Order) -> Any: ...


@dataclass
class RedriveSummary:
    read: int = 0
    written: int = 0
    kept: int = 0
    kept_reasons: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "written": self.written,
            "deleted": self.read - self.kept,
            "kept": self.kept,
            "kept_reasons": dict(sorted(self.kept_reasons.items())),
        }


def redrive(queue: DeadLetterQueue, sink: OrderSink) -> RedriveSummary:
    """Move every now-valid dead letter into ``sink``; returns what happened."""
    received = queue.receive_all()
    summary = RedriveSummary(read=len(received))
    orders = [r for r in received if r.letter.order is not None]
    check = find_duplicates([r.letter.order for r in orders])
    done: list[str] = []
    keep = [r.handle for r in received if r.letter.order is None]
    summary.kept_reasons.update(r.letter.reason for r in received if r.letter.order is None)
    written_ids: set[str] = set()
    try:
        for index, rec in enumerate(orders):
            duplicate = check.duplicates.get(index)
            if index in check.invalid:
                keep.append(rec.handle)
                summary.kept_reasons[check.invalid[index].reason] += 1
            elif duplicate == "conflicting":
                keep.append(rec.handle)
                summary.kept_reasons["duplicate_order_id"] += 1
            elif duplicate == "identical":
                # the first copy comes earlier; if it was written this one is redundant
                if check.valid[index].order_id in written_ids:
                    done.append(rec.handle)
                else:
                    keep.append(rec.handle)
                    summary.kept_reasons["write_failed"] += 1
            else:
                try:
                    sink.put(check.valid[index])
                except OrderWriteError:
                    keep.append(rec.handle)
                    summary.kept_reasons["write_failed"] += 1
                    continue
                written_ids.add(check.valid[index].order_id)
                done.append(rec.handle)
                summary.written += 1
    finally:
        queue.delete(done)
        queue.release(keep)
    summary.kept = len(keep)
    return summary
