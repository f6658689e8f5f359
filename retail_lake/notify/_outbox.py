"""The local notifier: each message is an RFC 822 ``.eml`` file in ``_control/outbox/``.

Writing through the lake storage port keeps the file atomic (a reader never sees
half a message) and puts it where operators already look; any mail client opens it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from retail_lake.notify._port import NotificationError
from retail_lake.storage import LakeStorage, StorageError, layout


class OutboxNotifier:
    def __init__(self, storage: LakeStorage, sender: str) -> None:
        self.storage = storage
        self.sender = sender

    def send(self, subject: str, body: str, recipients: Sequence[str]) -> str:
        """Write the message; returns its path relative to the lake root."""
        if not recipients:
            raise NotificationError(f"no recipients for {subject!r}")
        now = dt.datetime.now(dt.UTC)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message["Date"] = format_datetime(now)
        message["Message-ID"] = make_msgid(domain="retail-lake.local")
        message.set_content(body, cte="8bit")  # readable in any editor
        slug = re.sub(r"[^A-Za-z0-9]+", "-", subject).strip("-")[:60]
        name = f"{now:%Y%m%dT%H%M%S%fZ}-{slug}-{uuid.uuid4().hex[:8]}.eml"
        rel = f"{layout.outbox_dir()}/{name}"
        try:
            self.storage.write_bytes(rel, message.as_bytes())
        except (OSError, StorageError) as exc:
            raise NotificationError(f"cannot write {rel}: {exc}") from exc
        return rel
