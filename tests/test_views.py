"""Each Athena view, translated by sqlglot and run on DuckDB over the fixture lake.

Expected rows are worked out by hand from ``tests/catalog_lake.py``; comparisons
are exact (amounts are small binary-exact sums, so no tolerance is needed).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from retail_lake.catalog import DuckDBCatalog, publish
from retail_lake.query import DuckDBQuery
from retail_lake.storage import open_storage
from tests.catalog_lake import build_lake

D = dt.date


def _plain(value):
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False, name=None)]


@pytest.fixture(scope="module")
def query(tmp_path_factory):
    lake = build_lake(tmp_path_factory.mktemp("views-lake"))
    report = publish(DuckDBCatalog(lake), open_storage(str(lake)))
    assert report.views.skipped == {}
    return DuckDBQuery(lake)


def test_weekly_store_performance(query):
    frame = query.sql(
        "SELECT yr_wk_num, store_key, prod_key, store_desc, region, prod_name, category_name,"
        " week_start_dt, week_end_dt, yr_mnth_num, gross_margin_amt"
        " FROM v_weekly_store_performance ORDER BY yr_wk_num, store_key, prod_key"
    )
    w1 = (D(2024, 1, 1), D(2024, 1, 7), 202401)
    w2 = (D(2024, 1, 8), D(2024, 1, 14), 202401)
    assert rows(frame) == [
        (202401, 1, 10, "Downtown", "East", "Apple", "Fruit", *w1, 40.0),
        (202401, 1, 20, "Downtown", "East", "Bread", "Bakery", *w1, 20.0),
        (202401, 2, 10, "Harbor", "West", "Apple", "Fruit", *w1, 30.0),
        (202401, 2, 30, "Harbor", "West", "Milk", "Dairy", *w1, 0.0),
        (202401, 3, 10, "Hills", "West", "Apple", "Fruit", *w1, 8.0),
        (202402, 1, 20, "Downtown", "East", "Bread", "Bakery", *w2, 30.0),
        (202402, 3, 10, "Hills", "West", "Apple", "Fruit", *w2, 10.0),
        (202402, 3, 20, "Hills", "West", "Bread", "Bakery", *w2, 15.0),
        # a fact whose store is missing from dim_store is kept, with no store names
        (202402, 9, 30, None, None, "Milk", "Dairy", *w2, 15.0),
    ]


def test_weekly_store_performance_carries_every_fact_metric(query):
    columns = set(query.sql("SELECT * FROM v_weekly_store_performance LIMIT 0").columns)
    metrics = set(query.sql("SELECT * FROM weekly_sales_inventory LIMIT 0").columns)
    assert metrics <= columns


def test_stockout_impact_by_region_category(query):
    frame = query.sql(
        "SELECT yr_wk_num, week_end_dt, region, category_name, no_stock_impact,"
        " potential_low_stock_impact, no_stock_instances, low_stock_instances,"
        " total_low_stock_impact, total_sales_amt, store_product_weeks"
        " FROM v_stockout_impact_by_region_category"
        " ORDER BY yr_wk_num, region NULLS LAST, category_name"
    )
    e1, e2 = D(2024, 1, 7), D(2024, 1, 14)
    assert rows(frame) == [
        (202401, e1, "East", "Bakery", 20.0, 0.0, 2, 0, 2, 50.0, 1),
        (202401, e1, "East", "Fruit", 0.0, 5.0, 0, 1, 1, 100.0, 1),
        (202401, e1, "West", "Dairy", 0.0, 0.0, 0, 0, 0, 0.0, 1),
        (202401, e1, "West", "Fruit", 14.0, 4.0, 2, 2, 4, 100.0, 2),
        (202402, e2, "East", "Bakery", 0.0, 7.0, 0, 1, 1, 70.0, 1),
        (202402, e2, "West", "Bakery", 0.0, 0.0, 0, 0, 0, 40.0, 1),
        (202402, e2, "West", "Fruit", 3.0, 0.0, 1, 0, 1, 30.0, 1),
        (202402, e2, None, "Dairy", 1.0, 0.0, 1, 0, 1, 30.0, 1),
    ]


def test_top_products_by_week(query):
    frame = query.sql(
        "SELECT yr_wk_num, sales_rank, prod_key, prod_name, total_sales_amt, total_sales_qty,"
        " store_count FROM v_top_products_by_week ORDER BY yr_wk_num, sales_rank, prod_key"
    )
    assert rows(frame) == [
        (202401, 1, 10, "Apple", 200.0, 20.0, 3),
        (202401, 2, 20, "Bread", 50.0, 5.0, 1),
        # product 30 sold nothing in week 1: not ranked
        (202402, 1, 20, "Bread", 110.0, 11.0, 2),
        (202402, 2, 10, "Apple", 30.0, 3.0, 1),  # a tie shares the rank
        (202402, 2, 30, "Milk", 30.0, 3.0, 1),
    ]


def test_top_products_keeps_ten_ranks(tmp_path):
    from retail_lake.catalog import curated_table
    from tests.catalog_lake import fact, write_table

    facts = [fact(202401, 1, p, float(p), 0.0) for p in range(1, 13)]
    write_table(tmp_path, curated_table("weekly_sales_inventory"), facts)
    publish(DuckDBCatalog(tmp_path), open_storage(str(tmp_path)))
    frame = DuckDBQuery(tmp_path).sql(
        "SELECT sales_rank, prod_key FROM v_top_products_by_week ORDER BY sales_rank"
    )
    assert rows(frame) == [(r, 13 - r) for r in range(1, 11)]


def test_daily_franchise_sales(query):
    frame = query.sql(
        "SELECT transaction_date, franchise_store, store_key, store_desc, region, item,"
        " total_sale_amount, total_tax_amount, total_quantity, order_count, avg_sale_per_order"
        " FROM v_daily_franchise_sales ORDER BY transaction_date, franchise_store"
    )
    assert rows(frame) == [
        (D(2024, 1, 2), 101, 1, "Downtown", "East", "Chair", 100.0, 8.0, 3, 2, 50.0),
        (D(2024, 1, 2), 103, 3, "Hills", "West", "Desk", 250.0, 20.0, 1, 1, 250.0),
        (D(2024, 1, 3), 101, 1, "Downtown", "East", "Desk", 60.0, 4.8, 2, 3, 20.0),
        # store_num 102 exists but is not a franchise store: no store attributes
        (D(2024, 1, 3), 102, None, None, None, "Lamp", 15.0, 1.2, 1, 1, 15.0),
    ]


def test_data_quality_summary(query):
    frame = query.sql(
        "SELECT dataset, load_date, reject_reason, rejected_rows, source_files"
        " FROM v_data_quality_summary ORDER BY dataset, load_date, reject_reason"
    )
    assert rows(frame) == [
        ("inventory", D(2024, 1, 2), "negative_value", 1, 1),
        ("sales", D(2024, 1, 2), "bad_type", 2, 1),
        ("sales", D(2024, 1, 3), "missing_required", 1, 1),
        ("store_sales", D(2024, 1, 3), "duplicate_key", 2, 2),
    ]


def test_views_on_an_empty_lake_return_no_rows(tmp_path):
    report = publish(DuckDBCatalog(tmp_path), open_storage(str(tmp_path)))
    engine = DuckDBQuery(tmp_path)
    for view in report.views.created:
        assert engine.sql(f"SELECT COUNT(*) AS n FROM {view}")["n"].tolist() == [0], view


def _validate_report(day: str, datasets: dict) -> dict:
    """A validate report as the step writes it (only the fields the counts table reads)."""
    return {
        "business_date": day,
        "datasets": {name: {"files": files} for name, files in datasets.items()},
    }


def test_data_quality_daily(tmp_path):
    """Per load date, dataset and file: the validate report's counts, the rate and reasons."""
    import json

    from retail_lake.catalog.quality import write_validation_counts
    from retail_lake.storage import layout

    def counts(rows_in, valid, **reasons):
        return {
            "rows_in": rows_in,
            "valid": valid,
            "quarantined": sum(reasons.values()),
            "reasons": reasons,
        }

    reports = {
        D(2024, 1, 2): _validate_report(
            "2024-01-02",
            {
                "sales": {
                    "landing/retail/2024-01-02/sales.csv": counts(
                        10, 7, bad_type=2, duplicate_key=1
                    )
                },
                "store_sales": {
                    "landing/store_sales/2024-01-02/101.csv": counts(4, 4),
                    "landing/store_sales/2024-01-02/102.csv": counts(0, 0),
                },
            },
        ),
        D(2024, 1, 3): _validate_report(
            "2024-01-03",
            {"sales": {"landing/retail/2024-01-03/sales.csv": counts(8, 6, missing_required=2)}},
        ),
    }
    storage = open_storage(str(tmp_path))
    for day, report in reports.items():
        storage.write_bytes(layout.report(day, "validate"), json.dumps(report).encode())
    assert write_validation_counts(storage) == sorted(reports)
    publish(DuckDBCatalog(tmp_path), storage)

    frame = DuckDBQuery(tmp_path).sql(
        "SELECT load_date, dataset, source_file, rows_in, valid, quarantined, quarantine_rate,"
        " missing_required, bad_type, negative_value, bad_flag, unknown_date, unknown_store,"
        " unknown_product, duplicate_key"
        " FROM v_data_quality_daily ORDER BY load_date, dataset, source_file"
    )
    assert rows(frame) == [
        (D(2024, 1, 2), "sales", "landing/retail/2024-01-02/sales.csv", 10, 7, 3, 0.3, 0, 2, 0, 0, 0, 0, 0, 1),
        (D(2024, 1, 2), "store_sales", "landing/store_sales/2024-01-02/101.csv", 4, 4, 0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0),
        (D(2024, 1, 2), "store_sales", "landing/store_sales/2024-01-02/102.csv", 0, 0, 0, None, 0, 0, 0, 0, 0, 0, 0, 0),
        (D(2024, 1, 3), "sales", "landing/retail/2024-01-03/sales.csv", 8, 6, 2, 0.25, 2, 0, 0, 0, 0, 0, 0, 0),
    ]  # fmt: skip

    # A rerun of a load rewrites its counts; the other days' files are left alone.
    reports[D(2024, 1, 3)]["datasets"]["sales"]["files"]["landing/retail/2024-01-03/sales.csv"] = (
        counts(8, 8)
    )
    storage.write_bytes(
        layout.report(D(2024, 1, 3), "validate"), json.dumps(reports[D(2024, 1, 3)]).encode()
    )
    assert write_validation_counts(storage, [D(2024, 1, 3)]) == [D(2024, 1, 3)]
    rerun = DuckDBQuery(tmp_path).sql(
        "SELECT load_date, quarantined FROM v_data_quality_daily WHERE dataset = 'sales'"
        " ORDER BY load_date"
    )
    assert rows(rerun) == [(D(2024, 1, 2), 3), (D(2024, 1, 3), 0)]


def test_data_quality_daily_shows_the_gates_breached(tmp_path):
    """Per file: the gates breached on it or on its whole dataset, and halted loads."""
    import json

    from retail_lake.catalog.quality import write_validation_counts
    from retail_lake.storage import layout

    def gate(name, file, action, scope="dataset"):
        return {"gate": name, "file": file, "action": action, "scope": scope, "figure": 1.0}

    files = {
        f"landing/store_sales/2024-01-02/{n}.csv": {
            "rows_in": 10,
            "valid": 10 - bad,
            "quarantined": bad,
            "reasons": {"bad_type": bad} if bad else {},
        }
        for n, bad in ((101, 5), (102, 0))
    }
    report = _validate_report(
        "2024-01-02",
        {"store_sales": files, "store": {"s.csv": files["landing/store_sales/2024-01-02/102.csv"]}},
    )
    report["datasets"]["store_sales"]["gates"] = [
        gate("quarantine_share", "landing/store_sales/2024-01-02/101.csv", "warn", "file"),
        gate("quarantine_share", "landing/store_sales/2024-01-02/102.csv", None, "file"),
        gate("quarantine_share", "*", None),
        gate("volume", "*", "warn"),
    ]
    report["datasets"]["store"]["gates"] = [gate("quarantine_share", "s.csv", "halt")]
    report["datasets"]["store"]["halted"] = True
    storage = open_storage(str(tmp_path))
    storage.write_bytes(layout.report(D(2024, 1, 2), "validate"), json.dumps(report).encode())
    write_validation_counts(storage)
    publish(DuckDBCatalog(tmp_path), storage)

    frame = DuckDBQuery(tmp_path).sql(
        "SELECT dataset, source_file, gates_breached, halted FROM v_data_quality_daily"
        " ORDER BY dataset, source_file"
    )
    assert rows(frame) == [
        ("store", "s.csv", "quarantine_share:halt", True),
        ("store_sales", "landing/store_sales/2024-01-02/101.csv", "quarantine_share:warn, volume:warn", False),
        ("store_sales", "landing/store_sales/2024-01-02/102.csv", "volume:warn", False),
    ]  # fmt: skip
