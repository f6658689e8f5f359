"""OpenLineage events of the order-event channel (docs/design.md, Lineage).

The channel writes in three places, each one OpenLineage job in namespace
``retail-lake``; a run emits START, then COMPLETE or FAIL:

| job | run | inputs | outputs (``outputStatistics``) |
|---|---|---|---|
| ``retail-lake-orders.ingest_batch`` | one batch file (a state machine execution on AWS) | the batch file | the orders table (orders stored), the dead letters (orders or the batch rejected) |
| ``retail-lake-orders.capture_changes`` | one flush of the change stream (a Firehose transform invocation on AWS) | the orders table | ``raw/order_changes`` (change lines); on AWS the Firehose error prefix (records that failed) |
| ``retail-lake-orders.redrive`` | one redrive | the dead letters | the orders table (orders written) |

Dataset names: the lake's folders and files as in :mod:`retail_lake.lineage._naming`
(locally the SQLite table and the JSON-lines dead letters are files of the lake);
on AWS the DynamoDB table and the SQS queue are named like the spec names Glue
tables, by the service's ARN prefix: ``arn:aws:dynamodb:<region>:<account>`` with
``table/<table>``, ``arn:aws:sqs:<region>:<account>`` with the queue name.

Every emit is guarded: an event that cannot be sent is logged and the order path
goes on, as the daily steps' hooks do (:mod:`retail_lake.jobs.step_hooks`).
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import error_message_run, job_type_job
from openlineage.client.transport.transport import Transport

from retail_lake.lineage import _facets
from retail_lake.lineage._datasets import DatasetRef, Field, _text, _typed
from retail_lake.lineage._emitter import JOB_NAMESPACE, PRODUCER, _now, as_run_id
from retail_lake.lineage._naming import Naming
from retail_lake.storage import layout

log = logging.getLogger(__name__)

ORDERS_JOB = "retail-lake-orders"
INGEST = "ingest_batch"
CHANGES = "capture_changes"
REDRIVE = "redrive"
LOCAL_ORDERS_TABLE = f"{layout.CONTROL}/orders.sqlite"
FIREHOSE_ERRORS = f"{layout.CONTROL}/firehose_errors/order_changes"

DEAD_LETTER_FIELDS: tuple[Field, ...] = (
    ("reason", "string", "the rule the order (or the batch) broke, or write_failed"),
    ("detail", "string", "what exactly was wrong"),
    ("error", "string", "InvalidOrder, InvalidBatch or the failing service's error"),
    ("order", "string", "the order exactly as received (JSON); null for a whole batch"),
    ("source", "string", "the batch file the order came in"),
    ("failed_at", "timestamp", "when it was dead-lettered (UTC)"),
)

Facets = dict[str, Any]


@dataclass(frozen=True)
class OrderDatasets:
    """Where the channel's datasets live, in OpenLineage terms."""

    naming: Naming
    table: DatasetRef
    dead_letters: DatasetRef
    changes: DatasetRef
    change_errors: DatasetRef | None = None

    def batch_file(self, source: str) -> DatasetRef:
        """The batch file: an ``s3://`` URI (the state machine's) or a lake-relative path."""
        if source.startswith("s3://"):
            bucket, _, key = source.removeprefix("s3://").partition("/")
            return DatasetRef(f"s3://{bucket}", key, "landing", "orders", _text("orders"))
        return _lake(self.naming, source, "landing", "orders", _text("orders"))


def _lake(naming: Naming, path: str, role: str, name: str, fields: tuple) -> DatasetRef:
    return DatasetRef(naming.lake_namespace, naming.lake_name(path), role, name, fields)


def _changes(naming: Naming) -> DatasetRef:
    return _lake(
        naming, layout.order_changes_dir(), "raw", "order_changes", _typed("order_changes")
    )


def local_datasets(naming: Naming) -> OrderDatasets:
    """The local channel: the SQLite table and JSON-lines dead letters inside the lake."""
    return OrderDatasets(
        naming=naming,
        table=_lake(naming, LOCAL_ORDERS_TABLE, "table", "orders", _typed("orders")),
        dead_letters=_lake(
            naming, layout.dead_letters(), "dead_letters", "orders", DEAD_LETTER_FIELDS
        ),
        changes=_changes(naming),
    )


def aws_datasets(
    naming: Naming, region: str, account: str, table: str, queue: str | None
) -> OrderDatasets:
    """The AWS channel: the DynamoDB table, the SQS queue, Firehose's folders in the lake."""
    return OrderDatasets(
        naming=naming,
        table=DatasetRef(
            f"arn:aws:dynamodb:{region}:{account}",
            f"table/{table}",
            "table",
            "orders",
            _typed("orders"),
        ),
        dead_letters=DatasetRef(
            f"arn:aws:sqs:{region}:{account}",
            queue or "orders-dead-letters",
            "dead_letters",
            "orders",
            DEAD_LETTER_FIELDS,
        ),
        changes=_changes(naming),
        change_errors=_lake(naming, FIREHOSE_ERRORS, "errors", "order_changes", ()),
    )


@dataclass
class OrderLineage:
    """Emits the run events of the channel's writes; never raises."""

    transport: Transport
    datasets: OrderDatasets
    namespace: str = JOB_NAMESPACE

    def __post_init__(self) -> None:
        self.client = OpenLineageClient(transport=self.transport)

    # -- ingest_batch ---------------------------------------------------------------
    def ingest_started(self, run_id: str, source: str) -> None:
        self._emit(RunState.START, INGEST, run_id, *self._ingest_io(source))

    def ingest_completed(self, run_id: str, source: str, stored: int, dead_lettered: int) -> None:
        counts = {"table": stored, "dead_letters": dead_lettered}
        self._emit(RunState.COMPLETE, INGEST, run_id, *self._ingest_io(source, counts))

    def ingest_failed(
        self, run_id: str, source: str, error: BaseException | str, dead_lettered: int = 0
    ) -> None:
        counts = {"table": 0, "dead_letters": dead_lettered}
        inputs, outputs = self._ingest_io(source, counts)
        self._emit(RunState.FAIL, INGEST, run_id, inputs, outputs, error=error)

    def _ingest_io(self, source: str, counts: dict[str, int] | None = None) -> tuple[list, list]:
        d = self.datasets
        return [(d.batch_file(source), {})], _outputs([d.table, d.dead_letters], counts)

    # -- capture_changes -----------------------------------------------------------
    def changes_started(self, run_id: str) -> None:
        self._emit(RunState.START, CHANGES, run_id, *self._changes_io(None))

    def changes_completed(self, run_id: str, written: int, failed: int = 0) -> None:
        counts = {"raw": written, "errors": failed}
        self._emit(RunState.COMPLETE, CHANGES, run_id, *self._changes_io(counts))

    def changes_failed(self, run_id: str, error: BaseException | str) -> None:
        self._emit(RunState.FAIL, CHANGES, run_id, *self._changes_io(None), error=error)

    def _changes_io(self, counts: dict[str, int] | None) -> tuple[list, list]:
        d = self.datasets
        targets = [d.changes] + ([d.change_errors] if d.change_errors else [])
        return [(d.table, {})], _outputs(targets, counts)

    # -- redrive -------------------------------------------------------------------
    def redrive_started(self, run_id: str) -> None:
        self._emit(RunState.START, REDRIVE, run_id, *self._redrive_io(None))

    def redrive_completed(self, run_id: str, written: int) -> None:
        self._emit(RunState.COMPLETE, REDRIVE, run_id, *self._redrive_io(written))

    def redrive_failed(self, run_id: str, error: BaseException | str) -> None:
        self._emit(RunState.FAIL, REDRIVE, run_id, *self._redrive_io(None), error=error)

    def _redrive_io(self, written: int | None) -> tuple[list, list]:
        d = self.datasets
        counts = None if written is None else {"table": written}
        return [(d.dead_letters, {})], _outputs([d.table], counts)

    # -- building and sending --------------------------------------------------------
    def event(
        self,
        state: RunState,
        job: str,
        run_id: str,
        inputs: list[tuple[DatasetRef, Facets]],
        outputs: list[tuple[DatasetRef, Facets]],
        error: BaseException | str | None = None,
    ) -> RunEvent:
        run_facets: Facets = {}
        if error is not None:
            run_facets["errorMessage"] = _error(error)
        processing = "STREAMING" if job == CHANGES else "BATCH"
        return RunEvent(
            eventType=state,
            eventTime=_now(),
            producer=PRODUCER,
            run=Run(runId=as_run_id(run_id), facets=run_facets),
            job=Job(
                namespace=self.namespace,
                name=f"{ORDERS_JOB}.{job}",
                facets={
                    "jobType": job_type_job.JobTypeJobFacet(
                        processingType=processing, integration="RETAIL_LAKE", jobType="TASK"
                    )
                },
            ),
            inputs=[
                InputDataset(
                    namespace=r.namespace, name=r.name, facets=_facets.schema(r), inputFacets=f
                )
                for r, f in inputs
            ],
            outputs=[
                OutputDataset(
                    namespace=r.namespace, name=r.name, facets=_facets.schema(r), outputFacets=f
                )
                for r, f in outputs
            ],
        )

    def _emit(self, state: RunState, job: str, run_id: str, *args: Any, **kwargs: Any) -> None:
        try:
            self.client.emit(self.event(state, job, run_id, *args, **kwargs))
        except Exception:
            log.exception(
                "lineage %s of %s.%s could not be sent; the order channel goes on",
                state.value,
                ORDERS_JOB,
                job,
            )


def _outputs(
    refs: list[DatasetRef], counts: dict[str, int] | None
) -> list[tuple[DatasetRef, Facets]]:
    """Each output with its row count (keyed by role) once the run knows it."""
    return [(ref, _facets.rows(counts[ref.role]) if counts else {}) for ref in refs]


def _error(error: BaseException | str) -> error_message_run.ErrorMessageRunFacet:
    if isinstance(error, BaseException):
        return error_message_run.ErrorMessageRunFacet(
            message=f"{type(error).__name__}: {error}",
            programmingLanguage="python",
            stackTrace="".join(traceback.format_exception(error)),
        )
    # a state machine error (name and cause) rather than a Python exception
    return error_message_run.ErrorMessageRunFacet(message=error, programmingLanguage="ASL")
