"""File arrivals, missing-file alerts and the exactly-once start on the local adapters.

Local scenarios go through ``run_check`` on a lake folder (SQLite tracker, ``.eml``
outbox, a recording starter); the AWS ones are in ``test_completeness.py``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from retail_lake.completeness import WorkflowStartError, run_check, scan_landing
from retail_lake.config import build_settings
from retail_lake.storage import layout, open_storage
from retail_lake.tracker import SQLiteTracker
from tests.completeness_support import (
    RECIPIENTS,
    D,
    RecordingStarter,
    all_keys,
    landing_files,
    outbox,
    section,
)


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
