"""The notifier interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


class NotificationError(RuntimeError):
    """A message could not be sent; the message names the recipients and the cause."""


@runtime_checkable
class Notifier(Protocol):
    def send(self, subject: str, body: str, recipients: Sequence[str]) -> str:
        """Send a plain-text message; returns an id (SES MessageId or outbox path)."""
