"""moto fixtures: each test gets fresh AWS services and a boto3 session to pass in."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def aws_credentials(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def _atomic_dynamodb_writes(monkeypatch) -> None:
    """Give moto DynamoDB's guarantee that a conditional write is atomic.

    Real DynamoDB evaluates a ConditionExpression and applies the write as one
    atomic step per item; moto checks the condition and then writes without a lock,
    so two threads can both pass ``attribute_not_exists``. The race tests are about
    our use of conditions, so the emulator must keep DynamoDB's promise: its
    write operations are serialised, nothing else changes.
    """
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in _DYNAMODB_WRITES:
        original = getattr(DynamoDBBackend, name)

        def serialised(self, *args, __original=original, **kwargs):
            with lock:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, serialised)


@pytest.fixture
def aws(aws_credentials, monkeypatch):
    """Start moto's in-process mock of every service; yields a boto3 session."""
    import boto3
    from moto import mock_aws

    _atomic_dynamodb_writes(monkeypatch)
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")
