"""The AWS notifier: Amazon SES ``SendEmail``."""

from __future__ import annotations

from collections.abc import Sequence

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from retail_lake.notify._port import NotificationError


class SesNotifier:
    """Sends plain-text mail from ``sender`` (a verified SES identity)."""

    def __init__(
        self,
        sender: str,
        boto3_session: boto3.Session | None = None,
        region: str | None = None,
    ) -> None:
        self.sender = sender
        session = boto3_session or boto3.Session(region_name=region)
        self._client = session.client("ses", region_name=region or session.region_name)

    def send(self, subject: str, body: str, recipients: Sequence[str]) -> str:
        if not recipients:
            raise NotificationError(f"no recipients for {subject!r}")
        try:
            response = self._client.send_email(
                Source=self.sender,
                Destination={"ToAddresses": list(recipients)},
                Message={
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise NotificationError(
                f"SES could not send {subject!r} from {self.sender} to {', '.join(recipients)}: {exc}"
            ) from exc
        return response["MessageId"]
