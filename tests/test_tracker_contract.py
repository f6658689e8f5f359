"""One contract suite for the tracker port, run on SQLite and on moto's DynamoDB."""

from __future__ import annotations

import datetime as dt
import inspect
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from retail_lake.tracker import (
    DynamoDBTracker,
    JobRun,
    SQLiteTracker,
    Tracker,
    TrackerError,
    WatermarkConflictError,
    create_dynamodb_tables,
)

D1 = dt.date(2024, 3, 4)
D2 = dt.date(2024, 3, 5)
T0 = dt.datetime(2024, 3, 5, 2, 15, tzinfo=dt.UTC)
SALES = "landing/retail/2024-03-04/sales.csv"
STORE = "landing/retail/2024-03-04/store.csv"


@pytest.fixture(params=["sqlite", "dynamodb"])
def make_tracker(request, tmp_path) -> Callable[[], Tracker]:
    """A factory: each call is a separate client of the same store (a separate
    process or Lambda in real life), so races below are between independent writers."""
    if request.param == "sqlite":
        path = tmp_path / "_control" / "tracker.sqlite"
        return lambda: SQLiteTracker(path)
    import boto3

    request.getfixturevalue("aws")
    create_dynamodb_tables("tracker", "metadata", boto3.Session(region_name="us-east-1"))
    return lambda: DynamoDBTracker("tracker", "metadata", boto3.Session(region_name="us-east-1"))


@pytest.fixture
def tracker(make_tracker) -> Tracker:
    return make_tracker()


def test_adapters_satisfy_the_protocol(tracker):
    """Every method of the port, with the port's parameters (names, order, defaults)."""
    for name, method in vars(Tracker).items():
        if name.startswith("_") or not callable(method):
            continue
        expected = [
            (p.name, p.kind, p.default) for p in inspect.signature(method).parameters.values()
        ]
        actual = [
            (p.name, p.kind, p.default)
            for p in inspect.signature(getattr(type(tracker), name)).parameters.values()
        ]
        assert actual == expected, name


# -- file arrivals ---------------------------------------------------------------------


def test_first_arrival_is_new_and_listed(tracker):
    assert tracker.record_file("sales", D1, SALES, 120, '"e1"', T0) == "new"
    [record] = tracker.files(D1)
    assert (record.dataset, record.business_date, record.key) == ("sales", D1, SALES)
    assert (record.size, record.etag, record.arrived_at, record.version) == (120, "e1", T0, 1)


def test_same_content_again_is_a_duplicate_and_changes_nothing(tracker):
    tracker.record_file("sales", D1, SALES, 120, "e1", T0)
    later = T0 + dt.timedelta(minutes=5)
    assert tracker.record_file("sales", D1, SALES, 120, '"e1"', later) == "duplicate"
    [record] = tracker.files(D1)
    assert (record.version, record.arrived_at) == (1, T0)
    assert len(tracker.file_versions(D1, SALES)) == 1


def test_changed_content_is_a_new_version(tracker):
    tracker.record_file("sales", D1, SALES, 120, "e1", T0)
    later = T0 + dt.timedelta(hours=1)
    assert tracker.record_file("sales", D1, SALES, 150, "e2", later) == "new_version"
    assert tracker.record_file("sales", D1, SALES, 150, "e2", later) == "duplicate"
    [latest] = tracker.files(D1)
    assert (latest.version, latest.etag, latest.size, latest.arrived_at) == (2, "e2", 150, later)
    versions = tracker.file_versions(D1, SALES)
    assert [(v.version, v.etag, v.size) for v in versions] == [(1, "e1", 120), (2, "e2", 150)]


def test_files_filter_by_date_and_dataset(tracker):
    tracker.record_file("sales", D1, SALES, 1, "a", T0)
    tracker.record_file("store", D1, STORE, 2, "b", T0)
    tracker.record_file("sales", D2, "landing/retail/2024-03-05/sales.csv", 3, "c", T0)
    assert [f.key for f in tracker.files(D1)] == [SALES, STORE]
    assert [f.key for f in tracker.files(D1, dataset="store")] == [STORE]
    assert [f.key for f in tracker.files(D2)] == ["landing/retail/2024-03-05/sales.csv"]
    assert tracker.files(dt.date(2020, 1, 1)) == []


def test_racing_identical_deliveries_record_one_version(make_tracker):
    def deliver(_):
        return make_tracker().record_file("sales", D1, SALES, 120, "e1", T0)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(deliver, range(8)))
    assert sorted(outcomes) == ["duplicate"] * 7 + ["new"]
    assert [v.version for v in make_tracker().file_versions(D1, SALES)] == [1]


def test_racing_different_contents_get_distinct_versions(make_tracker):
    def deliver(i):
        return make_tracker().record_file("sales", D1, SALES, i, f"etag-{i}", T0)

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(deliver, range(6)))
    assert sorted(outcomes) == ["new"] + ["new_version"] * 5
    versions = make_tracker().file_versions(D1, SALES)
    assert [v.version for v in versions] == [1, 2, 3, 4, 5, 6]
    assert sorted(v.etag for v in versions) == sorted(f"etag-{i}" for i in range(6))


# -- job runs --------------------------------------------------------------------------


def test_runs_are_recorded_replaced_and_read_back(tracker):
    started = JobRun("daily", "validate", D1, "r1", "RUNNING", T0)
    tracker.record_run(started)
    tracker.record_run(JobRun("other", "extract", D1, "r9", "SUCCEEDED", T0))
    finished = JobRun(
        "daily",
        "validate",
        D1,
        "r1",
        "SUCCEEDED",
        T0,
        T0 + dt.timedelta(minutes=3),
        {"rows_in": 10, "rows_valid": 9, "tables": ["sales"], "ratio": 0.9},
    )
    tracker.record_run(finished)
    assert tracker.runs(D1, workflow="daily") == [finished]
    assert {r.workflow for r in tracker.runs(D1)} == {"daily", "other"}
    assert tracker.runs(D2) == []


# -- watermarks ------------------------------------------------------------------------


def test_watermark_starts_unset_and_moves_conditionally(tracker):
    assert tracker.get_watermark("sales") is None
    tracker.commit_watermark("sales", "2024-03-04", expected_previous=None)
    assert tracker.get_watermark("sales") == "2024-03-04"
    tracker.commit_watermark("sales", "2024-03-05", expected_previous="2024-03-04")
    assert tracker.get_watermark("sales") == "2024-03-05"
    assert tracker.get_watermark("inventory") is None


def test_stale_watermark_commit_fails_clearly_and_changes_nothing(tracker):
    tracker.commit_watermark("sales", "2024-03-05", expected_previous=None)
    with pytest.raises(
        WatermarkConflictError, match=r"'sales'.*expected '2024-03-04'.*'2024-03-05'"
    ):
        tracker.commit_watermark("sales", "2024-03-06", expected_previous="2024-03-04")
    with pytest.raises(WatermarkConflictError, match="expected None"):
        tracker.commit_watermark("sales", "2024-03-06", expected_previous=None)
    assert tracker.get_watermark("sales") == "2024-03-05"


def test_two_commits_from_the_same_previous_value_one_wins(make_tracker):
    make_tracker().commit_watermark("sales", "2024-03-04", expected_previous=None)
    barrier = threading.Barrier(2)

    def commit(value):
        tracker = make_tracker()
        barrier.wait()
        try:
            tracker.commit_watermark("sales", value, expected_previous="2024-03-04")
        except WatermarkConflictError:
            return None
        return value

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(commit, ["2024-03-05", "2024-03-06"]))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert make_tracker().get_watermark("sales") == winners[0]


# -- workflow starts -------------------------------------------------------------------


def test_claim_then_start_is_exactly_once(tracker):
    assert tracker.workflow_start("daily", D1) is None
    assert tracker.claim_workflow_start("daily", D1, "run-a") is True
    assert tracker.claim_workflow_start("daily", D1, "run-b") is False
    assert tracker.workflow_start("daily", D1).state == "claimed"
    tracker.mark_workflow_started("daily", D1, "run-a", external_run_id="wr_123")
    start = tracker.workflow_start("daily", D1)
    assert (start.state, start.claim_run_id, start.external_run_id) == (
        "started",
        "run-a",
        "wr_123",
    )
    assert start.started_at.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - start.started_at) < dt.timedelta(minutes=5)
    assert tracker.claim_workflow_start("daily", D1, "run-c") is False
    # other dates and workflows are independent
    assert tracker.claim_workflow_start("daily", D2, "run-d") is True
    assert tracker.claim_workflow_start("other", D1, "run-e") is True


def test_released_claim_can_be_claimed_again(tracker):
    assert tracker.claim_workflow_start("daily", D1, "run-a")
    tracker.release_workflow_start("daily", D1, "run-b")  # not ours: no effect
    assert tracker.claim_workflow_start("daily", D1, "run-c") is False
    tracker.release_workflow_start("daily", D1, "run-a")
    assert tracker.workflow_start("daily", D1) is None
    assert tracker.claim_workflow_start("daily", D1, "run-c") is True


def test_started_record_cannot_be_released(tracker):
    tracker.claim_workflow_start("daily", D1, "run-a")
    tracker.mark_workflow_started("daily", D1, "run-a")
    tracker.release_workflow_start("daily", D1, "run-a")
    assert tracker.workflow_start("daily", D1).state == "started"


def test_marking_someone_elses_claim_fails(tracker):
    tracker.claim_workflow_start("daily", D1, "run-a")
    with pytest.raises(TrackerError, match="run-b"):
        tracker.mark_workflow_started("daily", D1, "run-b")


def test_stale_claim_is_taken_over_only_after_its_lease(tracker):
    assert tracker.claim_workflow_start("daily", D1, "dead", lease=dt.timedelta(hours=1))
    assert not tracker.claim_workflow_start("daily", D1, "b", lease=dt.timedelta(hours=1))
    # a zero lease means "the previous claimant is surely gone"
    assert tracker.claim_workflow_start("daily", D1, "b", lease=dt.timedelta(0))
    assert tracker.workflow_start("daily", D1).claim_run_id == "b"
    tracker.mark_workflow_started("daily", D1, "b")
    assert not tracker.claim_workflow_start("daily", D1, "c", lease=dt.timedelta(0))


def test_eight_racing_claims_have_exactly_one_winner(make_tracker):
    barrier = threading.Barrier(8)

    def claim(i):
        tracker = make_tracker()
        barrier.wait()
        return tracker.claim_workflow_start("daily", D1, f"run-{i}")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(claim, range(8)))
    assert results.count(True) == 1
    winner = f"run-{results.index(True)}"
    assert make_tracker().workflow_start("daily", D1).claim_run_id == winner


# -- contract metadata -----------------------------------------------------------------


def test_contract_put_and_get(tracker):
    assert tracker.get_contract() is None
    doc = {"version": "1.0.0", "datasets": {"sales": {"key": ["trans_id"], "n": 1}}}
    tracker.put_contract("1.0.0", "abc", doc)
    tracker.put_contract("1.1.0", "def", {**doc, "version": "1.1.0"})
    published = tracker.get_contract()
    assert (published.version, published.content_hash) == ("1.1.0", "def")
    assert published.document == {**doc, "version": "1.1.0"}
    assert published.published_at.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - published.published_at) < dt.timedelta(minutes=5)
