"""Where lineage events go: the ``lineage`` setting.

| ``lineage`` | transport |
|---|---|
| ``lake`` (default) | :class:`LakeTransport`: one JSON line per event appended to ``_control/lineage/<YYYY-MM-DD>.jsonl`` (the event's UTC day) through the lake storage port, so the same code writes a local folder or S3 |
| ``http://…`` / ``https://…`` | openlineage's ``HttpTransport`` (e.g. Marquez at ``http://host:5000``; events are POSTed to ``<url>/api/v1/lineage``) |
| ``datazone:<domain-id>`` | openlineage's ``AmazonDataZoneTransport``: ``PostLineageEvent`` into that Amazon DataZone / SageMaker Unified Studio domain, in the settings' region |
| ``off`` | no events |
"""

from __future__ import annotations

import datetime as dt
import threading
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


def _event_day(event: Any) -> dt.date:
    stamp = str(getattr(event, "eventTime", "") or "")
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.now(dt.UTC).date()
    return (when.astimezone(dt.UTC) if when.tzinfo else when).date()


class LakeTransport(Transport):
    """Appends each event as one JSON line to the lake's lineage log of its day.

    The storage port writes whole objects (S3 has no append), so a line is added by
    reading the day's file and writing it back; one process's events are serialised
    by a lock. Events are a handful per step, so the file stays small.
    """

    kind = "retail_lake_lake"
    config_class = Config

    def __init__(self, storage: LakeStorage) -> None:
        self.storage = storage
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        line = (Serde.to_json(event) + "\n").encode("utf-8")
        rel = layout.lineage_log(_event_day(event))
        with self._lock:
            before = self.storage.read_bytes(rel) if self.storage.exists(rel) else b""
            self.storage.write_bytes(rel, before + line)


def build_transport(
    setting: str, storage: LakeStorage, region: str | None = None
) -> Transport | None:
    """The transport a ``lineage`` setting names; ``None`` for ``off``."""
    problem = check_lineage_setting(setting)
    if problem:
        raise ValueError(problem)
    if setting == "off":
        return None
    if setting == "lake":
        return LakeTransport(storage)
    if setting.startswith(("http://", "https://")):
        from openlineage.client.transport.http import HttpConfig, HttpTransport

        return HttpTransport(HttpConfig(url=setting))
    from openlineage.client.transport.amazon_datazone import (
        AmazonDataZoneConfig,
        AmazonDataZoneTransport,
    )

    domain = setting.removeprefix("datazone:").strip()
    return AmazonDataZoneTransport(AmazonDataZoneConfig(domain_id=domain, region=region))


def read_lineage_log(storage: LakeStorage, day: dt.date) -> list[dict[str, Any]]:
    """The events of one day's lineage log, oldest first (empty when there is none)."""
    import json

    rel = layout.lineage_log(day)
    if not storage.exists(rel):
        return []
    return [
        json.loads(line) for line in storage.read_bytes(rel).decode("utf-8").splitlines() if line
    ]
