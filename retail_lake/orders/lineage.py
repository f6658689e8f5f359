"""Where the order channel's lineage goes: built from the lake locally, from the
Lambda's environment on AWS (:mod:`retail_lake.lineage._orders` has the events).

Building never fails the caller: a ``lineage`` setting that cannot be used is
logged and the channel runs without lineage, as a daily step would. The lineage
modules (and openlineage-python under them) are imported only here, inside the
builders: a Lambda zip carries the ``retail_lake`` package but no third-party
module, and without openlineage-python on its path the order path must still run,
only without lineage.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retail_lake.lineage._orders import OrderLineage

log = logging.getLogger(__name__)


def new_run_id() -> str:
    return str(uuid.uuid4())


def local_order_lineage(lake_root: str, setting: str = "lake") -> OrderLineage | None:
    """The local channel's lineage (``None`` for ``off`` or a setting that cannot be used)."""
    if setting == "off":
        return None
    try:
        from retail_lake.lineage._naming import Naming, duckdb_catalog_namespace
        from retail_lake.lineage._orders import OrderLineage, local_datasets
        from retail_lake.lineage._transport import build_transport
        from retail_lake.storage import open_storage

        transport = build_transport(setting, open_storage(lake_root), bounded=True)
    except Exception:
        log.exception("no lineage for the order channel: lineage %r cannot be used", setting)
        return None
    if transport is None:
        return None
    naming = Naming(lake=lake_root, catalog_namespace=duckdb_catalog_namespace(lake_root))
    return OrderLineage(transport, local_datasets(naming))


def lambda_order_lineage(
    environ: Mapping[str, str], context: Any = None, boto3_session: Any = None
) -> OrderLineage | None:
    """A Lambda's lineage from the ``RETAIL_LAKE_*`` variables the orders stack sets.

    ``RETAIL_LAKE_LINEAGE`` picks the transport (without it: none),
    ``RETAIL_LAKE_LAKE`` the lake (events with ``lake`` go under its
    ``_control/lineage/``), ``RETAIL_LAKE_ORDERS_TABLE`` and
    ``RETAIL_LAKE_ORDERS_DLQ_URL`` the datasets. The account comes from the Lambda's
    own ARN, so naming the table needs no STS call (and no permission for it).
    """
    if not environ.get("RETAIL_LAKE_LINEAGE") or not environ.get("RETAIL_LAKE_LAKE"):
        return None
    try:
        from retail_lake.config import build_settings
        from retail_lake.lineage._naming import Naming
        from retail_lake.lineage._orders import OrderLineage, aws_datasets
        from retail_lake.lineage._transport import build_transport
        from retail_lake.storage import open_storage

        settings = build_settings({}, env=environ)
        storage = open_storage(settings.lake, boto3_session)
        transport = build_transport(settings.lineage, storage, settings.region, bounded=True)
        if transport is None:
            return None
        queue_url = settings.orders_dlq_url or ""
        naming = Naming(lake=settings.lake, catalog_namespace="")
        datasets = aws_datasets(
            naming,
            settings.region,
            _account(context, queue_url),
            settings.orders_table,
            queue_url.rstrip("/").rsplit("/", 1)[-1] or None,
        )
        return OrderLineage(transport, datasets)
    except Exception:
        log.exception("no lineage for this invocation: the lineage settings cannot be used")
        return None


def _account(context: Any, queue_url: str) -> str:
    """The account from the function ARN (``arn:aws:lambda:<region>:<account>:…``) or
    the queue URL (``https://sqs.<region>.amazonaws.com/<account>/<name>``)."""
    arn = str(getattr(context, "invoked_function_arn", "") or "")
    if arn.count(":") >= 4:
        return arn.split(":")[4]
    parts = queue_url.rstrip("/").split("/")
    return parts[-2] if len(parts) >= 5 else "unknown"


# -- the Lambdas' side ------------------------------------------------------------------
def batch_started(event: dict[str, Any], emitter: OrderLineage | None) -> None:
    """START of a batch's ``ingest_batch`` run, from the *InspectBatch* call, whose
    payload carries ``lineage: {run, source}`` (the execution id and the file)."""
    context = event.get("lineage")
    if emitter is None or not isinstance(context, dict) or not context.get("run"):
        return
    emitter.ingest_started(str(context["run"]), str(context.get("source") or ""))


def batch_finished(event: dict[str, Any], emitter: OrderLineage | None) -> dict[str, Any]:
    """COMPLETE or FAIL of a batch's run, from the state machine's last states.

    ``{"lineage": "COMPLETE", "run", "source", "outcomes"}`` after the Map (each
    outcome ``stored`` or ``dead_lettered``); ``{"lineage": "FAIL", "run", "source",
    "error", "cause"}`` after a whole batch was dead-lettered. Returns the counts.
    """
    run, source = str(event.get("run") or ""), str(event.get("source") or "")
    outcomes = [o.get("outcome") for o in event.get("outcomes") or [] if isinstance(o, dict)]
    stored, dead = outcomes.count("stored"), outcomes.count("dead_lettered")
    if emitter is not None and run:
        if event.get("lineage") == "FAIL":
            error = f"{event.get('error') or 'Failed'}: {event.get('cause') or ''}".strip()
            emitter.ingest_failed(run, source, error, int(event.get("dead_lettered") or 0))
        else:
            emitter.ingest_completed(run, source, stored, dead)
    return {"stored": stored, "dead_lettered": dead}


def firehose_transform(event: dict[str, Any], emitter: OrderLineage | None) -> dict[str, Any]:
    """The Firehose transform as one ``capture_changes`` run per invocation.

    Firehose writes the returned records after the Lambda returns, so the counts are
    what the transform handed over: ``Ok`` records become lines of
    ``raw/order_changes``, ``ProcessingFailed`` ones go under Firehose's error prefix.
    """
    from retail_lake.orders.changes import transform_firehose_event

    if emitter is None:
        return transform_firehose_event(event)
    run_id = str(event.get("invocationId") or new_run_id())
    emitter.changes_started(run_id)
    try:
        result = transform_firehose_event(event)
    except Exception as exc:
        emitter.changes_failed(run_id, exc)
        raise
    ok = sum(r["result"] == "Ok" for r in result["records"])
    emitter.changes_completed(run_id, ok, len(result["records"]) - ok)
    return result


def settings_order_lineage(settings: Any, boto3_session: Any = None) -> OrderLineage | None:
    """The lineage of the channel's AWS side as the CLI sees it (``retail-lake orders
    redrive`` against an S3 lake): the same datasets the Lambdas name."""
    env = {
        "RETAIL_LAKE_LINEAGE": settings.lineage,
        "RETAIL_LAKE_LAKE": settings.lake,
        "RETAIL_LAKE_REGION": settings.region,
        "RETAIL_LAKE_ORDERS_TABLE": settings.orders_table,
        "RETAIL_LAKE_ORDERS_DLQ_URL": settings.orders_dlq_url or "",
    }
    return lambda_order_lineage(env, None, boto3_session)


def redrive_with_lineage(queue: Any, sink: Any, emitter: OrderLineage | None) -> Any:
    """:func:`retail_lake.orders.redrive.redrive` as one ``redrive`` run."""
    from retail_lake.orders.redrive import redrive

    run_id = new_run_id()
    if emitter:
        emitter.redrive_started(run_id)
    try:
        summary = redrive(queue, sink)
    except Exception as exc:
        if emitter:
            emitter.redrive_failed(run_id, exc)
        raise
    if emitter:
        emitter.redrive_completed(run_id, summary.written)
    return summary
