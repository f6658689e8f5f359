"""Metrics port: data-quality figures as CloudWatch metrics on AWS, JSON lines locally.

Validate's gate results go out as metrics so that users can chart them and set
their own alarms (docs/design.md, Quality gates). :func:`open_metrics` picks the
adapter from ``settings.metrics``: CloudWatch ``PutMetricData`` under
:data:`NAMESPACE`, or ``_control/metrics/<business date>/<name>.jsonl`` in the lake,
rewritten by a rerun of the same date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retail_lake.metrics._cloudwatch import CloudWatchMetrics
from retail_lake.metrics._local import LakeMetrics
from retail_lake.metrics._port import NAMESPACE, Datapoint, MetricsError, MetricsPublisher

if TYPE_CHECKING:
    import boto3

    from retail_lake.config import Settings


def open_metrics(
    settings: Settings, boto3_session: boto3.Session | None = None
) -> MetricsPublisher:
    """The metrics adapter chosen by ``settings.metrics``."""
    if settings.metrics == "aws":
        return CloudWatchMetrics(boto3_session=boto3_session, region=settings.region)
    from retail_lake.storage import open_storage

    return LakeMetrics(open_storage(settings.lake, boto3_session))


__all__ = [
    "NAMESPACE",
    "CloudWatchMetrics",
    "Datapoint",
    "LakeMetrics",
    "MetricsError",
    "MetricsPublisher",
    "open_metrics",
]
