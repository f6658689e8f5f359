"""File arrivals, missing-file alerts and the exactly-once workflow start.

AWS scenarios go through the two Lambda handlers with real-shaped EventBridge events
on moto (S3, DynamoDB, SES, Glue workflows); local scenarios go through
``run_check`` on a lake folder (SQLite tracker, ``.eml`` outbox, a recording starter).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from retail_lake.completeness import (
    EventError,
    WorkflowStartError,
    business_date_from_event,
    expected_files,
    franchise_stores_from_store_csv,
    next_check_from_event,
    parse_landing_key,
    resolve_franchise_stores,
    run_check,
    scan_landing,
)
from retail_lake.config import build_settings
from retail_lake.contracts import RETAIL_TABLES, dataset
from retail_lake.notify import NotificationError
from retail_lake.storage import layout, open_storage
from retail_lake.tracker import DynamoDBTracker, SQLiteTracker, create_dynamodb_tables
from tests.aws_readback import glue_runs, ses_sent

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


@pytest.fixture
def aws_lake(aws, monkeypatch):
    return AwsLake(aws, monkeypatch)


# -- pure pieces -------------------------------------------------------------------------


def test_expected_files_come_from_layout_and_parse_back():
    expected = expected_files(D, [102, 101, 102])
    assert [e.key for e in expected] == [layout.landing_retail(D, t) for t in RETAIL_TABLES] + [
        layout.landing_store_sales(D, 101),
        layout.landing_store_sales(D, 102),
    ]
    for e in expected:
        parsed = parse_landing_key(e.key)
        assert (parsed.dataset, parsed.business_date) == (e.dataset, D)
    assert parse_landing_key(layout.landing_store_sales(D, 7)).store_num == 7


@pytest.mark.parametrize(
    "key",
    [
        "raw/retail/sales/load_date=2024-03-04/part-0.parquet",
        "landing/orders/batch-1.json",
        "landing/retail/2024-13-40/sales.csv",
        "landing/retail/2024-03-04/unknown_table.csv",
        "landing/retail/2024-03-04/sales.csv.tmp",
    ],
)
def test_keys_that_are_not_dated_landing_files_are_not_parsed(key):
    assert parse_landing_key(key) is None


def test_franchise_stores_from_the_landed_store_dimension(lake_dir):
    storage = open_storage(str(lake_dir))
    assert franchise_stores_from_store_csv(storage, D) is None
    storage.write_bytes(layout.landing_retail(D, "store"), store_csv((7, 3), others=(5, 6)))
    assert franchise_stores_from_store_csv(storage, D) == [3, 7]
    assert resolve_franchise_stores(storage, D, override=[9, 8, 9]) == [8, 9]


def test_business_date_from_events():
    assert business_date_from_event(scheduled("2024-03-05T03:00:00Z")) == D
    assert business_date_from_event(scheduled(business_date="2024-02-29")) == dt.date(2024, 2, 29)
    assert business_date_from_event({"business_date": "2024-02-28"}) == dt.date(2024, 2, 28)
    now = dt.datetime(2024, 3, 5, 0, 30, tzinfo=dt.UTC)
    assert business_date_from_event({}, now=now) == D


def test_next_check_time_from_events():
    assert next_check_from_event(scheduled()) is None
    iso = scheduled(next_check_time="2024-03-05T03:30:00Z")
    assert next_check_from_event(iso) == dt.datetime(2024, 3, 5, 3, 30, tzinfo=dt.UTC)
    # a time of day (constant schedule input): the next such time after the event
    assert next_check_from_event(scheduled(next_check_time="03:30")) == dt.datetime(
        2024, 3, 5, 3, 30, tzinfo=dt.UTC
    )
    assert next_check_from_event(
        scheduled("2024-03-05T03:30:00Z", next_check_time="03:00")
    ) == dt.datetime(2024, 3, 6, 3, 0, tzinfo=dt.UTC)


# -- AWS: arrivals -----------------------------------------------------------------------


def test_arrival_is_recorded_from_the_s3_event(aws_lake):
    rel = layout.landing_retail(D, "sales")
    result = aws_lake.deliver(rel, b"trans_id\n1\n")
    assert result == {
        "status": "new",
        "key": rel,
        "dataset": "sales",
        "business_date": "2024-03-04",
        "reason": None,
    }
    [record] = aws_lake.tracker().files(D)
    assert (record.key, record.size, record.version) == (rel, 11, 1)
    assert record.arrived_at == dt.datetime(2024, 3, 5, 2, 10, tzinfo=dt.UTC)


def test_duplicate_delivery_changes_nothing_and_a_changed_file_is_a_new_version(aws_lake):
    aws_lake.deliver_all(landing_files())
    before = aws_lake.tracker().files(D)
    rel = layout.landing_retail(D, "sales")
    assert aws_lake.deliver(rel, f"sales of {D}\n".encode())["status"] == "duplicate"
    assert aws_lake.tracker().files(D) == before
    assert aws_lake.deliver(rel, b"restated sales\n")["status"] == "new_version"
    after = {f.key: f for f in aws_lake.tracker().files(D)}
    assert len(after) == len(before)
    assert (after[rel].version, after[rel].size) == (2, len(b"restated sales\n"))
    assert [v.version for v in aws_lake.tracker().file_versions(D, rel)] == [1, 2]


@pytest.mark.parametrize(
    ("bucket", "key", "reason"),
    [
        (
            BUCKET,
            f"{PREFIX}/raw/retail/sales/load_date=2024-03-04/part-0.parquet",
            "not under landing/",
        ),
        (BUCKET, f"{PREFIX}/landing/orders/batch-1.json", "no business date"),
        (BUCKET, "elsewhere/landing/retail/2024-03-04/sales.csv", "outside the lake prefix"),
        ("other-bucket", f"{PREFIX}/landing/retail/2024-03-04/sales.csv", "is not the lake"),
    ],
)
def test_objects_we_do_not_track_are_ignored_with_a_reason(aws_lake, bucket, key, reason):
    event = object_created(key, 10, "abc")
    event["detail"]["bucket"]["name"] = bucket
    result = aws_lake.file_arrived(event)
    assert result["status"] == "ignored" and reason in result["reason"]
    assert aws_lake.tracker().files(D) == []


def test_a_non_s3_event_is_rejected(aws_lake):
    with pytest.raises(EventError, match="Object Created"):
        aws_lake.file_arrived(scheduled())


# -- AWS: the check ----------------------------------------------------------------------


def test_missing_files_send_one_email_listing_exactly_them(aws_lake):
    files = landing_files()
    missing = [layout.landing_retail(D, "sales"), layout.landing_retail(D, "inventory")]
    missing.append(layout.landing_store_sales(D, 102))
    aws_lake.deliver_all({k: v for k, v in files.items() if k not in missing})

    result = aws_lake.check(scheduled(next_check_time="2024-03-05T03:30:00Z"))

    assert result["action"] == "alerted" and result["missing"] == missing
    [mail] = ses_sent()
    assert mail.source == "retail-lake@example.com"
    assert mail.to == list(RECIPIENTS)
    assert mail.subject == "[retail-lake] 2024-03-04: 3 of 7 expected files missing"
    assert section(mail.body, "Missing") == missing
    assert section(mail.body, "Arrived") == sorted(set(files) - set(missing))
    assert "Next check: 2024-03-05T03:30:00+00:00" in mail.body
    assert aws_lake.glue_runs() == []


def test_complete_date_starts_the_workflow_exactly_once(aws_lake):
    aws_lake.deliver_all(landing_files())
    first = aws_lake.check(scheduled())
    second = aws_lake.check(scheduled("2024-03-05T03:30:00Z"))

    assert aws_lake.glue_runs() == [ONE_DATE_RUN]
    assert (first["action"], second["action"]) == ("started", "already_started")
    assert first["workflow_run_id"] == second["workflow_run_id"]
    start = aws_lake.tracker().workflow_start(WORKFLOW, D)
    assert (start.state, start.external_run_id) == ("started", first["workflow_run_id"])
    assert ses_sent() == []


def test_eight_concurrent_checks_of_a_complete_date_start_once(aws_lake):
    aws_lake.deliver_all(landing_files())
    barrier = threading.Barrier(8)

    def one_check(_):
        barrier.wait()
        return aws_lake.check(scheduled())["action"]

    with ThreadPoolExecutor(8) as pool:
        actions = list(pool.map(one_check, range(8)))
    assert sorted(actions) == ["already_started"] * 7 + ["started"]
    assert aws_lake.glue_runs() == [ONE_DATE_RUN]


def test_ses_failure_loses_nothing_and_the_next_check_sends(aws, monkeypatch):
    lake = AwsLake(aws, monkeypatch, verify_sender=False)
    lake.deliver_all(landing_files(tables=("calendar", "store")))
    with pytest.raises(NotificationError, match="SES could not send"):
        lake.check(scheduled())
    assert ses_sent() == []
    lake.verify_sender()
    result = lake.check(scheduled("2024-03-05T03:30:00Z"))
    [mail] = ses_sent()
    assert section(mail.body, "Missing") == result["missing"]
    statuses = [r.status for r in lake.tracker().runs(D, WORKFLOW)]
    assert sorted(statuses) == ["FAILED", "INCOMPLETE"]


def test_failed_start_releases_the_claim_and_the_next_check_starts(aws, monkeypatch):
    lake = AwsLake(aws, monkeypatch, create_workflow=False)
    lake.deliver_all(landing_files())
    with pytest.raises(WorkflowStartError, match=r"retail-lake-daily.*2024-03-04.*next check"):
        lake.check(scheduled())
    assert lake.tracker().workflow_start(WORKFLOW, D) is None
    lake.create_workflow()
    assert lake.check(scheduled())["action"] == "started"
    assert lake.glue_runs() == [ONE_DATE_RUN]


# -- local adapters ----------------------------------------------------------------------


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


@pytest.fixture
def local(lake_dir):
    settings = build_settings(
        {"lake": str(lake_dir), "alert_recipients": ",".join(RECIPIENTS)}, env={}
    )
    storage = open_storage(settings.lake)

    def land(files):
        for rel, content in files.items():
            storage.write_bytes(rel, content)

    return settings, storage, land


def outbox(lake_dir: Path):
    folder = lake_dir / layout.outbox_dir()
    files = sorted(folder.iterdir()) if folder.exists() else []
    return [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]


def test_local_missing_files_write_one_eml(local, lake_dir):
    settings, _, land = local
    files = landing_files()
    land({k: v for k, v in files.items() if k != layout.landing_store_sales(D, 101)})
    starter = RecordingStarter()

    result = run_check(settings, D, starter)

    assert starter.calls == []
    assert result.missing == (layout.landing_store_sales(D, 101),)
    [mail] = outbox(lake_dir)
    assert mail["To"] == ", ".join(RECIPIENTS)
    assert mail["Subject"] == "[retail-lake] 2024-03-04: 1 of 7 expected files missing"
    body = mail.get_content()
    assert section(body, "Missing") == [layout.landing_store_sales(D, 101)]
    assert section(body, "Arrived") == sorted(set(files) - {layout.landing_store_sales(D, 101)})
    assert "Next check: none scheduled" in body


def test_local_unknown_franchise_stores_are_explained(local, lake_dir):
    settings, _, land = local
    land(landing_files(tables=("calendar",), stores=()))
    result = run_check(settings, D, RecordingStarter())
    assert not result.franchise_stores_known
    assert "franchise stores of this date are not known" in outbox(lake_dir)[0].get_content()


def test_local_complete_date_starts_once_even_with_eight_concurrent_checks(local, lake_dir):
    settings, _, land = local
    land(landing_files())
    starter = RecordingStarter()
    barrier = threading.Barrier(8)

    def one_check(_):
        barrier.wait()
        return run_check(settings, D, starter, claim_lease=None).action

    with ThreadPoolExecutor(8) as pool:
        actions = list(pool.map(one_check, range(8)))
    assert sorted(actions) == ["already_started"] * 7 + ["started"]
    assert starter.calls == [D]
    assert run_check(settings, D, starter).action == "already_started"
    assert starter.calls == [D]
    assert outbox(lake_dir) == []


def test_local_failed_start_is_retried_by_the_next_check(local):
    settings, _, land = local
    land(landing_files())
    starter = RecordingStarter(fail_times=1)
    with pytest.raises(WorkflowStartError, match="local runner could not start"):
        run_check(settings, D, starter)
    result = run_check(settings, D, starter)
    assert (result.action, result.workflow_run_id) == ("started", "local-2024-03-04")
    assert starter.calls == [D, D]


def test_local_rescan_is_duplicate_and_a_changed_file_is_a_new_version(local, lake_dir):
    _, storage, land = local
    land(landing_files())
    tracker = SQLiteTracker(lake_dir / layout.tracker_db())
    assert {r.status for r in scan_landing(tracker, storage, D)} == {"new"}
    assert {r.status for r in scan_landing(tracker, storage, D)} == {"duplicate"}
    assert len(tracker.files(D)) == len(all_keys())
    rel = layout.landing_retail(D, "product")
    storage.write_bytes(rel, b"restated\n")
    statuses = {r.key: r.status for r in scan_landing(tracker, storage, D)}
    assert statuses[rel] == "new_version"
    assert [s for k, s in statuses.items() if k != rel] == ["duplicate"] * (len(all_keys()) - 1)
    assert [v.version for v in tracker.file_versions(D, rel)] == [1, 2]
