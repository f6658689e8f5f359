"""MySQL/RDS extraction against the real (throwaway) MariaDB server.

Each test gets its own database on the session's server, so tests never see each
other's rows. Data is tiny (3 stores x 4 products: 24 sales rows a day).
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from pathlib import Path

import pytest

from retail_lake.config import build_settings
from retail_lake.contracts import RETAIL_TABLES, dataset
from retail_lake.generator import generate, load_mysql
from retail_lake.jobs import aggregate, extract_files, extract_mysql, validate
from retail_lake.jobs.extract_mysql import (
    ExtractError,
    RetryPolicy,
    Window,
)
from retail_lake.jobs.recording import recorded
from retail_lake.mariadb import free_port
from retail_lake.source_db import resolve_source
from retail_lake.storage import layout, open_storage
from retail_lake.tracker import open_tracker
from retail_lake.transforms.rules import SOURCE_ROW
from tests.fixtures_mariadb import Database

START = dt.date(2026, 3, 30)
DAY1, DAY2 = START, START + dt.timedelta(days=1)
FAST = RetryPolicy(attempts=3, base_delay=0.05)

pytestmark = [pytest.mark.mariadb, pytest.mark.spark]


# -- fixtures -------------------------------------------------------------------------


@pytest.fixture
def db(mariadb_database):
    return mariadb_database


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """Two clean business days of landing CSVs (the files path and MySQL's content)."""
    lake = tmp_path_factory.mktemp("extract-generated")
    generate(lake, START, 2, stores=3, products=4, seed=5)
    return lake


def settings_for(lake: Path, db: Database, **overrides):
    values = {
        "lake": str(lake),
        "source": "mysql",
        "jdbc_url": db.jdbc_url,
        "db_user": db.server.user,
        "db_password": db.server.password,
        "jdbc_partitions": 2,
        "lookback_days": 3,
        **overrides,
    }
    return build_settings(values, env={})


def extract_date(spark, storage, settings, day, **options):
    """One MySQL extract with the adapters ``settings`` select (the test is the runner)."""
    options.setdefault("tracker", open_tracker(settings))
    options.setdefault("source", resolve_source(settings))
    return extract_mysql.run(spark, storage, settings, day, **options)


def raw_rows(spark, lake: Path, name: str, day: dt.date) -> list[tuple]:
    """The rows of one raw partition, lineage row number left out, sorted."""
    storage = open_storage(str(lake))
    rel = layout.raw_partition(name, day)
    if not storage.list_files(rel):
        return []
    frame = spark.read.parquet(storage.uri(rel)).drop(SOURCE_ROW)
    return sorted(tuple(r) for r in frame.collect())


def keys_of(rows: list[tuple], name: str) -> list[tuple]:
    columns = dataset(name).column_names
    positions = [columns.index(k) for k in dataset(name).key]
    return [tuple(r[p] for p in positions) for r in rows]


def source_keys(db: Database, name: str, where: str = "1 = 1") -> set[tuple]:
    key = ", ".join(f"`{k}`" for k in dataset(name).key)
    return {
        tuple(str(v) for v in row)
        for row in db.execute(f"SELECT {key} FROM `{name}` WHERE {where}")
    }


# -- incremental extraction -------------------------------------------------------------


def test_incremental_extraction_with_late_rows_and_rerun(spark, db, generated, tmp_path):
    load_mysql(generated, db.url, dates=[DAY1])
    lake = tmp_path / "lake"
    settings = settings_for(lake, db)
    storage = open_storage(str(lake))
    tracker = open_tracker(settings)

    # Day 1: the first run extracts everything up to day 1, i.e. day 1.
    first = extract_date(spark, storage, settings, DAY1, retry=FAST)
    for name in RETAIL_TABLES:
        rows = raw_rows(spark, lake, name, DAY1)
        assert {tuple(str(v) for v in k) for k in keys_of(rows, name)} == source_keys(db, name)
        assert first.rows[name] == len(rows) > 0
    assert {r[3] for r in raw_rows(spark, lake, "sales", DAY1)} == {DAY1.isoformat()}
    assert tracker.get_watermark("sales") == tracker.get_watermark("inventory") == "2026-03-30"
    assert first.tables["sales"].window == Window("trans_dt", None, DAY1)
    day1_sales = raw_rows(spark, lake, "sales", DAY1)

    # Day 2 rows arrive, plus a late day-1 sale.
    load_mysql(generated, db.url, dates=[DAY2], replace=False)
    (max_id,) = db.execute("SELECT MAX(trans_id) FROM sales")[0]
    late_id = int(max_id) + 1000
    db.execute(
        "INSERT INTO sales SELECT %s, prod_key, store_key, trans_dt, trans_time, sales_qty,"
        " sales_price, sales_amt, discount, sales_cost, sales_mgrn, ship_cost"
        " FROM sales WHERE trans_dt = %s ORDER BY trans_id LIMIT 1",
        (late_id, DAY1),
    )

    second = extract_date(spark, storage, settings, DAY2, retry=FAST)
    sales2 = raw_rows(spark, lake, "sales", DAY2)
    keys2 = keys_of(sales2, "sales")
    assert len(keys2) == len(set(keys2)), "duplicate keys within the raw partition"
    assert str(late_id) in {k[0] for k in keys2}
    dates2 = {r[3] for r in sales2}
    assert dates2 == {DAY1.isoformat(), DAY2.isoformat()}
    # The window (day 1 - 3 days, day 2] re-delivers day 1 (a restatement) and day 2.
    assert {tuple(k) for k in keys2} == source_keys(db, "sales")
    assert second.tables["sales"].window == Window("trans_dt", DAY1 - dt.timedelta(3), DAY2)
    inventory2 = keys_of(raw_rows(spark, lake, "inventory", DAY2), "inventory")
    assert len(inventory2) == len(set(inventory2))
    assert {tuple(k) for k in inventory2} == source_keys(db, "inventory")
    # Load 1 is untouched; watermarks moved to day 2 after the write.
    assert raw_rows(spark, lake, "sales", DAY1) == day1_sales
    assert tracker.get_watermark("sales") == "2026-03-31"
    assert second.as_dict()["tables"]["sales"]["watermark_before"] == "2026-03-30"
    assert second.as_dict()["tables"]["sales"]["watermark_after"] == "2026-03-31"

    # A rerun of day 2 gives identical partitions and leaves the watermark alone.
    before = {name: raw_rows(spark, lake, name, DAY2) for name in RETAIL_TABLES}
    rerun = extract_date(spark, storage, settings, DAY2, retry=FAST)
    assert {name: raw_rows(spark, lake, name, DAY2) for name in RETAIL_TABLES} == before
    assert rerun.tables["sales"].window == second.tables["sales"].window
    assert tracker.get_watermark("sales") == "2026-03-31"

    # Rerunning an older date never moves the watermark backwards.
    extract_date(spark, storage, settings, DAY1, retry=FAST)
    assert tracker.get_watermark("inventory") == "2026-03-31"

    # The written files are registered; the report is on disk without the password.
    registered = {f.key for f in tracker.files(DAY2, "sales")}
    assert set(rerun.tables["sales"].files) <= registered
    assert all(k.startswith("raw/retail/sales/load_date=2026-03-31/") for k in registered)
    report_text = (lake / layout.report(DAY2, "extract")).read_text()
    assert db.server.password not in report_text
    assert '"rows_total"' in report_text and '"duration_seconds"' in report_text


def test_report_is_recorded_as_job_run_without_password(spark, db, generated, tmp_path):
    load_mysql(generated, db.url, dates=[DAY1])
    settings = settings_for(tmp_path / "lake", db, jdbc_partitions=4)
    storage = open_storage(settings.lake)
    tracker = open_tracker(settings)
    report = recorded(
        tracker,
        "wf",
        "extract",
        DAY1,
        lambda: extract_date(spark, storage, settings, DAY1, tracker=tracker, retry=FAST),
    )
    (run,) = tracker.runs(DAY1, "wf")
    assert run.status == "SUCCEEDED"
    assert run.report["rows"] == report.rows
    assert run.report["tables"]["sales"]["jdbc_partitions"] == 4
    assert run.report["settings"]["db_password"] == "***"
    assert db.server.password not in str(run.report)


# -- failures ----------------------------------------------------------------------------


def _assert_nothing_moved(spark, lake: Path, tracker, expected_mark: str | None) -> None:
    assert tracker.get_watermark("sales") == expected_mark
    assert tracker.get_watermark("inventory") == expected_mark
    for name in RETAIL_TABLES:
        assert raw_rows(spark, lake, name, DAY2) == []
    assert not (lake / layout.report(DAY2, "extract")).exists()


def test_unreachable_database_fails_cleanly(spark, db, generated, tmp_path):
    load_mysql(generated, db.url, dates=[DAY1])
    lake = tmp_path / "lake"
    settings = settings_for(lake, db)
    storage = open_storage(str(lake))
    extract_date(spark, storage, settings, DAY1, retry=FAST)

    closed = f"jdbc:mysql://127.0.0.1:{free_port()}/{db.name}"
    broken = settings.with_overrides(jdbc_url=closed)
    with pytest.raises(ExtractError) as caught:
        extract_date(spark, storage, broken, DAY2, retry=FAST)
    message = str(caught.value)
    assert "'calendar'" in message and "unreachable" in message
    assert "after 3 attempts" in message and "watermark was not moved" in message
    assert db.server.password not in message
    assert caught.value.__cause__ is None  # no Java trace with connection strings attached
    _assert_nothing_moved(spark, lake, open_tracker(settings), "2026-03-30")


def test_wrong_password_fails_at_once_and_is_never_shown(spark, db, generated, tmp_path):
    load_mysql(generated, db.url, dates=[DAY1])
    lake = tmp_path / "lake"
    settings = settings_for(lake, db)
    storage = open_storage(str(lake))
    extract_date(spark, storage, settings, DAY1, retry=FAST)

    wrong = "Wr0ng-" + secrets.token_hex(6)
    # The password also sits in the URL, where drivers like to echo it from.
    broken = settings.with_overrides(jdbc_url=f"{db.jdbc_url}?password={wrong}", db_password=None)
    with pytest.raises(ExtractError) as caught:
        extract_date(spark, storage, broken, DAY2, retry=FAST)
    message = str(caught.value)
    assert "'calendar'" in message and "access denied" in message
    assert "at the first attempt" in message  # retrying a wrong password cannot help
    assert wrong not in message and db.server.password not in message
    _assert_nothing_moved(spark, lake, open_tracker(settings), "2026-03-30")


# -- the business date reaches SQL only as a date -----------------------------------------


def test_business_date_must_be_a_date(spark, tmp_path):
    settings = build_settings({"lake": str(tmp_path)}, env={})
    with pytest.raises(TypeError):
        extract_mysql.run(  # refused before any adapter is used
            spark,
            open_storage(str(tmp_path)),
            settings,
            "2026-03-30'; --",
            tracker=open_tracker(settings),
            source=None,
        )


# -- end to end: MySQL path == files path --------------------------------------------------


def _curated_weekly(spark, lake: Path) -> tuple[list[tuple], list[str]]:
    storage = open_storage(str(lake))
    frame = spark.read.parquet(storage.uri(layout.curated_dir("weekly_sales_inventory")))
    columns = sorted(frame.columns)
    rows = frame.select(*columns).collect()
    rounded = [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]
    return sorted(rounded, key=lambda row: [(v is None, str(v)) for v in row]), columns


def test_mysql_path_gives_the_same_curated_table_as_files(spark, db, generated, tmp_path):
    days = [DAY1, DAY2]
    load_mysql(generated, db.url, dates=days)

    files_lake = tmp_path / "files"
    shutil.copytree(generated / "landing", files_lake / "landing")
    files_storage = open_storage(str(files_lake))
    extract_files.run(spark, files_storage, days)
    validate.run(spark, files_storage, days)
    aggregate.run(spark, files_storage, days)

    # Extracted night by night (watermarks advance per date), validated as one range.
    mysql_lake = tmp_path / "mysql"
    settings = settings_for(mysql_lake, db)
    mysql_storage = open_storage(str(mysql_lake))
    for day in days:
        extract_date(spark, mysql_storage, settings, day, retry=FAST)
    validate.run(spark, mysql_storage, days)
    aggregate.run(spark, mysql_storage, days)

    from_files, columns = _curated_weekly(spark, files_lake)
    from_mysql, mysql_columns = _curated_weekly(spark, mysql_lake)
    assert mysql_columns == columns
    assert len(from_files) > 0
    assert from_mysql == from_files


def test_database_lost_mid_extraction_retries_then_fails_without_moving_anything(
    spark, generated, tmp_path, monkeypatch
):
    """The server dies after the first table was read: bounded retries on the next
    table, then a clear failure naming it; watermarks, raw and reports untouched."""
    from retail_lake.mariadb import MariaDBServer

    lake = tmp_path / "lake"
    storage = open_storage(str(lake))
    with MariaDBServer() as server:
        load_mysql(generated, server.url, dates=[DAY1, DAY2])
        settings = build_settings(
            {
                "lake": str(lake),
                "source": "mysql",
                "jdbc_url": server.jdbc_url,
                "db_user": server.user,
                "db_password": server.password,
            },
            env={},
        )
        extract_date(spark, storage, settings, DAY1, retry=FAST)
        real_query = extract_mysql._jdbc_query
        queried: list[str] = []

        def query_then_lose_the_server(spark_, source, sql):
            if queried:  # the first table is read; the database goes away now
                server.stop()
            queried.append(sql)
            return real_query(spark_, source, sql)

        monkeypatch.setattr(extract_mysql, "_jdbc_query", query_then_lose_the_server)
        with pytest.raises(ExtractError) as caught:
            extract_date(spark, storage, settings, DAY2, retry=FAST)
        password = server.password
    message = str(caught.value)
    assert "'store'" in message and "after 3 attempts" in message
    assert "watermark was not moved" in message and password not in message
    _assert_nothing_moved(spark, lake, open_tracker(settings), DAY1.isoformat())
