"""The AWS metrics adapter: CloudWatch ``PutMetricData`` in batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from retail_lake.metrics._port import NAMESPACE, Datapoint, MetricsError

BATCH = 500
"""Values per ``PutMetricData`` call (CloudWatch takes up to 1,000 and 1 MB)."""


class CloudWatchMetrics:
    """Publishes under :data:`NAMESPACE`, stamped with the time of publishing.

    CloudWatch refuses timestamps more than two weeks old, and a backfill judges
    loads of any age, so the business date is not the timestamp: a metric shows
    when a load was judged, its report and the trend view show which date it was.
    """

    def __init__(
        self, boto3_session: boto3.Session | None = None, region: str | None = None
    ) -> None:
        session = boto3_session or boto3.Session(region_name=region)
        self._client = session.client("cloudwatch", region_name=region or session.region_name)

    def publish(self, name: str, datapoints: Sequence[Datapoint]) -> int:
        now = dt.datetime.now(dt.UTC)
        data = [
            {
                "MetricName": point.name,
                "Dimensions": [
                    {"Name": k, "Value": v} for k, v in sorted(point.dimensions.items())
                ],
                "Value": point.value,
                "Unit": point.unit,
                "Timestamp": now,
            }
            for point in datapoints
        ]
        for start in range(0, len(data), BATCH):
            try:
                self._client.put_metric_data(
                    Namespace=NAMESPACE, MetricData=data[start : start + BATCH]
                )
            except (ClientError, BotoCoreError) as exc:
                raise MetricsError(
                    f"CloudWatch refused {name} metrics {start}..{start + BATCH}: {exc}"
                ) from exc
        return len(data)
