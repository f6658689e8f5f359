"""Notifier port: SES on AWS, ``.eml`` files in ``<lake>/_control/outbox/`` locally.

:func:`open_notifier` picks the adapter from ``settings.notifier``. Both adapters
take plain-text mail; a failed send raises :class:`NotificationError` so the caller
(the completeness check) fails visibly and the next check simply sends again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retail_lake.notify._outbox import OutboxNotifier
from retail_lake.notify._port import NotificationError, Notifier
from retail_lake.notify._ses import SesNotifier

if TYPE_CHECKING:
    import boto3

    from retail_lake.config import Settings


def open_notifier(settings: Settings, boto3_session: boto3.Session | None = None) -> Notifier:
    """The notifier adapter chosen by ``settings.notifier``."""
    if settings.notifier == "aws":
        return SesNotifier(
            settings.alert_sender, boto3_session=boto3_session, region=settings.region
        )
    from retail_lake.storage import open_storage

    return OutboxNotifier(open_storage(settings.lake, boto3_session), settings.alert_sender)


__all__ = ["NotificationError", "Notifier", "OutboxNotifier", "SesNotifier", "open_notifier"]
