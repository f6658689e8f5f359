"""The local metrics adapter: one JSON-lines file per business date and batch in the lake."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

from retail_lake.metrics._port import NAMESPACE, Datapoint
from retail_lake.storage import LakeStorage, layout


class LakeMetrics:
    """Writes ``_control/metrics/<day>/<name>.jsonl``; a rerun of the day replaces it."""

    def __init__(self, storage: LakeStorage) -> None:
        self._storage = storage

    def publish(self, name: str, datapoints: Sequence[Datapoint]) -> int:
        by_day: dict[str, list[str]] = defaultdict(list)
        for point in datapoints:
            by_day[point.day.isoformat()].append(
                json.dumps(
                    {
                        "namespace": NAMESPACE,
                        "metric": point.name,
                        "dimensions": dict(point.dimensions),
                        "value": point.value,
                        "unit": point.unit,
                        "business_date": point.day.isoformat(),
                    },
                    sort_keys=True,
                )
            )
        for day, lines in by_day.items():
            path = layout.metrics(day, name)
            self._storage.write_bytes(path, ("\n".join(lines) + "\n").encode())
        return len(datapoints)
