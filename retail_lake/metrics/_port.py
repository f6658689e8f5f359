"""The metrics interface: named values with dimensions, grouped by business date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

NAMESPACE = "RetailLake/DataQuality"
"""CloudWatch namespace of every metric the lake publishes."""


class MetricsError(RuntimeError):
    """Metrics could not be published; the message names the batch and the cause."""


@dataclass(frozen=True)
class Datapoint:
    """One value of a metric for one business date (the load it describes)."""

    name: str
    value: float
    dimensions: Mapping[str, str]
    day: dt.date
    unit: str = "None"


class MetricsPublisher(Protocol):
    def publish(self, name: str, datapoints: Sequence[Datapoint]) -> int:
        """Publish ``datapoints`` (a batch called ``name``); returns how many went out.

        Publishing the same batch for the same dates again replaces it locally and
        adds another sample in CloudWatch, whose statistics absorb a rerun."""
