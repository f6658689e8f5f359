"""The order-event channel on a laptop: the state machine's steps against local adapters.

:func:`ingest_file` follows ``workflows/order_events.asl.json`` step by step:

1. *ReadBatch* — read the file (``s3:getObject`` + ``States.StringToJson``);
2. *InspectBatch* — :func:`~retail_lake.orders.events.inspect_batch_event`
   (shape, size, duplicates); a bad batch is dead-lettered whole;
3. *ProcessOrders* (Map), per order: *ValidateOrder*
   (:func:`~retail_lake.orders.events.validate_order_event`), then *PutOrder* into
   the local store; any failure → *DeadLetter* with the reason and the original;
4. the store's change stream is flushed into ``raw/order_changes/`` through the
   Firehose transform (the local stand-in for DynamoDB stream → Firehose).

Nothing is lost: orders in = orders stored + orders dead-lettered, checked before
returning. Each write emits OpenLineage events (:mod:`retail_lake.lineage._orders`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retail_lake.orders.batch import DEFAULT_MAX_ORDERS, InvalidBatchError, decode_document
from retail_lake.orders.dead_letters import DeadLetter, JsonLinesDeadLetters
from retail_lake.orders.events import inspect_batch_event, validate_order_event
from retail_lake.orders.lineage import local_order_lineage, new_run_id, redrive_with_lineage
from retail_lake.orders.local_store import Clock, LocalOrderStore, _utc_now
from retail_lake.orders.model import Order
from retail_lake.orders.validation import InvalidOrderError
from retail_lake.storage import layout, open_storage

if TYPE_CHECKING:
    from retail_lake.lineage._orders import OrderLineage


class ChannelError(RuntimeError):
    """The local channel lost count of orders (a bug, never bad input)."""


@dataclass(frozen=True)
class IngestSummary:
    source: str
    orders_in: int
    stored: int
    dead_lettered: int
    inserted: int
    modified: int
    unchanged: int
    batch_rejected: str | None = None
    changes_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ingest_file(
    lake_root: str | Path,
    path: str | Path,
    *,
    max_orders: int = DEFAULT_MAX_ORDERS,
    clock: Clock = _utc_now,
    lineage: str = "lake",
) -> IngestSummary:
    """Run one order batch file through the channel into a local lake.

    A file outside ``landing/orders/`` is first copied there, as uploading it to
    the bucket would. A rejected batch is not an exception: it is dead-lettered
    and reported in ``batch_rejected`` (the CLI should exit non-zero on it).
    ``lineage`` is the setting of that name: the batch is one ``ingest_batch`` run
    (START, then COMPLETE, or FAIL for a rejected batch or an error) and each flush
    of the change stream one ``capture_changes`` run.
    """
    root = str(lake_root)
    source = _land(root, Path(path))
    emitter = local_order_lineage(root, lineage)
    run_id = new_run_id()
    if emitter:
        emitter.ingest_started(run_id, source)
    try:
        summary = _ingest(root, source, max_orders, clock, emitter)
    except Exception as exc:
        if emitter:
            emitter.ingest_failed(run_id, source, exc)
        raise
    if emitter and summary.batch_rejected:
        emitter.ingest_failed(run_id, source, f"InvalidBatch: {summary.batch_rejected}", 1)
    elif emitter:
        emitter.ingest_completed(run_id, source, summary.stored, summary.dead_lettered)
    return summary


def _ingest(
    root: str, source: str, max_orders: int, clock: Clock, emitter: OrderLineage | None
) -> IngestSummary:
    storage = open_storage(root)
    dead_letters = JsonLinesDeadLetters(root)
    try:
        plan = inspect_batch_event(
            {"batch": decode_document(storage.read_bytes(source))}, max_orders
        )
    except InvalidBatchError as exc:
        dead_letters.send(DeadLetter.from_error(exc, None, source, error="InvalidBatch"))
        return IngestSummary(source, 0, 0, 0, 0, 0, 0, batch_rejected=str(exc))

    rejects: list[DeadLetter] = []
    ops = {"INSERT": 0, "MODIFY": 0, None: 0}
    with LocalOrderStore(root, clock=clock) as store:
        for index, raw in enumerate(plan["orders"]):
            event = {"order": raw, "index": index, "duplicates": plan["duplicates"]}
            try:
                validated = validate_order_event(event)
            except InvalidOrderError as exc:
                rejects.append(DeadLetter.from_error(exc, raw, source))
                continue
            ops[store.put(Order.from_plain(validated["order"]))] += 1
        dead_letters.send_many(rejects)
        changes = flush_changes(store, emitter)
    stored = sum(ops.values())
    summary = IngestSummary(
        source=source,
        orders_in=plan["count"],
        stored=stored,
        dead_lettered=len(rejects),
        inserted=ops["INSERT"],
        modified=ops["MODIFY"],
        unchanged=ops[None],
        changes_file=changes,
    )
    if summary.orders_in != summary.stored + summary.dead_lettered:
        raise ChannelError(f"lost orders in {source}: {summary}")
    return summary


def flush_changes(store: LocalOrderStore, emitter: OrderLineage | None) -> str | None:
    """Flush the store's change stream, as one ``capture_changes`` run when there is
    anything to write (Firehose's buffer, locally)."""
    pending = store.pending()
    if emitter is None or not pending:
        return store.flush()
    run_id = new_run_id()
    emitter.changes_started(run_id)
    try:
        written = store.flush()
    except Exception as exc:
        emitter.changes_failed(run_id, exc)
        raise
    emitter.changes_completed(run_id, pending)
    return written


def redrive_local(
    lake_root: str | Path, *, clock: Clock = _utc_now, lineage: str = "lake"
) -> dict[str, Any]:
    """Redrive ``_control/dead_letters.jsonl`` into the local store; flushes its changes."""
    root = str(lake_root)
    emitter = local_order_lineage(root, lineage)
    with LocalOrderStore(root, clock=clock) as store:
        summary = redrive_with_lineage(JsonLinesDeadLetters(root), store, emitter).to_dict()
        summary["changes_file"] = flush_changes(store, emitter)
    return summary


def delete_order(
    lake_root: str | Path, order_id: str, *, clock: Clock = _utc_now, lineage: str = "lake"
) -> bool:
    """Delete one order from the local table (a REMOVE change); False if it was absent."""
    root = str(lake_root)
    with LocalOrderStore(root, clock=clock) as store:
        removed = store.delete(order_id)
        flush_changes(store, local_order_lineage(root, lineage) if removed else None)
    return removed


def _land(root: str, path: Path) -> str:
    """The lake-relative landing path of ``path``, copying the file in if needed."""
    storage = open_storage(root)
    landing = Path(storage.uri(layout.landing_orders())).resolve()
    resolved = path.resolve()
    if resolved.is_relative_to(landing):
        return str(resolved.relative_to(Path(storage.root)))
    if not resolved.is_file():
        raise FileNotFoundError(f"no order batch file at {path}")
    rel = f"{layout.landing_orders()}/{resolved.name}"
    if storage.exists(rel) and storage.read_bytes(rel) != resolved.read_bytes():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        rel = f"{layout.landing_orders()}/{resolved.stem}-{stamp}{resolved.suffix}"
    storage.write_bytes(rel, resolved.read_bytes())
    return rel
