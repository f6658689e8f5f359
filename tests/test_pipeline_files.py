"""The file-fed pipeline end to end on a tiny lake: landing → raw → validated → curated."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from retail_lake.config import build_settings
from retail_lake.contracts import dataset
from retail_lake.jobs.errors import StepError
from retail_lake.runner.local import run_pipeline
from retail_lake.storage import layout
from tests.frames import calendar_rows, write_landing

D1, D2 = dt.date(2026, 1, 5), dt.date(2026, 1, 6)  # Monday and Tuesday of week 202602
STORES = [
    {"store_key": 1, "store_num": 101, "frnchs_flg": 1, "region": "West"},
    {"store_key": 2, "store_num": 102, "frnchs_flg": 0, "region": "East"},
]
PRODUCTS = [{"prod_key": 10, "prod_name": "Tea"}, {"prod_key": 11, "prod_name": "Coffee"}]


def sale(trans_id, day, qty, amt, store=1, prod=10):
    return {
        "trans_id": trans_id,
        "prod_key": prod,
        "store_key": store,
        "trans_dt": day.isoformat(),
        "sales_qty": qty,
        "sales_amt": amt,
        "sales_cost": 1,
    }


def deliver(lake, day, sales, inventory=(), store_sales=()):
    for name, rows in {
        "calendar": calendar_rows(dt.date(2026, 1, 4), 1),
        "store": STORES,
        "product": PRODUCTS,
        "sales": sales,
        "inventory": list(inventory),
    }.items():
        write_landing(lake, layout.landing_retail(day, name), name, rows)
    if store_sales:
        write_landing(lake, layout.landing_store_sales(day, 101), "store_sales", list(store_sales))


def curated(lake, name):
    frame = pd.read_parquet(lake / layout.curated_dir(name))
    return frame.sort_values(list(frame.columns[:3])).reset_index(drop=True)


def run(lake, spark, start, end=None):
    return run_pipeline(build_settings({"lake": str(lake)}, env={}), start, end, spark=spark)


def test_two_days_restatement_and_idempotent_rerun(spark, lake_dir):
    deliver(
        lake_dir,
        D1,
        [sale(1, D1, 2, 20), sale(2, D1, 1, 10), sale(3, D1, -1, 5), sale(2, D1, 1, 10)],
        [
            {
                "cal_dt": D1.isoformat(),
                "store_key": 1,
                "prod_key": 10,
                "inventory_on_hand_qty": 1,
                "out_of_stock_flg": 0,
            }
        ],
    )
    deliver(lake_dir, D2, [sale(4, D2, 3, 30), sale(1, D1, 5, 50)])  # trans 1 restated
    run(lake_dir, spark, D1, D2)

    weekly = curated(lake_dir, "weekly_sales_inventory")
    assert list(weekly.columns) == [
        c for c in dataset("weekly_sales_inventory").column_names if c != "yr_wk_num"
    ] + ["yr_wk_num"]
    assert len(weekly) == 1
    row = weekly.iloc[0]
    # trans 1 restated to qty 5 / amt 50; trans 2 once (exact copy rejected); trans 3 negative.
    assert (row.total_sales_qty, row.total_sales_amt) == (5 + 1 + 3, 50 + 10 + 30)
    assert (row.low_stock_instances, row.eow_stock_on_hand_qty) == (1, 1.0)  # D1: 1 < 6

    quarantine = pd.read_parquet(lake_dir / layout.quarantine_partition("sales", D1))
    assert sorted(zip(quarantine.trans_id, quarantine.reject_reason, strict=True)) == [
        ("2", "duplicate_key"),
        ("3", "negative_value"),
    ]
    assert set(quarantine.source_file) == {layout.landing_retail(D1, "sales")}
    report = json.loads((lake_dir / layout.report(D1, "validate")).read_text())
    counts = report["datasets"]["sales"]["files"][layout.landing_retail(D1, "sales")]
    assert counts == {
        "rows_in": 4,
        "valid": 2,
        "quarantined": 2,
        "reasons": {"negative_value": 1, "duplicate_key": 1},
    }

    before = {p: p.read_bytes() for p in sorted((lake_dir / "curated").rglob("*.parquet"))}
    validated_before = pd.read_parquet(lake_dir / layout.validated_dir("sales"))
    run(lake_dir, spark, D1)  # rerun an older load: the D2 restatement must survive
    validated_after = pd.read_parquet(lake_dir / layout.validated_dir("sales"))
    key = ["trans_id", "sales_qty", "load_date"]
    pd.testing.assert_frame_equal(
        validated_before[key].sort_values("trans_id").reset_index(drop=True),
        validated_after[key].sort_values("trans_id").reset_index(drop=True),
    )
    assert curated(lake_dir, "weekly_sales_inventory").equals(weekly)
    assert len(before) > 0


def test_daily_store_sales(spark, lake_dir):
    rows = [
        {
            "row_id": 1,
            "order_id": "A",
            "item": "Tea",
            "sale_amount": 10,
            "tax_amount": 1,
            "discount_amount": 0,
            "quantity": 2,
            "franchise_store": 101,
            "transaction_date": D1.isoformat(),
        },
        {
            "row_id": 2,
            "order_id": "A",
            "item": "Tea",
            "sale_amount": 5,
            "tax_amount": 0.5,
            "discount_amount": 1,
            "quantity": 1,
            "franchise_store": 101,
            "transaction_date": D1.isoformat(),
        },
        {
            "row_id": 3,
            "order_id": "B",
            "item": "Tea",
            "sale_amount": 7,
            "tax_amount": 0.7,
            "discount_amount": 0,
            "quantity": 1,
            "franchise_store": 101,
            "transaction_date": D1.isoformat(),
        },
        {
            "row_id": 3,
            "order_id": "B",
            "item": "Tea",
            "sale_amount": 7,
            "tax_amount": 0.7,
            "discount_amount": 0,
            "quantity": 1,
            "franchise_store": 101,
            "transaction_date": D1.isoformat(),
        },
    ]
    deliver(lake_dir, D1, [sale(1, D1, 1, 1)], store_sales=rows)
    run(lake_dir, spark, D1)
    daily = curated(lake_dir, "daily_store_sales")
    daily["transaction_date"] = daily["transaction_date"].astype(str)
    assert daily.to_dict("records") == [
        {
            "franchise_store": 101,
            "item": "Tea",
            "total_sale_amount": 22.0,
            "total_tax_amount": pytest.approx(2.2),
            "total_discount_amount": 1.0,
            "total_quantity": 4,
            "order_count": 2,
            "transaction_date": "2026-01-05",
        }
    ]


def test_bad_header_fails_naming_step_date_and_file(spark, lake_dir):
    deliver(lake_dir, D1, [sale(1, D1, 1, 1)])
    path = lake_dir / layout.landing_retail(D1, "sales")
    path.write_text("trans_id,prod_key\n1,2\n")
    with pytest.raises(StepError) as info:
        run(lake_dir, spark, D1)
    message = str(info.value)
    assert "extract" in message and "2026-01-05" in message and "sales.csv" in message
    assert "missing columns" in message
