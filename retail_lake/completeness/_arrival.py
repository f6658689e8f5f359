"""Recording landed files in the tracker: from S3 events on AWS, from a folder scan locally."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import posixpath
from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import urlparse

from retail_lake.completeness._expected import parse_landing_key
from retail_lake.contracts import RETAIL_TABLES
from retail_lake.storage import LakeStorage, layout
from retail_lake.tracker import Tracker

log = logging.getLogger(__name__)

ArrivalStatus = Literal["new", "duplicate", "new_version", "ignored"]


class EventError(ValueError):
    """The event is not an S3 "Object Created" event delivered by EventBridge."""


@dataclass(frozen=True)
class ArrivalResult:
    status: ArrivalStatus
    key: str
    dataset: str | None = None
    business_date: dt.date | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["business_date"] = self.business_date.isoformat() if self.business_date else None
        return out


def file_arrived(event: dict[str, Any], tracker: Tracker, lake: str) -> ArrivalResult:
    """Record the object of an EventBridge S3 ``Object Created`` event.

    ``lake`` is the lake root (``s3://bucket/prefix``): objects of other buckets or
    outside the prefix, and keys that are not dated landing files, are ignored with
    a log line rather than failing, because the rule may match more than we track.
    """
    detail = _object_created_detail(event)
    bucket = detail["bucket"]["name"]
    key = detail["object"]["key"]
    size = int(detail["object"].get("size", 0))
    etag = str(detail["object"].get("etag", ""))
    arrived_at = _event_time(event)

    root = urlparse(lake)
    prefix = root.path.strip("/")
    if root.scheme != "s3" or root.netloc != bucket:
        return _ignored(key, f"bucket {bucket!r} is not the lake {lake}")
    if prefix and not key.startswith(prefix + "/"):
        return _ignored(key, f"outside the lake prefix {prefix!r}")
    rel = key[len(prefix) + 1 :] if prefix else key
    return record_landing_file(tracker, rel, size, etag, arrived_at)


def record_landing_file(
    tracker: Tracker, rel_key: str, size: int, etag: str, arrived_at: dt.datetime
) -> ArrivalResult:
    """Record one landed file given by its key relative to the lake root."""
    parsed = parse_landing_key(rel_key)
    if parsed is None:
        why = "not under landing/" if not rel_key.startswith("landing/") else "no business date"
        return _ignored(rel_key, f"{why}: not a dated landing file of any contract")
    status = tracker.record_file(
        parsed.dataset, parsed.business_date, rel_key, size, etag, arrived_at
    )
    log.info(
        "file %s (%s, %s, %d bytes, etag %s): %s",
        rel_key,
        parsed.dataset,
        parsed.business_date,
        size,
        etag,
        status,
    )
    return ArrivalResult(status, rel_key, parsed.dataset, parsed.business_date)


def record_stored_file(
    tracker: Tracker, storage: LakeStorage, rel_key: str, arrived_at: dt.datetime | None = None
) -> ArrivalResult:
    """Record a file already in the lake (local runs, jobs writing landing files).

    The checksum is the MD5 of the content, which is also the S3 ETag of a
    single-part upload, so an event and a scan of the same object agree.
    """
    data = storage.read_bytes(rel_key)
    return record_landing_file(
        tracker,
        rel_key,
        len(data),
        hashlib.md5(data, usedforsecurity=False).hexdigest(),
        arrived_at or dt.datetime.now(dt.UTC),
    )


def scan_landing(
    tracker: Tracker, storage: LakeStorage, business_date: dt.date
) -> list[ArrivalResult]:
    """Record every landed file of a date: the local stand-in for S3 events.

    Re-scanning is harmless: unchanged files are duplicates, changed ones new versions.
    """
    folders = [
        posixpath.dirname(layout.landing_retail(business_date, RETAIL_TABLES[0])),
        layout.landing_store_sales_dir(business_date),
    ]
    return [
        record_stored_file(tracker, storage, rel)
        for folder in folders
        for rel in storage.list_files(folder)
    ]


def _object_created_detail(event: dict[str, Any]) -> dict[str, Any]:
    detail_type = event.get("detail-type")
    if detail_type != "Object Created" or event.get("source") not in (None, "aws.s3"):
        raise EventError(
            f"expected an EventBridge S3 'Object Created' event, got detail-type {detail_type!r}"
            f" from {event.get('source')!r}"
        )
    detail = event.get("detail") or {}
    try:
        detail["bucket"]["name"], detail["object"]["key"]
    except (KeyError, TypeError):
        raise EventError("the event has no detail.bucket.name or detail.object.key") from None
    return detail


def _event_time(event: dict[str, Any]) -> dt.datetime:
    raw = event.get("time")
    if not raw:
        return dt.datetime.now(dt.UTC)
    value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _ignored(key: str, reason: str) -> ArrivalResult:
    log.info("ignoring %s: %s", key, reason)
    return ArrivalResult("ignored", key, reason=reason)
