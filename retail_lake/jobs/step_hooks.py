"""What happens around every step run besides the tracker: alerts, metrics and lineage.

:func:`open_step_hooks` is the one place that builds these from the settings; the
Glue/EMR entry point (:func:`retail_lake.jobs.entry.start_job`) and the local runner
(:func:`retail_lake.pipeline.run_pipeline`) both call it and hand the hooks to
:func:`retail_lake.jobs.recording.recorded`, so no job body opens a client itself.

A hook never changes a step's outcome: each call is guarded, a hook that fails is
logged, and the step's own result or error goes on unchanged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from retail_lake.jobs.failure_alert import FailureAlerts
from retail_lake.jobs.gate_alert import GateNotices
from retail_lake.jobs.validate_gates import GateHalt
from retail_lake.jobs.validate_report import ValidateRun

if TYPE_CHECKING:
    from retail_lake.config import Settings
    from retail_lake.lineage import StepLineage
    from retail_lake.storage import LakeStorage

log = logging.getLogger(__name__)

LOCAL_LOGS = "the output of the process that ran the step (retail-lake run, or the job script)"


@dataclass
class StepHooks:
    alerts: FailureAlerts | None = None
    lineage: StepLineage | None = None
    gates: GateNotices | None = None

    def _gate_notices(self, step: str, days: Sequence[dt.date], run: ValidateRun) -> None:
        """The run's one gate alert (if a gate was breached) and its gate metrics."""
        if self.gates is None:
            return
        message_id = _guarded("gate alert", step, self.gates.alert, run, days)
        if message_id:
            log.warning("quality gates breached; alert %s sent", message_id)
        _guarded("gate metrics", step, self.gates.publish, run)

    def started(self, step: str, run_id: str, days: Sequence[dt.date]) -> None:
        if self.lineage is not None:
            _guarded("lineage START", step, self.lineage.start, step, run_id, days)

    def succeeded(self, step: str, run_id: str, days: Sequence[dt.date], outcome: Any) -> None:
        if isinstance(outcome, ValidateRun):
            self._gate_notices(step, days, outcome)
        if self.lineage is not None:
            _guarded("lineage COMPLETE", step, self.lineage.complete, step, run_id, days, outcome)

    def failed(self, step: str, run_id: str, days: Sequence[dt.date], exc: BaseException) -> None:
        if isinstance(exc, GateHalt):
            self._gate_notices(step, days, exc.outcome)
        if self.alerts is not None:
            message_id = _guarded("failure alert", step, self.alerts.send, step, days, run_id, exc)
            if message_id:
                log.error("step %s failed; alert %s sent", step, message_id)
        if self.lineage is not None:
            _guarded("lineage FAIL", step, self.lineage.fail, step, run_id, days, exc)


def _guarded(what: str, step: str, call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except Exception:
        log.exception("%s of step %s could not be sent; the step's outcome stands", what, step)
        return None


def logs_hint(settings: Settings, job_run_id: str | None = None) -> str:
    """Where an operator finds the log of a step run on this platform."""
    if settings.platform == "glue":
        stream = f" (log stream {job_run_id})" if job_run_id else ""
        return f"CloudWatch Logs /aws-glue/jobs/error and /aws-glue/jobs/output{stream}"
    if settings.platform == "emr":
        return "the EMR Serverless job run's driver log (stderr), in the application's log location"
    return LOCAL_LOGS


def open_step_hooks(
    settings: Settings,
    storage: LakeStorage,
    *,
    workflow_run_id: str,
    job_run_id: str | None = None,
    boto3_session: Any = None,
) -> StepHooks:
    """The failure and gate alerts (notifier port), gate metrics (metrics port) and
    lineage (``settings.lineage``) of a run.

    ``workflow_run_id`` ties every step's lineage run to its workflow run: Glue's
    ``WORKFLOW_RUN_ID`` on AWS, one id per ``run_pipeline`` call locally. A hook that
    cannot be built is logged and left out; the run itself goes on.
    """
    from retail_lake.lineage import open_lineage
    from retail_lake.metrics import open_metrics
    from retail_lake.notify import open_notifier

    hooks = StepHooks()
    recipients = tuple(settings.alert_recipients)
    try:
        notifier = open_notifier(settings, boto3_session)
        hooks.alerts = FailureAlerts(
            notifier,
            recipients,
            settings.workflow_name,
            settings.lake,
            logs_hint(settings, job_run_id),
            settings.platform,
        )
        hooks.gates = GateNotices(
            notifier,
            open_metrics(settings, boto3_session),
            recipients,
            settings.workflow_name,
            settings.lake,
        )
    except Exception:
        log.exception("no alerts for this run: the notifier or metrics could not be built")
    try:
        hooks.lineage = open_lineage(
            settings, storage, workflow_run_id=workflow_run_id, boto3_session=boto3_session
        )
    except Exception:
        log.exception("no lineage for this run: lineage %r could not be set up", settings.lineage)
    return hooks
