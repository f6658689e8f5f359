"""The dead-letter port: SQS on AWS, a JSON-lines file locally.

Every dead letter has the same shape whoever wrote it::

    {"reason": "bad_qty", "detail": "...", "error": "InvalidOrder",
     "order": <the order exactly as received, or null for a whole-batch reject>,
     "source": "landing/orders/batch.json", "failed_at": "2026-01-05T10:00:00Z"}

The state machine cannot build that shape itself (a Lambda error's message arrives
as a JSON string in ``Cause``), so it sends ``error``/``cause``/``order``/``source``
and :meth:`DeadLetter.from_message` normalizes either form.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from retail_lake.storage import layout, open_storage


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    detail: str
    order: Any
    error: str = "InvalidOrder"
    source: str | None = None
    failed_at: str = field(default_factory=lambda: utc_now_iso())

    def to_message(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "detail": self.detail,
            "error": self.error,
            "order": self.order,
            "source": self.source,
            "failed_at": self.failed_at,
        }

    @classmethod
    def from_error(
        cls, exc: Exception, order: Any, source: str | None, error: str = "InvalidOrder"
    ) -> DeadLetter:
        reason, detail = split_reason(str(exc))
        return cls(reason=reason, detail=detail, order=order, error=error, source=source)

    @classmethod
    def from_message(cls, body: dict[str, Any]) -> DeadLetter:
        """Read a message written by this module or by the state machine's Catch."""
        if "reason" in body:
            return cls(
                reason=body["reason"],
                detail=body.get("detail", ""),
                order=body.get("order"),
                error=body.get("error", "InvalidOrder"),
                source=body.get("source"),
                failed_at=body.get("failed_at") or utc_now_iso(),
            )
        if "detail-type" in body:  # EventBridge could not start the state machine
            detail = body.get("detail") or {}
            key = (detail.get("object") or {}).get("key")
            bucket = (detail.get("bucket") or {}).get("name")
            source = f"s3://{bucket}/{key}" if bucket and key else None
            return cls(
                "start_failed", "the state machine was not started", None, "EventBridge", source
            )
        error = body.get("error") or "States.TaskFailed"
        message = _cause_message(body.get("cause"))
        if error in ("InvalidOrder", "InvalidBatch"):
            reason, detail = split_reason(message)
        else:  # a service failure (throttled past the retries, access denied...)
            reason, detail = "write_failed", f"{error}: {message}"
        return cls(reason, detail, body.get("order"), error, body.get("source"))


@dataclass(frozen=True)
class Received:
    """A dead letter read from a queue, with the handle needed to delete it."""

    handle: str
    letter: DeadLetter


class DeadLetterQueue(Protocol):
    def send(self, letter: DeadLetter) -> None: ...

    def receive_all(self) -> list[Received]:
        """Every letter currently in the queue (hidden from other readers meanwhile)."""

    def delete(self, handles: Iterable[str]) -> None: ...

    def release(self, handles: Iterable[str]) -> None:
        """Give back letters that were read but not deleted."""


class SqsDeadLetters:
    """The SQS dead-letter queue of the order channel."""

    def __init__(self, queue_url: str, boto3_session: Any = None, *, visibility_timeout: int = 300):
        import boto3

        self.queue_url = queue_url
        self.visibility_timeout = visibility_timeout
        self._sqs = (boto3_session or boto3.Session()).client("sqs")

    def send(self, letter: DeadLetter) -> None:
        self._sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(letter.to_message()))

    def receive_all(self) -> list[Received]:
        out: list[Received] = []
        while True:
            response = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=self.visibility_timeout,
                WaitTimeSeconds=0,
            )
            messages = response.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                out.append(Received(message["ReceiptHandle"], _letter(message["Body"])))

    def delete(self, handles: Iterable[str]) -> None:
        for chunk in _chunks(list(handles), 10):
            entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)]
            response = self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            if response.get("Failed"):
                raise RuntimeError(f"could not delete dead letters: {response['Failed']}")

    def release(self, handles: Iterable[str]) -> None:
        for chunk in _chunks(list(handles), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                for i, h in enumerate(chunk)
            ]
            self._sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)


class JsonLinesDeadLetters:
    """``_control/dead_letters.jsonl`` in the lake: one dead letter per line.

    A line's position is its handle. Deleting rewrites the file atomically (the
    storage port's ``write_bytes``), which is fine for a single local process.
    """

    def __init__(self, lake_root: str) -> None:
        self._storage = open_storage(lake_root)
        self._path = layout.dead_letters()

    def send(self, letter: DeadLetter) -> None:
        self.send_many([letter])

    def send_many(self, letters: Iterable[DeadLetter]) -> None:
        lines = [json.dumps(letter.to_message(), sort_keys=True) for letter in letters]
        if lines:
            self._storage.write_bytes(
                self._path, self._read() + "".join(f"{x}\n" for x in lines).encode()
            )

    def receive_all(self) -> list[Received]:
        lines = self._read().decode().splitlines()
        return [Received(str(i), _letter(line)) for i, line in enumerate(lines) if line.strip()]

    def delete(self, handles: Iterable[str]) -> None:
        gone = {int(h) for h in handles}
        if not gone:
            return
        lines = self._read().decode().splitlines()
        kept = [line for i, line in enumerate(lines) if i not in gone and line.strip()]
        self._storage.write_bytes(self._path, "".join(f"{x}\n" for x in kept).encode())

    def release(self, handles: Iterable[str]) -> None:
        """Nothing to do: reading a file hides nothing."""

    def _read(self) -> bytes:
        return self._storage.read_bytes(self._path) if self._storage.exists(self._path) else b""


def split_reason(message: str) -> tuple[str, str]:
    """``"bad_qty: qty must..."`` → ``("bad_qty", "qty must...")``."""
    reason, sep, detail = message.partition(": ")
    if sep and reason and " " not in reason:
        return reason, detail
    return "rejected", message


def utc_now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cause_message(cause: Any) -> str:
    """A Lambda error's ``Cause`` is JSON with ``errorMessage``; a service error's is text."""
    if isinstance(cause, str):
        try:
            parsed = json.loads(cause)
        except json.JSONDecodeError:
            return cause
        if isinstance(parsed, dict) and "errorMessage" in parsed:
            return str(parsed["errorMessage"])
        return cause
    return "" if cause is None else json.dumps(cause)


def _letter(body: str) -> DeadLetter:
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        return DeadLetter("unreadable_dead_letter", body[:1000], None, error="DeadLetter")
    return DeadLetter.from_message(parsed)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
