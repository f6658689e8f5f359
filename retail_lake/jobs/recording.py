"""Recording step runs in the tracker: RUNNING when a step starts, then its outcome.

Both the Glue/EMR entry point and the local runner go through :func:`recorded`, so
the tracker holds the same run history whichever platform ran the workflow. The
report stored is the step's own ``as_dict()`` (the JSON also written to
``_control/reports/``), never the settings' secrets.

The same call runs the step's hooks (:mod:`retail_lake.jobs.step_hooks`): lineage
START and COMPLETE/FAIL events, and one failure alert when the step raises. A hook
that fails is logged; the step's own error always propagates unchanged.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from retail_lake.contracts import contracts
from retail_lake.tracker import JobRun, Tracker

if TYPE_CHECKING:
    from retail_lake.jobs.step_hooks import StepHooks

log = logging.getLogger(__name__)
T = TypeVar("T")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def recorded(
    tracker: Tracker | None,
    workflow: str,
    step: str,
    business_date: dt.date,
    action: Callable[[], T],
    run_id: str | None = None,
    *,
    days: Sequence[dt.date] | None = None,
    hooks: StepHooks | None = None,
) -> T:
    """Run ``action`` and record its run; a failure is recorded, alerted and re-raised.

    ``days`` are all the business dates the step runs for (default: ``business_date``,
    the last of them, under which the run is recorded).
    """
    run_id = run_id or uuid.uuid4().hex
    days = list(days) if days else [business_date]
    started = _now()
    base = {"contract_version": contracts().version, "contract_hash": contracts().content_hash}

    def record(status: str, report: dict[str, Any], ended: dt.datetime | None) -> None:
        if tracker is None:
            return
        run = JobRun(
            workflow, step, business_date, run_id, status, started, ended, {**base, **report}
        )
        tracker.record_run(run)

    record("RUNNING", {}, None)
    if hooks is not None:
        hooks.started(step, run_id, days)
    try:
        outcome = action()
    except Exception as exc:
        try:
            record("FAILED", {"error": f"{type(exc).__name__}: {exc}"}, _now())
        except Exception:  # the step's own error is what the caller must see
            log.exception("could not record the failure of step %s run %s", step, run_id)
        if hooks is not None:
            hooks.failed(step, run_id, days, exc)
        raise
    report = outcome.as_dict() if hasattr(outcome, "as_dict") else {"result": str(outcome)}
    record("SUCCEEDED", report, _now())
    if hooks is not None:
        hooks.succeeded(step, run_id, days, outcome)
    return outcome
