"""The completeness check: alert about missing files, or start the date's workflow once.

Ordering is what makes it safe to run overlapping or retried checks:

* nothing is written before the email is sent, so a failed send loses nothing and
  the next check sends again;
* the workflow start is claimed with a conditional write first, so of any number of
  concurrent checks exactly one calls the starter; if that call fails the claim is
  released (the next check retries), if it succeeds the claim becomes ``started``
  for good;
* a claim whose holder died (a Lambda timing out between claim and start) can be
  taken over after ``claim_lease``.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from retail_lake.completeness._expected import ExpectedFile, expected_files
from retail_lake.completeness._starter import WorkflowStarter, WorkflowStartError
from retail_lake.contracts import contracts
from retail_lake.notify import NotificationError, Notifier
from retail_lake.tracker import FileRecord, JobRun, Tracker

log = logging.getLogger(__name__)

CHECK_STEP = "check_completeness"
CLAIM_LEASE = dt.timedelta(minutes=15)
"""Longer than a Lambda can live, so a claim older than this has no live holder.
A local starter that runs the whole pipeline inline should pass ``claim_lease=None``."""

Action = Literal["alerted", "started", "already_started"]


@dataclass(frozen=True)
class CheckResult:
    business_date: dt.date
    workflow: str
    run_id: str
    action: Action
    expected: tuple[ExpectedFile, ...]
    arrived: tuple[FileRecord, ...]
    missing: tuple[str, ...]
    franchise_stores_known: bool
    source: str = "files"
    next_check_time: dt.datetime | None = None
    message_id: str | None = None
    workflow_run_id: str | None = None

    @property
    def complete(self) -> bool:
        return not self.missing and self.franchise_stores_known

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, for Lambda responses, run reports and the CLI."""
        return {
            "business_date": self.business_date.isoformat(),
            "workflow": self.workflow,
            "run_id": self.run_id,
            "action": self.action,
            "complete": self.complete,
            "expected": [f.key for f in self.expected],
            "arrived": [{"key": f.key, "version": f.version, "size": f.size} for f in self.arrived],
            "missing": list(self.missing),
            "franchise_stores_known": self.franchise_stores_known,
            "source": self.source,
            "next_check_time": _iso(self.next_check_time),
            "message_id": self.message_id,
            "workflow_run_id": self.workflow_run_id,
            "contract_version": contracts().version,
        }


def check(
    business_date: dt.date,
    tracker: Tracker,
    notifier: Notifier,
    start_workflow: WorkflowStarter,
    *,
    franchise_store_nums: Sequence[int] | None,
    recipients: Sequence[str],
    workflow: str,
    next_check_time: dt.datetime | None = None,
    run_id: str | None = None,
    claim_lease: dt.timedelta | None = CLAIM_LEASE,
    source: str = "files",
) -> CheckResult:
    """Compare arrived with expected files for ``business_date`` and act.

    ``source`` (the ``source`` setting) decides which files are expected: see
    :func:`~retail_lake.completeness.expected_files`.
    ``franchise_store_nums`` is ``None`` when the store dimension of the date is not
    there yet: the date cannot be complete then (``store.csv`` is itself missing).
    Raises :class:`NotificationError` when the alert cannot be sent and
    :class:`WorkflowStartError` when the start call fails.
    """
    started = dt.datetime.now(dt.UTC)
    run_id = run_id or uuid.uuid4().hex
    expected = tuple(expected_files(business_date, franchise_store_nums or (), source))
    arrived = tuple(tracker.files(business_date))
    arrived_keys = {f.key for f in arrived}
    missing = tuple(f.key for f in expected if f.key not in arrived_keys)
    result = CheckResult(
        business_date=business_date,
        workflow=workflow,
        run_id=run_id,
        action="alerted",
        expected=expected,
        arrived=arrived,
        missing=missing,
        franchise_stores_known=franchise_store_nums is not None,
        source=source,
        next_check_time=next_check_time,
    )
    if not result.complete:
        subject, body = alert_message(result)
        try:
            message_id = notifier.send(subject, body, recipients)
        except NotificationError as exc:
            _record(tracker, result, "FAILED", started, error=str(exc))
            raise
        result = replace(result, message_id=message_id)
        log.warning(
            "%s incomplete, %d missing; alert %s sent", business_date, len(missing), message_id
        )
        _record(tracker, result, "INCOMPLETE", started)
        return result

    if not tracker.claim_workflow_start(workflow, business_date, run_id, lease=claim_lease):
        existing = tracker.workflow_start(workflow, business_date)
        result = replace(
            result,
            action="already_started",
            workflow_run_id=existing.external_run_id if existing else None,
        )
        log.info("%s complete; workflow %s already started or starting", business_date, workflow)
        _record(tracker, result, "SUCCEEDED", started)
        return result
    try:
        external_id = start_workflow(business_date)
    except Exception as exc:
        try:
            tracker.release_workflow_start(workflow, business_date, run_id)
        except Exception:  # the claim then expires after claim_lease instead
            log.exception("could not release the start claim %s of %s", run_id, business_date)
        message = (
            f"starting workflow {workflow!r} for {business_date} failed: {exc}; "
            "the start claim was released, so the next check will try again"
        )
        _record(tracker, result, "FAILED", started, error=message)
        raise WorkflowStartError(message) from exc
    tracker.mark_workflow_started(workflow, business_date, run_id, external_id)
    result = replace(result, action="started", workflow_run_id=external_id)
    log.info("%s complete; started workflow %s (run %s)", business_date, workflow, external_id)
    _record(tracker, result, "SUCCEEDED", started)
    return result


def alert_message(result: CheckResult) -> tuple[str, str]:
    """Subject and plain-text body of the missing-files alert."""
    day = result.business_date.isoformat()
    n_missing, n_expected = len(result.missing), len(result.expected)
    subject = f"[retail-lake] {day}: {n_missing} of {n_expected} expected files missing"
    lines = [
        f"Business date {day} is not complete: {n_missing} of {n_expected} expected files "
        "have not arrived in the lake.",
        "",
        f"Missing ({n_missing}):",
        *(f"  {key}" for key in result.missing),
    ]
    if not result.franchise_stores_known:
        lines += [
            "",
            "The franchise stores of this date are not known yet (their list comes from",
            "store.csv), so their store_sales files will be expected once it has arrived.",
        ]
    lines += ["", f"Arrived ({len(result.arrived)}):"]
    lines += [
        f"  {f.key}  (version {f.version}, {f.size} bytes, {_iso(f.arrived_at)})"
        for f in result.arrived
    ] or ["  (none)"]
    lines += [""]
    if result.next_check_time is not None:
        lines.append(f"Next check: {_iso(result.next_check_time)}")
    else:
        lines.append(
            f"Next check: none scheduled; run `retail-lake check --date {day}` once the files are there."
        )
    lines.append(f"Workflow {result.workflow} starts automatically once every file has arrived.")
    return subject, "\n".join(lines) + "\n"


def _record(
    tracker: Tracker,
    result: CheckResult,
    status: str,
    started: dt.datetime,
    error: str | None = None,
) -> None:
    """Keep a trace of each check; losing it must not hide the check's real outcome."""
    report = result.to_dict()
    if error:
        report["error"] = error
    run = JobRun(
        workflow=result.workflow,
        step=CHECK_STEP,
        business_date=result.business_date,
        run_id=result.run_id,
        status=status,
        started_at=started,
        ended_at=dt.datetime.now(dt.UTC),
        report=report,
    )
    try:
        tracker.record_run(run)
    except Exception:
        log.exception("could not record check %s of %s", result.run_id, result.business_date)


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")
