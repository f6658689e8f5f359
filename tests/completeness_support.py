"""Shared helpers of the completeness tests: landing files, real-shaped EventBridge
events, the moto stack driven through the Lambda handlers, and the local stand-ins.

Used by ``test_completeness.py`` (AWS), ``test_completeness_local.py`` (local
adapters) and ``test_completeness_sources.py`` (what a date waits for per source).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import threading
import uuid
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from retail_lake.config import build_settings
from retail_lake.contracts import RETAIL_TABLES, dataset
from retail_lake.storage import layout
from retail_lake.tracker import DynamoDBTracker, create_dynamodb_tables
from tests.aws_readback import glue_runs

D = dt.date(2024, 3, 4)
FRANCHISE = (101, 102)
RECIPIENTS = ("ops@example.com", "dev@example.com")
BUCKET, PREFIX = "retail-bucket", "lake"
WORKFLOW = "retail-lake-daily"
ONE_DATE_RUN = {"business_date": "2024-03-04", "end_date": "2024-03-04"}  # run properties
ROOT = Path(__file__).resolve().parents[1]


# -- landing data ------------------------------------------------------------------------


def store_csv(franchise=FRANCHISE, others=(103,)) -> bytes:
    """A store dimension whose header is the contract's column list."""
    columns = dataset("store").column_names
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for i, (num, flag) in enumerate([(n, 1) for n in franchise] + [(n, 0) for n in others]):
        writer.writerow(
            {c: "" for c in columns} | {"store_key": i + 1, "store_num": num, "frnchs_flg": flag}
        )
    return out.getvalue().encode()


def landing_files(day=D, tables=RETAIL_TABLES, stores=FRANCHISE) -> dict[str, bytes]:
    """Relative key -> content for the given retail tables and franchise stores."""
    files = {
        layout.landing_retail(day, t): (store_csv() if t == "store" else f"{t} of {day}\n".encode())
        for t in tables
    }
    files |= {layout.landing_store_sales(day, n): f"sales of {n}\n".encode() for n in stores}
    return files


def all_keys(day=D) -> list[str]:
    return sorted(landing_files(day))


# -- reading the alert -------------------------------------------------------------------


def section(body: str, title: str) -> list[str]:
    """The indented lines under ``Missing (n):`` / ``Arrived (n):``, first word only."""
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{title} ("))
    out = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        out.append(line.split()[0])
    return out


# -- AWS environment ---------------------------------------------------------------------


def load_handler(name: str):
    path = ROOT / "lambdas" / name / "handler.py"
    spec = importlib.util.spec_from_file_location(f"lambda_{name}_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def object_created(key: str, size: int, etag: str, time: str = "2024-03-05T02:10:00Z") -> dict:
    """An S3 "Object Created" event as EventBridge delivers it (S3 user guide shape)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{BUCKET}"],
        "detail": {
            "version": "0",
            "bucket": {"name": BUCKET},
            "object": {"key": key, "size": size, "etag": etag, "sequencer": "617f08299329d189"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject",
        },
    }


def scheduled(time: str = "2024-03-05T03:00:00Z", **detail) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/retail-lake-check-0300"],
        "detail": detail,
    }


class AwsLake:
    """moto S3 + DynamoDB + SES + Glue set up like the stack, driven through the Lambdas."""

    def __init__(self, session, monkeypatch, verify_sender=True, create_workflow=True):
        self.session = session
        env = {
            "RETAIL_LAKE_LAKE": f"s3://{BUCKET}/{PREFIX}",
            "RETAIL_LAKE_REGION": "us-east-1",
            "RETAIL_LAKE_TRACKER_TABLE": "tracker",
            "RETAIL_LAKE_METADATA_TABLE": "metadata",
            "RETAIL_LAKE_WORKFLOW_NAME": WORKFLOW,
            "RETAIL_LAKE_ALERT_SENDER": "retail-lake@example.com",
            "RETAIL_LAKE_ALERT_RECIPIENTS": ",".join(RECIPIENTS),
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        self.settings = build_settings()
        session.client("s3").create_bucket(Bucket=BUCKET)
        create_dynamodb_tables("tracker", "metadata", session)
        if verify_sender:
            self.verify_sender()
        if create_workflow:
            self.create_workflow()
        self.file_arrived = load_handler("file_arrived")
        self.check = load_handler("check_completeness")

    def verify_sender(self):
        self.session.client("ses").verify_email_identity(EmailAddress="retail-lake@example.com")

    def create_workflow(self):
        self.session.client("glue").create_workflow(Name=WORKFLOW)

    def tracker(self):
        return DynamoDBTracker("tracker", "metadata", self.session)

    def deliver(self, rel: str, content: bytes) -> dict:
        """Upload to S3 and hand the Lambda the event S3 would emit."""
        key = f"{PREFIX}/{rel}"
        response = self.session.client("s3").put_object(Bucket=BUCKET, Key=key, Body=content)
        event = object_created(key, len(content), response["ETag"].strip('"'))
        return self.file_arrived(event)

    def deliver_all(self, files: dict[str, bytes]) -> None:
        for rel, content in files.items():
            assert self.deliver(rel, content)["status"] in ("new", "duplicate", "new_version")

    def glue_runs(self):
        return glue_runs(self.session, WORKFLOW)


# -- local stand-ins ---------------------------------------------------------------------


class RecordingStarter:
    """Stands in for the local runner: remembers every date it was asked to start."""

    def __init__(self, fail_times: int = 0):
        self.calls: list[dt.date] = []
        self.fail_times = fail_times
        self._lock = threading.Lock()

    def __call__(self, business_date: dt.date) -> str:
        with self._lock:
            self.calls.append(business_date)
            if len(self.calls) <= self.fail_times:
                raise RuntimeError("local runner could not start")
        return f"local-{business_date}"


def outbox(lake_dir: Path) -> list[EmailMessage]:
    """The alert mails the local notifier wrote, oldest first."""
    folder = lake_dir / layout.outbox_dir()
    files = sorted(folder.iterdir()) if folder.exists() else []
    return [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]
