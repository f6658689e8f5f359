"""Wiring the check from settings: shared by the Lambda and ``retail-lake check``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from retail_lake.completeness._arrival import scan_landing
from retail_lake.completeness._check import CLAIM_LEASE, CheckResult, check
from retail_lake.completeness._expected import resolve_franchise_stores
from retail_lake.completeness._starter import WorkflowStarter
from retail_lake.notify import Notifier, open_notifier
from retail_lake.storage import LakeStorage, open_storage
from retail_lake.tracker import Tracker, open_tracker

if TYPE_CHECKING:
    import boto3

    from retail_lake.config import Settings

log = logging.getLogger(__name__)


def run_check(
    settings: Settings,
    business_date: dt.date,
    start_workflow: WorkflowStarter,
    *,
    boto3_session: boto3.Session | None = None,
    tracker: Tracker | None = None,
    notifier: Notifier | None = None,
    storage: LakeStorage | None = None,
    next_check_time: dt.datetime | None = None,
    franchise_stores: Sequence[int] | None = None,
    scan: bool | None = None,
    run_id: str | None = None,
    claim_lease: dt.timedelta | None = CLAIM_LEASE,
) -> CheckResult:
    """Build the adapters from ``settings`` (unless given) and run :func:`check`.

    ``scan`` (default: when the lake is a local folder, which has no S3 events)
    first records every file found in the date's landing folders. Which files are
    expected follows ``settings.source``. Franchise stores come from
    ``franchise_stores``, else ``settings.franchise_stores`` when that setting exists
    and is not empty, else the store dimension: the date's ``store.csv`` with
    ``source=files``, the lake's validated one with ``source=mysql`` (none at all
    before the first load, which then expects no franchise file).
    """
    storage = storage or open_storage(settings.lake, boto3_session)
    tracker = tracker or open_tracker(settings, boto3_session)
    notifier = notifier or open_notifier(settings, boto3_session)
    if scan if scan is not None else not settings.on_s3:
        scan_landing(tracker, storage, business_date)
    override = franchise_stores or getattr(settings, "franchise_stores", None) or None
    stores = resolve_franchise_stores(storage, business_date, override, settings.source)
    if stores is None and settings.source == "mysql":
        # The first load from MySQL: no run has validated a store dimension yet and no
        # franchise_stores setting names the stores, so no franchise file can be
        # expected; those that have arrived are ingested all the same.
        log.warning(
            "%s: franchise stores unknown (no validated store dimension yet and no "
            "franchise_stores setting); no franchise file is expected",
            business_date,
        )
        stores = []
    return check(
        business_date,
        tracker,
        notifier,
        start_workflow,
        franchise_store_nums=stores,
        recipients=settings.alert_recipients,
        workflow=settings.workflow_name,
        next_check_time=next_check_time,
        run_id=run_id,
        claim_lease=claim_lease,
        source=settings.source,
    )


def business_date_from_event(event: dict[str, Any], now: dt.datetime | None = None) -> dt.date:
    """``detail.business_date`` (or a top-level ``business_date`` from a constant rule
    input) if given, else the day before the event's time (UTC): a 03:00 check on
    the 5th checks the files of the 4th."""
    given = (event.get("detail") or {}).get("business_date") or event.get("business_date")
    if given:
        return dt.date.fromisoformat(str(given))
    when = _event_datetime(event) or now or dt.datetime.now(dt.UTC)
    return when.astimezone(dt.UTC).date() - dt.timedelta(days=1)


def next_check_from_event(
    event: dict[str, Any], now: dt.datetime | None = None
) -> dt.datetime | None:
    """``detail.next_check_time`` / ``next_check_time``, if the schedule says.

    Either ISO-8601 (``2024-03-05T03:30:00Z``) or a UTC time of day (``03:30``), which
    a schedule's constant input can carry: the next such time after the event.
    """
    raw = (event.get("detail") or {}).get("next_check_time") or event.get("next_check_time")
    if not raw:
        return None
    raw = str(raw)
    if len(raw) <= 8 and ":" in raw:  # HH:MM[:SS]
        when = _event_datetime(event) or now or dt.datetime.now(dt.UTC)
        at = dt.time.fromisoformat(raw)
        candidate = dt.datetime.combine(when.date(), at, tzinfo=dt.UTC)
        return candidate if candidate > when else candidate + dt.timedelta(days=1)
    value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _event_datetime(event: dict[str, Any]) -> dt.datetime | None:
    raw = event.get("time")
    if not raw:
        return None
    value = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
