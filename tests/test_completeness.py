"""File arrivals, missing-file alerts and the exactly-once workflow start, on AWS.

AWS scenarios go through the two Lambda handlers with real-shaped EventBridge events
on moto (S3, DynamoDB, SES, Glue workflows); the same scenarios on the local
adapters are in ``test_completeness_local.py``, the helpers in
``tests/completeness_support.py``.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

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
)
from retail_lake.contracts import RETAIL_TABLES
from retail_lake.notify import NotificationError
from retail_lake.storage import layout, open_storage
from tests.aws_readback import ses_sent
from tests.completeness_support import (
    BUCKET,
    ONE_DATE_RUN,
    PREFIX,
    RECIPIENTS,
    WORKFLOW,
    AwsLake,
    D,
    landing_files,
    object_created,
    scheduled,
    section,
    store_csv,
)


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
