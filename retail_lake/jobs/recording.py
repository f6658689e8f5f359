"""Recording step runs in the tracker: RUNNING when a step starts, then its outcome.

Both the Glue/EMR entry point and the local runner go through :func:`recorded`, so
the tracker holds the same run history whichever platform ran the workflow. The
report stored is the step's own ``as_dict()`` (the JSON also written to
``_control/reports/``), never the settings' secrets.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from retail_lake.contracts import contracts
from retail_lake.tracker import JobRun, Tracker

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
) -> T:
    """Run ``action`` and record its run; a failure is recorded and re-raised."""
    if tracker is None:
        return action()
    run_id = run_id or uuid.uuid4().hex
    started = _now()
    base = {"contract_version": contracts().version, "contract_hash": contracts().content_hash}

    def record(status: str, report: dict[str, Any], ended: dt.datetime | None) -> None:
        run = JobRun(
            workflow, step, business_date, run_id, status, started, ended, {**base, **report}
        )
        tracker.record_run(run)

    record("RUNNING", {}, None)
    try:
        outcome = action()
    except Exception as exc:
        record("FAILED", {"error": f"{type(exc).__name__}: {exc}"}, _now())
        raise
    report = outcome.as_dict() if hasattr(outcome, "as_dict") else {"result": str(outcome)}
    record("SUCCEEDED", report, _now())
    return outcome
