"""The extract job's rules that need no database: SQL safety, windows, predicates,
the connection settings and password scrubbing.

Kept out of ``test_extract.py`` (MariaDB and Spark) so they run in milliseconds.
"""

from __future__ import annotations

import datetime as dt

import pytest

from retail_lake.config import build_settings
from retail_lake.contracts import dataset
from retail_lake.jobs.extract_mysql import (
    Bounds,
    Window,
    fact_window,
    predicates,
    quote_identifier,
    source_table,
    sql_date,
)
from retail_lake.source_db import SourceDatabase, resolve_source, split_jdbc_url

START = dt.date(2026, 3, 30)
DAY1, DAY2 = START, START + dt.timedelta(days=1)


# -- connection settings and scrubbing -----------------------------------------------------


def test_scrub_masks_passwords_in_driver_messages():
    source = SourceDatabase("jdbc:mysql://db:3306/retail", "etl", "p@ss word/1")
    text = (
        "Could not connect to jdbc:mysql://etl:p%40ss%20word%2F1@db:3306/retail"
        "?password=p@ss word/1&user=etl (password=hunter2)"
    )
    scrubbed = source.scrub(text)
    assert "p@ss" not in scrubbed and "p%40ss" not in scrubbed and "hunter2" not in scrubbed
    assert "db:3306" in scrubbed
    assert "p@ss" not in repr(source)


def test_local_source_from_url_and_settings(tmp_path):
    settings = build_settings(
        {"lake": str(tmp_path), "jdbc_url": "jdbc:mysql://u:s%3Dcret@h:3307/retail?useSSL=true"},
        env={},
    )
    source = resolve_source(settings)
    assert (source.url, source.user, source.password) == (
        "jdbc:mysql://h:3307/retail?useSSL=true",
        "u",
        "s=cret",
    )
    assert source.driver == "org.mariadb.jdbc.Driver"
    assert split_jdbc_url("jdbc:mysql://h/db?user=a&password=b&x=1") == (
        "jdbc:mysql://h/db?x=1",
        "a",
        "b",
    )
    env_settings = build_settings(
        {"lake": str(tmp_path), "jdbc_url": "jdbc:mysql://h/retail", "db_user": "etl"},
        env={"RETAIL_LAKE_DB_PASSWORD": "from-env"},
    )
    assert resolve_source(env_settings).password == "from-env"


# -- SQL safety and windows ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["sales; DROP TABLE sales", "orders", "`sales`", "sales -- x", "Sales"]
)
def test_only_contract_tables_reach_sql(name):
    with pytest.raises(ValueError):
        source_table(name)


@pytest.mark.parametrize("name", ["a`b", "trans_dt OR 1=1", "", "x;y", "1abc"])
def test_identifiers_are_validated(name):
    with pytest.raises(ValueError):
        quote_identifier(name)


@pytest.mark.parametrize(
    "value", ["2026-03-30", "2026-03-30' OR '1'='1", dt.datetime(2026, 3, 30), 20260330]
)
def test_only_dates_become_date_literals(value):
    with pytest.raises(TypeError):
        sql_date(value)


def test_windows():
    sales = dataset("sales")
    # first run: everything up to D
    assert fact_window(sales, DAY2, None, 3) == Window("trans_dt", None, DAY2)
    # daily: (D-1-3, D]
    assert fact_window(sales, DAY2, DAY1, 3).after == DAY1 - dt.timedelta(3)
    # after a gap the window starts from the watermark, so the gap is covered
    assert fact_window(sales, DAY2, DAY2 - dt.timedelta(10), 0).after == DAY2 - dt.timedelta(10)
    # a rerun reuses the window of the first run of that load
    assert fact_window(sales, DAY2, DAY2, 3, (True, None)) == Window("trans_dt", None, DAY2)


def test_predicates_are_disjoint_and_complete():
    where = "`trans_dt` <= '2026-03-30'"
    parts = predicates(where, "trans_id", Bounds(100, 7, 106), 4)
    assert len(parts) == 4
    assert "IS NULL" in parts[0] and "< " not in parts[-1]
    cuts = [int(p.rsplit(">= ", 1)[1].split()[0]) for p in parts[1:]]
    assert cuts == [32, 57, 82]
    assert predicates(where, "trans_id", Bounds(0, None, None), 4) == [where]
    assert len(predicates(where, "trans_id", Bounds(2, 5, 6), 4)) == 2
