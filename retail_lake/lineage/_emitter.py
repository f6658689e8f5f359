"""Emitting the OpenLineage run events of a workflow step.

Each step run is one OpenLineage run: a START event when it begins and a COMPLETE
or FAIL event when it ends, with the same ``runId`` (the tracker's run id as a
UUID). Its ``parent`` facet names the workflow run (job ``<workflow>``, the run id
derived from Glue's ``WORKFLOW_RUN_ID`` or the local ``run_pipeline`` call), so a
lineage backend shows the steps of one night under one run.
"""

from __future__ import annotations

import datetime as dt
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import (
    error_message_run,
    job_type_job,
    nominal_time_run,
    parent_run,
)
from openlineage.client.transport.transport import Transport

from retail_lake.lineage import _facets
from retail_lake.lineage._datasets import DatasetRef, step_io
from retail_lake.lineage._naming import Naming

JOB_NAMESPACE = "retail-lake"
"""Namespace of the workflow and its steps (OpenLineage job namespaces name the scheduler)."""
PRODUCER = "urn:retail-lake:lineage"


def as_run_id(text: str) -> str:
    """A UUID for OpenLineage from any run id: itself when it is one (32 hex digits
    included), else a name-based UUID, so the same id always maps to the same UUID."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{PRODUCER}:{text}"))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class StepLineage:
    """Builds and emits the run events of the steps of one workflow run."""

    transport: Transport
    naming: Naming
    workflow: str
    workflow_run_id: str
    source: str = "files"
    namespace: str = JOB_NAMESPACE

    def __post_init__(self) -> None:
        self.client = OpenLineageClient(transport=self.transport)

    # -- the three events of a step run -------------------------------------------
    def start(self, step: str, run_id: str, days: Sequence[dt.date]) -> RunEvent:
        return self._emit(RunState.START, step, run_id, days)

    def complete(self, step: str, run_id: str, days: Sequence[dt.date], outcome: Any) -> RunEvent:
        report = outcome.as_dict() if hasattr(outcome, "as_dict") else {}
        return self._emit(RunState.COMPLETE, step, run_id, days, report=report)

    def fail(self, step: str, run_id: str, days: Sequence[dt.date], exc: BaseException) -> RunEvent:
        error = error_message_run.ErrorMessageRunFacet(
            message=f"{type(exc).__name__}: {exc}",
            programmingLanguage="python",
            stackTrace="".join(traceback.format_exception(exc)),
        )
        return self._emit(RunState.FAIL, step, run_id, days, run_facets={"errorMessage": error})

    # -- building ---------------------------------------------------------------
    def parent(self) -> parent_run.ParentRunFacet:
        run_id = as_run_id(self.workflow_run_id)
        return parent_run.ParentRunFacet(
            run=parent_run.Run(runId=run_id),
            job=parent_run.Job(namespace=self.namespace, name=self.workflow),
            root=parent_run.Root(
                run=parent_run.RootRun(runId=run_id),
                job=parent_run.RootJob(namespace=self.namespace, name=self.workflow),
            ),
        )

    def event(
        self,
        state: RunState,
        step: str,
        run_id: str,
        days: Sequence[dt.date],
        report: dict[str, Any] | None = None,
        run_facets: dict[str, Any] | None = None,
    ) -> RunEvent:
        days = sorted(days)
        inputs, outputs = step_io(step, self.naming, days, self.source)
        input_facets, output_facets = _facets.report_facets(step, report or {})
        nominal = nominal_time_run.NominalTimeRunFacet(
            nominalStartTime=f"{days[0].isoformat()}T00:00:00Z",
            nominalEndTime=f"{(days[-1] + dt.timedelta(days=1)).isoformat()}T00:00:00Z",
        )
        return RunEvent(
            eventType=state,
            eventTime=_now(),
            producer=PRODUCER,
            run=Run(
                runId=as_run_id(run_id),
                facets={"parent": self.parent(), "nominalTime": nominal, **(run_facets or {})},
            ),
            job=Job(
                namespace=self.namespace,
                name=f"{self.workflow}.{step}",
                facets={
                    "jobType": job_type_job.JobTypeJobFacet(
                        processingType="BATCH", integration="RETAIL_LAKE", jobType="TASK"
                    )
                },
            ),
            inputs=[_input(ref, input_facets) for ref in inputs],
            outputs=[_output(ref, output_facets) for ref in outputs],
        )

    def _emit(self, state: RunState, step: str, run_id: str, days, **kwargs: Any) -> RunEvent:
        event = self.event(state, step, run_id, days, **kwargs)
        self.client.emit(event)
        return event


def _input(ref: DatasetRef, facets: dict[tuple[str, str], dict]) -> InputDataset:
    return InputDataset(
        namespace=ref.namespace,
        name=ref.name,
        facets=_facets.schema(ref),
        inputFacets=facets.get((ref.role, ref.dataset), {}),
    )


def _output(ref: DatasetRef, facets: dict[tuple[str, str], dict]) -> OutputDataset:
    return OutputDataset(
        namespace=ref.namespace,
        name=ref.name,
        facets=_facets.schema(ref),
        outputFacets=facets.get((ref.role, ref.dataset), {}),
    )
