"""What happens around every step run besides the tracker: alerts, metrics and lineage.

The notifier, the metrics publisher and the lineage emitter are opened by the composition root
(:func:`retail_lake.runtime.adapters.open_adapters`); the Glue/EMR entry point
(:func:`retail_lake.jobs.entry.start_job`) and the local runner
(:func:`retail_lake.runner.local.run_pipeline`) turn them into hooks with
:func:`step_hooks` and hand those to :func:`retail_lake.jobs.recording.recorded`, so
no job body opens a client itself.

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
    from retail_lake.metrics import MetricsPublisher
    from retail_lake.notify import Notifier

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


def step_hooks(
    settings: Settings,
    notifier: Notifier | None,
    lineage: StepLineage | None,
    *,
    metrics: MetricsPublisher | None = None,
    job_run_id: str | None = None,
) -> StepHooks:
    """The hooks of a run from the adapters its runner opened (any may be missing).

    The failure alert and the gate alert go through ``notifier`` to
    ``settings.alert_recipients``; the failure alert names where the step's log is on
    this platform (``job_run_id``: Glue's log stream); gate figures go to ``metrics``.
    """
    recipients = tuple(settings.alert_recipients)
    alerts = gates = None
    if notifier is not None:
        alerts = FailureAlerts(
            notifier,
            recipients,
            settings.workflow_name,
            settings.lake,
            logs_hint(settings, job_run_id),
            settings.platform,
        )
        gates = GateNotices(notifier, metrics, recipients, settings.workflow_name, settings.lake)
    return StepHooks(alerts, lineage, gates)
