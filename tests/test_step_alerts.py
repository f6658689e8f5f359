"""The failure alert of a step: one message naming step, dates, cause and where to look.

Every step run goes through ``recorded()``; these tests drive it directly with the
hooks the runner and the Glue entry point build (``step_hooks``), on the local
outbox and on SES in moto, and check that the step's own error always propagates.
"""

from __future__ import annotations

import datetime as dt
import logging
from email import policy
from email.parser import BytesParser

import pytest

from retail_lake.config import build_settings
from retail_lake.jobs.failure_alert import FailureAlerts
from retail_lake.jobs.recording import recorded
from retail_lake.jobs.step_hooks import StepHooks, step_hooks
from retail_lake.lineage import open_lineage
from retail_lake.notify import NotificationError, open_notifier
from retail_lake.runtime.adapters import open_adapters
from retail_lake.storage import layout, open_storage
from retail_lake.tracker import open_tracker
from tests.aws_readback import ses_sent

D1, D2 = dt.date(2026, 1, 5), dt.date(2026, 1, 6)
SENDER = "retail-lake@example.com"


class Boom(RuntimeError):
    pass


def _fail():
    raise Boom("validated/sales: 3 rows in but 2 valid + 0 quarantined")


def outbox(lake) -> list:
    folder = lake / layout.outbox_dir()
    files = sorted(folder.iterdir()) if folder.exists() else []
    return [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]


def test_a_failing_step_sends_one_alert_and_its_error_propagates(lake_dir):
    settings = build_settings({"lake": str(lake_dir), "lineage": "off"}, env={})
    ports = open_adapters(settings, workflow_run_id="wr")
    hooks = step_hooks(settings, ports.notifier, ports.lineage)
    tracker = open_tracker(settings)
    with pytest.raises(Boom) as raised:
        recorded(tracker, "retail-lake-daily", "validate", D2, _fail, days=[D1, D2], hooks=hooks)
    assert "3 rows in" in str(raised.value)  # the step's own exception, not a wrapper

    [message] = outbox(lake_dir)
    assert message["Subject"] == "[retail-lake] step 'validate' failed for 2026-01-05..2026-01-06"
    assert message["To"] == "data-team@example.com"
    body = message.get_content()
    assert "Step 'validate' of workflow retail-lake-daily failed" in body
    assert "2026-01-05..2026-01-06" in body
    assert "Boom: validated/sales: 3 rows in but 2 valid + 0 quarantined" in body
    assert f"{lake_dir}/_control/reports/2026-01-06/validate.json" in body
    assert "--start-date 2026-01-05 --end-date 2026-01-06" in body
    [run] = [r for r in tracker.runs(D2) if r.step == "validate"]
    assert run.status == "FAILED" and run.run_id in body


def test_a_step_that_succeeds_sends_nothing(lake_dir):
    settings = build_settings({"lake": str(lake_dir), "lineage": "off"}, env={})
    ports = open_adapters(settings, workflow_run_id="wr")
    hooks = step_hooks(settings, ports.notifier, ports.lineage)
    assert recorded(None, "wf", "aggregate", D1, lambda: 42, hooks=hooks) == 42
    assert outbox(lake_dir) == []


class BrokenNotifier:
    def send(self, subject, body, recipients):
        raise NotificationError("SES could not send: throttled")


def test_a_failed_alert_is_logged_and_the_step_error_still_propagates(lake_dir, caplog):
    alerts = FailureAlerts(BrokenNotifier(), ("ops@example.com",), "wf", str(lake_dir), "logs")
    with caplog.at_level(logging.ERROR), pytest.raises(Boom):
        recorded(None, "wf", "aggregate", D1, _fail, hooks=StepHooks(alerts=alerts))
    assert "failure alert of step aggregate could not be sent" in caplog.text
    assert "throttled" in caplog.text


def test_on_aws_the_alert_goes_through_ses(aws):
    aws.client("ses").verify_email_identity(EmailAddress=SENDER)
    aws.client("s3").create_bucket(Bucket="lake-bucket")
    settings = build_settings(
        {
            "lake": "s3://lake-bucket/lake",
            "alert_recipients": "ops@example.com",
            "tracker": "local",
        },
        env={},
    )
    storage = open_storage(settings.lake, aws)
    lineage = open_lineage(settings, storage, workflow_run_id="wr_1", boto3_session=aws)
    hooks = step_hooks(settings, open_notifier(settings, aws), lineage)
    with pytest.raises(Boom):
        recorded(None, settings.workflow_name, "catalog", D1, _fail, hooks=hooks)

    [mail] = ses_sent()
    assert (mail.source, mail.to) == (SENDER, ["ops@example.com"])
    assert mail.subject == "[retail-lake] step 'catalog' failed for 2026-01-05"
    assert "Boom: validated/sales: 3 rows in" in mail.body
    assert "s3://lake-bucket/lake/_control/reports/2026-01-05/catalog.json" in mail.body
    # and the lineage FAIL event went to the lake on S3, through the same storage port
    [event] = [f for f in storage.list_files("_control/lineage") if "-FAIL-" in f]
    assert b'"eventType": "FAIL"' in storage.read_bytes(event)


def test_glue_logs_and_rerun_hint_name_the_platform():
    settings = build_settings({"lake": "s3://b/l", "platform": "glue"}, env={})
    from retail_lake.jobs.step_hooks import logs_hint

    alerts = FailureAlerts(
        BrokenNotifier(), ("a@x",), "wf", settings.lake, logs_hint(settings), "glue"
    )
    _, body = alerts.message("extract", [D1], "r1", Boom("x"))
    assert "/aws-glue/jobs/error" in body and "--platform glue" in body
