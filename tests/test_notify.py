"""The notifier port: SES (read back from moto) and the local .eml outbox."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from retail_lake.config import build_settings
from retail_lake.notify import NotificationError, OutboxNotifier, SesNotifier, open_notifier
from retail_lake.storage import layout, open_storage
from tests.aws_readback import SentMail, ses_sent

SENDER = "retail-lake@example.com"
BODY = "Missing (1):\n  landing/retail/2024-03-04/sales.csv\n"


def test_ses_sends_subject_body_and_recipients(aws):
    aws.client("ses").verify_email_identity(EmailAddress=SENDER)
    notifier = SesNotifier(SENDER, boto3_session=aws)
    message_id = notifier.send("[retail-lake] alert", BODY, ["a@example.com", "b@example.com"])
    assert message_id
    assert ses_sent() == [
        SentMail(SENDER, ["a@example.com", "b@example.com"], "[retail-lake] alert", BODY)
    ]


def test_ses_failure_is_a_clear_notification_error(aws):
    notifier = SesNotifier(SENDER, boto3_session=aws)  # sender never verified
    with pytest.raises(
        NotificationError, match=r"SES could not send .*retail-lake@example.com.*a@x\.com"
    ):
        notifier.send("subject", BODY, ["a@x.com"])
    assert ses_sent() == []


def test_outbox_writes_a_readable_eml(lake_dir):
    notifier = OutboxNotifier(open_storage(str(lake_dir)), SENDER)
    rel = notifier.send("[retail-lake] alert", BODY, ["a@example.com", "b@example.com"])
    assert rel.startswith(layout.outbox_dir() + "/") and rel.endswith(".eml")
    files = list((lake_dir / layout.outbox_dir()).iterdir())
    assert [f.name for f in files] == [rel.rsplit("/", 1)[1]]
    message = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert message["From"] == SENDER
    assert message["To"] == "a@example.com, b@example.com"
    assert message["Subject"] == "[retail-lake] alert"
    assert message["Date"] and message["Message-ID"]
    assert message.get_content() == BODY


def test_each_message_is_its_own_file(lake_dir):
    notifier = OutboxNotifier(open_storage(str(lake_dir)), SENDER)
    first = notifier.send("same subject", "one", ["a@example.com"])
    second = notifier.send("same subject", "two", ["a@example.com"])
    assert first != second
    assert len(list((lake_dir / layout.outbox_dir()).iterdir())) == 2


def test_no_recipients_is_an_error(lake_dir):
    with pytest.raises(NotificationError, match="no recipients"):
        OutboxNotifier(open_storage(str(lake_dir)), SENDER).send("s", "b", [])


def test_factory_follows_settings(lake_dir, aws):
    """A local lake's alerts land as .eml files in its outbox; an S3 lake's go to SES."""
    local = build_settings({"lake": str(lake_dir)}, env={})
    open_notifier(local).send("[retail-lake] local", BODY, ["a@example.com"])
    [eml] = (lake_dir / layout.outbox_dir()).iterdir()
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert (message["From"], message["Subject"]) == (local.alert_sender, "[retail-lake] local")
    assert ses_sent() == []

    remote = build_settings({"lake": "s3://bucket/lake"}, env={})
    aws.client("ses").verify_email_identity(EmailAddress=remote.alert_sender)
    open_notifier(remote, boto3_session=aws).send("[retail-lake] aws", BODY, ["b@example.com"])
    assert ses_sent() == [
        SentMail(remote.alert_sender, ["b@example.com"], "[retail-lake] aws", BODY)
    ]
    assert len(list((lake_dir / layout.outbox_dir()).iterdir())) == 1
