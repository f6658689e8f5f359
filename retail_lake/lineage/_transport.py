"""Where lineage events go: the ``lineage`` setting.

| ``lineage`` | transport |
|---|---|
| ``lake`` (default) | :class:`LakeTransport`: one JSON object per event under ``_control/lineage/<YYYY-MM-DD>/`` (the event's UTC day) through the lake storage port, so the same code writes a local folder or S3 |
| ``http://…`` / ``https://…`` | openlineage's ``HttpTransport`` (e.g. Marquez at ``http://host:5000``; events are POSTed to ``<url>/api/v1/lineage``) |
| ``datazone:<domain-id>`` | openlineage's ``AmazonDataZoneTransport``: ``PostLineageEvent`` into that Amazon DataZone / SageMaker Unified Studio domain, in the settings' region |
| ``off`` | no events |
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Any

from openlineage.client.serde import Serde
from openlineage.client.transport.transport import Config, Transport

from retail_lake.storage import LakeStorage, layout

if TYPE_CHECKING:
    from openlineage.client.client import Event

LINEAGE_CHOICES = "lake, off, an http(s):// URL, or datazone:<domain-id>"


def check_lineage_setting(value: str) -> str | None:
    """What is wrong with a ``lineage`` setting, or ``None`` when it can be used."""
    if value in ("lake", "off") or value.startswith(("http://", "https://")):
        return None
    if value.startswith("datazone:") and value.removeprefix("datazone:").strip():
        return None
    return f"lineage must be {LINEAGE_CHOICES}, got {value!r}"


def _event_moment(stamp: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _event_day(event: Any) -> dt.date:
    when = _event_moment(str(getattr(event, "eventTime", "") or ""))
    return (when or dt.datetime.now(dt.UTC)).date()


def event_object_name(event: Any) -> str:
    """``<HHMMSS.mmm>-<eventType>-<random>.json``: unique per event, so no two writers
    ever write the same object, and sorted by time when listed."""
    when = _event_moment(str(getattr(event, "eventTime", "") or "")) or dt.datetime.now(dt.UTC)
    state = getattr(getattr(event, "eventType", None), "value", None) or "EVENT"
    return f"{when:%H%M%S}.{when.microsecond // 1000:03d}-{state}-{uuid.uuid4().hex}.json"


class LakeTransport(Transport):
    """Writes each event as its own JSON object under the lake's lineage folder of its day.

    S3 has no append, and a read-modify-write of one shared file loses a line when two
    writers (two Lambdas, a Lambda and a Glue job) interleave. One object per event
    needs no coordination: every write creates a new key and touches nothing else.
    """

    kind = "retail_lake_lake"
    config_class = Config

    def __init__(self, storage: LakeStorage) -> None:
        self.storage = storage

    def emit(self, event: Event) -> None:
        rel = f"{layout.lineage_dir(_event_day(event))}/{event_object_name(event)}"
        self.storage.write_bytes(rel, Serde.to_json(event).encode("utf-8"))


def build_transport(
    setting: str, storage: LakeStorage, region: str | None = None, *, bounded: bool = False
) -> Transport | None:
    """The transport a ``lineage`` setting names; ``None`` for ``off``.

    ``bounded`` is for callers on a deadline (the order channel's Lambdas): an HTTP
    endpoint that does not answer costs seconds, not openlineage's default retries
    with backoff, which could outlast the Lambda's timeout and so fail the order path.
    """
    problem = check_lineage_setting(setting)
    if problem:
        raise ValueError(problem)
    if setting == "off":
        return None
    if setting == "lake":
        return LakeTransport(storage)
    if setting.startswith(("http://", "https://")):
        from openlineage.client.transport.http import HttpConfig, HttpTransport

        if bounded:
            from openlineage.client.transport.http_common import DEFAULT_RETRY_CONFIG

            retry = {**DEFAULT_RETRY_CONFIG, "total": 1, "backoff_factor": 0.1}
            return HttpTransport(HttpConfig(url=setting, timeout=2.0, retry=retry))
        return HttpTransport(HttpConfig(url=setting))
    from openlineage.client.transport.amazon_datazone import (
        AmazonDataZoneConfig,
        AmazonDataZoneTransport,
    )

    domain = setting.removeprefix("datazone:").strip()
    return AmazonDataZoneTransport(AmazonDataZoneConfig(domain_id=domain, region=region))


_STATE_ORDER = {"START": 0, "RUNNING": 1}


def read_lineage_log(storage: LakeStorage, day: dt.date) -> list[dict[str, Any]]:
    """Every event emitted on ``day``, in emission order (empty when there is none).

    Each writer stamps its own objects, so listing order says nothing across writers;
    events are sorted by ``eventTime``, and within the same millisecond a START comes
    before the run's other events.
    """
    events: list[dict[str, Any]] = []
    for rel in storage.list_files(layout.lineage_dir(day)):
        if rel.endswith(".json"):
            events.append(json.loads(storage.read_bytes(rel)))
    far_past = dt.datetime.min.replace(tzinfo=dt.UTC)

    def order(event: dict[str, Any]) -> tuple[dt.datetime, int]:
        when = _event_moment(str(event.get("eventTime", ""))) or far_past
        return when, _STATE_ORDER.get(str(event.get("eventType")), 2)

    return sorted(events, key=order)
