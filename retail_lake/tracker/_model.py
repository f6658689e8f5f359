"""The tracker port: records, errors and the ``Tracker`` protocol.

The tracker is the pipeline's small control database: which files reached the
lake, which steps ran, how far each incremental extraction got, whether a date's
workflow was started, and which contract version is published. Every write that
two processes may race on is conditional, so the adapters (DynamoDB on AWS, SQLite
locally) give the same guarantees and share one contract test suite.

Times are timezone-aware UTC datetimes; business dates are ``datetime.date``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

RecordOutcome = Literal["new", "duplicate", "new_version"]
"""What :meth:`Tracker.record_file` did with an arrival."""

StartState = Literal["claimed", "started"]


class TrackerError(RuntimeError):
    """The tracker could not be read or written; the message names the item."""


class WatermarkConflictError(TrackerError):
    """Someone else moved a watermark between our read and our commit."""


@dataclass(frozen=True)
class FileRecord:
    """One version of one landed file; ``key`` is relative to the lake root."""

    dataset: str
    business_date: dt.date
    key: str
    size: int
    etag: str
    arrived_at: dt.datetime
    version: int = 1


@dataclass(frozen=True)
class JobRun:
    """One run of one workflow step for one business date.

    Recording the same ``(workflow, step, run_id)`` again replaces the record, so a
    step can write ``RUNNING`` when it starts and its final status when it ends.
    """

    workflow: str
    step: str
    business_date: dt.date
    run_id: str
    status: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    report: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkflowStart:
    """The guard that makes a date's workflow start exactly once."""

    workflow: str
    business_date: dt.date
    state: StartState
    claim_run_id: str
    claimed_at: dt.datetime
    started_at: dt.datetime | None = None
    external_run_id: str | None = None


@dataclass(frozen=True)
class PublishedContract:
    """The dataset contracts as last published."""

    version: str
    content_hash: str
    document: dict[str, Any]
    published_at: dt.datetime


@runtime_checkable
class Tracker(Protocol):
    """The tracker port. Both adapters pass ``tests/test_tracker_contract.py``."""

    # -- file arrivals -------------------------------------------------------------
    def record_file(
        self,
        dataset: str,
        business_date: dt.date,
        key: str,
        size: int,
        etag: str,
        arrived_at: dt.datetime,
    ) -> RecordOutcome:
        """Record an arrival: the same key and etag again is a no-op (``duplicate``),
        changed content becomes version n+1 (``new_version``)."""

    def files(self, business_date: dt.date, dataset: str | None = None) -> list[FileRecord]:
        """The latest version of every file of a business date, sorted by key."""

    def file_versions(self, business_date: dt.date, key: str) -> list[FileRecord]:
        """Every recorded version of one file, oldest first."""

    # -- job runs ------------------------------------------------------------------
    def record_run(self, run: JobRun) -> None: ...

    def runs(self, business_date: dt.date, workflow: str | None = None) -> list[JobRun]:
        """Runs of a business date, sorted by start time."""

    # -- watermarks ----------------------------------------------------------------
    def get_watermark(self, table: str) -> str | None: ...

    def commit_watermark(self, table: str, new_value: str, expected_previous: str | None) -> None:
        """Move a watermark only if it still has ``expected_previous`` (``None``: unset);
        otherwise raise :class:`WatermarkConflictError`."""

    # -- workflow starts -----------------------------------------------------------
    def claim_workflow_start(
        self,
        workflow: str,
        business_date: dt.date,
        run_id: str,
        lease: dt.timedelta | None = None,
    ) -> bool:
        """True for exactly one caller per (workflow, date). A claim that was never
        marked started can be taken over once it is older than ``lease`` (the
        claimant died); ``None`` means claims never expire."""

    def mark_workflow_started(
        self,
        workflow: str,
        business_date: dt.date,
        run_id: str,
        external_run_id: str | None = None,
    ) -> None:
        """Turn our claim into a permanent ``started`` record."""

    def release_workflow_start(self, workflow: str, business_date: dt.date, run_id: str) -> None:
        """Give up our claim (the start call failed) so that a later check retries."""

    def workflow_start(self, workflow: str, business_date: dt.date) -> WorkflowStart | None: ...

    # -- contract metadata ---------------------------------------------------------
    def put_contract(
        self, version: str, content_hash: str, document: dict[str, Any]
    ) -> PublishedContract: ...

    def get_contract(self) -> PublishedContract | None: ...


# -- helpers shared by the adapters ------------------------------------------------


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def to_iso(value: dt.datetime | None) -> str | None:
    """ISO-8601 in UTC; naive datetimes are taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    # Fixed width (always microseconds) so that stored strings sort like the times.
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def from_iso(value: str | None) -> dt.datetime | None:
    return None if value in (None, "") else dt.datetime.fromisoformat(value)  # type: ignore[arg-type]


def normalize_etag(etag: str) -> str:
    """S3 returns ``"abc"`` from HeadObject and ``abc`` in events: compare unquoted."""
    return etag.strip().strip('"')


def dump_json(value: Any) -> str:
    """JSON for reports and contract documents: dates and decimals become strings."""
    return json.dumps(value, sort_keys=True, default=str)


def conflict_message(table: str, expected: str | None, found: str | None) -> str:
    return (
        f"watermark of {table!r} was moved by another run: expected {expected!r}, "
        f"found {found!r}; nothing was committed, rerun to continue from {found!r}"
    )
